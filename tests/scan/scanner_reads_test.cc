// What a scan reads of each process: stat once before the scan proper (for
// the parent map, its flags reused) and once after the memory files (is the
// process exiting?), and of cmdline, exe and cgroup only what
// ScanOptions::identity asks for; kernel threads are known from the first
// stat and not opened again.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/scanner.h"
#include "scanner_fault_util.h"
#include "test_util.h"

namespace memstats::scan {
namespace {

using testing::FakeProcSource;

size_t Count(const std::vector<std::string>& reads, const std::string& what) {
  return static_cast<size_t>(std::count(reads.begin(), reads.end(), what));
}

TEST(ScannerReadsTest, StatTwiceAndOnlyTheIdentityFilesAskedFor) {
  struct Case {
    uint8_t identity;
    bool cmdline, exe, cgroup;
  };
  for (const Case& c :
       {Case{kIdAll, true, true, true}, Case{0, false, false, false},
        Case{kIdCmdline, true, false, false}, Case{kIdExe, false, true, false},
        Case{kIdCgroup, false, false, true}}) {
    SCOPED_TRACE(static_cast<int>(c.identity));
    FakeProcSource src;
    AddProcess(src, 10, {100, 101});
    ScanOptions o = Options();
    o.identity = c.identity;
    auto r = Scan(src, o, KeepAll());
    ASSERT_OK(r);
    ASSERT_EQ(r->processes.size(), 1u);
    const ProcessIdentity& id = r->processes[0].id;
    const std::vector<std::string> reads = src.reads();
    EXPECT_EQ(Count(reads, "10/stat"), 2u);
    EXPECT_EQ(Count(reads, "10/status"), 1u);
    EXPECT_EQ(Count(reads, "10/cmdline"), c.cmdline ? 1u : 0u);
    EXPECT_EQ(Count(reads, "10/exe"), c.exe ? 1u : 0u);
    EXPECT_EQ(Count(reads, "10/cgroup"), c.cgroup ? 1u : 0u);
    // What was not read is empty; pid, ppid, uid and comm always there.
    EXPECT_EQ(id.cmdline.empty(), !c.cmdline);
    EXPECT_EQ(id.exe, c.exe ? "/usr/bin/worker" : "");
    EXPECT_EQ(id.cgroup, c.cgroup ? "/user.slice" : "");
    EXPECT_EQ(id.pid, 10);
    EXPECT_EQ(id.ppid, 1);
    EXPECT_EQ(id.uid, 1000u);
    EXPECT_EQ(id.comm, "worker");
  }
}

// A kernel thread (PF_KTHREAD in stat's flags) is counted from the stat
// read for the parent map: none of its other files is read.
TEST(ScannerReadsTest, KernelThreadsAreKnownFromTheFirstStat) {
  FakeProcSource src;
  AddProcess(src, 10, {100});
  FakeProcSource::Process& k = src.Add(2);
  k.files["stat"] = absl::StrCat("2 (kthreadd) S 0 0 0 0 -1 ",
                                 kPfKthread | 0x40, " 0 0 0 0 0 0 0 0 20 0 1");
  k.files["status"] = "Name:\tkthreadd\nPPid:\t0\nUid:\t0\t0\t0\t0\n";
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->stats.kernel_threads, 1u);
  ASSERT_EQ(r->processes.size(), 1u);
  EXPECT_EQ(r->parents.at(2), 0);
  std::vector<std::string> of_2;
  for (const std::string& read : src.reads()) {
    if (read.starts_with("2/")) of_2.push_back(read);
  }
  EXPECT_EQ(of_2, std::vector<std::string>{"2/stat"});
}

// Adjacent mappings whose entries fit one pread's buffer (8192) are read
// with one pread (PagemapAhead): the three of a library, side by side, are
// one read; a mapping alone, one; a mapping larger than the buffer is read
// in chunks, and so is the small one after it, alone. Every page counts as
// when each mapping was read by itself.
TEST(ScannerReadsTest, AdjacentSmallMappingsAreReadTogether) {
  FakeProcSource src;
  FakeProcSource::Process& p = AddProcess(src, 10, {});
  p.files["maps"] =
      "00010000-00012000 r--p 00000000 08:01 77 /usr/lib/libx.so\n"
      "00012000-00015000 r-xp 00002000 08:01 77 /usr/lib/libx.so\n"
      "00015000-00016000 rw-p 00000000 00:00 0 \n"
      "00020000-00022000 rw-p 00000000 00:00 0 \n"
      "10000000-12001000 rw-p 00000000 00:00 0 \n"
      "12001000-12002000 rw-p 00000000 00:00 0 \n";
  const uint64_t big = 0x10000000 >> kPageShift;  // 8193 pages from here
  const std::vector<std::pair<uint64_t, uint64_t>> present = {
      {0x10, 500}, {0x11, 502},       {0x12, 504},
      {0x14, 506}, {0x15, 508},       {0x21, 510},
      {big, 600},  {big + 8192, 700}, {big + 8193, 800}};
  for (const auto& [vpn, pfn] : present) p.pagemap[vpn] = kPmPresent | pfn;
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  const std::vector<std::string> reads = src.reads();
  // 0x10-0x16 (6 entries), 0x20-0x22 (2), the big mapping in two reads
  // (8192 + 1) and the one after it (1).
  EXPECT_EQ(Count(reads, "10/pagemap"), 5u);
  EXPECT_EQ(p.pagemap_entries_read, 6u + 2u + 8193u + 1u);
  std::vector<PfnRun> want;
  for (const auto& [vpn, pfn] : present) want.push_back({pfn, 1});
  EXPECT_EQ(ExpandPages(*r->segments, r->processes[0]), want);
}

}  // namespace
}  // namespace memstats::scan
