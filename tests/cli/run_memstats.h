// Runs the built memstats binary as a subprocess on the fixture tree and
// captures what a user would see: stdout, stderr and the exit code.
#ifndef MEMSTATS_TESTS_CLI_RUN_MEMSTATS_H_
#define MEMSTATS_TESTS_CLI_RUN_MEMSTATS_H_

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <regex>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern char** environ;

namespace memstats::testing {

inline constexpr char kFixture[] = MEMSTATS_FIXTURES_DIR "/basic";

struct RunResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};

// Runs memstats with `args` (no argv[0]). Fails the test when the binary
// cannot be started.
inline RunResult RunMemstats(const std::vector<std::string>& args) {
  RunResult result;
  std::vector<std::string> argv = {MEMSTATS_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << errno;
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(),
                         environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    ADD_FAILURE() << "posix_spawn " << cargv[0] << ": " << rc;
    return result;
  }

  // Drain both pipes together, so a child filling one cannot block.
  struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

// Runs memstats on the fixture with one scan thread, then `args`.
inline RunResult RunOnFixture(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--procfs-root", kFixture, "--threads", "1"};
  all.insert(all.end(), args.begin(), args.end());
  return RunMemstats(all);
}

// The only text that changes from run to run: the scan time ("0.00 s").
inline std::string MaskTiming(const std::string& text) {
  static const std::regex kSeconds("[0-9]+\\.[0-9]{2} s with");
  return std::regex_replace(text, kSeconds, "X.XX s with");
}

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_CLI_RUN_MEMSTATS_H_
