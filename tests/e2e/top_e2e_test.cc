// memstats top on a real process with a known layout
// (memstats_profile_helper): 4 MiB of heap, 512 KiB of main stack, two
// threads with 256 KiB of stack each, 8 MiB of private anonymous memory, a
// 2 MiB SysV segment, 1 MiB of /dev/shm and 3 MiB of memfd, each touched
// page by page and mapped by this process only, so each region's PSS is its
// size. Label "live".
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/proc_files.h"
#include "e2e/profile_process.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "subprocess.h"

namespace memstats::testing {
namespace {

constexpr int64_t kKiB = 1024;

// The helper, running until destroyed.
class ProfileHelper : public ProfileProcess {
 public:
  ProfileHelper()
      : ProfileProcess(PROFILE_HELPER, {.heap = 4096,
                                        .stack = 512,
                                        .thread_stack = 256,
                                        .anon = 8192,
                                        .sysv = 2048,
                                        .devshm = 1024,
                                        .memfd = 3072,
                                        .threads = 2}) {}
};

TEST(TopE2eTest, KnownHeapStackAndSharedMemory) {
  ProfileHelper helper;
  ASSERT_GT(helper.pid(), 0) << "the profile helper did not start";
  const std::string pid = std::to_string(helper.pid());
  const std::string maps_text = ReadWholeFile("/proc/" + pid + "/maps");
  // A thread on a CPU when memstats reads its task/TID/syscall has no
  // known stack (snapshot_e2e_test.cc sees that in unknown_thread_stacks;
  // top does not show it): run again until the threads stayed blocked in
  // their read(2) from before memstats started to after it ended.
  RunResult r;
  std::string last = "never ran";
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int attempt = 1; std::chrono::steady_clock::now() < deadline;
       ++attempt) {
    const std::vector<std::string> before = helper.ThreadSyscalls();
    RunResult run = RunCommand({MemstatsBinary(), "--threads", "2", "--json",
                                "top", "-g", "pid", pid, "--columns",
                                "ptotal,pss"});  // pss: smaps_rollup
    const std::vector<std::string> after = helper.ThreadSyscalls();
    ASSERT_EQ(run.exit_code, 0) << run.Describe();
    ASSERT_EQ(before.size(), 2u);
    if (ProfileProcess::StayedBlocked(before, after)) {
      r = std::move(run);
      RecordProperty("attempts", attempt);
      last = "";
      break;
    }
    last = "a thread of the helper ran during the scan:";
    for (const auto* state : {&before, &after}) {
      last += "\n";
      for (const std::string& s : *state) last += " " + s;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(last, "");
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["groups"].size(), 1u) << r.out;
  const auto& g = j["groups"][0];
  EXPECT_EQ(g["pid"], helper.pid());
  EXPECT_EQ(g["command"], "memstats_profile_helper");
  EXPECT_EQ(j["processes"]["contributing"], 1);

  const int64_t sysv = g["shSYSV"], shoth = g["shOth"], stack = g["stack"],
                text = g["text"], data = g["data"], anon = g["anon"],
                ptotal = g["ptotal"], pss = g["pss"];
  // Shared memory only this process maps: exact.
  EXPECT_EQ(sysv, 2048 * kKiB);
  EXPECT_EQ(shoth, (1024 + 3072) * kKiB);  // /dev/shm + memfd
  // The main stack's 512 KiB and both threads' 256 KiB (found from their
  // stack pointers; else they would be in anon), plus what the runtime
  // itself touched of the stacks (measured: 32 KiB).
  EXPECT_GE(stack, (512 + 2 * 256) * kKiB);
  EXPECT_LE(stack, (512 + 2 * 256 + 128) * kKiB);
  // The heap, plus .data/.bss of the helper, libc and ld.so (24 KiB).
  EXPECT_GE(data, 4096 * kKiB);
  EXPECT_LE(data, (4096 + 128) * kKiB);
  // The anonymous mapping, plus libc's and ld.so's own (32 KiB).
  EXPECT_GE(anon, 8192 * kKiB);
  EXPECT_LE(anon, (8192 + 256) * kKiB);
  EXPECT_GT(text, 0);
  // The columns add up to the smaps Pss; smaps_rollup agrees up to the
  // kernel's rounding of each mapping's Pss down to a whole kB (at most
  // 1 KiB a mapping) and PSS of shared library pages moving as other
  // processes start and exit (64 KiB; seen 69 KiB off in all under ASan
  // with tests running beside it).
  EXPECT_EQ(ptotal, sysv + shoth + stack + text + data + anon);
  const int64_t mappings = static_cast<int64_t>(
      std::count(maps_text.begin(), maps_text.end(), '\n'));
  EXPECT_LE(std::llabs(pss - ptotal), (mappings + 64) * kKiB) << r.out;
  EXPECT_EQ(g["hugetlb"], 0);

  // The exe key of the same process, from the text table.
  RunResult t = RunCommand({MemstatsBinary(), "--threads", "2", "top",
                            "--columns", "shSYSV,count", "-u", "KiB", pid});
  ASSERT_EQ(t.exit_code, 0) << t.Describe();
  EXPECT_NE(t.out.find("\nmemstats_profile_helper    2048      1\n"),
            std::string::npos)
      << t.out;
}

// memstats leaves its own process out unless --self: the only child of this
// test while it runs is memstats itself.
TEST(TopE2eTest, LeavesItselfOutUnlessAsked) {
  const std::string filter = "ppid(" + std::to_string(getpid()) + ")";
  RunResult without = RunCommand(
      {MemstatsBinary(), "--json", "--filter", filter, "top", "-g", "pid"});
  ASSERT_EQ(without.exit_code, 0) << without.Describe();
  auto j = nlohmann::json::parse(without.out);
  EXPECT_EQ(j["groups"].size(), 0u) << without.out;
  EXPECT_EQ(j["processes"]["contributing"], 0);
  EXPECT_EQ(j["processes"]["self_excluded"], true);

  RunResult with = RunCommand({MemstatsBinary(), "--json", "--filter", filter,
                               "top", "-g", "pid", "--self"});
  ASSERT_EQ(with.exit_code, 0) << with.Describe();
  j = nlohmann::json::parse(with.out);
  ASSERT_EQ(j["groups"].size(), 1u) << with.out;
  EXPECT_EQ(j["groups"][0]["command"], "memstats");
  EXPECT_GT(j["groups"][0]["ptotal"], 0);
}

// groups (and single) follow the same rule: without --self memstats's own
// pid is in no group and the scan says it was left out; with it, it is
// the one process of the filter.
TEST(TopE2eTest, GroupsLeaveItselfOutUnlessAsked) {
  const std::string filter = "ppid(" + std::to_string(getpid()) + ")";
  RunResult without =
      RunCommand({MemstatsBinary(), "--json", "--filter", filter, "groups",
                  "--split-comm"});
  ASSERT_EQ(without.exit_code, 0) << without.Describe();
  auto j = nlohmann::json::parse(without.out);
  EXPECT_EQ(j["scan"]["processes_scanned"], 0) << without.out;
  EXPECT_EQ(j["scan"]["self_excluded"], true);
  EXPECT_EQ(j["splits"][0]["groups"].size(), 0u);

  RunResult with = RunCommand({MemstatsBinary(), "--json", "--self", "--filter",
                               filter, "groups", "--split-comm"});
  ASSERT_EQ(with.exit_code, 0) << with.Describe();
  j = nlohmann::json::parse(with.out);
  EXPECT_EQ(j["scan"]["processes_scanned"], 1) << with.out;
  EXPECT_EQ(j["scan"]["self_excluded"], false);
  ASSERT_EQ(j["splits"][0]["groups"].size(), 1u) << with.out;
  EXPECT_EQ(j["splits"][0]["groups"][0]["name"], "memstats");
  EXPECT_EQ(j["splits"][0]["groups"][0]["processes"], 1);
}

// A program run from a memfd (a copy of sleep, executed through
// /proc/self/fd/N as fexecve does) is "sleep (memfd)" in groups --split-exe
// and in top -g exe, not the memfd's name.
TEST(TopE2eTest, MemfdExecutableNamedByArgv0) {
  const int src = ::open("/bin/sleep", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(src, 0);
  struct stat st;
  ASSERT_EQ(::fstat(src, &st), 0);
  const int mfd = ::memfd_create("memstats-e2e-payload", 0);
  ASSERT_GE(mfd, 0);
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = ::sendfile(mfd, src, &off, st.st_size - off);
    ASSERT_GT(n, 0);
  }
  ::close(src);
  const std::string path = "/proc/self/fd/" + std::to_string(mfd);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"),
                    nullptr};
    ::execve(path.c_str(), argv, environ);
    ::_exit(127);
  }
  ::close(mfd);
  // Wait until the child runs the memfd.
  const std::string exe_link = "/proc/" + std::to_string(child) + "/exe";
  std::string target;
  for (int i = 0; i < 200 && target.rfind("/memfd:", 0) != 0; ++i) {
    char buf[256];
    ssize_t n = ::readlink(exe_link.c_str(), buf, sizeof(buf));
    target = n > 0 ? std::string(buf, n) : "";
    if (target.rfind("/memfd:", 0) != 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_EQ(target, "/memfd:memstats-e2e-payload (deleted)");
  const std::string filter = "pid(" + std::to_string(child) + ")";

  RunResult g = RunCommand({MemstatsBinary(), "--json", "--filter", filter,
                            "groups", "--split-exe"});
  RunResult t = RunCommand(
      {MemstatsBinary(), "--json", "--filter", filter, "top", "-g", "exe"});
  RunResult by_name = RunCommand({MemstatsBinary(), "--json", "--filter",
                                  filter, "top", "sleep (memfd)"});
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);

  ASSERT_EQ(g.exit_code, 0) << g.Describe();
  auto gj = nlohmann::json::parse(g.out);
  ASSERT_EQ(gj["splits"][0]["groups"].size(), 1u) << g.out;
  EXPECT_EQ(gj["splits"][0]["groups"][0]["name"], "sleep (memfd)");
  ASSERT_EQ(t.exit_code, 0) << t.Describe();
  auto tj = nlohmann::json::parse(t.out);
  ASSERT_EQ(tj["groups"].size(), 1u) << t.out;
  EXPECT_EQ(tj["groups"][0]["key"], "sleep (memfd)");
  // Its code is the text column, not other shared memory.
  EXPECT_GT(tj["groups"][0]["text"].get<int64_t>(), 0);
  ASSERT_EQ(by_name.exit_code, 0) << by_name.Describe();
  EXPECT_EQ(nlohmann::json::parse(by_name.out)["processes"]["contributing"], 1);
}

}  // namespace
}  // namespace memstats::testing
