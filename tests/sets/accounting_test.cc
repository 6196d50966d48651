#include "sets/accounting.h"

#include <algorithm>
#include <array>
#include <map>
#include <ostream>
#include <random>
#include <set>

#include "absl/strings/str_replace.h"
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

// Single-process groups with long runs: their repeated pages are found by
// sorting their runs, without visiting pages.
TEST(AccountingTest, PagesMappedTwiceBySingleProcessesCountOnce) {
  FakeProcSource src;
  SetRange(src, 100, 64, kShmemFlags, 2);  // P1 maps 100-163 twice
  SetRange(src, 200, 64, kAnonFlags, 1);
  src.SetKpage(300, kShmemFlags, 3);  // P2 twice, and someone outside
  SetRange(src, 301, 63, kAnonFlags, 1);
  src.SetKpage(400, kShmemFlags, 3);  // P1 twice, P2 once
  SetRange(src, 401, 63, kFileFlags, 1);
  SetRange(src, 500, 64, kZeroFlags, 0);  // the huge zero page, twice
  ProcessRecord p1 = Rec(1, {{100, 64}, {200, 64}});
  p1.segments.push_back(Store().Intern(std::vector<PfnRun>{{100, 64}}));
  p1.segments.push_back(Store().Intern(std::vector<PfnRun>{{400, 64}}));
  p1.segments.push_back(
      Store().Intern(std::vector<PfnRun>{{400, 1}, {500, 64}, {500, 64}}));
  ProcessRecord p2 = Rec(2, {{300, 64}, {300, 1}, {400, 1}});
  Accounted a = Account({p1, p2}, {0, 1}, 2, src);
  const GroupTotals& g1 = a.groups[0];
  const GroupTotals& g2 = a.groups[1];
  EXPECT_EQ(g1.rss_pages, (std::array<uint64_t, kNumKinds>{64, 65, 63, 0}));
  EXPECT_EQ(g1.uss_pages, (std::array<uint64_t, kNumKinds>{64, 64, 63, 0}));
  EXPECT_EQ(g2.rss_pages, (std::array<uint64_t, kNumKinds>{63, 2, 0, 0}));
  EXPECT_EQ(g2.uss_pages, (std::array<uint64_t, kNumKinds>{63, 0, 0, 0}));
  // The same through the page visits of a split that needs them.
  Accounted b = Account({p1, p2, Rec(3, {})}, {0, 1, 1}, 2, src);
  EXPECT_EQ(b.groups[0].rss_pages, g1.rss_pages);
  EXPECT_EQ(b.groups[0].uss_pages, g1.uss_pages);
  EXPECT_EQ(b.groups[1].uss_pages, g2.uss_pages);
}

// Pages every read of which was exclusively mapped (pagemap bit 56): no
// kpagecount read, mapcount 1. Their kpagecount here says 5, which a read
// would have turned into "mapped outside" (out of USS); the pages read
// exclusive by two processes (the segment interned twice) are read.
TEST(AccountingTest, ExclusivePagesNeedNoKpagecount) {
  FakeProcSource src;
  SetRange(src, 900000, 8, kAnonFlags, 5);
  SetRange(src, 910000, 4, kAnonFlags, 2);
  SetRange(src, 920000, 2, kAnonFlags, 2);
  std::vector<ProcessRecord> recs(3);
  for (int i = 0; i < 3; ++i) recs[i].id.pid = 10 + i;
  const std::vector<PfnRun> alone = {{900000, 8}};
  const std::vector<PfnRun> plain = {{910000, 4}};
  const std::vector<PfnRun> both = {{920000, 2}};
  recs[0].segments = {Store().Intern(alone, true), Store().Intern(plain)};
  recs[1].segments = {Store().Intern(both, true)};
  recs[2].segments = {Store().Intern(both, true)};
  Accounted a = Account(recs, {0, 1, 2}, 3, src);
  for (const std::string& read : src.reads()) {
    EXPECT_NE(read, "kpagecount@900000") << read;
  }
  const std::vector<std::string> reads = src.reads();
  EXPECT_NE(std::find(reads.begin(), reads.end(), "kpageflags@900000"),
            reads.end());
  EXPECT_NE(std::find(reads.begin(), reads.end(), "kpagecount@910000"),
            reads.end());
  EXPECT_NE(std::find(reads.begin(), reads.end(), "kpagecount@920000"),
            reads.end());
  // Process 10: 8 + 4 pages, of which the 8 only it maps (the 4 are
  // mapped twice, once outside).
  EXPECT_EQ(a.groups[0].rss_pages[0], 12u);
  EXPECT_EQ(a.groups[0].uss_pages[0], 8u);
  const uint32_t i = a.catalog.IndexOf(900003);
  EXPECT_TRUE(a.catalog.mapped_once(i));
  EXPECT_FALSE(a.catalog.mapped_outside(i));
  EXPECT_EQ(a.catalog.pss_share(i), scan::kPageSize << kPssShift);
  // 11 and 12 share theirs: in both RSS, in neither USS.
  EXPECT_EQ(a.groups[1].rss_pages[0], 2u);
  EXPECT_EQ(a.groups[1].uss_pages[0], 0u);
  EXPECT_EQ(a.catalog.pss_share(a.catalog.IndexOf(920000)),
            (scan::kPageSize << kPssShift) / 2);
}

