// --mem-limit reached while the scan runs (the limit is above memstats's own
// size at start): exit 3, nothing on stdout, one message, for groups, top
// and snapshot. The tree scanned is written at run time (it is megabytes of
// pagemap) into a temporary directory, once for the three tests:
//   - kSmall processes, whose files are hard links to one set: 112 one-page
//     mappings (7 kinds: heap, stack, anonymous, special, file, /dev/shm,
//     hugetlb; each with all 16 combinations of rwx and shared), so top and
//     snapshot keep at least 96 usage rows of about 100 bytes for each
//     process (over 9 MiB in all), and groups finds no present page;
//   - one process (pid kBigPid) with a 4 GiB mapping whose 2048 windows each
//     hold 256 one-page runs (every other PFN): over 8 MiB of segments for
//     groups.
// The limit is the first whole MiB above memstats's own size at start, found
// by asking memstats (below it, memstats says how big it is), so it leaves
// memstats less than about 2 MiB to scan with.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "cli/run_memstats.h"
#include "gtest/gtest.h"

namespace memstats::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kExitMemLimit = 3;
constexpr int kSmall = 1000;
constexpr int kFirstSmallPid = 1000;
constexpr int kBigPid = 100;
constexpr int kProcesses = kSmall + 1;

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// The common files of a process that runs `comm` with the given maps and
// smaps.
void WriteProcess(const fs::path& dir, const std::string& maps,
                  const std::string& smaps) {
  fs::create_directories(dir);
  WriteFile(dir / "stat",
            "7 (filler) S 1 7 7 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100\n");
  WriteFile(dir / "status",
            "Name:\tfiller\nPPid:\t1\nUid:\t1000\t1000\t1000\t1000\n"
            "VmPTE:\t      48 kB\n");
  WriteFile(dir / "cmdline", std::string("filler\0", 7));
  WriteFile(dir / "cgroup", "0::/user.slice\n");
  WriteFile(dir / "smaps_rollup",
            "00010000-7ffff000 ---p 00000000 00:00 0    [rollup]\n"
            "Rss:                 128 kB\nPss:                 128 kB\n");
  WriteFile(dir / "maps", maps);
  WriteFile(dir / "smaps", smaps);
}

// A /proc tree for the limit, removed when destroyed.
class BigTree {
 public:
  BigTree() {
    char name[] = "/tmp/memstats-mem-limit-XXXXXX";
    if (mkdtemp(name) == nullptr) return;
    root_ = name;
    WriteFile(root_ / "meminfo",
              "MemTotal:       16384000 kB\nMemAvailable:   12000000 kB\n");
    WriteFile(root_ / "iomem", "00001000-3fffffffff : System RAM\n");
    WriteSmall();
    WriteBig();
  }
  ~BigTree() {
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
  }
  std::string root() const { return root_.string(); }

 private:
  void WriteSmall() {
    std::string maps, smaps;
    uint64_t addr = 0x10000;
    for (const char* path :
         {"00:00 0 ", "00:00 0 [heap]", "00:00 0 [stack]", "00:00 0 [filler]",
          "08:01 4242 /usr/lib/libfiller.so", "00:05 4243 /dev/shm/filler",
          "00:06 4244 /dev/hugepages/filler"}) {
      for (int p = 0; p < 16; ++p, addr += 0x2000) {
        std::string perms = {p & 1 ? 'r' : '-', p & 2 ? 'w' : '-',
                             p & 4 ? 'x' : '-', p & 8 ? 's' : 'p'};
        char head[160];
        snprintf(head, sizeof(head), "%08lx-%08lx %s 00000000 %s",
                 static_cast<unsigned long>(addr),
                 static_cast<unsigned long>(addr + 0x1000), perms.c_str(),
                 path);
        maps += std::string(head) + "\n";
        smaps += std::string(head) +
                 "\nSize:                  4 kB\nRss:                   4 kB\n"
                 "Pss:                   4 kB\n";
      }
    }
    const fs::path model = root_ / std::to_string(kFirstSmallPid);
    WriteProcess(model, maps, smaps);
    WriteFile(model / "pagemap", "");  // past its end: nothing present
    for (int i = 1; i < kSmall; ++i) {
      const fs::path dir = root_ / std::to_string(kFirstSmallPid + i);
      fs::create_directory(dir);
      for (const auto& f : fs::directory_iterator(model)) {
        fs::create_hard_link(f.path(), dir / f.path().filename());
      }
    }
  }

