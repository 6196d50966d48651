// Runs programs as subprocesses for the tests that drive a built binary
// (tests/cli, tests/e2e): Spawn() starts one with chosen stdin/stdout/stderr,
// WaitOrKill() reaps it with a time limit, and RunCommand() runs one to
// completion and captures what a user would see.
//
// Failures to start a program are test failures (ADD_FAILURE), not return
// values: every caller is a test.
#ifndef MEMSTATS_TESTS_SUBPROCESS_H_
#define MEMSTATS_TESTS_SUBPROCESS_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

extern char** environ;

namespace memstats::testing {

struct RunResult {
  int exit_code = -1;  // 128 + signal when killed; -1 when it did not start
  std::string out;
  std::string err;

  // For failure messages: the exit code, stderr and the start of stdout.
  std::string Describe() const {
    return "exit=" + std::to_string(exit_code) + "\nstderr:\n" + err +
           "\nstdout (first 2000):\n" + out.substr(0, 2000);
  }
};

#ifdef MEMSTATS_BUILT_BINARY
// The memstats binary a test runs: the one built beside the test
// (MEMSTATS_BUILT_BINARY, set by memstats_test(... BINARY)), or the one
// MEMSTATS_TEST_BINARY names. scripts/sanitize.sh runs these tests of the
// normal build against its sanitized memstats that way, instead of
// building them once more with the sanitizer: they only start the binary.
inline const char* MemstatsBinary() {
  const char* chosen = std::getenv("MEMSTATS_TEST_BINARY");
  return chosen != nullptr && *chosen != '\0' ? chosen : MEMSTATS_BUILT_BINARY;
}
#endif

// How much slower than a normal build the memstats under test runs:
// MEMSTATS_TEST_SLOWDOWN, a whole factor that scripts/sanitize.sh sets for
// its sanitized binaries (1 when unset or not a number >= 1). Tests whose
// helper must hold memory until the sampler has seen it scale the hold by
// it, so a slow binary still gets its samples in.
inline int TestSlowdown() {
  const char* text = std::getenv("MEMSTATS_TEST_SLOWDOWN");
  if (text == nullptr) return 1;
  char* end = nullptr;
  const long factor = std::strtol(text, &end, 10);
  return (end != text && *end == '\0' && factor >= 1 && factor <= 100)
             ? static_cast<int>(factor)
             : 1;
}

// `ms` milliseconds times TestSlowdown(), as a command-line argument.
inline std::string SlowedMs(int ms) {
  return std::to_string(ms * TestSlowdown());
}

// This process's environment, as "KEY=value" strings.
inline std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  return env;
}

// Starts argv[0] (a path; PATH is not searched) with `argv`, and with `env`
// as its whole environment (nullopt: this process's). `in`, `out` and `err`
// become its fds 0, 1 and 2; -1 means /dev/null. The caller's other fds
// should be O_CLOEXEC, or the child inherits them.
// On success returns the child's pid, which the caller must reap
// (WaitOrKill). Otherwise adds a test failure and returns -1.
inline pid_t Spawn(const std::vector<std::string>& argv,
                   const std::optional<std::vector<std::string>>& env, int in,
                   int out, int err) {
  if (argv.empty()) {
    ADD_FAILURE() << "Spawn: empty argv";
    return -1;
  }
  // posix_spawn takes char* const[]; it does not write through them.
  auto c_strings = [](const std::vector<std::string>& v) {
    std::vector<char*> c;
    for (const std::string& s : v) c.push_back(const_cast<char*>(s.c_str()));
    c.push_back(nullptr);
    return c;
  };
  std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_env;
  if (env.has_value()) c_env = c_strings(*env);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const int fds[3] = {in, out, err};
  for (int target = 0; target < 3; ++target) {
    if (fds[target] < 0) {
      posix_spawn_file_actions_addopen(&actions, target, "/dev/null",
                                       target == 0 ? O_RDONLY : O_WRONLY, 0);
    } else if (fds[target] != target) {
      posix_spawn_file_actions_adddup2(&actions, fds[target], target);
    }
  }
  pid_t pid = -1;
  const int rc =
      ::posix_spawn(&pid, c_argv[0], &actions, nullptr, c_argv.data(),
                    env.has_value() ? c_env.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << argv[0] << ": " << std::strerror(rc);
    return -1;
  }
  return pid;
}