// meminfo of a machine with no page in the swap cache and no hugetlb page.
const std::string kPlain =
    "MemTotal: 1000 kB\nSwapCached: 0 kB\nHugePages_Total: 0\n"
    "HugePages_Free: 0\nHugepagesize: 2048 kB\nHugetlb: 0 kB\n";

// Pages every read of which was exclusively mapped and anonymous (bit 56
// set, bit 61 clear), on a machine with no KSM page, no page in the swap
// cache and no hugetlb page in use: neither kpageflags nor kpagecount is
// read; they are anonymous pages mapped once. Their kpageflags here say
// "file" and kpagecount 5, which a read would have believed. Pages read
// exclusive but of a file, or exclusive anonymous by two processes, are
// read. Each condition the machine fails makes the catalog read them all.
TEST(AccountingTest, ExclusiveAnonPagesNeedNoKpageflags) {
  struct Machine {
    const char* name;
    bool no_ksm;
    std::string meminfo;
    bool implied;
  };
  const Machine machines[] = {
      {"plain", true, kPlain, true},
      {"KSM pages, or cannot tell", false, kPlain, false},
      {"a page in the swap cache", true,
       absl::StrReplaceAll(kPlain, {{"SwapCached: 0", "SwapCached: 4"}}),
       false},
      {"a default-size huge page in use", true,
       absl::StrReplaceAll(kPlain, {{"HugePages_Total: 0", "HugePages_Total: 2"},
                                    {"Hugetlb: 0", "Hugetlb: 4096"},
                                    {"HugePages_Free: 0", "HugePages_Free: 1"}}),
       false},
      {"a default-size pool, all free", true,
       absl::StrReplaceAll(kPlain, {{"HugePages_Total: 0", "HugePages_Total: 2"},
                                    {"Hugetlb: 0", "Hugetlb: 4096"},
                                    {"HugePages_Free: 0", "HugePages_Free: 2"}}),
       true},
      {"a pool of another size (1 GiB)", true,
       absl::StrReplaceAll(kPlain, {{"Hugetlb: 0", "Hugetlb: 1048576"}}),
       false},
      {"no Hugetlb line (before 4.16)", true,
       absl::StrReplaceAll(kPlain, {{"Hugetlb: 0 kB\n", ""}}), false},
  };
  for (const Machine& m : machines) {
    SCOPED_TRACE(m.name);
    FakeProcSource src;
    src.SetNoKsmPages(m.no_ksm);
    src.SetSystemFile("meminfo", m.meminfo);
    EXPECT_EQ(ExclusiveAnonPagesArePlain(src), m.implied);
    SetRange(src, 900000, 8, kFileFlags, 5);
    SetRange(src, 910000, 4, kFileFlags, 1);
    SetRange(src, 920000, 2, kAnonFlags, 2);
    std::vector<ProcessRecord> recs(3);
    for (int i = 0; i < 3; ++i) recs[i].id.pid = 10 + i;
    const std::vector<PfnRun> anon = {{900000, 8}};
    const std::vector<PfnRun> file = {{910000, 4}};
    const std::vector<PfnRun> both = {{920000, 2}};
    scan::SegmentStore store;
    recs[0].segments = {store.Intern(anon, true, true),
                        store.Intern(file, true, false)};
    recs[1].segments = {store.Intern(both, true, true)};
    recs[2].segments = {store.Intern(both, true, true)};
    auto c = PageCatalog::Build(recs, store, src, nullptr);
    ASSERT_OK(c);
    const std::vector<std::string> reads = src.reads();
    auto read = [&reads](const std::string& what) {
      return std::find(reads.begin(), reads.end(), what) != reads.end();
    };
    EXPECT_EQ(read("kpageflags@900000"), !m.implied);
    EXPECT_FALSE(read("kpagecount@900000"));  // exclusive either way
    EXPECT_TRUE(read("kpageflags@910000"));
    EXPECT_TRUE(read("kpageflags@920000"));
    EXPECT_TRUE(read("kpagecount@920000"));
    EXPECT_EQ(c->flags_implied(), m.implied ? 8u : 0u);
    const uint32_t i = c->IndexOf(900003);
    EXPECT_EQ(c->kind(i), m.implied ? PageKind::kAnon : PageKind::kFile);
    EXPECT_TRUE(c->mapped_once(i));
    EXPECT_FALSE(c->mapped_outside(i));
    EXPECT_FALSE(c->ksm(i));
    EXPECT_FALSE(c->anon_in_swap_cache(i));
    EXPECT_EQ(c->kind(c->IndexOf(910001)), PageKind::kFile);
    EXPECT_EQ(c->kind(c->IndexOf(920001)), PageKind::kAnon);
    EXPECT_EQ(c->mapcount(c->IndexOf(920001)), 2u);
  }
}

