// ObjectPages, and the scanner taking a shared object's PFNs from the
// first mapper's read (ScanOptions::object_pages).
#include "scan/object_pages.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/pagemap.h"
#include "scan/scanner.h"
#include "scanner_fault_util.h"
#include "test_util.h"

namespace memstats::scan {
namespace {

using testing::FakeProcSource;

const ObjectName kFile{8, 1, 777};

TEST(ObjectPagesTest, FindsTheReadingWithTheSamePattern) {
  ObjectPages pages;
  EXPECT_FALSE(pages.Knows(kFile));
  pages.Add(kFile, 3, {{0, 512}}, 41);
  pages.Add(kFile, 3, {{0, 100}, {200, 300}}, 42);
  pages.Add(kFile, 3, {{0, 512}}, 43);  // the first reading stays
  EXPECT_TRUE(pages.Knows(kFile));
  EXPECT_EQ(pages.Find(kFile, 3, {{0, 512}}), 41u);
  EXPECT_EQ(pages.Find(kFile, 3, {{0, 100}, {200, 300}}), 42u);
  EXPECT_EQ(pages.Find(kFile, 3, {{0, 100}}), ObjectPages::kNone);
  EXPECT_EQ(pages.Find(kFile, 4, {{0, 512}}), ObjectPages::kNone);
  EXPECT_EQ(pages.Find({8, 2, 777}, 3, {{0, 512}}), ObjectPages::kNone);
  EXPECT_FALSE(pages.Knows({8, 1, 778}));
}

TEST(ObjectPagesTest, KeepsAFewPatternsPerWindow) {
  ObjectPages pages;
  for (uint16_t i = 0; i < ObjectPages::kMaxPatterns + 2; ++i) {
    pages.Add(kFile, 0, {{i, static_cast<uint16_t>(i + 1)}}, i);
  }
  EXPECT_EQ(pages.Find(kFile, 0, {{0, 1}}), 0u);
  const auto last = static_cast<uint16_t>(ObjectPages::kMaxPatterns - 1);
  EXPECT_EQ(pages.Find(kFile, 0, {{last, static_cast<uint16_t>(last + 1)}}),
            last);
  const auto over = static_cast<uint16_t>(ObjectPages::kMaxPatterns);
  EXPECT_EQ(pages.Find(kFile, 0, {{over, static_cast<uint16_t>(over + 1)}}),
            ObjectPages::kNone);
}

TEST(ObjectPagesTest, ABudgetThatRefusesLeavesItUnremembered) {
  MemoryBudget budget(10);
  ObjectPages pages(&budget);
  pages.Add(kFile, 0, {{0, 512}}, 1);
  EXPECT_FALSE(pages.Knows(kFile));
  EXPECT_EQ(pages.Find(kFile, 0, {{0, 512}}), ObjectPages::kNone);
  EXPECT_EQ(budget.used(), 0u);
}

TEST(ObjectPagesTest, GivesTheBudgetBackWhenDone) {
  MemoryBudget budget;
  {
    ObjectPages pages(&budget);
    pages.Add(kFile, 0, {{0, 512}}, 1);
    pages.Add(kFile, 1, {{0, 512}}, 2);
    EXPECT_GT(budget.used(), 0u);
  }
  EXPECT_EQ(budget.used(), 0u);
}

TEST(ObjectPagesTest, PatternsMergeTouchingPositions) {
  WindowPattern p;
  AddToPattern(p, 0);
  AddToPattern(p, 1);
  AddToPattern(p, 5);
  AddToPattern(p, 6);
  AddToPattern(p, 511);
  EXPECT_EQ(p, (WindowPattern{{0, 2}, {5, 7}, {511, 512}}));
}

// Two windows (1024 pages) of object 08:01 inode 777, mapped MAP_SHARED
// from offset 0 by every process at its own address. pfns[i] is page i's
// PFN (0: not present); `extra` ORs bits into every entry.
constexpr uint64_t kPages = 1024;
constexpr uint64_t kFirstPfn = 5000;

std::vector<uint64_t> AllPresent(uint64_t first = kFirstPfn) {
  std::vector<uint64_t> pfns(kPages);
  for (uint64_t i = 0; i < kPages; ++i) pfns[i] = first + i;
  return pfns;
}

FakeProcSource::Process& AddMapper(FakeProcSource& src, int pid,
                                   const std::vector<uint64_t>& pfns,
                                   const char* perms = "r--s",
                                   uint64_t extra = kPmFileOrShared) {
  FakeProcSource::Process& p = AddProcess(src, pid, {});
  // Each process maps the object at another address.
  const uint64_t start = kBase + static_cast<uint64_t>(pid) * 0x1000000;
  p.files["maps"] = absl::StrFormat("%x-%x %s 00000000 08:01 777 /data/f\n",
                                    start, start + kPages * kPageSize, perms);
  for (uint64_t i = 0; i < pfns.size(); ++i) {
    if (pfns[i] != 0) {
      p.pagemap[(start >> kPageShift) + i] = kPmPresent | extra | pfns[i];
    }
  }
  return p;
}

ScanOptions OneThread(bool object_pages = true) {
  ScanOptions o;
  o.threads = 1;  // processes in pid order: 10 reads first
  o.object_pages = object_pages;
  return o;
}

// Pagemap entries read for `pid`.
uint64_t EntriesRead(FakeProcSource& src, int pid) {
  return src.Add(pid).pagemap_entries_read;
}

const ProcessRecord& Record(const ScanResult& r, int pid) {
  for (const ProcessRecord& rec : r.processes) {
    if (rec.id.pid == pid) return rec;
  }
  ADD_FAILURE() << "no record for " << pid;
  return r.processes.front();
}

// The later mappers take both windows from process 10's read: one pagemap
// entry read each (the check of the object), the same segments, and pages
// that were read exclusively mapped are not exclusive any more.
TEST(ScannerObjectPagesTest, LaterMappersTakeTheFirstReadsWindows) {
  FakeProcSource src;
  src.EnablePagemapScan();
  AddMapper(src, 10, AllPresent(), "r--s", kPmFileOrShared | kPmExclusive);
  AddMapper(src, 11, AllPresent());
  AddMapper(src, 12, AllPresent());
  auto r = Scan(src, OneThread(), KeepAll());
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 3u);
  EXPECT_EQ(r->stats.object_windows_reused, 4u);
  EXPECT_EQ(EntriesRead(src, 10), kPages);
  EXPECT_EQ(EntriesRead(src, 11), 1u);
  EXPECT_EQ(EntriesRead(src, 12), 1u);
  const std::vector<PfnRun> want = {{kFirstPfn, kPages}};
  for (int pid : {10, 11, 12}) {
    EXPECT_EQ(ExpandPages(*r->segments, Record(*r, pid)), want) << pid;
  }
  EXPECT_EQ(Record(*r, 11).segments, Record(*r, 10).segments);
  ASSERT_EQ(Record(*r, 10).segments.size(), 2u);
  for (uint32_t id : Record(*r, 10).segments) {
    EXPECT_FALSE(r->segments->exclusive(id));
  }
}

// Without ObjectPages every mapper's entries are read; the pages are the
// same.
TEST(ScannerObjectPagesTest, OffReadsEveryMapper) {
  FakeProcSource src;
  src.EnablePagemapScan();
  AddMapper(src, 10, AllPresent());
  AddMapper(src, 11, AllPresent());
  auto r = Scan(src, OneThread(false), KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->stats.object_windows_reused, 0u);
  EXPECT_EQ(EntriesRead(src, 11), kPages);
  EXPECT_EQ(ExpandPages(*r->segments, Record(*r, 11)),
            (std::vector<PfnRun>{{kFirstPfn, kPages}}));
}

// A page of the object replaced between the two reads (reclaimed and read
// in again at another PFN, say): memstats reports, for the second mapper,
// the page the first read found, so the object's page counts once, as it
// was when the first mapper was read. It is not the page the object is
// checked by (the first present page of the first window taken).
TEST(ScannerObjectPagesTest, APageReplacedBetweenReadsIsTheFirstReadsPage) {
  FakeProcSource src;
  src.EnablePagemapScan();
  AddMapper(src, 10, AllPresent());
  std::vector<uint64_t> later = AllPresent();
  later[700] = 90000;
  AddMapper(src, 11, later);
  auto r = Scan(src, OneThread(), KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->stats.object_windows_reused, 2u);
  EXPECT_EQ(ExpandPages(*r->segments, Record(*r, 11)),
            (std::vector<PfnRun>{{kFirstPfn, kPages}}));
}

// The same device and inode naming another object (btrfs subvolumes share
// a device number and may reuse inode numbers): the check of the first
// page finds another PFN, and every window of that mapping is read (the
// check's entry, then the window's).
TEST(ScannerObjectPagesTest, AnotherObjectUnderTheSameNameIsRead) {
  FakeProcSource src;
  src.EnablePagemapScan();
  AddMapper(src, 10, AllPresent());
  AddMapper(src, 11, AllPresent(20000));
  AddMapper(src, 12, AllPresent());
  auto r = Scan(src, OneThread(), KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(ExpandPages(*r->segments, Record(*r, 11)),
            (std::vector<PfnRun>{{20000, kPages}}));
  EXPECT_EQ(ExpandPages(*r->segments, Record(*r, 12)),
            (std::vector<PfnRun>{{kFirstPfn, kPages}}));
  EXPECT_EQ(r->stats.object_windows_reused, 2u);  // process 12's
  EXPECT_EQ(EntriesRead(src, 11), kPages + 1);
}

// A window whose pages are present elsewhere than in the reading is read
// (the other window is still taken); so is one with a swap entry, and the
// swap entry is recorded.
TEST(ScannerObjectPagesTest, OtherPatternsAndSwapEntriesAreRead) {
  FakeProcSource src;
  src.EnablePagemapScan();
  AddMapper(src, 10, AllPresent());
  std::vector<uint64_t> holes = AllPresent();
  holes[5] = 0;
  AddMapper(src, 11, holes);
  FakeProcSource::Process& p12 = AddMapper(src, 12, AllPresent());
  const uint64_t vpn12 = (kBase + uint64_t{12} * 0x1000000) >> kPageShift;
  const uint64_t swap = kPmSwapped | 3 | (uint64_t{99} << 5);
  p12.pagemap[vpn12 + 600] = swap;
  auto r = Scan(src, OneThread(), KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->stats.object_windows_reused, 2u);
  EXPECT_EQ(ExpandPages(*r->segments, Record(*r, 11)),
            (std::vector<PfnRun>{{kFirstPfn, 5}, {kFirstPfn + 6, kPages - 6}}));
  EXPECT_EQ(
      ExpandPages(*r->segments, Record(*r, 12)),
      (std::vector<PfnRun>{{kFirstPfn, 600}, {kFirstPfn + 601, kPages - 601}}));
  EXPECT_EQ(Record(*r, 12).swap, (std::vector<uint64_t>{PmSwapKey(swap)}));
}

// Private mappings may hold copy-on-write copies where the object's pages
// were: never taken from another read.
TEST(ScannerObjectPagesTest, PrivateMappingsAreAlwaysRead) {
  FakeProcSource src;
  src.EnablePagemapScan();
  AddMapper(src, 10, AllPresent(), "r--p");
  AddMapper(src, 11, AllPresent(), "r--p");
  auto r = Scan(src, OneThread(), KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->stats.object_windows_reused, 0u);
  EXPECT_EQ(EntriesRead(src, 11), kPages);
}

// A window the first read did not keep whole (a PFN above the limit was
// left out) is not remembered: the next mapper reads it.
TEST(ScannerObjectPagesTest, WindowsWithPagesLeftOutAreNotRemembered) {
  FakeProcSource src;
  src.EnablePagemapScan();
  std::vector<uint64_t> first = AllPresent();
  first[3] = 1'000'000;
  AddMapper(src, 10, first);
  AddMapper(src, 11, AllPresent());
  ScanOptions o = OneThread();
  o.pfn_limit = 100'000;
  auto r = Scan(src, o, KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->stats.object_windows_reused, 1u);
  EXPECT_EQ(ExpandPages(*r->segments, Record(*r, 11)),
            (std::vector<PfnRun>{{kFirstPfn, kPages}}));
}

// Many mappers on two threads (the TSan run checks ObjectPages here): the
// same pages as reading every mapper, whichever reads first.
TEST(ScannerObjectPagesTest, ParallelMappersGiveTheSamePages) {
  FakeProcSource src;
  src.EnablePagemapScan();
  for (int pid = 10; pid < 42; ++pid) {
    std::vector<uint64_t> pfns = AllPresent();
    if (pid % 3 == 0) pfns[pid] = 0;  // some read their own first window
    AddMapper(src, pid, pfns);
  }
  ScanOptions on = OneThread();
  on.threads = 2;
  ScanOptions off = on;
  off.object_pages = false;
  auto a = Scan(src, on, KeepAll());
  auto b = Scan(src, off, KeepAll());
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_EQ(a->processes.size(), 32u);
  ASSERT_EQ(b->processes.size(), 32u);
  for (size_t i = 0; i < 32; ++i) {
    EXPECT_EQ(ExpandPages(*a->segments, a->processes[i]),
              ExpandPages(*b->segments, b->processes[i]))
        << a->processes[i].id.pid;
  }
  EXPECT_GT(a->stats.object_windows_reused, 0u);
  EXPECT_EQ(b->stats.object_windows_reused, 0u);
}

// A source whose PAGEMAP_SCAN cannot tell present from swapped (a
// capture's replay): nothing is taken, and once that is known the later
// mappings are read as plain mappings are, without a scan first.
TEST(ScannerObjectPagesTest, RangesWithoutCategoriesAreRead) {
  FakeProcSource src;
  src.EnablePagemapScan();
  src.HideScanCategories();
  for (int pid : {10, 11, 12}) AddMapper(src, pid, AllPresent());
  auto r = Scan(src, OneThread(), KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->stats.object_windows_reused, 0u);
  for (int pid : {10, 11, 12}) {
    EXPECT_EQ(ExpandPages(*r->segments, Record(*r, pid)),
              (std::vector<PfnRun>{{kFirstPfn, kPages}}))
        << pid;
  }
  const std::vector<std::string> reads = src.reads();
  EXPECT_NE(std::find(reads.begin(), reads.end(), "11/pagemap_scan"),
            reads.end());
  EXPECT_EQ(std::find(reads.begin(), reads.end(), "12/pagemap_scan"),
            reads.end());
}

// Without PAGEMAP_SCAN (before Linux 6.7) every mapper is read.
TEST(ScannerObjectPagesTest, WithoutPagemapScanEveryMapperIsRead) {
  FakeProcSource src;
  AddMapper(src, 10, AllPresent());
  AddMapper(src, 11, AllPresent());
  auto r = Scan(src, OneThread(), KeepAll());
  ASSERT_OK(r);
  EXPECT_EQ(r->stats.object_windows_reused, 0u);
  EXPECT_EQ(ExpandPages(*r->segments, Record(*r, 11)),
            (std::vector<PfnRun>{{kFirstPfn, kPages}}));
}

}  // namespace
}  // namespace memstats::scan
