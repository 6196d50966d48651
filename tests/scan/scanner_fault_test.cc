// The scanner against a fake /proc that fails in the ways a live one does.
#include <algorithm>
#include <cerrno>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/pagemap.h"
#include "scan/scanner.h"
#include "scanner_fault_util.h"
#include "test_util.h"

namespace memstats::scan {
namespace {

using testing::FakeProcSource;

// pagemap sets the swap bit for PTE markers too (swap type 31,
// SWP_PTE_MARKER): a guard region's entries (with bit 58) and a uffd-wp
// marker on an empty page (bit 57) are no swap; a real swap entry is.
TEST(ScannerFaultTest, PteMarkersAreNotSwap) {
  FakeProcSource src;
  FakeProcSource::Process& p = AddProcess(src, 10, {100});
  p.pagemap[kBaseVpn + 1] = kPmSwapped | (8 << 5) | 0;  // type 0, offset 8
  p.pagemap[kBaseVpn + 2] = kPmSwapped | (1ULL << 58) | (4 << 5) | 31;
  p.pagemap[kBaseVpn + 3] = kPmSwapped | (1ULL << 57) | (1 << 5) | 31;
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  EXPECT_EQ(r->processes[0].swap, (std::vector<uint64_t>{8}));
  EXPECT_EQ(ExpandPages(*r->segments, r->processes[0]),
            (std::vector<PfnRun>{{100, 1}}));
}

TEST(ScannerFaultTest, ReadsIdentityAndMergesRuns) {
  FakeProcSource src;
  AddProcess(src, 10, {100, 101, 102, 0, 200, 0, 0, 300});
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  const ProcessRecord& rec = r->processes[0];
  EXPECT_EQ(rec.id.pid, 10);
  EXPECT_EQ(rec.id.uid, 1000u);
  EXPECT_EQ(rec.id.comm, "worker");
  EXPECT_EQ(rec.id.exe, "/usr/bin/worker");
  EXPECT_EQ(rec.id.cmdline, (std::vector<std::string>{"worker", "--flag"}));
  EXPECT_EQ(rec.id.cgroup, "/user.slice");
  EXPECT_EQ(rec.smaps.rss, 32u * 1024);
  EXPECT_EQ(rec.vm_pte_bytes, 48u * 1024);
  EXPECT_EQ(ExpandPages(*r->segments, rec),
            (std::vector<PfnRun>{{100, 3}, {200, 1}, {300, 1}}));
  EXPECT_EQ(r->stats.scanned, 1u);
  EXPECT_FALSE(r->stats.pfns_hidden);
}

TEST(ScannerFaultTest, VanishedMidReadIsCountedAndDroppedWhole) {
  FakeProcSource src;
  AddProcess(src, 10, {100});
  // stat, status, cmdline, exe, cgroup, smaps_rollup, maps: gone at pagemap.
  AddProcess(src, 11, {101}).vanish_after_reads = 7;
  AddProcess(src, 12, {102}).vanish_after_reads = 0;
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  EXPECT_EQ(r->processes[0].id.pid, 10);
  EXPECT_EQ(r->stats.vanished, 2u);
  EXPECT_EQ(r->stats.vanished_pids, (std::vector<int>{11, 12}));
  EXPECT_EQ(r->stats.unreadable, 0u);
}

// A process that starts to exit mid-scan keeps answering reads while the
// kernel tears its memory down; the stat read after its memory files tells
// (PF_EXITING, zombie, or gone), and it is counted vanished, not recorded
// with half its pages.
TEST(ScannerFaultTest, ExitingAfterItsMemoryWasReadIsVanished) {
  FakeProcSource src;
  AddProcess(src, 10, {100});
  auto& exiting = AddProcess(src, 11, {101});
  exiting.change_after_reads = 1;  // every read after the first stat
  exiting.changed_files["stat"] =  // flags 4194560 | PF_EXITING (4)
      "11 (worker) S 1 11 11 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 1 0 100";
  auto& zombie = AddProcess(src, 12, {102});
  zombie.change_after_reads = 1;
  zombie.changed_files["stat"] =
      "12 (worker) Z 1 12 12 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100";
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  EXPECT_EQ(r->processes[0].id.pid, 10);
  EXPECT_EQ(r->stats.vanished, 2u);
  EXPECT_EQ(r->stats.unreadable, 0u);
}

TEST(ScannerFaultTest, GoneAtTheLastStatReadIsVanished) {
  // How many reads a whole scan of the process makes; its last is stat.
  std::vector<std::string> reads;
  {
    FakeProcSource probe;
    AddProcess(probe, 11, {101});
    ASSERT_OK(Scan(probe, Options(), KeepAll()));
    reads = probe.reads();
  }
  std::erase_if(reads,
                [](const std::string& r) { return !r.starts_with("11/"); });
  ASSERT_FALSE(reads.empty());
  EXPECT_EQ(reads.back(), "11/stat");
  // The first stat is read through a handle of its own (the parent map).
  const int handle_reads = static_cast<int>(reads.size()) - 1;

  FakeProcSource src;
  AddProcess(src, 10, {100});
  AddProcess(src, 11, {101}).vanish_after_reads = handle_reads - 1;
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  EXPECT_EQ(r->processes[0].id.pid, 10);
  EXPECT_EQ(r->stats.vanished, 1u);
}

TEST(ScannerFaultTest, PermissionDeniedIsCountedAndNamed) {
  FakeProcSource src;
  AddProcess(src, 10, {100});
  AddProcess(src, 11, {101}).file_errno["smaps_rollup"] = EACCES;
  AddProcess(src, 12, {102}).file_errno["pagemap"] = EPERM;
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->processes.size(), 1u);
  EXPECT_EQ(r->stats.unreadable, 2u);
  EXPECT_EQ(r->stats.unreadable_pids, (std::vector<int>{11, 12}));
}

TEST(ScannerFaultTest, TruncatedOrGarbageFilesMakeAProcessUnreadable) {
  FakeProcSource src;
  AddProcess(src, 10, {100});
  AddProcess(src, 11, {101}).files["smaps_rollup"] = "Rss:  notanumber kB\n";
  AddProcess(src, 12, {102}).files["maps"] = "00010000-000";
  AddProcess(src, 13, {103}).files["status"] = "Name:\tx\n";  // no PPid/Uid
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->processes.size(), 1u);
  EXPECT_EQ(r->stats.unreadable_pids, (std::vector<int>{11, 12, 13}));
}