// Pages of solo segments (read exclusively mapped, by one record) take
// their references (one) and read bits from the segment, in PFN order. A
// page that moved between two processes' reads can sit in two exclusive
// segments, or in an exclusive and a shared one: then it is referenced
// twice, and so mapped twice, never once in each.
TEST(AccountingTest, SoloSegmentsAndAPageInTwoOfThem) {
  struct Case {
    const char* name;
    std::vector<PfnRun> second;  // the other record's segment
    bool second_exclusive;
  };
  for (const Case& k :
       {Case{"apart", {{960000, 2}}, true},
        Case{"two exclusive segments", {{950003, 2}}, true},
        Case{"an exclusive and a shared one", {{950003, 2}}, false}}) {
    SCOPED_TRACE(k.name);
    FakeProcSource src;
    src.SetNoKsmPages(true);
    src.SetSystemFile("meminfo", kPlain);
    SetRange(src, 950000, 8, kAnonFlags, 1);
    SetRange(src, 960000, 2, kAnonFlags, 1);
    std::vector<ProcessRecord> recs(2);
    scan::SegmentStore store;
    recs[0].segments = {
        store.Intern(std::vector<PfnRun>{{950000, 4}}, true, true)};
    recs[1].segments = {store.Intern(k.second, k.second_exclusive, true)};
    auto c = PageCatalog::Build(recs, store, src, nullptr);
    ASSERT_OK(c);
    const bool twice = k.second.front().pfn == 950003;
    const uint32_t lone = c->IndexOf(950001), shared = c->IndexOf(950003);
    EXPECT_EQ(c->references(lone), 1u);
    EXPECT_TRUE(c->mapped_once(lone));
    EXPECT_EQ(c->kind(lone), PageKind::kAnon);
    EXPECT_EQ(c->references(shared), twice ? 2u : 1u);
    EXPECT_EQ(c->mapped_once(shared), !twice);
    EXPECT_EQ(c->mapcount(shared), twice ? 2u : 1u);
    EXPECT_EQ(c->kind(shared), PageKind::kAnon);
    const uint32_t last = c->IndexOf(k.second.back().pfn + 1);
    EXPECT_EQ(c->references(last), 1u);
    EXPECT_TRUE(c->mapped_once(last));
  }
}

