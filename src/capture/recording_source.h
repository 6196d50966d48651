// RecordingSource: a ProcSource that forwards every call to another one
// (the live /proc) and keeps each answer in a CaptureData, so that a
// ReplaySource can give the same answers later (memstats capture).
//
// Thread safety: as ProcSource; the scanner calls it from many threads.
// What it keeps is what the issue allows a capture to hold: environment
// variable values only for the names in `env_values` (the others keep
// their names), only the "System RAM" lines of iomem and only the tmpfs
// lines of mountinfo.
#ifndef MEMSTATS_CAPTURE_RECORDING_SOURCE_H_
#define MEMSTATS_CAPTURE_RECORDING_SOURCE_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "capture/capture_data.h"
#include "scan/proc_source.h"

namespace memstats::capture {

class RecordingSource : public scan::ProcSource {
 public:
  RecordingSource(std::unique_ptr<scan::ProcSource> live,
                  const std::vector<std::string>& env_values);
  ~RecordingSource() override;

  absl::StatusOr<std::vector<int>> ListPids() override;
  absl::StatusOr<std::unique_ptr<scan::ProcHandle>> OpenProcess(
      int pid) override;
  absl::StatusOr<std::string> ReadSystemFile(std::string_view name) override;
  // Forwarded unrecorded: RecordKpages() keeps the PFNs referenced.
  absl::Status ReadKpagecount(uint64_t first_pfn,
                              std::span<uint64_t> out) override;
  absl::Status ReadKpageflags(uint64_t first_pfn,
                              std::span<uint64_t> out) override;
  std::string Describe() const override { return live_->Describe(); }
  uint64_t PageSize() const override { return live_->PageSize(); }
  std::optional<std::string> UserName(uint32_t uid) const override;
  std::optional<uint32_t> UserId(std::string_view name) const override;
  int SelfPid() const override { return live_->SelfPid(); }

  // After the scan: for every process opened, its status and its user's
  // name; for those whose maps the scan read, the files the scan's options
  // did not read (smaps_rollup, smaps, the threads' syscall files, environ
  // for its variable names) and the usage of each shared memory object
  // once, each answer kept as it comes, errors included. Runs on the
  // calling thread's oneTBB arena.
  void CompleteProcesses();
  // After the scan: kpageflags and kpagecount of every PFN that a recorded
  // pagemap entry references, and of PFN 0 (commands probe it). Reads on
  // the calling thread's oneTBB arena.
  void RecordKpages();
  // Reads and keeps each of these system files (errors kept as answers).
  void RecordSystemFiles(const std::vector<std::string>& names);
  // Everything recorded, with `info`; the source is empty afterwards.
  CaptureData Finish(CaptureInfo info);

 private:
  class Handle;
  struct Slot {
    std::mutex mu;
    CapturedProcess process;
  };
  Slot& SlotOf(int pid);
  void KeepUserOf(Slot& slot);
  std::string FilterEnviron(const std::string& text) const;

  std::unique_ptr<scan::ProcSource> live_;
  absl::flat_hash_set<std::string> env_values_;
  std::vector<std::string> env_values_sorted_;
  mutable std::mutex mu_;  // guards the members below
  std::map<int, std::unique_ptr<Slot>> slots_;
  Answer pids_;
  std::map<std::string, Answer> system_;
  mutable std::map<uint32_t, std::string> users_;
  Answer kpage_status_;
  std::vector<KpageRun> kpages_;
};

}  // namespace memstats::capture

#endif  // MEMSTATS_CAPTURE_RECORDING_SOURCE_H_
