// top's columns from the profile fixture (tests/fixtures/profile, whose
// generator's docstring lists every mapping's Pss), and the group sums,
// ordering and --top-pct folding.
#include "profile/top_table.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scan/proc_source.h"
#include "scan/scanner.h"
#include "splitters/splitter.h"
#include "test_util.h"

namespace memstats::profile {
namespace {

constexpr uint64_t kKiB = 1024;

// The fixture scanned as top scans it: no pages, full smaps, rollups.
scan::ScanResult ScanProfileFixture() {
  auto source = scan::NewLiveProcSource(MEMSTATS_FIXTURES_DIR "/profile");
  EXPECT_TRUE(source.ok());
  scan::ScanOptions o;
  o.threads = 2;  // the TSan run checks the parallel scan here
  o.read_pages = false;
  o.read_smaps = true;
  o.mapping_detail = scan::ScanOptions::MappingDetail::kCategories;
  auto r = scan::Scan(**source, o,
                      [](const scan::ProcessIdentity&, const scan::ParentMap&) {
                        return true;
                      });
  EXPECT_TRUE(r.ok()) << r.status();
  return std::move(*r);
}

TopFigures Kib(uint64_t pswap, uint64_t shsysv, uint64_t shoth, uint64_t stack,
               uint64_t text, uint64_t data, uint64_t anon, uint64_t hugetlb,
               uint64_t ptotal, uint64_t pss) {
  return {pswap * kKiB,  shsysv * kKiB, shoth * kKiB, stack * kKiB,
          text * kKiB,   data * kKiB,   anon * kKiB,  hugetlb * kKiB,
          ptotal * kKiB, pss * kKiB};
}

TEST(TopTableTest, EveryFixtureProcessAddsUpExactlyToItsSmapsPss) {
  scan::ScanResult r = ScanProfileFixture();
  // Derived from make_profile_fixtures.py (kB):
  // 100: text = python3.11 r--p 200 + r-xp 1200 + r--p 300 + libc r--p 40
  //      + r-xp 300 + r--p 16 + r--p 16 + [vdso] 2 = 2074; data = heap 5000
  //      + python rw-p 256 + libc rw-p 8 = 5264; stack = 132 + thread 40;
  //      anon = arena 20000 + unknown thread stack 36; SysV 2048;
  //      /dev/shm 512. Sum 30106. SwapPss 1000.
  // 200: text = nginx 128+500+100 + old.log 20 + perf_event r--s 4 + libc
  //      372 + vdso 2 = 1126; data = 2000 + 64 + 8; shOth = /dev/zero 256
  //      + memfd 1024. Sum 4610.
  // 201: text = 728 + 20 + 372 + 2 = 1122; data = 3000 + 72; anon 1000;
  //      shOth 1280. Sum 6606.
  // 300: text = bash 192+800+100 + 372 + 2 = 1466; data = 1200 + 48 + 8;
  //      stack 124; SwapPss 40 + 8; hugetlb 4096 (not in ptotal). Sum 2846.
  // 400: text = 1700 + 372 + 2 = 2074; data = 800 + 264; stack 132. 3270.
  const std::map<int, TopFigures> want = {
      {100, Kib(1000, 2048, 512, 172, 2074, 5264, 20036, 0, 30106, 30106)},
      {200, Kib(0, 0, 1280, 132, 1126, 2072, 0, 0, 4610, 4610)},
      {201, Kib(0, 0, 1280, 132, 1122, 3072, 1000, 0, 6606, 6606)},
      {300, Kib(48, 0, 0, 124, 1466, 1256, 0, 4096, 2846, 2846)},
      {400, Kib(0, 0, 0, 132, 2074, 1064, 0, 0, 3270, 3270)},
  };
  ASSERT_EQ(r.processes.size(), want.size());
  for (const scan::ProcessRecord& rec : r.processes) {
    SCOPED_TRACE(rec.id.pid);
    TopFigures f = ProcessFigures(rec);
    EXPECT_EQ(f, want.at(rec.id.pid));
    // The invariant of the issue: the ptotal columns are the smaps Pss sum,
    // and the rollup agrees; SwapPss is apart.
    EXPECT_EQ(f.ptotal, rec.usage_pss);
    EXPECT_EQ(f.stack + f.data + f.text + f.anon + f.shsysv + f.shoth,
              rec.usage_pss);
    EXPECT_EQ(f.pss, rec.smaps.pss);
  }
}

TEST(TopTableTest, SumGroupsByTopExeKey) {
  scan::ScanResult r = ScanProfileFixture();
  auto splitter = splitters::NewTopExeSplitter();
  sets::Grouping g = splitters::Split(*splitter, r.processes, r.parents);
  std::vector<TopGroup> groups = SumGroups(r.processes, g);
  SortGroups(groups, TopColumn::kPtotal);
  ASSERT_EQ(groups.size(), 4u);
  // nginx = 200 + 201: 4610 + 6606 = 11216 kB.
  EXPECT_EQ(groups[0].key, "python3->backup.py");
  EXPECT_EQ(groups[1].key, "nginx");
  EXPECT_EQ(groups[1].processes, 2);
  EXPECT_EQ(groups[1].pid, 200);
  EXPECT_EQ(groups[1].figures,
            Kib(0, 0, 2560, 264, 2248, 5144, 1000, 0, 11216, 11216));
  EXPECT_EQ(groups[2].key, "python3");
  EXPECT_EQ(groups[3].key, "bash");
  TopGroup total = TotalOf(groups, std::nullopt);
  // All five: Pss 47438 kB, SwapPss 1048 kB, hugetlb 4096 kB.
  EXPECT_EQ(total.figures.ptotal, 47438 * kKiB);
  EXPECT_EQ(total.figures.pss, 47438 * kKiB);
  EXPECT_EQ(total.figures.pswap, 1048 * kKiB);
  EXPECT_EQ(total.figures.hugetlb, 4096 * kKiB);
  EXPECT_EQ(total.processes, 5);
}

TopGroup Group(std::string key, uint64_t ptotal, int procs = 1, int pid = 1) {
  TopGroup g;
  g.key = std::move(key);
  g.figures.ptotal = ptotal;
  g.figures.pss = ptotal;
  g.processes = procs;
  g.pid = pid;
  return g;
}

std::vector<std::string> Keys(const std::vector<TopGroup>& gs) {
  std::vector<std::string> keys;
  for (const TopGroup& g : gs) keys.push_back(g.key);
  return keys;
}

TEST(TopTableTest, SortByColumnThenKey) {
  std::vector<TopGroup> gs = {Group("b", 10, 3), Group("a", 10, 1),
                              Group("c", 30, 2)};
  SortGroups(gs, TopColumn::kPtotal);
  EXPECT_EQ(Keys(gs), (std::vector<std::string>{"c", "a", "b"}));
  SortGroups(gs, TopColumn::kCount);
  EXPECT_EQ(Keys(gs), (std::vector<std::string>{"b", "c", "a"}));
  SortGroups(gs, TopColumn::kPtotal, /*by_key=*/true);
  EXPECT_EQ(Keys(gs), (std::vector<std::string>{"a", "b", "c"}));
  // Pids and uids as numbers: 33 before 100 before 65534.
  std::vector<TopGroup> ids = {Group("65534", 1), Group("100", 1),
                               Group("33", 1), Group("x1", 1)};
  SortGroups(ids, TopColumn::kPtotal, /*by_key=*/true);
  EXPECT_EQ(Keys(ids), (std::vector<std::string>{"33", "100", "65534", "x1"}));
}

TEST(TopTableTest, FoldBelowTopPct) {
  // Whole 100. 90%: a (50) kept (0 before), b (30) kept (50 < 90), c (15)
  // kept (80 < 90), d (5) folded (95 >= 90).
  std::vector<TopGroup> gs = {Group("d", 5, 1, 40), Group("a", 50, 1, 10),
                              Group("c", 15, 2, 30), Group("b", 30, 1, 20)};
  Folded f = FoldBelowTopPct(gs, 90);
  EXPECT_EQ(Keys(f.kept), (std::vector<std::string>{"a", "c", "b"}));
  ASSERT_TRUE(f.others.has_value());
  EXPECT_EQ(f.others->key, "others");
  EXPECT_EQ(f.others->folded_groups, 1);
  EXPECT_EQ(f.others->figures.ptotal, 5u);
  EXPECT_EQ(f.others->pid, 40);

  // 50%: a alone makes 50 of 100: b, c and d fold (50 >= 50).
  f = FoldBelowTopPct(gs, 50);
  EXPECT_EQ(Keys(f.kept), (std::vector<std::string>{"a"}));
  ASSERT_TRUE(f.others.has_value());
  EXPECT_EQ(f.others->folded_groups, 3);
  EXPECT_EQ(f.others->processes, 4);
  EXPECT_EQ(f.others->figures.ptotal, 50u);
  EXPECT_EQ(f.others->pid, 20);
  TopGroup total = TotalOf(f.kept, f.others);
  EXPECT_EQ(total.figures.ptotal, 100u);
  EXPECT_EQ(total.processes, 5);

  // 100%: nothing folds, even groups of 0.
  gs.push_back(Group("z", 0));
  f = FoldBelowTopPct(gs, 100);
  EXPECT_EQ(f.kept.size(), 5u);
  EXPECT_FALSE(f.others.has_value());
}

TEST(TopTableTest, FoldKeepsAtLeastTheLargestGroup) {
  Folded f = FoldBelowTopPct({Group("a", 0), Group("b", 0)}, 10);
  EXPECT_EQ(Keys(f.kept), (std::vector<std::string>{"a"}));
  ASSERT_TRUE(f.others.has_value());
  EXPECT_EQ(f.others->folded_groups, 1);
}

TEST(TopTableTest, ColumnNamesRoundTrip) {
  for (TopColumn c : {TopColumn::kPswap, TopColumn::kShSysv, TopColumn::kShOth,
                      TopColumn::kStack, TopColumn::kText, TopColumn::kData,
                      TopColumn::kAnon, TopColumn::kHugetlb, TopColumn::kPtotal,
                      TopColumn::kPss, TopColumn::kCount}) {
    EXPECT_EQ(ParseTopColumn(TopColumnName(c)), c);
  }
  EXPECT_EQ(ParseTopColumn("PSS"), std::nullopt);
  EXPECT_EQ(ParseTopColumn("shsysv"), std::nullopt);
  EXPECT_EQ(ParseTopColumn(""), std::nullopt);
}

}  // namespace
}  // namespace memstats::profile
