#include "sets/accounting.h"

#include <map>
#include <random>
#include <set>

#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/pagemap.h"
#include "sets/page_catalog.h"
#include "test_util.h"

namespace memstats::sets {
namespace {

using scan::PfnRun;
using scan::ProcessRecord;
using testing::FakeProcSource;

constexpr uint64_t kAnonFlags = (1ULL << scan::kKpfAnon) |
                                (1ULL << scan::kKpfSwapbacked);
constexpr uint64_t kShmemFlags = 1ULL << scan::kKpfSwapbacked;
constexpr uint64_t kFileFlags = 0;
constexpr uint64_t kZeroFlags = 1ULL << scan::kKpfZeroPage;
constexpr uint64_t kHugetlbFlags = (1ULL << scan::kKpfHuge) |
                                   (1ULL << scan::kKpfCompoundHead);

// One store for the whole test binary: catalogs and accountants look only
// at the segments their records reference.
scan::SegmentStore& Store() {
  static scan::SegmentStore store;
  return store;
}

// A record whose pages are `pages`, as one segment.
ProcessRecord Rec(int pid, std::vector<PfnRun> pages,
                  std::vector<uint64_t> swap = {}) {
  ProcessRecord r;
  r.id.pid = pid;
  if (!pages.empty()) r.segments.push_back(Store().Intern(pages));
  r.swap = std::move(swap);
  return r;
}

void SetRange(FakeProcSource& src, uint64_t pfn, uint64_t n, uint64_t flags,
              uint64_t count) {
  for (uint64_t p = pfn; p < pfn + n; ++p) src.SetKpage(p, flags, count);
}

struct Accounted {
  std::vector<GroupTotals> groups;
  PageCatalog catalog;
};

Accounted Account(const std::vector<ProcessRecord>& recs,
                  const std::vector<uint32_t>& group_of, uint32_t n,
                  FakeProcSource& src) {
  auto catalog = PageCatalog::Build(recs, Store(), src, nullptr);
  EXPECT_OK(catalog);
  SwapCatalog swap(recs);
  auto groups = AccountGroups(recs, Store(), group_of, n, &*catalog, swap, {},
                              nullptr);
  EXPECT_OK(groups);
  return {*groups, std::move(*catalog)};
}

// DESIGN.md's example, one page standing for 1 MB: P1 and P2 share 100
// pages, P1 has 40 of its own and P2 10.
class P1P2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    SetRange(src_, 1000, 100, kShmemFlags, 2);
    SetRange(src_, 2000, 40, kAnonFlags, 1);
    SetRange(src_, 3000, 10, kAnonFlags, 1);
    recs_.push_back(Rec(1, {{1000, 100}, {2000, 40}}));
    recs_.push_back(Rec(2, {{1000, 100}, {3000, 10}}));
  }
  FakeProcSource src_;
  std::vector<ProcessRecord> recs_;
};

TEST_F(P1P2Test, OneGroupHoldsEveryPageOnce) {
  Accounted a = Account(recs_, {0, 0}, 1, src_);
  EXPECT_EQ(a.groups[0].rss_total_pages(), 150u);
  EXPECT_EQ(a.groups[0].uss_total_pages(), 150u);
  EXPECT_EQ(a.groups[0].rss_pages[0], 50u);   // anon
  EXPECT_EQ(a.groups[0].rss_pages[1], 100u);  // shmem
  EXPECT_EQ(a.groups[0].rss_pages[2], 0u);    // file
  EXPECT_EQ(a.groups[0].processes, 2u);
}

TEST_F(P1P2Test, SplitKeepsSharedPagesOutOfBothUss) {
  Accounted a = Account(recs_, {0, 1}, 2, src_);
  EXPECT_EQ(a.groups[0].rss_total_pages(), 140u);
  EXPECT_EQ(a.groups[0].uss_total_pages(), 40u);
  EXPECT_EQ(a.groups[1].rss_total_pages(), 110u);
  EXPECT_EQ(a.groups[1].uss_total_pages(), 10u);
  EXPECT_EQ(a.groups[0].uss_pages[1], 0u);  // no shmem is private
}

TEST_F(P1P2Test, PageMappedOutsideTheScanIsInNobodysUss) {
  SetRange(src_, 1000, 100, kShmemFlags, 3);  // a third, unscanned mapper
  Accounted a = Account(recs_, {0, 0}, 1, src_);
  EXPECT_EQ(a.groups[0].rss_total_pages(), 150u);
  EXPECT_EQ(a.groups[0].uss_total_pages(), 50u);
}

