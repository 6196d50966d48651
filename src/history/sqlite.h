// The little of SQLite's C API the history store uses, with owners that
// close what they open and errors as absl::Status. Not thread-safe: one
// SqliteDb and its statements belong to one thread at a time.
#ifndef MEMSTATS_HISTORY_SQLITE_H_
#define MEMSTATS_HISTORY_SQLITE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace memstats::history {

// An open database connection.
class SqliteDb {
 public:
  SqliteDb() = default;
  ~SqliteDb();
  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // sqlite3_open_v2(path, flags), with SQLITE_OPEN_NOFOLLOW added (a
  // symbolic link as the final component is refused), extended result
  // codes, a busy timeout, defensive mode and untrusted schema: a file
  // from elsewhere cannot run its own SQL through views or triggers.
  // Never creates the file unless `flags` has SQLITE_OPEN_CREATE.
  // `immutable` (with SQLITE_OPEN_READONLY): SQLite takes no lock and
  // reads no journal or WAL, so it creates no -wal or -shm file either.
  static absl::StatusOr<SqliteDb> Open(const std::string& path, int flags,
                                       bool immutable = false);

  // Runs one or more statements that return no rows.
  absl::Status Exec(absl::string_view sql);
  // The rowid of the last INSERT on this connection.
  int64_t LastInsertRowid() const;
  // A status of `code` with sqlite's current message on this connection.
  absl::Status Error(int code, absl::string_view doing) const;

  sqlite3* get() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// A prepared statement. Bind* take 1-based parameter indexes, column
// accessors 0-based ones, as SQLite does.
class SqliteStmt {
 public:
  SqliteStmt() = default;
  ~SqliteStmt();
  SqliteStmt(SqliteStmt&& other) noexcept;
  SqliteStmt& operator=(SqliteStmt&& other) noexcept;
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  static absl::StatusOr<SqliteStmt> Prepare(const SqliteDb& db,
                                            absl::string_view sql);

  // Bytes are uint64_t in memstats and signed 64-bit integers in SQLite:
  // the bits are stored as they are (a value >= 2^63 would read as negative
  // in the sqlite3 shell and comes back unchanged here).
  void Bind(int i, int64_t v);
  void Bind(int i, uint64_t v) { Bind(i, static_cast<int64_t>(v)); }
  void Bind(int i, int v) { Bind(i, static_cast<int64_t>(v)); }
  void Bind(int i, uint32_t v) { Bind(i, static_cast<int64_t>(v)); }
  void Bind(int i, double v);
  void Bind(int i, absl::string_view v);  // copied by SQLite
  void BindBlob(int i, absl::string_view bytes);  // a BLOB, copied
  void BindNull(int i);

  // Advances: true with a row to read, false when done.
  absl::StatusOr<bool> Step();
  // Steps a statement that returns no rows, then resets it.
  absl::Status Run();
  // Resets for the next use and clears the bindings.
  void Reset();

  int64_t Int(int col) const;
  uint64_t Uint(int col) const { return static_cast<uint64_t>(Int(col)); }
  double Double(int col) const;
  std::string Text(int col) const;
  std::string Blob(int col) const;
  bool IsNull(int col) const;

 private:
  SqliteStmt(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;  // for error messages
};

}  // namespace memstats::history

#endif  // MEMSTATS_HISTORY_SQLITE_H_
