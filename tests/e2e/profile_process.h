// ProfileProcess: memstats_profile_helper running with the given sizes
// until destroyed (stdin closed, then reaped), for the live tests of
// memstats top and memstats snapshot.
#ifndef MEMSTATS_TESTS_E2E_PROFILE_PROCESS_H_
#define MEMSTATS_TESTS_E2E_PROFILE_PROCESS_H_

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
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

  // /proc/PID/task/TID/syscall of each thread but the main one, by tid:
  // "running" while the thread is on a CPU (memstats then finds no stack
  // pointer and counts its stack as anonymous memory), else the system
  // call, its arguments, the stack pointer and the program counter.
  std::vector<std::string> ThreadSyscalls() const {
    namespace fs = std::filesystem;
    const fs::path task = "/proc/" + std::to_string(ready_pid_) + "/task";
    std::vector<int> tids;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(task, ec)) {
      const int tid = std::stoi(e.path().filename().string());
      if (tid != ready_pid_) tids.push_back(tid);
    }
    std::sort(tids.begin(), tids.end());
    std::vector<std::string> out;
    for (int tid : tids) {
      std::ifstream in(task / std::to_string(tid) / "syscall");
      out.emplace_back(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
    }
    return out;
  }

  // Whether the threads stayed blocked in one system call from `before` to
  // `after` (two ThreadSyscalls() results): the same, and each in a system
  // call (a number >= 0 first). The helper's threads block in read(2) for
  // good once started; until then one may be on a CPU.
  static bool StayedBlocked(const std::vector<std::string>& before,
                            const std::vector<std::string>& after) {
    if (before != after) return false;
    return std::all_of(before.begin(), before.end(), [](const std::string& s) {
      return !s.empty() && s[0] >= '0' && s[0] <= '9';
    });
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int ready_pid_ = -1;
};

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_E2E_PROFILE_PROCESS_H_