TEST_F(P1P2Test, GroupOrderDoesNotMatter) {
  Accounted a = Account(recs_, {1, 0}, 2, src_);
  EXPECT_EQ(a.groups[1].uss_total_pages(), 40u);
  EXPECT_EQ(a.groups[0].uss_total_pages(), 10u);
}

TEST(AccountingTest, TwoMappingsOfOnePageInOneProcessAreStillUss) {
  FakeProcSource src;
  src.SetKpage(10, kShmemFlags, 2);  // mapped twice by the same process
  std::vector<ProcessRecord> recs = {Rec(1, {{10, 1}, {10, 1}})};
  Accounted a = Account(recs, {0}, 1, src);
  EXPECT_EQ(a.groups[0].rss_total_pages(), 1u);
  EXPECT_EQ(a.groups[0].uss_total_pages(), 1u);
}

TEST(AccountingTest, ZeroPagesAndMissingPagesCountNothing) {
  FakeProcSource src;
  src.SetKpage(5, kZeroFlags, 0);
  SetRange(src, 100, 4, kAnonFlags, 1);
  // PFN 7000 has no kpageflags entry: reads as NOPAGE.
  std::vector<ProcessRecord> recs = {Rec(1, {{5, 1}, {5, 1}, {100, 4}}),
                                     Rec(2, {{5, 1}, {7000, 1}})};
  Accounted a = Account(recs, {0, 1}, 2, src);
  EXPECT_EQ(a.groups[0].rss_total_pages(), 4u);
  EXPECT_EQ(a.groups[0].uss_total_pages(), 4u);
  EXPECT_EQ(a.groups[1].rss_total_pages(), 0u);
  EXPECT_EQ(a.catalog.zero_pages(), 1u);
  EXPECT_EQ(a.catalog.invalid_pfns(), 1u);
}

TEST(AccountingTest, HugePagesCountAsBasePagesAndHugetlbApart) {
  FakeProcSource src;
  SetRange(src, 512, 512, kAnonFlags | (1ULL << scan::kKpfThp), 1);
  SetRange(src, 4096, 512, kHugetlbFlags, 1);
  std::vector<ProcessRecord> recs = {Rec(1, {{512, 512}, {4096, 512}})};
  Accounted a = Account(recs, {0}, 1, src);
  EXPECT_EQ(a.groups[0].rss_total_pages(), 512u);
  EXPECT_EQ(a.groups[0].rss_pages[3], 512u);  // hugetlb
}

TEST(AccountingTest, SwapEntriesFollowTheSameSetAlgebra) {
  FakeProcSource src;
  std::vector<ProcessRecord> recs = {Rec(1, {}, {7, 8}), Rec(2, {}, {8, 9}),
                                     Rec(3, {}, {9})};
  Accounted a = Account(recs, {0, 0, 1}, 2, src);
  EXPECT_EQ(a.groups[0].swap_rss_pages, 3u);  // 7, 8, 9
  EXPECT_EQ(a.groups[0].swap_uss_pages, 2u);  // 7, 8 (9 is shared)
  EXPECT_EQ(a.groups[1].swap_rss_pages, 1u);
  EXPECT_EQ(a.groups[1].swap_uss_pages, 0u);
}

TEST(AccountingTest, SysvSegmentsCountOncePerGroup) {
  FakeProcSource src;
  std::vector<ProcessRecord> recs = {Rec(1, {}), Rec(2, {}), Rec(3, {})};
  recs[0].sysv_shmids = {4};
  recs[1].sysv_shmids = {4, 5};
  std::vector<scan::SysvSegment> sysv = {{0, 4, 8192, 2, 0, 8192, 0},
                                         {0, 5, 4096, 1, 0, 4096, 0}};
  SwapCatalog swap(recs);
  auto groups =
      AccountGroups(recs, Store(), {0, 0, 1}, 2, nullptr, swap, sysv, nullptr);
  ASSERT_OK(groups);
  EXPECT_EQ((*groups)[0].sysv_rss_bytes, 8192u + 4096u);
  EXPECT_EQ((*groups)[1].sysv_rss_bytes, 0u);
}