// Waits up to timeout_ms for `pid` to exit; after that SIGKILLs and reaps it.
// Returns its exit code: 128 + signal when a signal ended it, -1 when `pid`
// is not a child of this process. Sets *killed (when given) to whether this
// call sent the SIGKILL.
inline int WaitOrKill(pid_t pid, int timeout_ms, bool* killed = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(std::max(timeout_ms, 0));
  if (killed != nullptr) *killed = false;
  int status = 0;
  for (;;) {
    const pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid) break;
    if (got < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      if (killed != nullptr) *killed = true;
      while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Reads from `fd` until a newline, end of file, or timeout_ms without
// data; returns what was read (a helper's "ready ..." line).
inline std::string ReadFirstLine(int fd, int timeout_ms) {
  std::string line;
  pollfd pfd = {fd, POLLIN, 0};
  while (line.find('\n') == std::string::npos &&
         ::poll(&pfd, 1, timeout_ms) > 0) {
    char buf[4096];
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got <= 0) break;
    line.append(buf, static_cast<size_t>(got));
  }
  return line;
}

// Runs `argv` (see Spawn) to completion with stdin on /dev/null, capturing
// stdout and stderr. After timeout_s seconds the child is killed (exit code
// 128 + SIGKILL, and a note at the end of `err`). Adds a test failure, and
// returns exit_code -1, when the command cannot be started.
inline RunResult RunCommand(
    const std::vector<std::string>& argv,
    const std::optional<std::vector<std::string>>& env = std::nullopt,
    int timeout_s = 120) {
  RunResult result;
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    for (int fd : {out[0], out[1], err[0], err[1]})
      if (fd >= 0) ::close(fd);
    return result;
  }
  const pid_t pid = Spawn(argv, env, -1, out[1], err[1]);
  ::close(out[1]);
  ::close(err[1]);

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  auto ms_left = [&deadline] {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1 << 30));
  };
  // Drain both pipes together, so a child filling one cannot block.
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  for (int open_fds = 2; open_fds > 0 && pid > 0 && ms_left() > 0;) {
    if (::poll(fds, 2, ms_left()) < 0) {
      if (errno == EINTR) continue;
      ADD_FAILURE() << "poll: " << std::strerror(errno);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[65536];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  if (pid < 0) return result;

  // Both pipes at EOF: the child is exiting; it gets what is left of the
  // time limit.
  bool killed = false;
  result.exit_code = WaitOrKill(pid, ms_left(), &killed);
  if (killed) {
    result.err += "\n[RunCommand: " + argv[0] + " killed after " +
                  std::to_string(timeout_s) + " s]";
  }
  return result;
}

// A helper program of the live tests: started with its stdin on a pipe and
// its stderr the test's, it sets up a memory layout, prints one "ready ..."
// line and waits until its stdin closes. Stop() (or the destructor) closes
// stdin and reaps it, SIGKILL after 10 s.
class ReadyHelper {
 public:
  // Starts `argv` (see Spawn) and waits up to timeout_ms for the ready line.
  ReadyHelper(const std::vector<std::string>& argv,
              const std::optional<std::vector<std::string>>& env,
              int timeout_ms) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) return;
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ::close(in[0]);
      ::close(in[1]);
      return;
    }
    pid_ = Spawn(argv, env, in[0], out[1], 2);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    if (pid_ > 0) line_ = ReadFirstLine(out[0], timeout_ms);
    ::close(out[0]);
  }
  ~ReadyHelper() { Stop(); }
  ReadyHelper(const ReadyHelper&) = delete;
  ReadyHelper& operator=(const ReadyHelper&) = delete;

  // What the helper printed before the first newline ("" when it did not
  // start, exited, or said nothing in time).
  const std::string& ready_line() const { return line_; }

  // Returns the helper's exit code (-1 when it was not running).
  int Stop() {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
    const int code = pid_ > 0 ? WaitOrKill(pid_, 10000) : -1;
    pid_ = -1;
    return code;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  std::string line_;
};

// Serializes the live tests among themselves while it lives (ctest -j runs
// each test in its own process): two layouts at once would share helper
// binaries' file pages, and tests that change system settings (swap, KSM,
// huge page pools) must not change them under another test.
class LiveTestLock {
 public:
  LiveTestLock()
      : fd_(::open("/tmp/memstats_e2e_test.lock",
                   O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~LiveTestLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  LiveTestLock(const LiveTestLock&) = delete;
  LiveTestLock& operator=(const LiveTestLock&) = delete;

 private:
  int fd_;
};

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_SUBPROCESS_H_