TEST(ScannerFaultTest, KernelThreadsAreExcluded) {
  FakeProcSource src;
  AddProcess(src, 2, {}, "kthreadd").files["stat"] =
      "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 24";
  AddProcess(src, 10, {100});
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->stats.kernel_threads, 1u);
  EXPECT_EQ(r->processes.size(), 1u);
}

TEST(ScannerFaultTest, ZeroPfnsMeanPfnsAreHidden) {
  FakeProcSource src;
  FakeProcSource::Process& p = AddProcess(src, 10, {});
  p.pagemap[kBaseVpn] = kPmPresent;  // present, PFN 0
  p.pagemap[kBaseVpn + 1] = kPmPresent;
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  EXPECT_TRUE(r->stats.pfns_hidden);
  EXPECT_EQ(r->stats.zero_pfn_entries, 2u);
  EXPECT_TRUE(r->processes[0].segments.empty());
}

TEST(ScannerFaultTest, PfnsBeyondRamAreCountedAndLeftOut) {
  FakeProcSource src;
  AddProcess(src, 10, {100, uint64_t{1} << 40});
  src.SetSystemFile("iomem", "00001000-0009fbff : System RAM\n"
                             "00100000-bfffffff : System RAM\n");
  ScanOptions o = Options();
  o.pfn_limit = RamEndPfn(src);
  EXPECT_EQ(o.pfn_limit, 0xc0000u);
  auto r = Scan(src, o, KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->stats.out_of_range_pfns, 1u);
  EXPECT_EQ(ExpandPages(*r->segments, r->processes[0]),
            (std::vector<PfnRun>{{100, 1}}));
}

// Without a RAM end from iomem (a container that hides it, a fixture tree),
// the limit comes from MemTotal: 1 GiB is 262144 pages; twice that plus
// 4 GiB of address space (1048576 pages) is 1572864 = 0x180000.
TEST(ScannerFaultTest, PfnLimitFallsBackToMemTotalThenToPhysicalAddressWidth) {
  FakeProcSource src;
  EXPECT_EQ(PfnLimit(src), kMaxPhysPfn);  // neither iomem nor meminfo
  EXPECT_EQ(kMaxPhysPfn, uint64_t{1} << 40);
  src.SetSystemFile("meminfo", "MemTotal:  garbage kB\n");
  EXPECT_EQ(PfnLimit(src), kMaxPhysPfn);
  src.SetSystemFile("meminfo", "MemTotal:        1048576 kB\n"
                               "MemFree:          524288 kB\n");
  EXPECT_EQ(PfnLimit(src), 0x180000u);
  src.SetSystemFile("iomem", "00000000-00000000 : System RAM\n");  // no root
  EXPECT_EQ(PfnLimit(src), 0x180000u);
  src.SetSystemFile("iomem", "00100000-bfffffff : System RAM\n");
  EXPECT_EQ(PfnLimit(src), 0xc0000u);  // iomem wins
  src.SetSystemFile("iomem", "00100000-ffffffffffffffff : System RAM\n");
  EXPECT_EQ(PfnLimit(src), kMaxPhysPfn);  // never above the address width
}

TEST(ScannerFaultTest, PfnsBeyondTheMemTotalCapAreCountedAndLeftOut) {
  FakeProcSource src;
  src.SetSystemFile("meminfo", "MemTotal:        1048576 kB\n");
  // The last PFN below the cap is kept; the cap itself, a garbage PFN and
  // one beyond 52 bits of physical address are not.
  AddProcess(src, 10, {100, 0x17ffff, 0x180000, uint64_t{1} << 50});
  ScanOptions o = Options();
  o.pfn_limit = PfnLimit(src);
  auto r = Scan(src, o, KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->stats.out_of_range_pfns, 2u);
  EXPECT_EQ(ExpandPages(*r->segments, r->processes[0]),
            (std::vector<PfnRun>{{100, 1}, {0x17ffff, 1}}));
}

