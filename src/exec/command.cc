#include "exec/command.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace memstats::exec {

namespace {

// What the child reports over the pipe before exec: the step that failed
// and its errno. Eight bytes, well under PIPE_BUF, so each write is atomic.
enum Step : int32_t {
  kJoinCgroup = 1,  // not fatal: the command runs outside the cgroup
  kSetgroups,
  kSetgid,
  kSetuid,
  kKeptRoot,  // setuid(0) worked again after dropping: refuse to go on
  kExec,
};
struct Report {
  int32_t step;
  int32_t err;
};

const char* StepName(int32_t step) {
  switch (step) {
    case kJoinCgroup: return "joining the cgroup (writing cgroup.procs)";
    case kSetgroups: return "setgroups";
    case kSetgid: return "setgid";
    case kSetuid: return "setuid";
    case kKeptRoot: return "dropping root (setuid(0) still worked afterwards)";
    default: return "exec";
  }
}

// Async-signal-safe: only write(2).
void SendReport(int fd, int32_t step, int err) {
  const Report r = {step, static_cast<int32_t>(err)};
  while (write(fd, &r, sizeof r) < 0 && errno == EINTR) {
  }
}

// Everything the child needs, prepared before fork: after fork in a
// multi-threaded process the child may not allocate or take locks.
struct ChildPlan {
  std::vector<char*> argv;  // null-terminated, pointing into spec.argv
  const sigset_t* old_mask = nullptr;
  int cgroup_fd = -1;
  const Identity* identity = nullptr;
};

[[noreturn]] void ChildMain(const ChildPlan& plan, int report_fd) {
  sigprocmask(SIG_SETMASK, plan.old_mask, nullptr);
  // "0" names the writer itself, in v1 and v2 alike.
  if (plan.cgroup_fd >= 0 && write(plan.cgroup_fd, "0", 1) != 1) {
    SendReport(report_fd, kJoinCgroup, errno);
  }
  if (plan.identity != nullptr) {
    // Groups first and uid last: after setuid nothing else may be changed.
    const Identity& id = *plan.identity;
    if (setgroups(id.groups.size(), id.groups.data()) != 0) {
      SendReport(report_fd, kSetgroups, errno);
      _exit(127);
    }
    if (setgid(id.gid) != 0) {
      SendReport(report_fd, kSetgid, errno);
      _exit(127);
    }
    if (setuid(id.uid) != 0) {
      SendReport(report_fd, kSetuid, errno);
      _exit(127);
    }
    if (setuid(0) == 0) {
      SendReport(report_fd, kKeptRoot, EPERM);
      _exit(127);
    }
  }
  // glibc's execvp builds each candidate path in a stack buffer (no
  // malloc), and retries a script without "#!" with /bin/sh as shells do.
  execvp(plan.argv[0], plan.argv.data());
  SendReport(report_fd, kExec, errno);
  _exit(127);
}

absl::Status StartError(const std::string& command, const Report& r) {
  if (r.step == kExec) {
    const bool is_path = command.find('/') != std::string::npos;
    if (r.err == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat(command, is_path ? ": No such file or directory" : ": command not found"));
    }
    if (r.err == EACCES) return absl::PermissionDeniedError(absl::StrCat(command, ": Permission denied"));
    return absl::FailedPreconditionError(absl::StrCat(command, ": cannot execute: ", strerror(r.err)));
  }
  const std::string msg = absl::StrCat(command, ": ", StepName(r.step), ": ", strerror(r.err));
  return r.err == EPERM ? absl::PermissionDeniedError(msg) : absl::InternalError(msg);
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", sig);
}

}  // namespace

std::string ExitInfo::Describe() const {
  if (!signaled) return absl::StrCat("exited with status ", exit_code);
  return absl::StrCat("killed by ", SignalName(signal), " (signal ", signal, ")",
                      core_dumped ? ", core dumped" : "");
}

ExitInfo ExitInfoFromWaitStatus(int status) {
  ExitInfo info;
  if (WIFSIGNALED(status)) {
    info.signaled = true;
    info.signal = WTERMSIG(status);
    info.exit_code = 128 + info.signal;
    info.core_dumped = WCOREDUMP(status);
  } else {
    info.exit_code = WEXITSTATUS(status);
  }
  return info;
}

int ExitCodeForStartFailure(const absl::Status& status) {
  return absl::IsNotFound(status) ? 127 : 126;
}