// Counts past 16 bits (a page mapped by 70,000 processes) go to the side
// table and come back whole; PSS shares divide by them.
TEST(AccountingTest, PageCountsPast16Bits) {
  PageCounts counts;
  counts.Assign(3);
  counts.Add(0, 65534);
  EXPECT_EQ(counts.Get(0), 65534u);
  counts.Add(0, 1);
  EXPECT_EQ(counts.Get(0), 65535u);
  counts.Add(0, 4465);
  EXPECT_EQ(counts.Get(0), 70000u);
  EXPECT_TRUE(counts.SetSmall(1, 7));
  EXPECT_FALSE(counts.SetSmall(1, 70000));
  EXPECT_EQ(counts.Get(1), 7u);
  counts.Set(2, uint64_t{1} << 40);
  EXPECT_EQ(counts.Get(2), 0xffffffffu);

  FakeProcSource src;
  SetRange(src, 930000, 2, kFileFlags, 70000);
  std::vector<ProcessRecord> recs = {Rec(20, {{930000, 2}})};
  Accounted a = Account(recs, {0}, 1, src);
  const uint32_t i = a.catalog.IndexOf(930001);
  EXPECT_EQ(a.catalog.mapcount(i), 70000u);
  EXPECT_EQ(a.catalog.pss_share(i), (scan::kPageSize << kPssShift) / 70000);
  EXPECT_TRUE(a.catalog.mapped_outside(i));
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

// Swapped tmpfs/memfd/shared anonymous objects: each object's swap once per
// group that maps it (however many members map it, in however many
// mappings), once in the totals, nothing for an object whose swap is
// unknown or not in the scan's objects.
TEST(AccountingTest, ShmemSwapCountsEachObjectOncePerGroup) {
  FakeProcSource src;
  std::vector<ProcessRecord> recs = {Rec(1, {}), Rec(2, {}), Rec(3, {})};
  const scan::ShmemKey memfd{0, 1, 10}, file{0, 26, 20}, unknown{0, 1, 30},
      absent{0, 1, 40};
  auto ref = [](scan::ShmemKey k) {
    return scan::ShmemMapRef{k, scan::ShmemKind::kMemfd, 0x1000, 0x2000, ""};
  };
  recs[0].shmem_maps = {ref(memfd), ref(file)};
  recs[1].shmem_maps = {ref(memfd), ref(unknown), ref(absent)};
  recs[2].shmem_maps = {ref(file)};
  scan::ShmemUsage memfd_use, file_use;
  memfd_use.swapped = 5 * 4096;
  file_use.swapped = 3 * 4096;
  const std::vector<scan::ShmemObject> objects = {
      {memfd, scan::ShmemKind::kMemfd, "/memfd:m (deleted)", memfd_use},
      {file, scan::ShmemKind::kTmpfsFile, "/dev/shm/f", file_use},
      {unknown, scan::ShmemKind::kMemfd, "/memfd:u (deleted)", std::nullopt}};
  SwapCatalog swap(recs);
  auto groups = AccountGroups(recs, Store(), {0, 0, 1}, 2, nullptr, swap, {},
                              nullptr, {}, objects);
  ASSERT_OK(groups);
  EXPECT_EQ((*groups)[0].shmem_swap_bytes, (5u + 3u) * 4096);
  EXPECT_EQ((*groups)[1].shmem_swap_bytes, 3u * 4096);
  EXPECT_EQ((*groups)[0].sysv_swap_bytes, 0u);
  EXPECT_EQ((*groups)[0].shm_swap_bytes(), (5u + 3u) * 4096);
  auto all = AccountGroups(recs, Store(), {0, 0, 0}, 1, nullptr, swap, {},
                           nullptr, {}, objects);
  ASSERT_OK(all);
  EXPECT_EQ((*all)[0].shmem_swap_bytes, (5u + 3u) * 4096);
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

// A naive model: per group, std::set unions and differences, per kind.
// The real accounting must agree with it for any grouping.
struct Naive {
  std::vector<std::array<uint64_t, kNumKinds>> rss, uss;
  std::vector<uint64_t> swap_rss, swap_uss;
};
Naive NaiveAccount(const std::vector<ProcessRecord>& recs,
                   const std::vector<uint32_t>& group_of, uint32_t n,
                   const std::map<uint64_t, uint64_t>& mapcount,
                   const std::map<uint64_t, PageKind>& kinds) {
  std::vector<std::set<uint64_t>> sets(n), swaps(n);
  std::map<uint64_t, uint64_t> refs;
  for (size_t r = 0; r < recs.size(); ++r) {
    for (const auto& run : scan::ExpandPages(Store(), recs[r])) {
      for (uint64_t p = run.pfn; p < run.pfn + run.count; ++p) {
        sets[group_of[r]].insert(p);
        ++refs[p];
      }
    }
    swaps[group_of[r]].insert(recs[r].swap.begin(), recs[r].swap.end());
  }
  auto elsewhere = [n](const std::vector<std::set<uint64_t>>& s, uint32_t g,
                       uint64_t key) {
    for (uint32_t h = 0; h < n; ++h) {
      if (h != g && s[h].count(key)) return true;
    }
    return false;
  };
  Naive out{std::vector<std::array<uint64_t, kNumKinds>>(n),
            std::vector<std::array<uint64_t, kNumKinds>>(n),
            std::vector<uint64_t>(n), std::vector<uint64_t>(n)};
  for (uint32_t g = 0; g < n; ++g) {
    for (uint64_t p : sets[g]) {
      const int kind = static_cast<int>(kinds.at(p));
      if (kind >= kNumKinds) continue;  // ignored
      ++out.rss[g][kind];
      if (!elsewhere(sets, g, p) && mapcount.at(p) <= refs[p]) {
        ++out.uss[g][kind];
      }
    }
    out.swap_rss[g] = swaps[g].size();
    for (uint64_t e : swaps[g]) out.swap_uss[g] += !elsewhere(swaps, g, e);
  }
  return out;
}

// How the random records are made and grouped.
struct RandomCase {
  const char* name;
  uint32_t groups;      // records are spread over this many groups ...
  uint32_t singles;     // ... except the first `singles`, alone in a group
  uint64_t max_run;     // runs of 1 to max_run pages
  int dup_percent;      // segments that map one of their pages twice
  bool disjoint = false;  // a record's runs in distinct 64-page blocks
  // Each record also maps a segment of pages of its own (past the shared
  // PFNs): mapped once in all the system unless some of them are mapped
  // outside, which the split adds up without visiting them.
  bool private_pages = false;
};

std::ostream& operator<<(std::ostream& os, const RandomCase& c) {
  return os << c.name;
}

// PageOwners: P1's 40 pages are group 0's, P2's 10 group 1's, the 100
// both map are shared; with both in one group, all 150 are its. A page P1
// maps twice (2000 again) is still P1's alone; the groups' order of
// records does not matter (P2 listed in group 0).
TEST_F(P1P2Test, PageOwnersSaysWhoHoldsEachPage) {
  const std::vector<PfnRun> again = {{2000, 1}};
  recs_[0].segments.push_back(Store().Intern(again));
  auto catalog = PageCatalog::Build(recs_, Store(), src_, nullptr);
  ASSERT_OK(catalog);
  SwapCatalog swap(recs_);
  Accountant accountant(recs_, Store(), &*catalog, swap, {}, 1);
  auto owner_of = [&](const std::vector<uint32_t>& owners, uint64_t pfn) {
    return owners[catalog->IndexOf(pfn)];
  };
  auto split = accountant.PageOwners({1, 0}, 2, nullptr);
  ASSERT_OK(split);
  ASSERT_EQ(split->size(), 150u);
  std::map<uint32_t, uint64_t> pages;
  for (uint32_t o : *split) ++pages[o];
  EXPECT_EQ(pages, (std::map<uint32_t, uint64_t>{
                       {0, 10}, {1, 40}, {kSharedPage, 100}}));
  EXPECT_EQ(owner_of(*split, 1000), kSharedPage);
  EXPECT_EQ(owner_of(*split, 2000), 1u);
  EXPECT_EQ(owner_of(*split, 3009), 0u);
  auto one = accountant.PageOwners({0, 0}, 1, nullptr);
  ASSERT_OK(one);
  EXPECT_TRUE(std::all_of(one->begin(), one->end(),
                          [](uint32_t o) { return o == 0; }));
  scan::MemoryBudget tight(1, 0);
  EXPECT_TRUE(absl::IsResourceExhausted(
      accountant.PageOwners({0, 1}, 2, &tight).status()));
}

class RandomAccountingTest : public ::testing::TestWithParam<RandomCase> {};

// 1000 records of 1 to 3 segments each over 5000 PFNs of every kind (anon,
// shmem, file, hugetlb, zero pages), a fifth of them also mapped outside
// the scan, and some swap entries.
TEST_P(RandomAccountingTest, AgreesWithNaiveSets) {
  const RandomCase& c = GetParam();
  std::mt19937 rng(c.groups * 31 + c.singles + c.max_run);
  FakeProcSource src;
  std::map<uint64_t, uint64_t> mapcount;
  std::map<uint64_t, PageKind> kinds;
  const uint64_t kPfns = 5000;
  const uint32_t n = c.singles + c.groups;
  std::vector<ProcessRecord> recs;
  std::vector<uint32_t> group_of;
  std::map<uint64_t, uint64_t> refs;
  for (int pid = 1; pid <= 1000; ++pid) {
    ProcessRecord rec;
    rec.id.pid = pid;
    const int segs = 1 + rng() % 3;
    std::set<uint64_t> blocks;  // with c.disjoint: blocks the record uses
    for (int s = 0; s < segs; ++s) {
      std::vector<PfnRun> runs;
      for (int k = 0; k < 3; ++k) {
        uint64_t start = rng() % kPfns;
        uint64_t len = 1 + rng() % c.max_run;
        if (c.disjoint) {
          uint64_t block = rng() % (kPfns / 64);
          while (!blocks.insert(block).second) block = rng() % (kPfns / 64);
          start = block * 64 + rng() % 8;
          len = std::min<uint64_t>(len, 56);
        }
        if (start + len > kPfns) len = kPfns - start;
        runs.push_back({start, len});
      }
      if (static_cast<int>(rng() % 100) < c.dup_percent) {
        runs.push_back({runs[0].pfn, 1});  // a page mapped twice
      }
      for (const PfnRun& run : runs) {
        for (uint64_t p = run.pfn; p < run.pfn + run.count; ++p) ++refs[p];
      }
      rec.segments.push_back(Store().Intern(runs));
    }
    if (c.private_pages) {
      const std::vector<PfnRun> own = {
          {kPfns + 64 * static_cast<uint64_t>(pid), 1 + rng() % 60}};
      for (uint64_t p = own[0].pfn; p < own[0].pfn + own[0].count; ++p) {
        ++refs[p];
      }
      rec.segments.push_back(Store().Intern(own));
    }
    for (int k = rng() % 3; k > 0; --k) rec.swap.push_back(rng() % 3000);
    std::sort(rec.swap.begin(), rec.swap.end());
    recs.push_back(std::move(rec));
    const uint32_t r = static_cast<uint32_t>(recs.size() - 1);
    group_of.push_back(r < c.singles ? r : c.singles + rng() % c.groups);
  }
  const uint64_t kFlags[] = {kAnonFlags, kShmemFlags, kFileFlags,
                             kHugetlbFlags, kZeroFlags};
  for (auto [pfn, count] : refs) {
    const uint64_t flags = kFlags[(pfn / 64) % 5];  // kinds in stretches
    count += rng() % 5 == 0 ? 1 : 0;                // some mapped outside
    mapcount[pfn] = count;
    kinds[pfn] = KindFromFlags(flags);
    src.SetKpage(pfn, flags, count);
  }
  Accounted a = Account(recs, group_of, n, src);
  Naive naive = NaiveAccount(recs, group_of, n, mapcount, kinds);
  uint64_t uss_sum = 0;
  for (uint32_t g = 0; g < n; ++g) {
    EXPECT_EQ(a.groups[g].rss_pages, naive.rss[g]) << "group " << g;
    EXPECT_EQ(a.groups[g].uss_pages, naive.uss[g]) << "group " << g;
    EXPECT_EQ(a.groups[g].swap_rss_pages, naive.swap_rss[g]) << "group " << g;
    EXPECT_EQ(a.groups[g].swap_uss_pages, naive.swap_uss[g]) << "group " << g;
    EXPECT_LE(a.groups[g].uss_total_pages(), a.groups[g].rss_total_pages());
    uss_sum += a.groups[g].uss_total_pages();
  }
  EXPECT_LE(uss_sum, refs.size());  // sum of USS <= union RSS
}

// KSM: page 5000 is one merged page behind 3 entries of P1, 2 of P2 and 1
// of P3 (kpagecount 6); 5001 is merged within P1 alone (2 entries, count 2);
// 6000 is an ordinary anon page of P1. A group's RSS and its ksm count
// each merged page once; USS keeps 5001 for P1 (only P1 maps it).
class KsmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetRange(src_, 5000, 1, kKsmFlags, 6);
    SetRange(src_, 5001, 1, kKsmFlags, 2);
    SetRange(src_, 6000, 1, kAnonFlags, 1);
    recs_.push_back(Rec(1, {{5000, 1}, {5001, 1}, {5000, 1}, {5001, 1},
                            {5000, 1}, {6000, 1}}));
    recs_.push_back(Rec(2, {{5000, 1}, {5000, 1}}));
    recs_.push_back(Rec(3, {{5000, 1}}));
  }
  static constexpr uint64_t kKsmFlags = kAnonFlags | (1ULL << scan::kKpfKsm);
  FakeProcSource src_;
  std::vector<ProcessRecord> recs_;
};

