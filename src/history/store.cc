// Opening a history database and writing samples. The readers are in
// store_read.cc; the file format is SCHEMA.md.
#include "history/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "history/db_file.h"

namespace memstats::history {
namespace {

// 'MEMS': lets file(1) and others tell the file from other SQLite files.
constexpr int kApplicationId = 0x4d454d53;

// Version 1 of SCHEMA.md. Created in one transaction with the meta rows.
constexpr char kSchema[] = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE recordings (
  id INTEGER PRIMARY KEY,
  host TEXT NOT NULL,
  kernel TEXT NOT NULL,
  start_unix_ms INTEGER NOT NULL,
  page_size INTEGER NOT NULL,
  command_line TEXT NOT NULL,
  target TEXT NOT NULL);
CREATE TABLE samples (
  recording INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  unix_ms INTEGER NOT NULL,
  seconds REAL NOT NULL,
  set_rss INTEGER, set_uss INTEGER, set_pss INTEGER, set_swap INTEGER,
  vanished INTEGER NOT NULL,
  PRIMARY KEY (recording, seq)) WITHOUT ROWID;
CREATE TABLE processes (
  id INTEGER PRIMARY KEY,
  recording INTEGER NOT NULL,
  pid INTEGER NOT NULL,
  ppid INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  comm TEXT NOT NULL,
  cmd TEXT NOT NULL);
CREATE TABLE process_samples (
  recording INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  pid INTEGER NOT NULL,
  process INTEGER NOT NULL,
  stack INTEGER NOT NULL, heap INTEGER NOT NULL, thread_stack INTEGER NOT NULL,
  bin_text INTEGER NOT NULL, lib_text INTEGER NOT NULL,
  bin_data INTEGER NOT NULL, lib_data INTEGER NOT NULL,
  anon_map INTEGER NOT NULL, shm INTEGER NOT NULL, other INTEGER NOT NULL,
  swap_pss INTEGER NOT NULL,
  rss INTEGER NOT NULL, uss INTEGER NOT NULL, swap INTEGER NOT NULL,
  hugetlb INTEGER NOT NULL, vm_hwm INTEGER NOT NULL,
  mapping_rows INTEGER NOT NULL,
  PRIMARY KEY (recording, seq, pid)) WITHOUT ROWID;
CREATE TABLE paths (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE);
CREATE TABLE mappings (
  recording INTEGER NOT NULL,
  first_seq INTEGER NOT NULL,
  pid INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  series INTEGER NOT NULL,
  path INTEGER,
  perms INTEGER NOT NULL,
  mappings INTEGER NOT NULL,
  size INTEGER NOT NULL, rss INTEGER NOT NULL, pss INTEGER NOT NULL,
  swap INTEGER NOT NULL, swap_pss INTEGER NOT NULL, hugetlb INTEGER NOT NULL,
  PRIMARY KEY (recording, first_seq, pid, idx)) WITHOUT ROWID;
CREATE INDEX mappings_by_process ON mappings (recording, pid, idx, first_seq);
)sql";

// Refuses a database that is not ours or is newer. Reads only.
absl::Status CheckMeta(const SqliteDb& db, const std::string& path) {
  auto refused = [&](const absl::Status& s) {
    return PathError(path, absl::StrCat("is not a memstats database (",
                                        s.message(), "); left untouched"));
  };
  auto has_meta = SqliteStmt::Prepare(
      db,
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
      "'meta'");
  if (!has_meta.ok()) return refused(has_meta.status());
  auto row = has_meta->Step();
  if (!row.ok()) return refused(row.status());
  if (!*row || has_meta->Int(0) == 0) {
    return PathError(path,
                     "is an SQLite database but not a memstats one (no meta "
                     "table); left untouched");
  }
  auto get = SqliteStmt::Prepare(db, "SELECT value FROM meta WHERE key = ?1");
  if (!get.ok()) return refused(get.status());
  auto value = [&](const char* key) -> absl::StatusOr<std::string> {
    get->Reset();
    get->Bind(1, absl::string_view(key));
    auto row = get->Step();
    if (!row.ok()) return row.status();
    return *row ? get->Text(0) : std::string("(none)");
  };
  auto format = value("format");
  if (!format.ok()) return refused(format.status());
  if (*format != kFormatName) {
    return PathError(path, absl::StrCat("is an SQLite database but not a "
                                        "memstats one (meta format '",
                                        *format, "'); left untouched"));
  }
  auto version = value("version");
  if (!version.ok()) return refused(version.status());
  int v = 0;
  if (!absl::SimpleAtoi(*version, &v) || v < 1) {
    return PathError(path, absl::StrCat("has a bad format version '", *version,
                                        "'; left untouched"));
  }
  if (v > kFormatVersion) {
    return PathError(
        path, absl::StrCat("was written by a newer memstats (history format "
                           "version ",
                           v, "; this memstats reads version ", kFormatVersion,
                           " and older); left untouched"));
  }
  return absl::OkStatus();
}

// A database that passed OpenDbFile, opened by SQLite and checked.
absl::StatusOr<SqliteDb> OpenChecked(const DbFile& f, bool writable) {
  auto wrap = [&](const absl::Status& s) {
    return PathError(f.path, s.message());
  };
  if (!f.is_new) {
    // Check on a read-only connection first: a read-write one may write to
    // a foreign file just by opening it (recovering its journal or WAL).
    // Even a read-only one creates -wal and -shm files beside a WAL-mode
    // file, unless it is immutable; it need not be when a -wal file exists
    // already (and may not be: the meta rows may be in that file only).
    auto ro = SqliteDb::Open(f.path, SQLITE_OPEN_READONLY,
                             /*immutable=*/!SiblingExists(f, "-wal"));
    if (!ro.ok()) return wrap(ro.status());
    if (absl::Status s = SameFile(f); !s.ok()) return s;
    if (absl::Status s = CheckMeta(*ro, f.path); !s.ok()) return s;
  }
  // The file is ours now. Readers too take a read-write connection (with
  // query_only): the last connection to close then checkpoints and removes
  // the -wal and -shm files, where a read-only one would leave them. A
  // reader that may not write reads through a read-only one.
  auto db = SqliteDb::Open(f.path, SQLITE_OPEN_READWRITE);
  if (!db.ok() && !writable) db = SqliteDb::Open(f.path, SQLITE_OPEN_READONLY);
  if (!db.ok()) return wrap(db.status());
  if (absl::Status s = SameFile(f); !s.ok()) return s;
  if (!writable) {
    if (absl::Status s = db->Exec("PRAGMA query_only = 1"); !s.ok()) {
      return wrap(s);
    }
    return db;
  }
  if (f.is_new) {
    // journal_mode cannot change inside a transaction; WAL is recorded in
    // the file and stays.
    if (absl::Status s = db->Exec("PRAGMA journal_mode = WAL"); !s.ok()) {
      return wrap(s);
    }
    if (absl::Status s = db->Exec("BEGIN IMMEDIATE"); !s.ok()) return wrap(s);
    // Another Create may have set the file up since OpenDbFile looked.
    auto tables =
        SqliteStmt::Prepare(*db, "SELECT count(*) FROM sqlite_master");
    absl::StatusOr<bool> row =
        tables.ok() ? tables->Step() : absl::StatusOr<bool>(tables.status());
    absl::Status s = row.ok() ? absl::OkStatus() : row.status();
    if (s.ok() && tables->Int(0) == 0) {
      s = db->Exec(
          absl::StrCat(kSchema, "PRAGMA application_id = ", kApplicationId,
                       ";\nINSERT INTO meta VALUES ('format', '", kFormatName,
                       "'), ('version', '", kFormatVersion, "');"));
      if (!s.ok()) s = wrap(s);
    } else if (s.ok()) {
      s = CheckMeta(*db, f.path);
    } else {
      s = wrap(s);
    }
    if (tables.ok()) *tables = SqliteStmt();  // finalized before COMMIT
    if (!s.ok()) {
      (void)db->Exec("ROLLBACK");
      return s;
    }
    if (s = db->Exec("COMMIT"); !s.ok()) return wrap(s);
  } else if (absl::Status s = db->Exec("PRAGMA journal_mode = WAL"); !s.ok()) {
    return wrap(s);
  }
  // In WAL mode NORMAL syncs at checkpoints only: a committed sample
  // survives the recorder being killed, not necessarily a power cut.
  if (absl::Status s = db->Exec("PRAGMA synchronous = NORMAL"); !s.ok()) {
    return wrap(s);
  }
  return db;
}

}  // namespace

