// Starting the command of `memstats run -- CMD...` and waiting for it.
//
// The command gets argv as given and memstats's stdin, stdout, stderr and
// environment. Before exec the child, in order: restores the signal mask,
// moves itself into the run's cgroup (when given one), drops root for the
// sudo user (identity.h), and calls execvp, so the PATH search is made with
// the user's rights. A failure on the way is sent back to the parent over a
// close-on-exec pipe (the step and errno); reading end of file on it means
// the exec succeeded. So StartCommand returns only once the command runs or
// has certainly failed to.
//
// Waiting does not block the caller's sampling: Poll() and WaitFor(timeout)
// reap the child when it has exited and return nullopt otherwise.
//
// Thread safety: a RunningCommand belongs to one thread. StartCommand may
// be called from a multi-threaded process (the child only makes
// async-signal-safe calls), but with forward_signals only one command at a
// time (signal_forwarder.h). The forwarded signals are blocked in the
// calling thread from fork until forwarding starts; one delivered to
// another thread in those microseconds gets memstats's previous action.
//
// PATH search: execvp's, made as the user the command runs as. Like dash
// (unlike bash), it reports EACCES, so 126, for a missing command when a
// PATH directory cannot be searched (root's PATH with /root/bin, after the
// drop to the sudo user); sudo's secure_path normally avoids that.
#ifndef MEMSTATS_EXEC_COMMAND_H_
#define MEMSTATS_EXEC_COMMAND_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "exec/identity.h"
#include "exec/signal_forwarder.h"
#include "scan/unique_fd.h"

namespace memstats::exec {

using scan::UniqueFd;

struct CommandSpec {
  // argv[0] is looked up in PATH as execvp(3) does (not when it has a '/').
  std::vector<std::string> argv;
  // Keep root even when started by sudo.
  bool as_root = false;
  // The values of the environment variables SUDO_UID and SUDO_GID, read by
  // the caller; nullopt when unset. See PlanIdentity.
  std::optional<std::string> sudo_uid;
  std::optional<std::string> sudo_gid;
  // An fd open for writing on the run cgroup's cgroup.procs (RunCgroup),
  // or -1. The child writes "0" to it before exec. It should be O_CLOEXEC.
  int cgroup_procs_fd = -1;
  // Forward SIGINT, SIGTERM and SIGHUP to the command while it runs.
  bool forward_signals = true;
};

// How the command ended.
struct ExitInfo {
  // As a shell reports it: the exit status, or 128 + the signal number.
  int exit_code = 0;
  bool signaled = false;
  int signal = 0;  // when signaled
  bool core_dumped = false;

  // "exited with status 7", "killed by SIGTERM (signal 15)".
  std::string Describe() const;
};

// Maps a raw wait status to ExitInfo.
ExitInfo ExitInfoFromWaitStatus(int status);

class RunningCommand {
 public:
  RunningCommand(RunningCommand&& other) noexcept;
  RunningCommand& operator=(RunningCommand&& other) = delete;
  RunningCommand(const RunningCommand&) = delete;
  RunningCommand& operator=(const RunningCommand&) = delete;
  // A command still running when this is destroyed is killed (SIGKILL) and
  // reaped: memstats never leaves it behind unaccounted.
  ~RunningCommand();

  pid_t pid() const { return pid_; }
  // A pidfd of the child for the caller's own poll(2) loop (readable when
  // it exits); -1 on kernels without pidfd_open (before 5.3).
  int pidfd() const { return pidfd_.get(); }
  // Whom the command runs as; nullopt when it runs as memstats does.
  const std::optional<Identity>& identity() const { return identity_; }
  // OK when the child joined the cgroup (or none was given); otherwise why
  // it could not (it ran anyway).
  const absl::Status& cgroup_status() const { return cgroup_status_; }

  // Non-blocking: the exit of the command when it has ended (it is then
  // reaped; later calls return the same), nullopt while it runs. Internal
  // error when waiting fails (the child was reaped by someone else).
  absl::StatusOr<std::optional<ExitInfo>> Poll();
  // As Poll, waiting up to `timeout` for the command to end.
  absl::StatusOr<std::optional<ExitInfo>> WaitFor(absl::Duration timeout);
  // Blocks until the command ends.
  absl::StatusOr<ExitInfo> Wait();

  // The last of SIGINT, SIGTERM, SIGHUP that memstats received while the
  // command ran (and forwarded, unless it came from the terminal); 0 when
  // none or when forward_signals was off.
  int received_signal() const;

 private:
  friend absl::StatusOr<RunningCommand> StartCommand(const CommandSpec& spec);
  RunningCommand() = default;

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  std::optional<Identity> identity_;
  absl::Status cgroup_status_;
  std::unique_ptr<SignalForwarder> forwarder_;
  int last_signal_ = 0;  // kept when forwarder_ goes
  std::optional<ExitInfo> exit_;
};

// Starts the command (see the file comment). Errors:
// - InvalidArgument: empty argv, malformed SUDO_UID / SUDO_GID; nothing
//   was started.
// - NotFound: the command was not found (exec ENOENT); message
//   "CMD: command not found" (or "CMD: No such file or directory" for a
//   path). A shell exits 127 then.
// - PermissionDenied: exec failed with EACCES ("CMD: Permission denied"),
//   or dropping privileges failed with EPERM. A shell exits 126.
// - Other codes: fork, pipe, or another exec / set*id failure.
// In every error case no child is left running.
absl::StatusOr<RunningCommand> StartCommand(const CommandSpec& spec);

// The exit code a shell gives for a command that could not be started:
// 127 for NotFound, 126 otherwise. REQUIRES: !status.ok(). InvalidArgument
// is the user's mistake, not a failed start: callers treat it as bad
// input before asking this.
int ExitCodeForStartFailure(const absl::Status& status);

}  // namespace memstats::exec

#endif  // MEMSTATS_EXEC_COMMAND_H_
