// The PageCatalog's bitmap has one bit per PFN up to the highest PFN the
// scan kept, so a garbage PFN must never reach it: the scanner's PFN limit
// (scan::PfnLimit) caps it whether or not a memory budget is set.
#include <cstdint>
#include <vector>

#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/pagemap.h"
#include "scan/scanner.h"
#include "sets/page_catalog.h"
#include "test_util.h"

namespace memstats::sets {
namespace {

using testing::FakeProcSource;
constexpr uint64_t kAnon = uint64_t{1} << scan::kKpfAnon;

// One process mapping `pfns` at consecutive pages of one mapping.
void AddProcess(FakeProcSource& src, const std::vector<uint64_t>& pfns) {
  FakeProcSource::Process& p = src.Add(10);
  p.files["stat"] = "10 (w) S 1 10 10 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 1";
  p.files["status"] = "Name:\tw\nPPid:\t1\nUid:\t0\t0\t0\t0\n";
  p.files["cmdline"] = std::string("w\0", 2);
  p.files["maps"] = "00010000-00020000 rw-p 00000000 00:00 0 \n";
  p.files["cgroup"] = "0::/\n";
  p.exe = "/bin/w";
  for (size_t i = 0; i < pfns.size(); ++i) {
    p.pagemap[(0x10000 >> scan::kPageShift) + i] = scan::kPmPresent | pfns[i];
  }
}

absl::StatusOr<scan::ScanResult> ScanAll(FakeProcSource& src) {
  scan::ScanOptions o;
  o.read_smaps = false;
  o.pfn_limit = scan::PfnLimit(src);
  return scan::Scan(src, o, [](const auto&, const auto&) { return true; });
}

// No iomem, no meminfo, no budget: a PFN of 2^50 would ask for a 128 TiB
// bitmap. It is beyond 52 bits of physical address, counted and left out;
// the bitmap covers PFN 100 only: 2 words (8 bytes of bits and 4 of rank
// each) and 5 bytes for the one page: 29 bytes.
TEST(PfnCapTest, GarbagePfnNeverSizesTheBitmapWithoutABudget) {
  FakeProcSource src;
  AddProcess(src, {100, uint64_t{1} << 50});
  src.SetKpage(100, kAnon, 1);
  auto scan = ScanAll(src);
  ASSERT_OK(scan);
  EXPECT_EQ(scan->stats.out_of_range_pfns, 1u);
  auto c = PageCatalog::Build(scan->processes, *scan->segments, src,
                              /*budget=*/nullptr);
  ASSERT_OK(c);
  EXPECT_EQ(c->size(), 1u);
  EXPECT_EQ(c->bytes_used(), 29u);
  EXPECT_EQ(c->kind(c->IndexOf(100)), PageKind::kAnon);
}

// MemTotal 1 GiB (262144 pages): limit 2 * 262144 + 1048576 = 0x180000.
// PFN 0x17ffff is kept, 0x180000 and 0x10000000 are not. Bitmap: 0x17ffff /
// 64 + 1 = 24576 words of 12 bytes, plus 5 bytes for each of the 2 pages:
// 294922 bytes.
TEST(PfnCapTest, WithoutIomemTheCapComesFromMemTotal) {
  FakeProcSource src;
  src.SetSystemFile("meminfo", "MemTotal:        1048576 kB\n");
  AddProcess(src, {100, 0x17ffff, 0x180000, 0x10000000});
  src.SetKpage(100, kAnon, 1);
  src.SetKpage(0x17ffff, kAnon, 1);
  auto scan = ScanAll(src);
  ASSERT_OK(scan);
  EXPECT_EQ(scan->stats.out_of_range_pfns, 2u);
  auto c = PageCatalog::Build(scan->processes, *scan->segments, src,
                              /*budget=*/nullptr);
  ASSERT_OK(c);
  EXPECT_EQ(c->size(), 2u);
  EXPECT_EQ(c->bytes_used(), 294922u);
  EXPECT_EQ(c->IndexOf(0x17ffff), 1u);
}

}  // namespace
}  // namespace memstats::sets
