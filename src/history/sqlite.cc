#include "history/sqlite.h"

#include <sqlite3.h>

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace memstats::history {
namespace {

// A writer holds the write lock for one sample's transaction (a few
// milliseconds); a reader or a second writer waits this long for it.
constexpr int kBusyTimeoutMs = 5000;

absl::Status StatusOf(int code, absl::string_view doing, sqlite3* db) {
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  std::string text = absl::StrCat(doing, ": ", msg);
  switch (code & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return absl::DataLossError(text);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return absl::PermissionDeniedError(text);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(text);
    default:
      return absl::InternalError(text);
  }
}

}  // namespace

SqliteDb::~SqliteDb() {
  // close_v2: statements still open would otherwise make close fail.
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

SqliteDb::SqliteDb(SqliteDb&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

absl::StatusOr<SqliteDb> SqliteDb::Open(const std::string& path, int flags,
                                        bool immutable) {
  std::string name = path;
  flags |= SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE;
  if (immutable) {
    // A URI (https://www.sqlite.org/uri.html): the path with every byte
    // but the plainest ones %-escaped, so that '?' or '#' stay in it.
    name = "file:";
    for (unsigned char c : path) {
      if (absl::ascii_isalnum(c) || c == '/' || c == '.' || c == '_' ||
          c == '-') {
        name += static_cast<char>(c);
      } else {
        absl::StrAppend(&name, "%", absl::Hex(c, absl::kZeroPad2));
      }
    }
    name += "?immutable=1";
    flags |= SQLITE_OPEN_URI;
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  SqliteDb db(raw);  // closes `raw` on every path, even when open failed
  if (rc != SQLITE_OK) return StatusOf(rc, "cannot open", raw);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  return db;
}

absl::Status SqliteDb::Exec(absl::string_view sql) {
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return StatusOf(rc, "SQL failed", db_);
  return absl::OkStatus();
}

int64_t SqliteDb::LastInsertRowid() const {
  return sqlite3_last_insert_rowid(db_);
}

absl::Status SqliteDb::Error(int code, absl::string_view doing) const {
  return StatusOf(code, doing, db_);
}

SqliteStmt::~SqliteStmt() { sqlite3_finalize(stmt_); }

SqliteStmt::SqliteStmt(SqliteStmt&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_(std::exchange(other.db_, nullptr)) {}

SqliteStmt& SqliteStmt::operator=(SqliteStmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

absl::StatusOr<SqliteStmt> SqliteStmt::Prepare(const SqliteDb& db,
                                               absl::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc =
      sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) return StatusOf(rc, "cannot prepare SQL", db.get());
  return SqliteStmt(raw, db.get());
}

void SqliteStmt::Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }

void SqliteStmt::Bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }

void SqliteStmt::Bind(int i, absl::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()),
                    SQLITE_TRANSIENT);
}

void SqliteStmt::BindBlob(int i, absl::string_view bytes) {
  sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
}

void SqliteStmt::BindNull(int i) { sqlite3_bind_null(stmt_, i); }

absl::StatusOr<bool> SqliteStmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  absl::Status s = StatusOf(rc, "SQL failed", db_);
  sqlite3_reset(stmt_);
  return s;
}

absl::Status SqliteStmt::Run() {
  absl::StatusOr<bool> row = Step();
  Reset();
  if (!row.ok()) return row.status();
  return absl::OkStatus();
}

void SqliteStmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStmt::Int(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

double SqliteStmt::Double(int col) const {
  return sqlite3_column_double(stmt_, col);
}

std::string SqliteStmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(n)};
}

std::string SqliteStmt::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr) return {};
  return {static_cast<const char*>(p), static_cast<size_t>(n)};
}

bool SqliteStmt::IsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

}  // namespace memstats::history