TEST(ScannerFaultTest, NoPfnLimitStillStopsAtThePhysicalAddressWidth) {
  FakeProcSource src;
  AddProcess(src, 10, {100, kMaxPhysPfn - 1, kMaxPhysPfn, uint64_t{1} << 54});
  auto r = Scan(src, Options(), KeepAll());  // pfn_limit 0
  ASSERT_OK(r);
  EXPECT_EQ(r->stats.out_of_range_pfns, 2u);
  EXPECT_EQ(ExpandPages(*r->segments, r->processes[0]),
            (std::vector<PfnRun>{{100, 1}, {kMaxPhysPfn - 1, 1}}));
}

TEST(ScannerFaultTest, SwapEntriesAreKept) {
  FakeProcSource src;
  FakeProcSource::Process& p = AddProcess(src, 10, {});
  p.pagemap[kBaseVpn] = kPmSwapped | (uint64_t{7} << 5) | 1;  // type 1
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->processes[0].swap, (std::vector<uint64_t>{(1ULL << 50) | 7}));
}

TEST(ScannerFaultTest, FilterSeesIdentityAndEnvironment) {
  FakeProcSource src;
  AddProcess(src, 10, {100}).files["environ"] =
      std::string("APP=web\0SECRET=x\0", 17);
  AddProcess(src, 11, {101}).files["environ"] = std::string("APP=db\0", 7);
  ScanOptions o = Options();
  o.env_keys = {"APP"};
  auto r = Scan(src, o, [](const ProcessIdentity& p, const ParentMap&) {
    auto it = p.env.find("APP");
    return it != p.env.end() && it->second == "web";
  });
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  EXPECT_EQ(r->processes[0].id.pid, 10);
  // Only the variable asked for is kept.
  EXPECT_EQ(r->processes[0].id.env.size(), 1u);
  EXPECT_EQ(r->stats.filtered_out, 1u);
  // The filtered-out process's memory files were never read.
  for (const std::string& read : src.reads()) {
    EXPECT_NE(read, "11/smaps_rollup");
    EXPECT_NE(read, "11/pagemap");
  }
}

TEST(ScannerFaultTest, MemoryBudgetStopsTheScan) {
  FakeProcSource src;
  std::vector<uint64_t> pfns;
  for (uint64_t i = 0; i < 8; ++i) pfns.push_back(100 + 2 * i);  // no runs
  AddProcess(src, 10, pfns);
  MemoryBudget budget(64);
  ScanOptions o = Options();
  o.budget = &budget;
  auto r = Scan(src, o, KeepAll());
  EXPECT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  EXPECT_TRUE(budget.exceeded());
}

// The limit is above the budget's baseline, and passed only after some
// processes were read: the scan stops, says how far it got, and keeps
// charged exactly what the records read whole took.
TEST(ScannerFaultTest, MemoryBudgetRunsOutMidScan) {
  FakeProcSource src;
  constexpr int kProcesses = 50;
  for (int pid = 100; pid < 100 + kProcesses; ++pid) {
    std::vector<uint64_t> pfns;  // 8 runs of one page, other PFNs in each
    for (uint64_t i = 0; i < 8; ++i) pfns.push_back(pid * 100 + 2 * i);
    AddProcess(src, pid, pfns);
  }
  // Each process interns one segment (8 runs plus 64 bytes of table) and
  // grows its segment list by one id.
  constexpr uint64_t kPerProcess = 8 * sizeof(PfnRun) + 64 + sizeof(uint32_t);
  constexpr uint64_t kLimit = uint64_t{1} << 20;
  constexpr uint64_t kBaseline = kLimit - 5 * kPerProcess - 100;
  MemoryBudget budget(kLimit, kBaseline);  // room for 5 processes
  ScanOptions o = Options();
  o.budget = &budget;
  auto r = Scan(src, o, KeepAll());
  ASSERT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  // The 6th process to charge fails. Until that thread raises the stop
  // flag the other one may read more (they fail to charge too), so the
  // count read is at least 6.
  std::smatch m;
  const std::string message(r.status().message());
  ASSERT_TRUE(std::regex_match(
      message, m,
      std::regex("memory limit of 1 MiB reached after reading ([0-9]+) of 50 "
                 "processes; no numbers were printed. Raise --mem-limit or "
                 "narrow --filter")))
      << message;
  EXPECT_GE(std::stoi(m[1]), 6) << message;
  EXPECT_LE(std::stoi(m[1]), 50) << message;
  EXPECT_TRUE(budget.exceeded());
  EXPECT_EQ(budget.used(), kBaseline + 5 * kPerProcess);
  EXPECT_EQ(budget.peak(), kBaseline + 5 * kPerProcess);
}

}  // namespace
}  // namespace memstats::scan
