// memstats snapshot on a real process with a known memory layout
// (memstats_profile_helper), label "live". Every region of the helper is made
// of 4 KiB pages only it maps, so each region's PSS is its size:
//
//   heap 8192 KiB, main stack 1024 KiB, 3 threads x 512 KiB of stack,
//   anonymous 4096 KiB, SysV 2048 KiB, /dev/shm 3072 KiB + memfd 1024 KiB.
//
// SysV and other shared memory hold nothing else: checked to the page,
// exactly. The other rows also hold what the C runtime touches on its own,
// so they are checked from the region's size up to a stated tolerance:
//   heap   + 64 KiB  (malloc's first chunk, after pthread_create's use)
//   stack  + 128 KiB (environment, auxv, the frames below RunWithStack)
//   thread stacks + 64 KiB each (TLS and struct pthread at the top of each
//          thread's stack mapping, and the frames of ThreadMain)
//   anonymous + 256 KiB (ld.so's and libc's .bss and other small maps)
// Measured on this kind of machine: heap +4, stack +16, thread stacks +8
// each, anonymous +32 KiB.
// The rows add up to the helper's smaps Pss: exactly for everything but
// files, compared with the Pss lines of its smaps read just before and just
// after memstats (retried until both reads agree). The Pss of file pages
// (libc, ld.so) moves with every process that maps or unmaps them, memstats
// included, so for files the Rss is compared exactly and the Pss bounded by
// it. The fixture tests check the exact sum, file rows included.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/profile_process.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "subprocess.h"