TEST_F(KsmTest, EachProcessAlone) {
  Accounted a = Account(recs_, {0, 1, 2}, 3, src_);
  EXPECT_EQ(a.catalog.ksm_pages(), 2u);
  EXPECT_EQ(a.groups[0].rss_pages[0], 3u);  // 5000, 5001, 6000
  EXPECT_EQ(a.groups[0].ksm_pages, 2u);
  EXPECT_EQ(a.groups[0].uss_pages[0], 2u);  // 5001, 6000
  EXPECT_EQ(a.groups[1].rss_pages[0], 1u);
  EXPECT_EQ(a.groups[1].ksm_pages, 1u);
  EXPECT_EQ(a.groups[1].uss_pages[0], 0u);
  EXPECT_EQ(a.groups[2].ksm_pages, 1u);
  // PSS: 4096/6 per entry of 5000 (12-bit fixed point, rounded down per
  // page), 4096/2 per entry of 5001, 4096 for 6000; smaps Rss would say
  // 6 pages for P1.
  const uint64_t share = (4096 << kPssShift) / 6;
  EXPECT_EQ(a.groups[0].pss_bytes,
            (3 * share + 2 * (2048 << kPssShift) + (4096 << kPssShift)) >>
                kPssShift);
  EXPECT_EQ(a.groups[0].rss_sum_bytes, 6u * 4096);
}

