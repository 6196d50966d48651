// The -k rule and the round-to-round diff of loop mode.
#include "profile/top_change.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace memstats::profile {
namespace {

TEST(TopChangeTest, ChangeRuleTable) {
  struct Case {
    int64_t change_bytes;
    int64_t k_kib;
    bool passes;
  };
  const Case cases[] = {
      // k > 0: grew by at least k KiB.
      {100 * 1024, 100, true},
      {100 * 1024 - 1, 100, false},
      {500 * 1024, 100, true},
      {-500 * 1024, 100, false},  // shrinking never passes a positive k
      {0, 1, false},
      {1024, 1, true},
      // k < 0: changed by at least |k| KiB either way.
      {500 * 1024, -500, true},
      {-500 * 1024, -500, true},
      {-500 * 1024 + 1, -500, false},
      {500 * 1024 - 1, -500, false},
      {-4 << 20, -500, true},
      // k = 0: |change| >= 0, every group.
      {0, 0, true},
      {-1, 0, true},
      {1, 0, true},
      {INT64_MIN, -1, true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(PassesChangeRule(c.change_bytes, c.k_kib), c.passes)
        << "change " << c.change_bytes << " k " << c.k_kib;
  }
}

TEST(TopChangeTest, SumRollupsAddsPssAndSwapPss) {
  std::vector<scan::ProcessRecord> recs(3);
  recs[0].smaps.pss = 100;
  recs[0].smaps.swap_pss = 7;
  recs[0].smaps.pss_anon = 50;  // a part of Pss: never added
  recs[1].smaps.pss = 20;
  recs[2].smaps.pss = 1;
  sets::Grouping g;
  g.names = {"x", "y"};
  g.group_of = {0, 1, 0};
  GroupRollups sums = SumRollups(recs, g);
  EXPECT_EQ(sums.size(), 2u);
  EXPECT_EQ(sums["x"], 108u);  // 100 + 7 + 1
  EXPECT_EQ(sums["y"], 20u);
}

std::vector<std::string> Keys(const std::vector<ChangedGroup>& cs) {
  std::vector<std::string> keys;
  for (const ChangedGroup& c : cs) keys.push_back(c.key);
  return keys;
}

TEST(TopChangeTest, SelectChangedGrewByK) {
  const GroupRollups prev = {{"grew", 1000 << 10},
                             {"shrank", 1000 << 10},
                             {"flat", 10 << 10},
                             {"small", 10 << 10},
                             {"gone", 300 << 10}};
  const GroupRollups now = {{"grew", 1100 << 10},
                            {"shrank", 400 << 10},
                            {"flat", 10 << 10},
                            {"small", 60 << 10},
                            {"new", 5 << 10}};
  // -k 100: grew (+100 KiB) and the new group.
  ChangedGroups c = SelectChanged(prev, now, 100);
  EXPECT_EQ(Keys(c.shown), (std::vector<std::string>{"grew", "new"}));
  EXPECT_EQ(c.shown[0].change, 100 << 10);
  EXPECT_FALSE(c.shown[0].is_new);
  EXPECT_TRUE(c.shown[1].is_new);
  EXPECT_TRUE(c.gone.empty());  // -300 KiB is no growth
  EXPECT_TRUE(c.Shows("grew"));
  EXPECT_FALSE(c.Shows("small"));

  // -k -500: shrank (-600 KiB), new; gone (-300 KiB) is below 500.
  c = SelectChanged(prev, now, -500);
  EXPECT_EQ(Keys(c.shown), (std::vector<std::string>{"new", "shrank"}));
  EXPECT_EQ(c.shown[1].change, -(600 << 10));
  EXPECT_TRUE(c.gone.empty());

  // -k -50: grew, new, shrank, small (+50 KiB); gone.
  c = SelectChanged(prev, now, -50);
  EXPECT_EQ(Keys(c.shown),
            (std::vector<std::string>{"grew", "new", "shrank", "small"}));
  EXPECT_EQ(Keys(c.gone), (std::vector<std::string>{"gone"}));
  EXPECT_EQ(c.gone[0].change, -(300 << 10));

  // No -k: everything, with changes.
  c = SelectChanged(prev, now, std::nullopt);
  EXPECT_EQ(Keys(c.shown), (std::vector<std::string>{"flat", "grew", "new",
                                                     "shrank", "small"}));
  EXPECT_EQ(c.shown[0].change, 0);
  EXPECT_EQ(Keys(c.gone), (std::vector<std::string>{"gone"}));
}

TEST(TopChangeTest, ApplyChangesKeepsShownRowsAndAddsGoneOnes) {
  ChangedGroups c;
  c.shown = {{"a", false, -4096}, {"n", true, 8192}};
  c.gone = {{"g", false, -300}};
  std::vector<TopGroup> rows(3);
  rows[0].key = "n";
  rows[0].processes = 1;
  rows[1].key = "skipped";
  rows[2].key = "a";
  rows[2].processes = 2;
  std::vector<TopGroup> out = ApplyChanges(rows, c);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].key, "n");
  EXPECT_TRUE(out[0].is_new);
  EXPECT_EQ(out[0].change, 8192);
  EXPECT_EQ(out[1].key, "a");
  EXPECT_FALSE(out[1].is_new);
  EXPECT_EQ(out[1].change, -4096);
  EXPECT_EQ(out[1].processes, 2);
  EXPECT_EQ(out[2].key, "g");
  EXPECT_TRUE(out[2].gone);
  EXPECT_EQ(out[2].change, -300);
  EXPECT_EQ(out[2].processes, 0);
  EXPECT_EQ(out[2].figures, TopFigures{});
}

}  // namespace
}  // namespace memstats::profile