namespace memstats::testing {
namespace {

using nlohmann::json;
constexpr uint64_t KiB = 1024;
constexpr uint64_t kHeap = 8192, kStack = 1024, kThreadStack = 512,
                   kAnon = 4096, kSysv = 2048, kDevShm = 3072, kMemfd = 1024;
constexpr int kThreads = 3;

// The helper, running until destroyed.
class ProfileHelper : public ProfileProcess {
 public:
  ProfileHelper()
      : ProfileProcess(PROFILE_HELPER, {.heap = kHeap,
                                        .stack = kStack,
                                        .thread_stack = kThreadStack,
                                        .anon = kAnon,
                                        .sysv = kSysv,
                                        .devshm = kDevShm,
                                        .memfd = kMemfd,
                                        .threads = kThreads}) {}
};

// Sums of /proc/PID/smaps: Rss of the file-backed mappings (a path under /
// other than shared memory), and Pss of the rest. (The Pss of file pages
// moves whenever another process maps or unmaps libc.)
struct SmapsPss {
  uint64_t file_rss = 0, other = 0;
  bool operator==(const SmapsPss&) const = default;
};
SmapsPss ReadSmapsPss(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps");
  std::string line;
  SmapsPss sum;
  bool file = false;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (std::isxdigit(static_cast<unsigned char>(line[0])) &&
        line.find('-') < line.find(' ')) {  // "start-end perms ... path"
      const size_t slash = line.find(" /");
      const std::string path =
          slash == std::string::npos ? "" : line.substr(slash + 1);
      file = !path.empty() && path.rfind("/dev/shm/", 0) != 0 &&
             path.rfind("/SYSV", 0) != 0 && path.rfind("/memfd:", 0) != 0 &&
             path.rfind("/dev/zero", 0) != 0;
    } else if (file && line.rfind("Rss:", 0) == 0) {
      sum.file_rss += std::stoull(line.substr(4)) * KiB;
    } else if (!file && line.rfind("Pss:", 0) == 0) {
      sum.other += std::stoull(line.substr(4)) * KiB;
    }
  }
  return sum;
}

// Scans with 2 threads whatever the machine has (the TSan run checks them).
RunResult Memstats(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {MemstatsBinary(), "--threads", "2"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

class SnapshotLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Another process's task/TID/syscall needs ptrace access to it.
    if (geteuid() != 0) GTEST_SKIP() << "needs root to read thread stacks";
  }
};

TEST_F(SnapshotLiveTest, KnownLayoutByKind) {
  ProfileHelper helper;
  ASSERT_GT(helper.pid(), 0) << "the helper did not start";
  const std::string pid = std::to_string(helper.pid());

  json proc;
  SmapsPss smaps;
  std::string last = "never ran";
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int attempt = 1; std::chrono::steady_clock::now() < deadline;
       ++attempt) {
    const SmapsPss before = ReadSmapsPss(helper.pid());
    RunResult r = Memstats({"--json", "snapshot", "-p", pid, "--small", "0"});
    const SmapsPss after = ReadSmapsPss(helper.pid());
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    json doc = json::parse(r.out, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << r.out;
    ASSERT_EQ(doc["processes"].size(), 1u) << r.out;
    json p = doc["processes"][0];
    // A thread between its write and its read(2) shows "running" in its
    // syscall file, and its stack is unknown: run again.
    if (p["unknown_thread_stacks"] != 0) {
      last = "a thread stack was unknown";
    } else if (before != after) {
      last = "the helper's smaps Pss moved during the run";
    } else {
      proc = p;
      smaps = before;
      RecordProperty("attempts", attempt);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(proc.is_null()) << last;
  SCOPED_TRACE("memstats: " + proc.dump() + "\nsmaps: Rss of files " +
               std::to_string(smaps.file_rss) + ", Pss of the rest " +
               std::to_string(smaps.other));
  EXPECT_EQ(proc["threads"], kThreads + 1);
  EXPECT_EQ(proc["hugetlb"], 0);

  std::map<std::string, uint64_t> kinds;
  uint64_t sum = 0, file_rss = 0;
  for (const json& r : proc["rows"]) {
    kinds[r["category"].get<std::string>()] += r["pss"].get<uint64_t>();
    sum += r["pss"].get<uint64_t>();
    if (r["category"] == "file") file_rss += r["rss"].get<uint64_t>();
  }
  EXPECT_TRUE(proc["small"]["rows"].empty());  // --small 0
  EXPECT_EQ(sum, proc["pss"].get<uint64_t>());
  // Everything but files is the helper's own: exactly what its smaps says.
  EXPECT_EQ(sum - kinds["file"], smaps.other);
  // File pages are shared with memstats itself and whatever else runs, so
  // their Pss moves from one read to the next; their Rss does not.
  EXPECT_EQ(file_rss, smaps.file_rss);
  EXPECT_GT(kinds["file"], 0u);
  EXPECT_LE(kinds["file"], file_rss);

  EXPECT_EQ(kinds["sysv"], kSysv * KiB);
  EXPECT_EQ(kinds["shmem"], (kDevShm + kMemfd) * KiB);
  auto expect_within = [&](const char* kind, uint64_t want_kib,
                           uint64_t tolerance_kib) {
    EXPECT_GE(kinds[kind], want_kib * KiB) << kind;
    EXPECT_LE(kinds[kind], (want_kib + tolerance_kib) * KiB) << kind;
    EXPECT_EQ(kinds[kind] % 4096, 0u) << kind;  // whole private pages
  };
  expect_within("heap", kHeap, 64);
  expect_within("stack", kStack, 128);
  expect_within("thread_stack", kThreads * kThreadStack, kThreads * 64);
  expect_within("anon", kAnon, 256);
}

// memstats leaves itself out unless --self: a regex that only memstats's own
// command line matches (it holds the regex) selects nothing, then itself.
TEST_F(SnapshotLiveTest, SelfOnlyWithSelfOption) {
  const std::string marker = "memstats-snapshot-self-test";
  RunResult without = Memstats({"--json", "snapshot", "-m", "", marker});
  ASSERT_EQ(without.exit_code, 0) << without.Describe();
  json a = json::parse(without.out, nullptr, false);
  ASSERT_FALSE(a.is_discarded());
  EXPECT_EQ(a["processes"].size(), 0u);
  EXPECT_EQ(without.err, "memstats: warning: no process matched\n");

  RunResult with = Memstats({"--json", "--self", "snapshot", "-m", "", marker});
  ASSERT_EQ(with.exit_code, 0) << with.Describe();
  json b = json::parse(with.out, nullptr, false);
  ASSERT_FALSE(b.is_discarded());
  ASSERT_EQ(b["processes"].size(), 1u);
  EXPECT_EQ(b["processes"][0]["comm"], "memstats");
  EXPECT_NE(b["processes"][0]["cmdline"].get<std::string>().find(marker),
            std::string::npos);
  EXPECT_GT(b["processes"][0]["pss"].get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace memstats::testing
