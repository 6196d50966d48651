// inspect::ReadProcInfo on a FakeProcSource: a process that vanishes at
// every step of its reading, kpageflags that may not be read, a sparse
// mapping walked with PAGEMAP_SCAN; and ParseAddressRange. The figures
// themselves are checked on the fixture tree (tests/cli/procinfo_cli_test.cc)
// and live (tests/e2e/procinfo_e2e_test.cc).
#include "inspect/procinfo.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/pagemap.h"
#include "test_util.h"

namespace memstats::inspect {
namespace {

using testing::FakeProcSource;

constexpr int kPid = 7;
constexpr uint64_t kHeap = 0x100000;            // 4 pages
constexpr uint64_t kSparse = 0x40000000;        // 1 GiB
constexpr uint64_t kSparseEnd = 0x80000000;

std::string SmapsEntry(uint64_t start, uint64_t end, const char* perms,
                       const char* path, int rss_kb, int pss_kb) {
  return absl::StrCat(absl::Hex(start), "-", absl::Hex(end), " ", perms,
                      " 00000000 00:00 0 ", path, "\nRss: ", rss_kb,
                      " kB\nPss: ", pss_kb, " kB\n");
}

// pid 7: a heap of 4 pages, PFN 0x10 and 0x11 present (count 1), and a
// 1 GiB anonymous mapping with two pages present (PFN 0x20, 0x21).
void AddProcess(FakeProcSource& src) {
  FakeProcSource::Process& p = src.Add(kPid);
  p.files["stat"] = "7 (p) S 1 7 7 0 -1 4194560 0 0\n";
  p.files["status"] = "Name:\tp\nPPid:\t1\nUid:\t0\t0\t0\t0\n";
  p.files["smaps"] =
      SmapsEntry(kHeap, kHeap + 0x4000, "rw-p", "[heap]", 8, 8) +
      SmapsEntry(kSparse, kSparseEnd, "rw-p", "", 8, 8);
  p.exe = "/bin/p";
  const uint64_t anon = scan::kPmPresent | scan::kPmExclusive;
  p.pagemap[kHeap / 4096] = anon | 0x10;
  p.pagemap[kHeap / 4096 + 1] = anon | 0x11;
  p.pagemap[kSparse / 4096 + 5] = anon | 0x20;
  p.pagemap[kSparseEnd / 4096 - 1] = anon | 0x21;
  const uint64_t flags = (1ULL << scan::kKpfAnon) | (1ULL << scan::kKpfSwapbacked);
  for (uint64_t pfn : {0x10, 0x11, 0x20, 0x21}) src.SetKpage(pfn, flags, 1);
}

TEST(ReadProcInfoTest, WholeProcess) {
  FakeProcSource src;
  AddProcess(src);
  auto info = ReadProcInfo(src, kPid, {});
  ASSERT_OK(info);
  ASSERT_TRUE(info->page_level);
  ASSERT_EQ(info->mappings.size(), 2u);
  EXPECT_EQ(info->mappings[0].category, scan::MappingCategory::kHeap);
  EXPECT_EQ(info->mappings[0].pages.rss, 8192u);
  EXPECT_EQ(info->mappings[1].pages.uss, 8192u);
  EXPECT_EQ(info->total.rss, 16384u);
  EXPECT_EQ(info->total.pss, 16384u);
  EXPECT_EQ(info->total.present, 4u);
}

// The sparse mapping through PAGEMAP_SCAN gives the same figures as plain
// reads, and reads only the present ranges' entries.
TEST(ReadProcInfoTest, SparseMappingWithPagemapScan) {
  FakeProcSource src;
  src.EnablePagemapScan();
  AddProcess(src);
  auto info = ReadProcInfo(src, kPid, {});
  ASSERT_OK(info);
  EXPECT_EQ(info->mappings[1].pages.rss, 8192u);
  EXPECT_EQ(info->mappings[1].pages.pss, 8192u);
  int scans = 0;
  for (const std::string& r : src.reads()) scans += r == "7/pagemap_scan";
  EXPECT_EQ(scans, 1);
}

// Whatever read the process vanishes at, the answer is "exited", never a
// part of the process.
TEST(ReadProcInfoTest, VanishesAtEveryStep) {
  FakeProcSource counted;
  AddProcess(counted);
  ASSERT_OK(ReadProcInfo(counted, kPid, {}));
  int reads = 0;  // of the process's files (not of kpageflags/kpagecount)
  for (const std::string& r : counted.reads()) reads += r.starts_with("7/");
  ASSERT_GT(reads, 5);
  for (int n = 0; n < reads; ++n) {
    FakeProcSource src;
    AddProcess(src);
    src.Add(kPid).vanish_after_reads = n;
    auto info = ReadProcInfo(src, kPid, {});
    ASSERT_FALSE(info.ok()) << "vanished after " << n << " reads";
    EXPECT_TRUE(absl::IsNotFound(info.status()));
    EXPECT_EQ(info.status().message(), "process 7 exited while it was read")
        << n;
  }
}

TEST(ReadProcInfoTest, NoSuchProcess) {
  FakeProcSource src;
  AddProcess(src);
  auto info = ReadProcInfo(src, 8, {});
  EXPECT_TRUE(absl::IsNotFound(info.status()));
  EXPECT_EQ(info.status().message(), "no process with pid 8");
}

TEST(ReadProcInfoTest, KpageflagsDenied) {
  FakeProcSource src;
  AddProcess(src);
  src.DenyKpage();
  auto info = ReadProcInfo(src, kPid, {});
  ASSERT_OK(info);
  EXPECT_FALSE(info->page_level);
  EXPECT_TRUE(info->page_level_off.starts_with(
      "/proc/kpageflags and /proc/kpagecount cannot be read"))
      << info->page_level_off;
  EXPECT_EQ(info->total.present, 4u);
  EXPECT_EQ(info->total.rss, 0u);
}

TEST(ParseAddressRangeTest, Table) {
  struct Case {
    const char* text;
    uint64_t start, end;  // 0, 0: an error
  };
  const Case cases[] = {
      {"1000-2000", 0x1000, 0x2000},
      {"0x1000-0x2000", 0x1000, 0x2000},
      {"0X7f0000000000-7F0000100000", 0x7f0000000000, 0x7f0000100000},
      {"0-ffffffffffffffff", 0, ~uint64_t{0}},
      {"2000-1000", 0, 0},
      {"1000-1000", 0, 0},
      {"1000", 0, 0},
      {"-1000", 0, 0},
      {"1000-", 0, 0},
      {"0x-1000", 0, 0},
      {"g-1000", 0, 0},
      {"1000-2000-3000", 0, 0},
      {"10000000000000000-20000000000000000", 0, 0},  // over 64 bits
      {" 1000-2000", 0, 0},
  };
  for (const Case& c : cases) {
    auto r = ParseAddressRange(c.text);
    if (c.start == 0 && c.end == 0) {
      EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << c.text;
    } else {
      ASSERT_OK(r);
      EXPECT_EQ(*r, (AddressRange{c.start, c.end})) << c.text;
    }
  }
}

}  // namespace
}  // namespace memstats::inspect
