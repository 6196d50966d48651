// ProfileProcess: memstats_profile_helper running with the given sizes
// until destroyed (stdin closed, then reaped), for the live tests of
// memstats top and memstats snapshot.
#ifndef MEMSTATS_TESTS_E2E_PROFILE_PROCESS_H_
#define MEMSTATS_TESTS_E2E_PROFILE_PROCESS_H_

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "subprocess.h"

namespace memstats::testing {

class ProfileProcess {
 public:
  struct Sizes {  // KiB
    uint64_t heap = 0, stack = 0, thread_stack = 0, anon = 0, sysv = 0,
             devshm = 0, memfd = 0;
    int threads = 0;
  };

  // `helper` is the path of memstats_profile_helper.
  ProfileProcess(const std::string& helper, const Sizes& s) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return;
    auto n = [](uint64_t v) { return std::to_string(v); };
    pid_ = Spawn(
        {helper, "--heap-kib", n(s.heap), "--stack-kib", n(s.stack),
         "--threads", n(s.threads), "--thread-stack-kib", n(s.thread_stack),
         "--anon-kib", n(s.anon), "--sysv-kib", n(s.sysv), "--devshm-kib",
         n(s.devshm), "--memfd-kib", n(s.memfd)},
        std::nullopt, in[0], out[1], 2);
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    const std::string line = pid_ > 0 ? ReadFirstLine(out[0], 60000) : "";
    close(out[0]);
    // "ready pid=<pid> stack=0x... threads=<tid>,..."
    if (line.rfind("ready pid=", 0) == 0) {
      ready_pid_ = std::stoi(line.substr(10));
    }
  }
  ProfileProcess(const ProfileProcess&) = delete;
  ProfileProcess& operator=(const ProfileProcess&) = delete;
  ~ProfileProcess() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) WaitOrKill(pid_, 10000);
  }

  // The helper's pid once it said it is ready, else -1.
  int pid() const { return ready_pid_; }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int ready_pid_ = -1;
};

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_E2E_PROFILE_PROCESS_H_
