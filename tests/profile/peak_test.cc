// memstats peak's computation (profile/peak.h): the measure of a sample,
// the peak among samples, and the rows of the peak table.
#include "profile/peak.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scan/mapping_category.h"

namespace memstats::profile {
namespace {

constexpr uint8_t kRX = scan::kPermRead | scan::kPermExec;
constexpr uint8_t kRW = scan::kPermRead | scan::kPermWrite;
constexpr uint8_t kRWS = kRW | scan::kPermShared;

SampledMapping Row(Series s, std::string path, uint8_t perms, uint64_t rss,
                   uint64_t pss, uint64_t swap = 0) {
  SampledMapping m;
  m.series = s;
  m.path = std::move(path);
  m.perms = perms;
  m.mappings = 1;
  m.rss = rss;
  m.pss = pss;
  m.swap = swap;
  return m;
}

// Totals from the rows, as SampleProcess makes them; USS given.
ProcessSample Process(int pid, uint64_t uss, std::vector<SampledMapping> rows) {
  ProcessSample p;
  p.pid = pid;
  p.comm = "p" + std::to_string(pid);
  for (const SampledMapping& m : rows) {
    p.pss[static_cast<size_t>(m.series)] += m.pss;
    p.rss += m.rss;
    p.swap += m.swap;
  }
  p.uss = uss;
  p.mappings = std::move(rows);
  return p;
}

Sample Of(std::vector<ProcessSample> processes,
          std::optional<SetPages> pages = std::nullopt) {
  Sample s;
  s.processes = std::move(processes);
  s.pages = pages;
  return s;
}

TEST(PeakMeasure, Names) {
  for (PeakMeasure m :
       {PeakMeasure::kRss, PeakMeasure::kPss, PeakMeasure::kUss}) {
    EXPECT_EQ(ParsePeakMeasure(PeakMeasureName(m)), m);
  }
  EXPECT_EQ(PeakMeasureName(PeakMeasure::kUss), "uss");
  EXPECT_EQ(ParsePeakMeasure("RSS"), std::nullopt);
  EXPECT_EQ(ParsePeakMeasure(""), std::nullopt);
}

TEST(MeasureOf, SumsOrSetPages) {
  Sample s = Of({Process(1, 30, {Row(Series::kHeap, "", kRW, 100, 90)}),
                 Process(2, 5, {Row(Series::kLibText, "/l", kRX, 50, 20)})});
  EXPECT_EQ(MeasureOf(s, PeakMeasure::kRss, std::nullopt), 150u);
  EXPECT_EQ(MeasureOf(s, PeakMeasure::kPss, std::nullopt), 110u);
  EXPECT_EQ(MeasureOf(s, PeakMeasure::kUss, std::nullopt), 35u);
  EXPECT_EQ(MeasureOf(s, PeakMeasure::kRss, 2), 50u);
  EXPECT_EQ(MeasureOf(s, PeakMeasure::kPss, 2), 20u);
  EXPECT_EQ(MeasureOf(s, PeakMeasure::kUss, 1), 30u);
  EXPECT_EQ(MeasureOf(s, PeakMeasure::kRss, 3), std::nullopt);

  // Page-level figures replace the sums of rss and uss, not of pss; a
  // process's own measure stays its own.
  s.pages = SetPages{120, 33, 999, 0};
  EXPECT_EQ(MeasureOf(s, PeakMeasure::kRss, std::nullopt), 120u);
  EXPECT_EQ(MeasureOf(s, PeakMeasure::kUss, std::nullopt), 33u);
  EXPECT_EQ(MeasureOf(s, PeakMeasure::kPss, std::nullopt), 110u);
  EXPECT_EQ(MeasureOf(s, PeakMeasure::kRss, 1), 100u);
}

TEST(FindPeak, HighestAndEarliestOfEqualOnes) {
  auto one = [](uint64_t rss) {
    return Of({Process(7, 0, {Row(Series::kHeap, "", kRW, rss, rss)})});
  };
  std::vector<Sample> samples = {one(10), one(30), one(20), one(30)};
  EXPECT_EQ(FindPeak(samples, PeakMeasure::kRss, std::nullopt), 1u);
  EXPECT_EQ(FindPeak(samples, PeakMeasure::kRss, 7), 1u);
  EXPECT_EQ(FindPeak(samples, PeakMeasure::kRss, 8), std::nullopt);
  EXPECT_EQ(FindPeak({}, PeakMeasure::kRss, std::nullopt), std::nullopt);

  // With a pid, samples without the process do not count.
  samples.push_back(Of({Process(8, 0, {Row(Series::kHeap, "", kRW, 99, 99)})}));
  PeakFinder finder(PeakMeasure::kPss, 7);
  for (size_t i = 0; i < samples.size(); ++i)
    finder.Add(int64_t(i), samples[i]);
  ASSERT_TRUE(finder.found());
  EXPECT_EQ(finder.seq(), 1);
  EXPECT_EQ(finder.value(), 30u);
  EXPECT_EQ(finder.measured(), 4);
}

// Every series lands in its row; the totals are the processes' sums.
TEST(BuildPeakTable, RowsAndTotals) {
  Sample s = Of({
      Process(1, 0,
              {Row(Series::kHeap, "", kRW, 1000, 900),
               Row(Series::kStack, "", kRW, 10, 10),
               Row(Series::kAnonMap, "", kRW, 200, 200, 40),
               Row(Series::kBinText, "/bin/app", kRX, 300, 150),
               Row(Series::kLibText, "/lib/c.so", kRX, 500, 100),
               Row(Series::kLibData, "/lib/c.so", kRW, 8, 8),
               Row(Series::kShm, "", kRWS, 400, 200),
               Row(Series::kShm, "/data/shared.bin", kRWS, 60, 30),
               Row(Series::kOther, "", kRX, 4, 0),
               Row(Series::kLibText, "", kRX, 7, 7)}),
      Process(2, 0,
              {Row(Series::kThreadStack, "", kRW, 16, 16),
               Row(Series::kLibText, "/lib/c.so", kRX, 500, 100),
               Row(Series::kLibText, "/lib/m.so", kRX, 300, 200)}),
  });
  PeakTable t = BuildPeakTable(s, PeakMeasure::kRss, std::nullopt);
  std::vector<PeakRow> want = {
      {PeakRowKind::kHeap, "heap", 1000, 900, 0},
      {PeakRowKind::kThreadStacks, "thread stacks", 16, 16, 0},
      {PeakRowKind::kAnonymous, "anonymous", 210, 210, 40},
      {PeakRowKind::kSharedMemory, "shared memory", 400, 200, 0},
      {PeakRowKind::kFile, "/lib/c.so", 1008, 208, 0},
      // Equal RSS: by path.
      {PeakRowKind::kFile, "/bin/app", 300, 150, 0},
      {PeakRowKind::kFile, "/lib/m.so", 300, 200, 0},
      {PeakRowKind::kFile, "/data/shared.bin", 60, 30, 0},
      // [vdso] and the library row without a path.
      {PeakRowKind::kOtherMappings, "other mappings", 11, 7, 0},
  };
  EXPECT_EQ(t.rows, want);
  EXPECT_EQ(t.total, (PeakRow{PeakRowKind::kTotal, "total", 3305, 1921, 40}));
  EXPECT_EQ(t.total.rss, s.processes[0].rss + s.processes[1].rss);
  EXPECT_EQ(t.total.pss, s.processes[0].PssTotal() + s.processes[1].PssTotal());
  EXPECT_EQ(t.processes, 2u);
  EXPECT_EQ(t.other_files, 0u);

  // By PSS, two files shown: /lib/c.so 208, /lib/m.so 200; /bin/app and
  // /data/shared.bin go to other mappings.
  t = BuildPeakTable(s, PeakMeasure::kPss, std::nullopt, 2);
  ASSERT_EQ(t.rows.size(), 7u);
  EXPECT_EQ(t.rows[4].name, "/lib/c.so");
  EXPECT_EQ(t.rows[5].name, "/lib/m.so");
  EXPECT_EQ(t.rows[6], (PeakRow{PeakRowKind::kOtherMappings, "other mappings",
                                11 + 300 + 60, 7 + 150 + 30, 0}));
  EXPECT_EQ(t.other_files, 2u);
  EXPECT_EQ(t.total.rss, 3305u);
  // uss orders files as pss does.
  EXPECT_EQ(BuildPeakTable(s, PeakMeasure::kUss, std::nullopt, 2).rows, t.rows);

  // One process: its rows only.
  t = BuildPeakTable(s, PeakMeasure::kRss, 2, 0);
  EXPECT_EQ(t.processes, 1u);
  EXPECT_EQ(t.other_files, 2u);
  EXPECT_EQ(t.total, (PeakRow{PeakRowKind::kTotal, "total", 816, 316, 0}));
  ASSERT_EQ(t.rows.size(), 5u);  // fixed rows present even when zero
  EXPECT_EQ(t.rows[0], (PeakRow{PeakRowKind::kHeap, "heap", 0, 0, 0}));
}

}  // namespace
}  // namespace memstats::profile
