// A cgroup of its own for the command of `memstats run`, so that the peak
// memory of the command and of everything it starts is the kernel's own
// figure (v2 memory.peak, v1 memory.max_usage_in_bytes), and its process set
// is cgroup.procs, which keeps every descendant, even those reparented to
// init.
//
// It is made as a child of the cgroup memstats is in (found from
// /proc/self/cgroup and /proc/self/mountinfo, not assumed at /sys/fs/cgroup),
// named memstats-run-<pid>-<counter>. The child process moves itself into it
// before exec (CommandSpec::cgroup_procs_fd). Both numbers count what the
// kernel charges the cgroup: anonymous memory and the page cache the command
// brings in (not pages already cached by others).
//
// Without one (not root, no memory controller, kernel before 5.19 on v2,
// mkdir failed) the run goes on without a cgroup, and Source() says why.
//
// Removal, after the command has exited: processes it left behind (a
// daemon) are moved to the parent cgroup, where they would have been
// without memstats, and then the directory is removed. Leaving the cgroup
// would leak one directory per run on a host that runs memstats in a loop.
//
// Thread safety: the methods other than Remove and Abandon may be called
// from several threads (the sampler's) at once.
//
// How `memstats run` uses it with StartCommand (command.h):
//
//   std::unique_ptr<RunCgroup> cg = RunCgroup::Create(
//       *LiveCgroupSetup(*proc), std::make_unique<CgroupFs>());
//   spec.cgroup_procs_fd = cg->procs_fd();        // -1 when !cg->active()
//   absl::StatusOr<RunningCommand> cmd = StartCommand(spec);
//   if (!cmd->cgroup_status().ok()) cg->Abandon(cmd->cgroup_status().message());
//   while (!cmd->WaitFor(interval)->has_value()) Sample(cg->Pids());
//   report cg->PeakBytes() and cg->Source(); cg->Remove();
#ifndef MEMSTATS_EXEC_RUN_CGROUP_H_
#define MEMSTATS_EXEC_RUN_CGROUP_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exec/cgroup_fs.h"
#include "exec/cgroup_location.h"
#include "scan/unique_fd.h"
#include "scan/proc_source.h"

namespace memstats::exec {

// What RunCgroup::Create needs to know about this process.
struct CgroupSetup {
  std::string mountinfo;    // the text of /proc/self/mountinfo
  std::string proc_cgroup;  // the text of /proc/self/cgroup
  bool is_root = false;     // effective uid 0
  pid_t pid = 0;            // memstats's pid, for the name
};

// The setup of this process: the two files read through `proc` (the live
// /proc), geteuid() and getpid().
absl::StatusOr<CgroupSetup> LiveCgroupSetup(scan::ProcSource& proc);

class RunCgroup {
 public:
  // Makes the run's cgroup, or records why there is none: never fails.
  static std::unique_ptr<RunCgroup> Create(const CgroupSetup& setup,
                                           std::unique_ptr<CgroupFs> fs);

  // Removes the cgroup if Remove() was not called.
  ~RunCgroup();
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;

  // True when there is a cgroup to put the command in and read.
  bool active() const { return procs_fd_.valid(); }
  CgroupVersion version() const { return version_; }
  // What the peak comes from: "cgroup v2 memory.peak", "cgroup v1
  // memory.max_usage_in_bytes", or "no cgroup: <why>".
  const std::string& Source() const { return source_; }
  // The cgroup's directory (absolute, below the CgroupFs root); "" when none.
  const std::string& path() const { return path_; }
  // For CommandSpec::cgroup_procs_fd; -1 when not active.
  int procs_fd() const { return procs_fd_.get(); }

  // The command could not join (RunningCommand::cgroup_status): its
  // numbers would be empty, not the command's. Removes the cgroup and sets
  // Source() to "no cgroup: <why>".
  void Abandon(absl::string_view why);

  // The processes in the cgroup (cgroup.procs), ascending. REQUIRES: active().
  absl::StatusOr<std::vector<int>> Pids() const;
  // The highest memory charge since creation, in bytes. REQUIRES: active().
  absl::StatusOr<uint64_t> PeakBytes() const;
  // The memory charge now, in bytes. REQUIRES: active().
  absl::StatusOr<uint64_t> CurrentBytes() const;

  // Moves the processes still in the cgroup to the parent, then removes
  // the directory (retrying when a process forked meanwhile). Returns how
  // many processes were moved (left behind by the command). Error when the
  // directory stays (its path is in the message). A second call returns 0.
  absl::StatusOr<int> Remove();

 private:
  RunCgroup() = default;
  absl::StatusOr<uint64_t> ReadNumber(const char* v1_name, const char* v2_name) const;
  void SetNone(absl::string_view why);

  std::unique_ptr<CgroupFs> fs_;
  CgroupVersion version_ = CgroupVersion::kNone;
  std::string source_;
  std::string path_;
  std::string name_;
  UniqueFd parent_fd_;
  UniqueFd dir_fd_;
  UniqueFd procs_fd_;
};

}  // namespace memstats::exec

#endif  // MEMSTATS_EXEC_RUN_CGROUP_H_
