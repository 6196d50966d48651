#include "profile/sample.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scan/mapping_category.h"

namespace memstats::profile {
namespace {

using scan::MappingCategory;
using scan::UsageRow;

constexpr uint8_t kR = scan::kPermRead;
constexpr uint8_t kW = scan::kPermWrite;
constexpr uint8_t kX = scan::kPermExec;
constexpr uint8_t kS = scan::kPermShared;

UsageRow Row(MappingCategory c, std::string path, uint8_t perms,
             uint64_t pss, uint64_t swap_pss = 0) {
  UsageRow r;
  r.category = c;
  r.path = std::move(path);
  r.perms = perms;
  r.mappings = 1;
  r.size = 2 * pss;
  r.rss = pss + 4096;
  r.pss = pss;
  r.swap_pss = swap_pss;
  return r;
}

TEST(SeriesTest, NamesRoundTrip) {
  for (int i = 0; i < kNumSeries; ++i) {
    const Series s = static_cast<Series>(i);
    EXPECT_EQ(ParseSeriesName(SeriesName(s)), s);
  }
  EXPECT_EQ(SeriesColumn(Series::kThreadStack), "THREAD_STACK_PSS");
  EXPECT_EQ(SeriesColumn(Series::kOther), "OTHER_PSS");
  EXPECT_EQ(ParseSeriesName("STACK_PSS"), std::nullopt);
}

TEST(SeriesTest, EveryRowLandsInItsSeries) {
  const std::string exe = "/usr/bin/demo";
  struct Case {
    UsageRow row;
    Series want;
  };
  const std::vector<Case> cases = {
      {Row(MappingCategory::kHeap, "", kR | kW, 1), Series::kHeap},
      {Row(MappingCategory::kStack, "", kR | kW, 1), Series::kStack},
      {Row(MappingCategory::kThreadStack, "", kR | kW, 1),
       Series::kThreadStack},
      {Row(MappingCategory::kAnon, "", kR | kW, 1), Series::kAnonMap},
      {Row(MappingCategory::kSysv, "", kR | kW | kS, 1), Series::kShm},
      {Row(MappingCategory::kShmem, "", kR | kW | kS, 1), Series::kShm},
      {Row(MappingCategory::kSpecial, "", kR | kX, 1), Series::kOther},
      {Row(MappingCategory::kHugetlb, "", kR | kW, 0), Series::kOther},
      {Row(MappingCategory::kFile, exe, kR | kX, 1), Series::kBinText},
      {Row(MappingCategory::kFile, exe, kR, 1), Series::kBinText},
      {Row(MappingCategory::kFile, exe, kR | kW, 1), Series::kBinData},
      {Row(MappingCategory::kFile, "/lib/libc.so.6", kR | kX, 1),
       Series::kLibText},
      {Row(MappingCategory::kFile, "/lib/libc.so.6", kR | kW, 1),
       Series::kLibData},
      {Row(MappingCategory::kFile, "/srv/db/table", kR | kW | kS, 1),
       Series::kShm},
      {Row(MappingCategory::kFile, "/srv/db/table", kR | kS, 1),
       Series::kLibText},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(SeriesOf(c.row, exe), c.want)
        << MappingCategoryName(c.row.category) << " " << c.row.path << " "
        << scan::FormatPerms(c.row.perms);
  }
  // Without a known executable, no row is the binary.
  EXPECT_EQ(SeriesOf(Row(MappingCategory::kFile, exe, kR | kX, 1), ""),
            Series::kLibText);
}

TEST(SampleProcessTest, SeriesAddUpToThePssOfTheRows) {
  scan::ProcessRecord rec;
  rec.id.pid = 42;
  rec.id.ppid = 1;
  rec.id.uid = 1000;
  rec.id.comm = "demo";
  rec.id.exe = "/usr/bin/demo";
  rec.id.cmdline = {"/usr/bin/demo", "--port", "80"};
  rec.smaps.rss = 900 * 1024;
  rec.smaps.pss = 123 * 1024;
  rec.smaps.private_clean = 100 * 1024;
  rec.smaps.private_dirty = 200 * 1024;
  rec.smaps.swap = 8 * 1024;
  rec.smaps.private_hugetlb = 2048 * 1024;
  rec.vm_hwm_bytes = 1000 * 1024;
  rec.usage = {
      Row(MappingCategory::kHeap, "", kR | kW, 40960, 4096),
      Row(MappingCategory::kFile, "/usr/bin/demo", kR | kX, 8192),
      Row(MappingCategory::kFile, "/lib/libc.so.6", kR | kX, 12288),
      Row(MappingCategory::kFile, "/lib/libc.so.6", kR | kW, 4096, 4096),
      Row(MappingCategory::kAnon, "", kR | kW, 16384),
  };
  const ProcessSample p = SampleProcess(rec);
  EXPECT_EQ(p.pid, 42);
  EXPECT_EQ(p.ppid, 1);
  EXPECT_EQ(p.uid, 1000u);
  EXPECT_EQ(p.cmd, "/usr/bin/demo --port 80");
  EXPECT_EQ(p.pss[static_cast<size_t>(Series::kHeap)], 40960u);
  EXPECT_EQ(p.pss[static_cast<size_t>(Series::kBinText)], 8192u);
  EXPECT_EQ(p.pss[static_cast<size_t>(Series::kLibText)], 12288u);
  EXPECT_EQ(p.pss[static_cast<size_t>(Series::kLibData)], 4096u);
  EXPECT_EQ(p.pss[static_cast<size_t>(Series::kAnonMap)], 16384u);
  EXPECT_EQ(p.PssTotal(), 40960u + 8192 + 12288 + 4096 + 16384);
  EXPECT_EQ(p.swap_pss, 8192u);
  EXPECT_EQ(p.rss, 900u * 1024);
  EXPECT_EQ(p.uss, 300u * 1024);
  EXPECT_EQ(p.swap, 8u * 1024);
  EXPECT_EQ(p.hugetlb, 2048u * 1024);
  EXPECT_EQ(p.vm_hwm, 1000u * 1024);
  EXPECT_EQ(p.smaps_pss, 123u * 1024);
  ASSERT_EQ(p.mappings.size(), 5u);
  EXPECT_EQ(p.mappings[2].series, Series::kLibText);
  EXPECT_EQ(p.mappings[2].path, "/lib/libc.so.6");
  EXPECT_EQ(p.mappings[2].rss, 12288u + 4096);

  Sample s;
  s.processes = {p, p};
  EXPECT_EQ(s.TotalPss()[static_cast<size_t>(Series::kHeap)], 2u * 40960);
  EXPECT_EQ(s.TotalSwapPss(), 2u * 8192);
}

TEST(SampleProcessTest, KernelThreadCmdIsItsCommInBrackets) {
  scan::ProcessRecord rec;
  rec.id.comm = "kworker/0:1";
  EXPECT_EQ(SampleProcess(rec).cmd, "[kworker/0:1]");
}

}  // namespace
}  // namespace memstats::profile