RunningCommand::RunningCommand(RunningCommand&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      identity_(std::move(other.identity_)),
      cgroup_status_(std::move(other.cgroup_status_)),
      forwarder_(std::move(other.forwarder_)),
      last_signal_(other.last_signal_),
      exit_(other.exit_) {}

RunningCommand::~RunningCommand() {
  if (pid_ <= 0 || exit_.has_value()) return;
  if (forwarder_ != nullptr) forwarder_->Stop();
  // Not reaped yet, so the pid is still this child's.
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

int RunningCommand::received_signal() const {
  return forwarder_ != nullptr ? forwarder_->last_signal() : last_signal_;
}

absl::StatusOr<std::optional<ExitInfo>> RunningCommand::Poll() {
  if (exit_.has_value()) return exit_;
  // Look without reaping first: forwarding must stop before the pid can be
  // reused, which reaping allows.
  siginfo_t info = {};
  while (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != EINTR) return absl::InternalError(absl::StrCat("waitid: ", strerror(errno)));
  }
  if (info.si_pid == 0) return std::optional<ExitInfo>();
  if (forwarder_ != nullptr) {
    last_signal_ = forwarder_->last_signal();
    forwarder_.reset();
  }
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError(absl::StrCat("waitpid: ", strerror(errno)));
  }
  exit_ = ExitInfoFromWaitStatus(status);
  return exit_;
}

absl::StatusOr<std::optional<ExitInfo>> RunningCommand::WaitFor(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    absl::StatusOr<std::optional<ExitInfo>> done = Poll();
    if (!done.ok() || done->has_value()) return done;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return done;
    if (pidfd_.valid()) {
      // Rounded up, so a short wait never becomes a busy loop. EINTR (a
      // forwarded signal) just goes round again.
      const int64_t ms = std::min<int64_t>(absl::ToInt64Milliseconds(left + absl::Microseconds(999)),
                                           1 << 30);
      pollfd pfd = {pidfd_.get(), POLLIN, 0};
      poll(&pfd, 1, static_cast<int>(ms));
    } else {
      absl::SleepFor(std::min(left, absl::Milliseconds(10)));
    }
  }
}

absl::StatusOr<ExitInfo> RunningCommand::Wait() {
  for (;;) {
    absl::StatusOr<std::optional<ExitInfo>> done = WaitFor(absl::Hours(1));
    if (!done.ok()) return done.status();
    if (done->has_value()) return **done;
  }
}

absl::StatusOr<RunningCommand> StartCommand(const CommandSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return absl::InvalidArgumentError("no command to run");
  }
  absl::StatusOr<std::optional<Identity>> identity =
      PlanIdentity(geteuid(), spec.as_root, spec.sudo_uid, spec.sudo_gid);
  if (!identity.ok()) return identity.status();

  RunningCommand cmd;
  cmd.identity_ = std::move(*identity);
  ChildPlan plan;
  for (const std::string& arg : spec.argv) plan.argv.push_back(const_cast<char*>(arg.c_str()));
  plan.argv.push_back(nullptr);
  plan.cgroup_fd = spec.cgroup_procs_fd;
  plan.identity = cmd.identity_.has_value() ? &*cmd.identity_ : nullptr;

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return absl::InternalError(absl::StrCat("pipe2: ", strerror(errno)));
  UniqueFd report_read(pipe_fds[0]);
  UniqueFd report_write(pipe_fds[1]);

  // Blocked from before fork until the forwarder is in place (end of this
  // scope): a signal in between stays pending and is then forwarded.
  ScopedSignalBlock block;
  plan.old_mask = &block.old_mask();
  const pid_t pid = fork();
  if (pid < 0) return absl::ResourceExhaustedError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) ChildMain(plan, report_write.get());
  cmd.pid_ = pid;
  report_write.Reset();
  // Not reaped yet, so the pid cannot be another process's. (syscall():
  // glibc 2.36's <sys/pidfd.h> lacks extern "C".)
  cmd.pidfd_ = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (spec.forward_signals) {
    absl::StatusOr<std::unique_ptr<SignalForwarder>> forwarder =
        SignalForwarder::Install(pid, cmd.pidfd_.get());
    if (!forwarder.ok()) return forwarder.status();  // ~RunningCommand kills the child
    cmd.forwarder_ = std::move(*forwarder);
  }

  // Reports until end of file: the exec closed the pipe, or the child died.
  for (;;) {
    Report r = {};
    const ssize_t n = read(report_read.get(), &r, sizeof r);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof r)) break;
    if (r.step == kJoinCgroup) {
      cmd.cgroup_status_ = absl::UnavailableError(
          absl::StrCat("the command could not join its cgroup: ", strerror(r.err)));
      continue;
    }
    // The child has _exit()ed or is about to: reap it, no one is left.
    absl::Status error = StartError(spec.argv[0], r);
    (void)cmd.Wait();
    return error;
  }
  return cmd;
}

}  // namespace memstats::exec