TEST_F(KsmTest, GroupsOfSeveralProcessesAndTheWhole) {
  Accounted a = Account(recs_, {0, 0, 1}, 2, src_);
  EXPECT_EQ(a.groups[0].rss_pages[0], 3u);
  EXPECT_EQ(a.groups[0].ksm_pages, 2u);
  EXPECT_EQ(a.groups[0].uss_pages[0], 2u);  // P3 maps 5000 too
  EXPECT_EQ(a.groups[1].rss_pages[0], 1u);
  EXPECT_EQ(a.groups[1].ksm_pages, 1u);
  Accounted all = Account(recs_, {0, 0, 0}, 1, src_);
  EXPECT_EQ(all.groups[0].rss_pages[0], 3u);
  EXPECT_EQ(all.groups[0].ksm_pages, 2u);
  EXPECT_EQ(all.groups[0].uss_pages[0], 3u);
}

// Without KSM pages the catalog has none and no group counts any.
TEST_F(P1P2Test, NoKsmPages) {
  Accounted a = Account(recs_, {0, 1}, 2, src_);
  EXPECT_EQ(a.catalog.ksm_pages(), 0u);
  EXPECT_EQ(a.groups[0].ksm_pages, 0u);
  EXPECT_EQ(a.groups[1].ksm_pages, 0u);
}

