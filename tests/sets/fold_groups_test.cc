// --max-groups: BuildReport folds a split's smaller groups into one group
// "other", accounted as one group: its RSS is the union of its members'
// pages (pages two folded groups share count once), its USS the pages no
// process outside it maps.
#include <set>

#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/pagemap.h"
#include "sets/report.h"
#include "test_util.h"

namespace memstats::sets {
namespace {

using scan::PfnRun;
using testing::FakeProcSource;

constexpr uint64_t kAnonFlags = (1ULL << scan::kKpfAnon) |
                                (1ULL << scan::kKpfSwapbacked);

// Four processes, each its own group of the split "name":
//   big:   100 own pages
//   mid:    60 own pages
//   small1: 20 own pages + 30 pages shared with small2
//   small2: 10 own pages + the 30 shared
// and a fifth, "other", whose 5 pages nobody else maps.
class FoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scan_.segments = std::make_unique<scan::SegmentStore>();
    Add(1, "big", {{1000, 100}}, 1);
    Add(2, "mid", {{2000, 60}}, 1);
    Add(3, "small1", {{3000, 20}, {5000, 30}}, 1);
    Add(4, "small2", {{4000, 10}, {5000, 30}}, 1);
    Add(5, "other", {{6000, 5}}, 1);
    for (uint64_t p = 5000; p < 5030; ++p) src_.SetKpage(p, kAnonFlags, 2);
    grouping_.splitter = "name";
    for (size_t i = 0; i < names_.size(); ++i) {
      grouping_.names.push_back(names_[i]);
      grouping_.group_of.push_back(static_cast<uint32_t>(i));
    }
  }

  void Add(int pid, const std::string& name, std::vector<PfnRun> runs,
           uint64_t count) {
    scan::ProcessRecord r;
    r.id.pid = pid;
    r.segments.push_back(scan_.segments->Intern(runs));
    scan_.processes.push_back(std::move(r));
    scan_.parents[pid] = 1;
    names_.push_back(name);
    for (const PfnRun& run : runs) {
      for (uint64_t p = run.pfn; p < run.pfn + run.count; ++p) {
        src_.SetKpage(p, kAnonFlags, count);
      }
    }
  }

  Report Build(size_t max_groups) {
    absl::StatusOr<Report> r =
        BuildReport(scan_, {grouping_}, false, src_, nullptr, 1, max_groups);
    EXPECT_OK(r);
    return r.ok() ? *r : Report();
  }

  FakeProcSource src_;
  scan::ScanResult scan_;
  std::vector<std::string> names_;
  Grouping grouping_;
};

struct Row {
  std::string name;
  uint64_t processes, rss_pages, uss_pages;
  bool operator==(const Row&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Row& r) {
  return os << r.name << " procs=" << r.processes << " rss=" << r.rss_pages
            << " uss=" << r.uss_pages;
}

std::vector<Row> Rows(const Report& r) {
  std::vector<Row> rows;
  for (const GroupReport& g : r.splits.at(0).groups) {
    rows.push_back({g.name, g.totals.processes, g.totals.rss_total_pages(),
                    g.totals.uss_total_pages()});
  }
  return rows;
}

TEST_F(FoldTest, NoCapKeepsEveryGroup) {
  EXPECT_EQ(Rows(Build(0)), (std::vector<Row>{{"big", 1, 100, 100},
                                              {"mid", 1, 60, 60},
                                              {"small1", 1, 50, 20},
                                              {"small2", 1, 40, 10},
                                              {"other", 1, 5, 5}}));
  EXPECT_EQ(Rows(Build(5)), Rows(Build(0)));
}

TEST_F(FoldTest, FoldedGroupIsAUnionNotASum) {
  // Three series: big and mid keep their names; small1, small2 and the
  // group already called "other" become one group of 3 processes whose
  // RSS counts the 30 shared pages once: 20 + 10 + 30 + 5 = 65 (a sum of
  // RSS would say 95), all of it its own (USS 65, where the parts' USS
  // add up to 35).
  const Report r = Build(3);
  EXPECT_EQ(Rows(r), (std::vector<Row>{{"big", 1, 100, 100},
                                       {"other", 3, 65, 65},
                                       {"mid", 1, 60, 60}}));
  std::set<int> pids;
  for (const GroupReport& g : r.splits[0].groups) {
    if (g.name == "other") pids.insert(g.pids.begin(), g.pids.end());
  }
  EXPECT_EQ(pids, (std::set<int>{3, 4, 5}));
}

TEST_F(FoldTest, CapOfOneFoldsEverything) {
  EXPECT_EQ(Rows(Build(1)), (std::vector<Row>{{"other", 5, 225, 225}}));
}

TEST_F(FoldTest, FoldGroupsLeavesSmallSplitsAlone) {
  const Report r = Build(0);
  EXPECT_FALSE(FoldGroups(grouping_, r.splits[0], 5).has_value());
  EXPECT_FALSE(FoldGroups(grouping_, r.splits[0], 0).has_value());
  std::optional<Grouping> f = FoldGroups(grouping_, r.splits[0], 4);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->splitter, "name");
  EXPECT_EQ(f->names, (std::vector<std::string>{"big", "mid", "small1",
                                                "other"}));
  EXPECT_EQ(f->group_of, (std::vector<uint32_t>{0, 1, 2, 3, 3}));
}

}  // namespace
}  // namespace memstats::sets
