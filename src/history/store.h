// history::Store: samples (profile::Sample) kept in an SQLite file, for
// memstats record, peak and plot. The schema, its units and how unchanged
// mapping rows are left out are in SCHEMA.md beside this file.
//
// A Store belongs to one thread at a time. Several processes may use one
// file at once: writers take turns per sample, readers see whole samples
// only (SQLite's WAL mode).
//
// memstats runs as root and the path comes from the user, so opening
// refuses (absl::InvalidArgumentError, "database 'PATH': what is wrong"):
// a symbolic link, a missing directory, anything but a regular file, and a
// file that is not a memstats database or is one of a newer format. A
// refused file is left byte for byte as it was: nothing is written before
// the checks pass. New files get mode 0600.
#ifndef MEMSTATS_HISTORY_STORE_H_
#define MEMSTATS_HISTORY_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "history/sqlite.h"
#include "profile/sample.h"

namespace memstats::history {

inline constexpr char kFormatName[] = "memstats-history";
inline constexpr int kFormatVersion = 1;

// What a recording is, as the recorder describes it.
struct RecordingInfo {
  std::string host;
  std::string kernel;
  int64_t start_unix_ms = 0;
  uint64_t page_size = 0;
  std::string command_line;  // memstats's own
  std::string target;        // "pid 1234 and its descendants", ...
  bool operator==(const RecordingInfo&) const = default;
};

struct Recording {
  int64_t id = 0;
  RecordingInfo info;
  int64_t samples = 0;
};

struct LoadOptions {
  // Only this process: every sample is still read, its processes hold
  // this one or none.
  std::optional<int> pid;
  bool mappings = true;  // false: every ProcessSample::mappings empty
};

class Store {
 public:
  // Opens the memstats database at `path`, creating it when absent, and
  // starts a new recording described by `info` (recording()).
  static absl::StatusOr<std::unique_ptr<Store>> Create(
      const std::string& path, const RecordingInfo& info);

  // Opens an existing memstats database for the readers below; AddSample
  // fails. NotFound-like cases are InvalidArgumentError too ("no such
  // file"): the path is the user's input.
  static absl::StatusOr<std::unique_ptr<Store>> OpenReadOnly(
      const std::string& path);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  const std::string& path() const { return path_; }
  // The recording Create started; 0 for a read-only store.
  int64_t recording() const { return recording_; }

  // Appends `s` to the recording as sample number (seq) 0, 1, 2, ... in
  // one transaction: when AddSample returns OK the sample is on disk and
  // survives the process being killed; on error nothing of it is.
  // REQUIRES: a store from Create; s.processes sorted by ascending pid,
  // each pid once.
  absl::Status AddSample(const profile::Sample& s);

  // Every recording of the file, by ascending id.
  absl::StatusOr<std::vector<Recording>> ListRecordings();

  // The samples of `recording` in order, exactly as they were added
  // (AddSample's argument, == equal), or with `options` only one process
  // or no mapping rows. NotFoundError for a recording the file lacks.
  absl::StatusOr<std::vector<profile::Sample>> LoadSamples(
      int64_t recording, const LoadOptions& options = {});

  // LoadSamples one sample at a time, for recordings too long to hold:
  // `fn` gets each sample's seq and the sample; an error from `fn` stops
  // the walk and is returned.
  using SampleFn =
      std::function<absl::Status(int64_t seq, profile::Sample& sample)>;
  absl::Status ForEachSample(int64_t recording, const LoadOptions& options,
                             const SampleFn& fn);

  // Sample `seq` of `recording`; NotFoundError when there is none.
  absl::StatusOr<profile::Sample> LoadSample(int64_t recording, int64_t seq,
                                             const LoadOptions& options = {});

 private:
  // The writer's memory of the last rows it stored, to leave out what did
  // not change (SCHEMA.md, "Compaction").
  struct Identity {
    int64_t id = 0;
    int ppid = 0;
    uint32_t uid = 0;
    std::string comm, cmd;
  };
  struct Statements;  // store.cc

  Store(std::string path, SqliteDb db);
  absl::Status PrepareWriter();
  absl::Status WriteSample(const profile::Sample& s, int64_t seq,
                           std::vector<std::pair<int, Identity>>& identities,
                           std::vector<std::pair<std::string, int64_t>>& paths);
  absl::StatusOr<int64_t> PathId(
      const std::string& path,
      std::vector<std::pair<std::string, int64_t>>& added);
  absl::StatusOr<std::string> PathName(int64_t id);
  absl::Status RequireRecording(int64_t recording);
  absl::StatusOr<bool> ReadSampleRow(SqliteStmt& st, profile::Sample& s);
  absl::Status ReadProcesses(int64_t recording, int64_t seq,
                             const LoadOptions& options, profile::Sample& s,
                             std::vector<size_t>& mapping_rows);
  absl::StatusOr<profile::SampledMapping> ReadMapping(SqliteStmt& st,
                                                      int first_col);
  absl::Status Fail(const absl::Status& s) const;

  std::string path_;
  SqliteDb db_;
  int64_t recording_ = 0;
  int64_t next_seq_ = 0;
  std::unique_ptr<Statements> st_;
  absl::flat_hash_map<int, Identity> identities_;
  // Per pid, the last row written for each idx (never shortened: a row
  // beyond a process's current mapping_rows may come back unchanged).
  absl::flat_hash_map<int, std::vector<profile::SampledMapping>> rows_;
  absl::flat_hash_map<std::string, int64_t> path_ids_;
  absl::flat_hash_map<int64_t, std::string> path_names_;  // readers' cache
};

// The recording `id` of `store`, or its last one when id is unset.
// InvalidArgumentError naming the file when it has no recordings, or none
// with that id ("--recording: database 'F' has no recording 7 (it has 1 to
// 3)").
absl::StatusOr<Recording> FindRecording(Store& store,
                                        std::optional<int64_t> id);

}  // namespace memstats::history

#endif  // MEMSTATS_HISTORY_STORE_H_
