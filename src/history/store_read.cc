// Reading samples back (SCHEMA.md, "Compaction", says how a sample's
// mapping rows are found).
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "history/store.h"

namespace memstats::history {
namespace {

constexpr char kSampleColumns[] =
    "seq, unix_ms, seconds, set_rss, set_uss, set_pss, set_swap, vanished";

// A process's identity and numbers; its mapping rows come apart.
constexpr char kProcessQuery[] =
    "SELECT ps.pid, p.ppid, p.uid, p.comm, p.cmd, ps.stack, ps.heap, "
    "ps.thread_stack, ps.bin_text, ps.lib_text, ps.bin_data, ps.lib_data, "
    "ps.anon_map, ps.shm, ps.other, ps.swap_pss, ps.rss, ps.uss, ps.swap, "
    "ps.hugetlb, ps.vm_hwm, ps.mapping_rows "
    "FROM process_samples ps JOIN processes p ON p.id = ps.process "
    "WHERE ps.recording = ?1 AND ps.seq = ?2 AND (?3 IS NULL OR ps.pid = ?3) "
    "ORDER BY ps.pid";

constexpr char kMappingColumns[] =
    "series, path, perms, mappings, size, rss, pss, swap, swap_pss, hugetlb";

// A multi-statement read sees one state of the file, even while a writer
// commits samples. Declare it before the statements, so that they are
// finalized before it ends.
class ReadTransaction {
 public:
  explicit ReadTransaction(SqliteDb& db) : db_(db) {
    open_ = db_.Exec("BEGIN").ok();
  }
  ~ReadTransaction() {
    if (open_) (void)db_.Exec("COMMIT");
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  SqliteDb& db_;
  bool open_ = false;
};

void BindPid(SqliteStmt& st, int i, const LoadOptions& options) {
  if (options.pid) {
    st.Bind(i, *options.pid);
  } else {
    st.BindNull(i);
  }
}

}  // namespace

absl::Status Store::RequireRecording(int64_t recording) {
  auto st = SqliteStmt::Prepare(db_, "SELECT 1 FROM recordings WHERE id = ?1");
  if (!st.ok()) return Fail(st.status());
  st->Bind(1, recording);
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return Fail(row.status());
  if (!*row) {
    return absl::NotFoundError(
        absl::StrCat("database '", path_, "': no recording ", recording));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Store::PathName(int64_t id) {
  if (auto it = path_names_.find(id); it != path_names_.end()) {
    return it->second;
  }
  auto st = SqliteStmt::Prepare(db_, "SELECT path FROM paths WHERE id = ?1");
  if (!st.ok()) return st.status();
  st->Bind(1, id);
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::DataLossError(absl::StrCat("no path ", id));
  return path_names_.emplace(id, st->Text(0)).first->second;
}

absl::StatusOr<bool> Store::ReadSampleRow(SqliteStmt& st, profile::Sample& s) {
  absl::StatusOr<bool> row = st.Step();
  if (!row.ok() || !*row) return row;
  s.unix_ms = st.Int(1);
  s.seconds = st.Double(2);
  if (!st.IsNull(3)) {
    s.pages = profile::SetPages{st.Uint(3), st.Uint(4), st.Uint(5), st.Uint(6)};
  }
  s.vanished = static_cast<size_t>(st.Int(7));
  return true;
}

absl::Status Store::ReadProcesses(int64_t recording, int64_t seq,
                                  const LoadOptions& options,
                                  profile::Sample& s,
                                  std::vector<size_t>& mapping_rows) {
  auto st = SqliteStmt::Prepare(db_, kProcessQuery);
  if (!st.ok()) return st.status();
  st->Bind(1, recording);
  st->Bind(2, seq);
  BindPid(*st, 3, options);
  mapping_rows.clear();
  for (;;) {
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    profile::ProcessSample& p = s.processes.emplace_back();
    p.pid = static_cast<int>(st->Int(0));
    p.ppid = static_cast<int>(st->Int(1));
    p.uid = static_cast<uint32_t>(st->Int(2));
    p.comm = st->Text(3);
    p.cmd = st->Text(4);
    for (int i = 0; i < profile::kNumSeries; ++i) p.pss[i] = st->Uint(5 + i);
    p.swap_pss = st->Uint(15);
    p.rss = st->Uint(16);
    p.uss = st->Uint(17);
    p.swap = st->Uint(18);
    p.hugetlb = st->Uint(19);
    p.vm_hwm = st->Uint(20);
    mapping_rows.push_back(static_cast<size_t>(st->Int(21)));
  }
  return absl::OkStatus();
}

absl::StatusOr<profile::SampledMapping> Store::ReadMapping(SqliteStmt& st,
                                                           int first_col) {
  profile::SampledMapping m;
  const int64_t series = st.Int(first_col);
  if (series < 0 || series >= profile::kNumSeries) {
    return absl::DataLossError(absl::StrCat("bad series ", series));
  }
  m.series = static_cast<profile::Series>(series);
  if (!st.IsNull(first_col + 1)) {
    absl::StatusOr<std::string> path = PathName(st.Int(first_col + 1));
    if (!path.ok()) return path.status();
    m.path = *std::move(path);
  }
  m.perms = static_cast<uint8_t>(st.Int(first_col + 2));
  m.mappings = static_cast<uint32_t>(st.Int(first_col + 3));
  m.size = st.Uint(first_col + 4);
  m.rss = st.Uint(first_col + 5);
  m.pss = st.Uint(first_col + 6);
  m.swap = st.Uint(first_col + 7);
  m.swap_pss = st.Uint(first_col + 8);
  m.hugetlb = st.Uint(first_col + 9);
  return m;
}

absl::StatusOr<std::vector<Recording>> Store::ListRecordings() {
  ReadTransaction txn(db_);
  auto st = SqliteStmt::Prepare(
      db_,
      "SELECT id, host, kernel, start_unix_ms, page_size, command_line, "
      "target, (SELECT count(*) FROM samples s WHERE s.recording = r.id) "
      "FROM recordings r ORDER BY id");
  if (!st.ok()) return Fail(st.status());
  std::vector<Recording> out;
  for (;;) {
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return Fail(row.status());
    if (!*row) break;
    Recording& r = out.emplace_back();
    r.id = st->Int(0);
    r.info.host = st->Text(1);
    r.info.kernel = st->Text(2);
    r.info.start_unix_ms = st->Int(3);
    r.info.page_size = st->Uint(4);
    r.info.command_line = st->Text(5);
    r.info.target = st->Text(6);
    r.samples = st->Int(7);
  }
  return out;
}

absl::Status Store::ForEachSample(int64_t recording, const LoadOptions& options,
                                  const SampleFn& fn) {
  ReadTransaction txn(db_);
  if (absl::Status s = RequireRecording(recording); !s.ok()) return s;
  auto samples = SqliteStmt::Prepare(
      db_, absl::StrCat("SELECT ", kSampleColumns,
                        " FROM samples WHERE recording = ?1 ORDER BY seq"));
  if (!samples.ok()) return Fail(samples.status());
  // The rows that changed at one sample (SCHEMA.md, "Compaction").
  auto changed = SqliteStmt::Prepare(
      db_, absl::StrCat("SELECT pid, idx, ", kMappingColumns,
                        " FROM mappings WHERE recording = ?1 AND first_seq = "
                        "?2 AND (?3 IS NULL OR pid = ?3)"));
  if (!changed.ok()) return Fail(changed.status());
  samples->Bind(1, recording);

  // Per pid, its latest row of each idx so far.
  absl::flat_hash_map<int, std::vector<profile::SampledMapping>> rows;
  std::vector<size_t> mapping_rows;
  for (;;) {
    profile::Sample s;
    absl::StatusOr<bool> row = ReadSampleRow(*samples, s);
    if (!row.ok()) return Fail(row.status());
    if (!*row) break;
    const int64_t seq = samples->Int(0);
    absl::Status st = ReadProcesses(recording, seq, options, s, mapping_rows);
    if (!st.ok()) return Fail(st);
    if (options.mappings) {
      changed->Reset();
      changed->Bind(1, recording);
      changed->Bind(2, seq);
      BindPid(*changed, 3, options);
      for (;;) {
        absl::StatusOr<bool> more = changed->Step();
        if (!more.ok()) return Fail(more.status());
        if (!*more) break;
        std::vector<profile::SampledMapping>& of =
            rows[static_cast<int>(changed->Int(0))];
        const size_t idx = static_cast<size_t>(changed->Int(1));
        absl::StatusOr<profile::SampledMapping> m = ReadMapping(*changed, 2);
        if (!m.ok()) return Fail(m.status());
        if (of.size() <= idx) of.resize(idx + 1);
        of[idx] = *std::move(m);
      }
      for (size_t i = 0; i < s.processes.size(); ++i) {
        profile::ProcessSample& p = s.processes[i];
        auto it = rows.find(p.pid);
        const size_t have = it == rows.end() ? 0 : it->second.size();
        if (have < mapping_rows[i]) {
          return Fail(absl::DataLossError(
              absl::StrCat("sample ", seq, " of recording ", recording,
                           ": pid ", p.pid, " lacks mapping rows")));
        }
        if (mapping_rows[i] > 0) {
          p.mappings.assign(
              it->second.begin(),
              it->second.begin() + static_cast<ptrdiff_t>(mapping_rows[i]));
        }
      }
    }
    if (absl::Status s2 = fn(seq, s); !s2.ok()) return s2;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<profile::Sample>> Store::LoadSamples(
    int64_t recording, const LoadOptions& options) {
  std::vector<profile::Sample> out;
  absl::Status s =
      ForEachSample(recording, options, [&](int64_t, profile::Sample& sample) {
        out.push_back(std::move(sample));
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<profile::Sample> Store::LoadSample(int64_t recording,
                                                  int64_t seq,
                                                  const LoadOptions& options) {
  ReadTransaction txn(db_);
  if (absl::Status s = RequireRecording(recording); !s.ok()) return s;
  auto sample = SqliteStmt::Prepare(
      db_, absl::StrCat("SELECT ", kSampleColumns,
                        " FROM samples WHERE recording = ?1 AND seq = ?2"));
  if (!sample.ok()) return Fail(sample.status());
  sample->Bind(1, recording);
  sample->Bind(2, seq);
  profile::Sample s;
  absl::StatusOr<bool> row = ReadSampleRow(*sample, s);
  if (!row.ok()) return Fail(row.status());
  if (!*row) {
    return absl::NotFoundError(absl::StrCat("database '", path_,
                                            "': no sample ", seq,
                                            " in recording ", recording));
  }
  std::vector<size_t> mapping_rows;
  if (absl::Status st = ReadProcesses(recording, seq, options, s, mapping_rows);
      !st.ok()) {
    return Fail(st);
  }
  if (!options.mappings) return s;
  // Each row: the latest version at or before `seq`, one seek in the index
  // mappings_by_process. Named: without statistics (ANALYZE) the planner
  // would take the primary key's (recording, first_seq) range instead,
  // all rows of the recording before `seq`.
  auto latest = SqliteStmt::Prepare(
      db_, absl::StrCat("SELECT ", kMappingColumns,
                        " FROM mappings INDEXED BY mappings_by_process "
                        "WHERE recording = ?1 AND pid = ?2 AND idx = ?3 AND "
                        "first_seq <= ?4 ORDER BY first_seq DESC LIMIT 1"));
  if (!latest.ok()) return Fail(latest.status());
  for (size_t i = 0; i < s.processes.size(); ++i) {
    profile::ProcessSample& p = s.processes[i];
    p.mappings.reserve(mapping_rows[i]);
    for (size_t idx = 0; idx < mapping_rows[i]; ++idx) {
      latest->Reset();
      latest->Bind(1, recording);
      latest->Bind(2, p.pid);
      latest->Bind(3, static_cast<int64_t>(idx));
      latest->Bind(4, seq);
      absl::StatusOr<bool> found = latest->Step();
      if (!found.ok()) return Fail(found.status());
      if (!*found) {
        return Fail(absl::DataLossError(
            absl::StrCat("sample ", seq, " of recording ", recording, ": pid ",
                         p.pid, " lacks mapping row ", idx)));
      }
      absl::StatusOr<profile::SampledMapping> m = ReadMapping(*latest, 0);
      if (!m.ok()) return Fail(m.status());
      p.mappings.push_back(*std::move(m));
    }
  }
  return s;
}

absl::StatusOr<Recording> FindRecording(Store& store,
                                        std::optional<int64_t> id) {
  absl::StatusOr<std::vector<Recording>> all = store.ListRecordings();
  if (!all.ok()) return all.status();
  if (all->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("database '", store.path(), "' has no recordings"));
  }
  if (!id) return all->back();
  for (const Recording& r : *all) {
    if (r.id == *id) return r;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--recording: database '", store.path(), "' has no recording ", *id,
      " (it has 1 to ", all->back().id, ")"));
}

}  // namespace memstats::history
