#include "exec/signal_forwarder.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace memstats::exec {

namespace {

// The handler's whole state. Lock-free atomics: safe to touch from a
// signal handler.
std::atomic<bool> g_installed{false};
std::atomic<pid_t> g_pid{0};  // 0: do not forward
std::atomic<int> g_pidfd{-1};
std::atomic<int> g_last_signal{0};
static_assert(std::atomic<pid_t>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);

void Forward(int sig, siginfo_t* info, void* /*context*/) {
  const int saved_errno = errno;
  g_last_signal.store(sig);
  const bool from_terminal = info != nullptr && info->si_code == SI_KERNEL;
  const pid_t pid = g_pid.load();
  if (!from_terminal && pid > 0) {
    const int pidfd = g_pidfd.load();
    if (pidfd >= 0) {
      syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0);
    } else {
      kill(pid, sig);
    }
  }
  errno = saved_errno;
}

}  // namespace

ScopedSignalBlock::ScopedSignalBlock() {
  sigset_t block;
  sigemptyset(&block);
  for (int sig : kForwardedSignals) sigaddset(&block, sig);
  pthread_sigmask(SIG_BLOCK, &block, &old_);
}

ScopedSignalBlock::~ScopedSignalBlock() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

absl::StatusOr<std::unique_ptr<SignalForwarder>> SignalForwarder::Install(pid_t pid, int pidfd) {
  if (g_installed.exchange(true)) {
    return absl::FailedPreconditionError("signals are already forwarded to another command");
  }
  g_pidfd.store(pidfd);
  g_pid.store(pid);
  g_last_signal.store(0);
  struct sigaction sa = {};
  sa.sa_sigaction = Forward;
  // SA_RESTART: the caller's reads and writes go on; its poll() on the
  // child still returns EINTR, and the wait loop retries.
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  std::unique_ptr<SignalForwarder> forwarder(new SignalForwarder());
  for (size_t i = 0; i < kForwardedSignals.size(); ++i) {
    if (sigaction(kForwardedSignals[i], &sa, &forwarder->old_actions_[i]) != 0) {
      const int err = errno;
      // The destructor restores all of them: the ones not replaced yet get
      // the action they have now.
      for (size_t j = i; j < kForwardedSignals.size(); ++j) {
        sigaction(kForwardedSignals[j], nullptr, &forwarder->old_actions_[j]);
      }
      return absl::InternalError(absl::StrCat("sigaction: ", std::strerror(err)));
    }
  }
  return forwarder;
}

void SignalForwarder::Stop() {
  g_pid.store(0);
  g_pidfd.store(-1);
}

int SignalForwarder::last_signal() const { return g_last_signal.load(); }

SignalForwarder::~SignalForwarder() {
  Stop();
  for (size_t i = 0; i < kForwardedSignals.size(); ++i) {
    sigaction(kForwardedSignals[i], &old_actions_[i], nullptr);
  }
  g_installed.store(false);
}

}  // namespace memstats::exec