TEST(AccountingTest, BudgetRefusalIsResourceExhausted) {
  FakeProcSource src;
  SetRange(src, 0, 64, kAnonFlags, 1);
  std::vector<ProcessRecord> recs = {Rec(1, {{1, 63}})};
  scan::MemoryBudget tiny(16);
  auto catalog = PageCatalog::Build(recs, Store(), src, &tiny);
  EXPECT_TRUE(absl::IsResourceExhausted(catalog.status()));
}

TEST(AccountingTest, UnreadableKpageflagsIsPermissionDenied) {
  FakeProcSource src;
  src.DenyKpage();
  std::vector<ProcessRecord> recs = {Rec(1, {{1, 1}})};
  auto catalog = PageCatalog::Build(recs, Store(), src, nullptr);
  EXPECT_TRUE(absl::IsPermissionDenied(catalog.status()));
}

// A naive model: per group, std::set unions and differences. The real
// accounting must agree with it for any number of groups.
struct Naive {
  std::vector<uint64_t> rss, uss;
};
Naive NaiveAccount(const std::vector<ProcessRecord>& recs,
                   const std::vector<uint32_t>& group_of, uint32_t n,
                   const std::map<uint64_t, uint64_t>& mapcount) {
  std::vector<std::set<uint64_t>> sets(n);
  std::map<uint64_t, uint64_t> refs;
  for (size_t r = 0; r < recs.size(); ++r) {
    for (const auto& run : scan::ExpandPages(Store(), recs[r])) {
      for (uint64_t p = run.pfn; p < run.pfn + run.count; ++p) {
        sets[group_of[r]].insert(p);
        ++refs[p];
      }
    }
  }
  Naive out{std::vector<uint64_t>(n), std::vector<uint64_t>(n)};
  for (uint32_t g = 0; g < n; ++g) {
    out.rss[g] = sets[g].size();
    for (uint64_t p : sets[g]) {
      bool elsewhere = false;
      for (uint32_t h = 0; h < n && !elsewhere; ++h) {
        elsewhere = h != g && sets[h].count(p);
      }
      if (!elsewhere && mapcount.at(p) <= refs[p]) ++out.uss[g];
    }
  }
  return out;
}

class RandomAccountingTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(RandomAccountingTest, AgreesWithNaiveSets) {
  const uint32_t groups = GetParam();
  std::mt19937 rng(groups);
  FakeProcSource src;
  std::map<uint64_t, uint64_t> mapcount;
  const uint64_t kPfns = 5000;
  std::vector<ProcessRecord> recs;
  std::vector<uint32_t> group_of;
  std::map<uint64_t, uint64_t> refs;
  for (int pid = 1; pid <= 1000; ++pid) {
    std::vector<PfnRun> runs;
    for (int k = 0; k < 3; ++k) {
      uint64_t start = rng() % kPfns;
      uint64_t len = 1 + rng() % 8;
      if (start + len > kPfns) len = kPfns - start;
      runs.push_back({start, len});
      for (uint64_t p = start; p < start + len; ++p) ++refs[p];
    }
    recs.push_back(Rec(pid, runs));
    group_of.push_back(rng() % groups);
  }
  for (auto [pfn, n] : refs) {
    uint64_t count = n + (rng() % 5 == 0 ? 1 : 0);  // some mapped outside
    mapcount[pfn] = count;
    src.SetKpage(pfn, kAnonFlags, count);
  }
  Accounted a = Account(recs, group_of, groups, src);
  Naive naive = NaiveAccount(recs, group_of, groups, mapcount);
  uint64_t uss_sum = 0;
  for (uint32_t g = 0; g < groups; ++g) {
    EXPECT_EQ(a.groups[g].rss_total_pages(), naive.rss[g]) << "group " << g;
    EXPECT_EQ(a.groups[g].uss_total_pages(), naive.uss[g]) << "group " << g;
    EXPECT_LE(a.groups[g].uss_total_pages(), a.groups[g].rss_total_pages());
    uss_sum += a.groups[g].uss_total_pages();
  }
  EXPECT_LE(uss_sum, refs.size());  // sum of USS <= union RSS
}

INSTANTIATE_TEST_SUITE_P(GroupCounts, RandomAccountingTest,
                         ::testing::Values(1u, 2u, 10u, 1000u));

}  // namespace
}  // namespace memstats::sets
