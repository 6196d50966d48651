// Passes SIGINT, SIGTERM and SIGHUP received by memstats on to the command
// that `memstats run` started, so that `kill <memstats>` or a supervisor's
// stop reaches the command and memstats can still report its peak.
//
// Signals from the terminal (Ctrl-C, a hangup) are not passed on: the
// kernel sends those to the whole foreground process group, which the
// command is in already, and a second copy would make it see two. They are
// told apart by si_code SI_KERNEL; signals sent by a process (kill(1),
// kill(2), sigqueue, raise) are forwarded.
//
// Thread safety: one SignalForwarder at a time in the process (the signal
// handlers are process-wide); Install fails while another is alive. The
// signals may be delivered on any thread; the handler only loads atomics
// and makes one system call.
#ifndef MEMSTATS_EXEC_SIGNAL_FORWARDER_H_
#define MEMSTATS_EXEC_SIGNAL_FORWARDER_H_

#include <signal.h>
#include <sys/types.h>

#include <array>
#include <memory>

#include "absl/status/statusor.h"

namespace memstats::exec {

inline constexpr std::array<int, 3> kForwardedSignals = {SIGINT, SIGTERM, SIGHUP};

// Blocks the forwarded signals while it lives (sigprocmask of the calling
// thread), so that one arriving between fork and Install is kept pending
// and forwarded, not lost. old_mask() is what the child must restore.
class ScopedSignalBlock {
 public:
  ScopedSignalBlock();
  ~ScopedSignalBlock();
  ScopedSignalBlock(const ScopedSignalBlock&) = delete;
  ScopedSignalBlock& operator=(const ScopedSignalBlock&) = delete;
  const sigset_t& old_mask() const { return old_; }

 private:
  sigset_t old_;
};

class SignalForwarder {
 public:
  // Starts forwarding to the process `pid`, through `pidfd` when it is not
  // -1 (pidfd_send_signal cannot reach a recycled pid), else kill(2). The
  // caller keeps `pidfd` open until this object is destroyed or Stop()ped.
  // FailedPrecondition when another SignalForwarder is alive; Internal when
  // sigaction fails.
  static absl::StatusOr<std::unique_ptr<SignalForwarder>> Install(pid_t pid, int pidfd);

  // Restores the signal actions that were in place before Install.
  ~SignalForwarder();
  SignalForwarder(const SignalForwarder&) = delete;
  SignalForwarder& operator=(const SignalForwarder&) = delete;

  // Stops forwarding (signals are still caught, and counted, until
  // destruction). Call it before reaping the child, whose pid may then be
  // reused.
  void Stop();

  // The last forwarded signal received (also after Stop), 0 when none.
  int last_signal() const;

 private:
  SignalForwarder() = default;
  struct sigaction old_actions_[kForwardedSignals.size()] = {};
};

}  // namespace memstats::exec

#endif  // MEMSTATS_EXEC_SIGNAL_FORWARDER_H_
