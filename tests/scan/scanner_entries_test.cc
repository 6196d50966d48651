// The scanner on pagemap entries that are not what they look like: bit 62
// entries that are not swap, pages found through PAGEMAP_SCAN, PFNs
// hidden, and a page size the page-level code does not decode.
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

// A non-present entry with bit 62: 5 bits of type, then the offset.
constexpr uint64_t SwapEntry(uint64_t type, uint64_t offset) {
  return kPmSwapped | type | (offset << 5);
}

// Type values of include/linux/swap.h with every option configured:
// MAX_SWAPFILES = 32 - 3 (device) - 3 (migration) - 1 (hwpoison) - 1
// (marker) = 24; hwpoison 24, migration 25-27, device 28-30, marker 31.
TEST(ScannerEntriesTest, OnlySwapTypesAreSwap) {
  EXPECT_EQ(PmSwapEntryKind(SwapEntry(0, 7)), SwapEntryKind::kSwap);
  EXPECT_EQ(PmSwapEntryKind(SwapEntry(23, 7)), SwapEntryKind::kSwap);
  for (uint64_t type = 24; type <= 30; ++type) {
    EXPECT_EQ(PmSwapEntryKind(SwapEntry(type, 7)), SwapEntryKind::kPage)
        << type;
  }
  EXPECT_EQ(PmSwapEntryKind(SwapEntry(31, 1)), SwapEntryKind::kMarker);
}

// A page under migration is resident: counted as the page its offset
// names (and merged into the runs like a present page), never as swap. A
// PTE marker is neither.
TEST(ScannerEntriesTest, MigrationEntriesAreTheirPageAndMarkersNothing) {
  FakeProcSource src;
  FakeProcSource::Process& p = AddProcess(src, 10, {100, 0, 0, 0, 0, 0, 0, 0});
  p.pagemap[kBaseVpn + 1] = SwapEntry(26, 101);  // migration (write)
  p.pagemap[kBaseVpn + 2] = SwapEntry(25, 102);  // migration (read)
  p.pagemap[kBaseVpn + 3] = SwapEntry(0, 5000);  // swap area 0
  p.pagemap[kBaseVpn + 4] = SwapEntry(1, 5000);  // swap area 1
  p.pagemap[kBaseVpn + 5] = SwapEntry(31, 2);    // uffd-wp marker
  p.pagemap[kBaseVpn + 6] = SwapEntry(24, 0);    // hwpoison, PFN hidden
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  const ProcessRecord& rec = r->processes[0];
  EXPECT_EQ(ExpandPages(*r->segments, rec), (std::vector<PfnRun>{{100, 3}}));
  EXPECT_EQ(rec.swap, (std::vector<uint64_t>{PmSwapKey(SwapEntry(0, 5000)),
                                              PmSwapKey(SwapEntry(1, 5000))}));
  EXPECT_EQ(r->stats.pfn_swap_entries, 3u);
  EXPECT_EQ(r->stats.pte_markers, 1u);
  EXPECT_EQ(r->stats.zero_pfn_entries, 1u);
  EXPECT_FALSE(r->stats.pfns_hidden);
  EXPECT_TRUE(r->stats.page_level_off.empty());
}

// 64 MiB mapping: the first 32 MiB chunk is empty but for one page, so the
// rest goes through PAGEMAP_SCAN. Pages there that userfaultfd
// write-protected (bit 57: WRITTEN clear) or that are swapped must be found
// as plain reads find them. With the category values memstats once had
// (WRITTEN | FILE for PRESENT | SWAPPED) the anonymous write-protected
// pages and the swap entry were missed.
TEST(ScannerEntriesTest, PagemapScanFindsWhatPlainReadsFind) {
  constexpr uint64_t kPages = 16384;
  constexpr uint64_t kUffdWp = uint64_t{1} << 57;
  auto build = [&](bool scan) {
    auto src = std::make_unique<FakeProcSource>();
    FakeProcSource::Process& p = AddProcess(*src, 10, {});
    p.files["maps"] = absl::StrFormat("%x-%x rw-p 00000000 00:00 0 \n", kBase,
                                      kBase + kPages * kPageSize);
    p.pagemap[kBaseVpn] = kPmPresent | 50;
    p.pagemap[kBaseVpn + 9000] = kPmPresent | 100;
    p.pagemap[kBaseVpn + 9001] = kPmPresent | kUffdWp | 101;
    p.pagemap[kBaseVpn + 12000] = kPmPresent | kUffdWp | 200;
    p.pagemap[kBaseVpn + 12001] = kPmPresent | kPmFileOrShared | 300;
    p.pagemap[kBaseVpn + 15000] = SwapEntry(0, 77) | kUffdWp;
    p.pagemap[kBaseVpn + 16383] = kPmPresent | kPmSoftDirty | kUffdWp | 400;
    if (scan) src->EnablePagemapScan();
    return src;
  };
  auto plain_src = build(false);
  auto scan_src = build(true);
  auto plain = Scan(*plain_src, Options(), KeepAll());
  auto scanned = Scan(*scan_src, Options(), KeepAll());
  ASSERT_OK(plain);
  ASSERT_OK(scanned);
  const std::vector<std::string> reads = scan_src->reads();
  EXPECT_NE(std::find(reads.begin(), reads.end(), "10/pagemap_scan"),
            reads.end())
      << "the sparse mapping did not take the PAGEMAP_SCAN path";
  const std::vector<PfnRun> want = {{50, 1}, {100, 2}, {200, 1}, {300, 1},
                                    {400, 1}};
  EXPECT_EQ(ExpandPages(*plain->segments, plain->processes[0]), want);
  EXPECT_EQ(ExpandPages(*scanned->segments, scanned->processes[0]), want);
  EXPECT_EQ(scanned->processes[0].swap, plain->processes[0].swap);
  EXPECT_EQ(scanned->processes[0].swap.size(), 1u);
}