// Runs of up to 8 pages leave some records too fragmented for the sort
// when groups of several processes exist (then they visit pages); when
// every group is one process the sort has no limit and no page is visited.
INSTANTIATE_TEST_SUITE_P(
    Groupings, RandomAccountingTest,
    ::testing::Values(
        RandomCase{"OneGroup", 1, 0, 8, 5}, RandomCase{"TwoGroups", 2, 0, 8, 5},
        RandomCase{"TenGroups", 10, 0, 8, 5},
        RandomCase{"ThousandGroups", 1000, 0, 8, 5},
        // Every record alone: the split that visits no page ...
        RandomCase{"AllSinglesDistinct", 0, 1000, 64, 0, true},
        // ... also when records map a page twice or are fragmented.
        RandomCase{"AllSinglesOverlappingRuns", 0, 1000, 64, 0},
        RandomCase{"AllSinglesSomeDuplicates", 0, 1000, 64, 2, true},
        RandomCase{"AllSinglesShortRuns", 0, 1000, 8, 0},
        // Singles sharing pages with groups of several processes.
        RandomCase{"SinglesAndGroups", 5, 500, 64, 0, true},
        RandomCase{"SinglesAndGroupsDuplicates", 5, 500, 64, 3},
        RandomCase{"ManySmallGroups", 400, 200, 64, 1, true},
        // Pages of their own beside the shared ones, in groups and alone.
        RandomCase{"PrivatePagesTenGroups", 10, 0, 8, 5, false, true},
        RandomCase{"PrivatePagesSinglesAndGroups", 5, 500, 64, 3, false,
                   true}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace memstats::sets