  void WriteBig() {
    constexpr uint64_t kStartVpn = 0x10000;
    constexpr uint64_t kPages = 2048 * 512;
    const fs::path dir = root_ / std::to_string(kBigPid);
    WriteProcess(dir, "10000000-110000000 rw-p 00000000 00:00 0 \n",
                 "10000000-110000000 rw-p 00000000 00:00 0 \n"
                 "Size:            4194304 kB\nRss:             4194304 kB\n"
                 "Pss:             4194304 kB\n");
    std::vector<uint64_t> entries(kPages);
    for (uint64_t j = 0; j < kPages; ++j) {
      entries[j] = (uint64_t{1} << 63) | (0x1000 + 2 * j);  // present | PFN
    }
    std::ofstream out(dir / "pagemap", std::ios::binary);
    out.seekp(static_cast<std::streamoff>(kStartVpn * sizeof(uint64_t)));
    out.write(reinterpret_cast<const char*>(entries.data()),
              static_cast<std::streamsize>(kPages * sizeof(uint64_t)));
  }

  fs::path root_;
};

struct LimitRun {
  int limit_mib = 0;
  RunResult result;
};

// Runs memstats on `tree` with `args` and the first --mem-limit above its
// own size at start. Its size moves a little from run to run, so a limit
// that turns out below it is raised by 1 MiB (at most 3 times).
LimitRun RunJustAboveOwnSize(const BigTree& tree,
                             const std::vector<std::string>& args) {
  auto run = [&](int limit) {
    std::vector<std::string> all = {"--procfs-root", tree.root(), "--threads",
                                    "2", "--mem-limit", std::to_string(limit)};
    all.insert(all.end(), args.begin(), args.end());
    return RunMemstats(all);
  };
  static const std::regex kBelow(
      "memstats: error: --mem-limit [0-9]+ MiB is below memstats's own "
      "([0-9]+) MiB at start\n");
  LimitRun r;
  r.result = run(1);
  std::smatch m;
  if (!std::regex_match(r.result.err, m, kBelow)) {
    ADD_FAILURE() << "--mem-limit 1: " << r.result.Describe();
    return r;
  }
  const int own_mib = std::stoi(m[1]);  // m points into r.result
  for (r.limit_mib = own_mib + 1;; ++r.limit_mib) {
    r.result = run(r.limit_mib);
    if (r.limit_mib >= own_mib + 3 ||
        !std::regex_match(r.result.err, kBelow)) {
      return r;
    }
  }
}

// The tree is written once for the suite (removing it takes seconds).
class MemLimitMidScan : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { tree_ = new BigTree(); }
  static void TearDownTestSuite() {
    delete tree_;
    tree_ = nullptr;
  }
  void ExpectReachedDuringScan(const std::vector<std::string>& args);
  static BigTree* tree_;
};
BigTree* MemLimitMidScan::tree_ = nullptr;

void MemLimitMidScan::ExpectReachedDuringScan(
    const std::vector<std::string>& args) {
  ASSERT_FALSE(tree_->root().empty());
  LimitRun r = RunJustAboveOwnSize(*tree_, args);
  SCOPED_TRACE("--mem-limit " + std::to_string(r.limit_mib));
  EXPECT_EQ(r.result.exit_code, kExitMemLimit) << r.result.Describe();
  EXPECT_EQ(r.result.out, "");
  const std::regex want("memstats: error: memory limit of " +
                        std::to_string(r.limit_mib) +
                        " MiB reached after reading [0-9]+ of " +
                        std::to_string(kProcesses) +
                        " processes; no numbers were printed. Raise "
                        "--mem-limit or narrow --filter\n");
  EXPECT_TRUE(std::regex_match(r.result.err, want)) << r.result.err;
}

TEST_F(MemLimitMidScan, Groups) {
  ExpectReachedDuringScan({"groups", "--split-uid"});
}

TEST_F(MemLimitMidScan, Top) {
  ExpectReachedDuringScan({"top"});
}

TEST_F(MemLimitMidScan, Snapshot) {
  ExpectReachedDuringScan({"snapshot"});
}

}  // namespace
}  // namespace memstats::testing