// Root without CAP_SYS_ADMIN reads every file but PFN 0 in pagemap: the
// scan finds that out itself and reads smaps_rollup for PSS, even when
// asked not to (the bug was PSS 0 for every group).
TEST(ScannerEntriesTest, HiddenPfnsReadSmapsRollups) {
  FakeProcSource src;
  AddProcess(src, 10, {});
  AddProcess(src, 11, {});
  src.Add(10).pagemap[kBaseVpn] = kPmPresent;
  src.Add(11).pagemap[kBaseVpn] = kPmPresent;
  src.Add(11).files["smaps_rollup"] =
      "00010000-7ffff000 ---p 00000000 00:00 0    [rollup]\n"
      "Rss:                  40 kB\nPss:                  20 kB\n";
  ScanOptions o = Options();
  o.read_smaps = false;
  auto r = Scan(src, o, KeepAll());
  ASSERT_OK(r);
  EXPECT_TRUE(r->stats.pfns_hidden);
  EXPECT_NE(r->stats.page_level_off.find("CAP_SYS_ADMIN"), std::string::npos);
  ASSERT_EQ(r->processes.size(), 2u);
  EXPECT_EQ(r->processes[0].smaps.pss, 32u * 1024);
  EXPECT_EQ(r->processes[1].smaps.pss, 20u * 1024);
  EXPECT_EQ(r->stats.scanned, 2u);
}

// With PFNs visible and read_smaps off, smaps_rollup is left alone.
TEST(ScannerEntriesTest, VisiblePfnsLeaveSmapsUnread) {
  FakeProcSource src;
  AddProcess(src, 10, {100});
  ScanOptions o = Options();
  o.read_smaps = false;
  auto r = Scan(src, o, KeepAll());
  ASSERT_OK(r);
  EXPECT_TRUE(r->stats.page_level_off.empty());
  const std::vector<std::string> reads = src.reads();
  EXPECT_EQ(std::count(reads.begin(), reads.end(), "10/smaps_rollup"), 0);
}

// On a 16 or 64 KiB kernel pagemap is indexed by 16 or 64 KiB pages; the
// scanner does not read it in 4 KiB units, says why, and reads smaps.
TEST(ScannerEntriesTest, OtherPageSizesGiveSmapsNumbersNotWrongOffsets) {
  for (uint64_t size : {uint64_t{16384}, uint64_t{65536}}) {
    FakeProcSource src;
    src.SetPageSize(size);
    AddProcess(src, 10, {100, 101});
    ScanOptions o = Options();
    o.read_smaps = false;
    auto r = Scan(src, o, KeepAll());
    ASSERT_OK(r);
    EXPECT_EQ(r->stats.page_level_off,
              absl::StrFormat("the page size is %d KiB: RSS/USS by page are "
                              "computed for 4 KiB pages only (PSS comes from "
                              "smaps)",
                              size / 1024));
    ASSERT_EQ(r->processes.size(), 1u);
    EXPECT_TRUE(r->processes[0].segments.empty());
    EXPECT_EQ(r->processes[0].smaps.pss, 32u * 1024);
    const std::vector<std::string> reads = src.reads();
    EXPECT_EQ(std::count(reads.begin(), reads.end(), "10/pagemap"), 0);
  }
}

}  // namespace
}  // namespace memstats::scan