struct Store::Statements {
  SqliteStmt sample, identity, process, mapping, find_path, add_path;
};

Store::Store(std::string path, SqliteDb db)
    : path_(std::move(path)), db_(std::move(db)) {}

Store::~Store() = default;

absl::Status Store::Fail(const absl::Status& s) const {
  if (absl::IsInvalidArgument(s)) return s;  // names the path already
  return absl::Status(s.code(),
                      absl::StrCat("database '", path_, "': ", s.message()));
}

absl::StatusOr<std::unique_ptr<Store>> Store::Create(
    const std::string& path, const RecordingInfo& info) {
  absl::StatusOr<DbFile> file = OpenDbFile(path, /*create=*/true);
  if (!file.ok()) return file.status();
  absl::StatusOr<SqliteDb> db = OpenChecked(*file, /*writable=*/true);
  if (!db.ok()) {
    RemoveIfNew(*file);
    return db.status();
  }
  std::unique_ptr<Store> store(new Store(path, *std::move(db)));
  auto insert = SqliteStmt::Prepare(
      store->db_,
      "INSERT INTO recordings (host, kernel, start_unix_ms, page_size, "
      "command_line, target) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert.ok()) return store->Fail(insert.status());
  insert->Bind(1, absl::string_view(info.host));
  insert->Bind(2, absl::string_view(info.kernel));
  insert->Bind(3, info.start_unix_ms);
  insert->Bind(4, info.page_size);
  insert->Bind(5, absl::string_view(info.command_line));
  insert->Bind(6, absl::string_view(info.target));
  if (absl::Status s = insert->Run(); !s.ok()) return store->Fail(s);
  store->recording_ = store->db_.LastInsertRowid();
  if (absl::Status s = store->PrepareWriter(); !s.ok()) return store->Fail(s);
  return store;
}

absl::StatusOr<std::unique_ptr<Store>> Store::OpenReadOnly(
    const std::string& path) {
  absl::StatusOr<DbFile> file = OpenDbFile(path, /*create=*/false);
  if (!file.ok()) return file.status();
  absl::StatusOr<SqliteDb> db = OpenChecked(*file, /*writable=*/false);
  if (!db.ok()) return db.status();
  return std::unique_ptr<Store>(new Store(path, *std::move(db)));
}

absl::Status Store::PrepareWriter() {
  st_ = std::make_unique<Statements>();
  struct {
    SqliteStmt* stmt;
    const char* sql;
  } const kSql[] = {
      {&st_->sample,
       "INSERT INTO samples VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
      {&st_->identity,
       "INSERT INTO processes (recording, pid, ppid, uid, comm, cmd) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&st_->process,
       "INSERT INTO process_samples VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
       "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)"},
      {&st_->mapping,
       "INSERT INTO mappings VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
       "?11, ?12, ?13, ?14)"},
      {&st_->find_path, "SELECT id FROM paths WHERE path = ?1"},
      {&st_->add_path, "INSERT INTO paths (path) VALUES (?1)"},
  };
  for (const auto& [stmt, sql] : kSql) {
    auto prepared = SqliteStmt::Prepare(db_, sql);
    if (!prepared.ok()) return prepared.status();
    *stmt = *std::move(prepared);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Store::PathId(
    const std::string& path,
    std::vector<std::pair<std::string, int64_t>>& added) {
  if (auto it = path_ids_.find(path); it != path_ids_.end()) return it->second;
  for (const auto& [p, id] : added) {
    if (p == path) return id;
  }
  // The paths table is shared by every recording of the file, and by
  // writers that run at the same time.
  st_->find_path.Bind(1, absl::string_view(path));
  absl::StatusOr<bool> row = st_->find_path.Step();
  int64_t id = row.ok() && *row ? st_->find_path.Int(0) : 0;
  st_->find_path.Reset();
  if (!row.ok()) return row.status();
  if (!*row) {
    st_->add_path.Bind(1, absl::string_view(path));
    if (absl::Status s = st_->add_path.Run(); !s.ok()) return s;
    id = db_.LastInsertRowid();
  }
  added.emplace_back(path, id);
  return id;
}

absl::Status Store::WriteSample(
    const profile::Sample& s, int64_t seq,
    std::vector<std::pair<int, Identity>>& identities,
    std::vector<std::pair<std::string, int64_t>>& paths) {
  SqliteStmt& sample = st_->sample;
  sample.Bind(1, recording_);
  sample.Bind(2, seq);
  sample.Bind(3, s.unix_ms);
  sample.Bind(4, s.seconds);
  for (int i = 5; i <= 8; ++i) sample.BindNull(i);
  if (s.pages) {
    sample.Bind(5, s.pages->rss);
    sample.Bind(6, s.pages->uss);
    sample.Bind(7, s.pages->pss);
    sample.Bind(8, s.pages->swap);
  }
  sample.Bind(9, static_cast<int64_t>(s.vanished));
  if (absl::Status st = sample.Run(); !st.ok()) return st;

  for (const profile::ProcessSample& p : s.processes) {
    // The identity: the cached one when nothing changed.
    auto known = identities_.find(p.pid);
    int64_t identity = 0;
    if (known != identities_.end() && known->second.ppid == p.ppid &&
        known->second.uid == p.uid && known->second.comm == p.comm &&
        known->second.cmd == p.cmd) {
      identity = known->second.id;
    } else {
      SqliteStmt& ins = st_->identity;
      ins.Bind(1, recording_);
      ins.Bind(2, p.pid);
      ins.Bind(3, p.ppid);
      ins.Bind(4, p.uid);
      ins.Bind(5, absl::string_view(p.comm));
      ins.Bind(6, absl::string_view(p.cmd));
      if (absl::Status st = ins.Run(); !st.ok()) return st;
      identity = db_.LastInsertRowid();
      identities.emplace_back(p.pid,
                              Identity{identity, p.ppid, p.uid, p.comm, p.cmd});
    }

    SqliteStmt& proc = st_->process;
    proc.Bind(1, recording_);
    proc.Bind(2, seq);
    proc.Bind(3, p.pid);
    proc.Bind(4, identity);
    for (int i = 0; i < profile::kNumSeries; ++i) proc.Bind(5 + i, p.pss[i]);
    proc.Bind(15, p.swap_pss);
    proc.Bind(16, p.rss);
    proc.Bind(17, p.uss);
    proc.Bind(18, p.swap);
    proc.Bind(19, p.hugetlb);
    proc.Bind(20, p.vm_hwm);
    proc.Bind(21, static_cast<int64_t>(p.mappings.size()));
    if (absl::Status st = proc.Run(); !st.ok()) return st;

    auto cached = rows_.find(p.pid);
    for (size_t idx = 0; idx < p.mappings.size(); ++idx) {
      const profile::SampledMapping& m = p.mappings[idx];
      if (cached != rows_.end() && idx < cached->second.size() &&
          cached->second[idx] == m) {
        continue;  // unchanged: readers take the earlier row
      }
      SqliteStmt& ins = st_->mapping;
      ins.Bind(1, recording_);
      ins.Bind(2, seq);
      ins.Bind(3, p.pid);
      ins.Bind(4, static_cast<int64_t>(idx));
      ins.Bind(5, static_cast<int64_t>(m.series));
      if (!m.path.empty()) {
        absl::StatusOr<int64_t> path = PathId(m.path, paths);
        if (!path.ok()) return path.status();
        ins.Bind(6, *path);
      }  // else NULL: Reset() cleared the binding
      ins.Bind(7, static_cast<int64_t>(m.perms));
      ins.Bind(8, m.mappings);
      ins.Bind(9, m.size);
      ins.Bind(10, m.rss);
      ins.Bind(11, m.pss);
      ins.Bind(12, m.swap);
      ins.Bind(13, m.swap_pss);
      ins.Bind(14, m.hugetlb);
      if (absl::Status st = ins.Run(); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

absl::Status Store::AddSample(const profile::Sample& s) {
  if (st_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("database '", path_, "': opened read-only"));
  }
  // What this sample adds to the writer's memory is kept apart until the
  // commit: after a failed sample the memory still matches the file.
  std::vector<std::pair<int, Identity>> identities;
  std::vector<std::pair<std::string, int64_t>> paths;
  if (absl::Status st = db_.Exec("BEGIN IMMEDIATE"); !st.ok()) return Fail(st);
  absl::Status st = WriteSample(s, next_seq_, identities, paths);
  if (st.ok()) st = db_.Exec("COMMIT");
  if (!st.ok()) {
    (void)db_.Exec("ROLLBACK");
    return Fail(st);
  }
  for (auto& [path, id] : paths) path_ids_.emplace(std::move(path), id);
  // The memory keeps the processes of this sample only, so that it stays
  // as small as one sample however many processes come and go. A pid seen
  // again later has its rows written again in full: correct, as readers
  // take the latest row.
  for (auto& [pid, identity] : identities) {
    identities_[pid] = std::move(identity);
  }
  absl::flat_hash_map<int, Identity> kept_identities;
  absl::flat_hash_map<int, std::vector<profile::SampledMapping>> kept_rows;
  kept_identities.reserve(s.processes.size());
  kept_rows.reserve(s.processes.size());
  for (const profile::ProcessSample& p : s.processes) {
    if (auto node = identities_.extract(p.pid); !node.empty()) {
      kept_identities.insert(std::move(node));
    }
    std::vector<profile::SampledMapping> rows;
    if (auto node = rows_.extract(p.pid); !node.empty()) {
      rows = std::move(node.mapped());
    }
    if (rows.size() < p.mappings.size()) rows.resize(p.mappings.size());
    std::copy(p.mappings.begin(), p.mappings.end(), rows.begin());
    kept_rows.emplace(p.pid, std::move(rows));
  }
  identities_ = std::move(kept_identities);
  rows_ = std::move(kept_rows);
  ++next_seq_;
  return absl::OkStatus();
}

}  // namespace memstats::history
