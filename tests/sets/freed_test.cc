// FREED (GroupTotals::freed_*): what stopping a group frees, on synthetic
// records with a layout written out by hand. One page stands for 4 KiB.
#include <optional>
#include <string>
#include <vector>

#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/pagemap.h"
#include "sets/accounting.h"
#include "sets/page_catalog.h"
#include "test_util.h"

namespace memstats::sets {
namespace {

using scan::PfnRun;
using scan::ProcessRecord;
using scan::SysvSegment;
using scan::UnlinkedObject;
using testing::FakeProcSource;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kAnonFlags = (1ULL << scan::kKpfAnon) |
                                (1ULL << scan::kKpfSwapbacked);
constexpr uint64_t kShmemFlags = 1ULL << scan::kKpfSwapbacked;
constexpr uint64_t kFileFlags = 0;

scan::SegmentStore& Store() {
  static scan::SegmentStore store;
  return store;
}

void SetRange(FakeProcSource& src, uint64_t pfn, uint64_t n, uint64_t flags,
              uint64_t count) {
  for (uint64_t p = pfn; p < pfn + n; ++p) src.SetKpage(p, flags, count);
}

// Adds a mapping with `runs` present to `rec`; when `object` is given, a
// mapping of that unlinked object (added to rec.unlinked when new).
void Map(ProcessRecord& rec, std::vector<PfnRun> runs,
         const UnlinkedObject* object = nullptr) {
  const auto first = static_cast<uint32_t>(rec.segments.size());
  rec.segments.push_back(Store().Intern(runs));
  if (object == nullptr) return;
  uint32_t index = 0;
  while (index < rec.unlinked.size() && rec.unlinked[index] != *object) {
    ++index;
  }
  if (index == rec.unlinked.size()) rec.unlinked.push_back(*object);
  rec.unlinked_maps.push_back({index, first, first + 1});
}

const UnlinkedObject kBuf{50, "/memfd:buf (deleted)"};
const UnlinkedObject kBoth{51, "/memfd:both (deleted)"};
const UnlinkedObject kOut{52, "/memfd:out (deleted)"};
const UnlinkedObject kSeen{53, "/memfd:seen (deleted)"};
const UnlinkedObject kGone{60, "/dev/shm/gone (deleted)"};

// Group A: pids 1 and 2. Group B: pid 3.
//  - pid 1: 100 private anon pages, 30 file pages, swap entries 1, 2, 3
//    (its own) and 9 (also pid 3's); a linked /dev/shm file (10 pages,
//    mapped by it alone: shmem USS, not freed); memfd "out" (2 pages, held
//    by a process outside the scan); memfd "seen" (3 pages, one of them
//    mapped by an unscanned process); holds memfd "buf" by an fd.
//  - pid 2: memfd "buf" (20 pages), memfd "both" (5 pages, held by pid
//    3's fd).
//  - pids 1 and 2: deleted tmpfs file "gone" (8 pages, both map them).
//  - pid 3: 10 anon pages, swap entry 9, an fd on "both".
//  - SysV: 7 SHM_DEST attached by 1 and 2 (freed for A); 8 SHM_DEST
//    attached by 1 and 3; 9 attached by 2 only but not marked for removal.
class FreedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetRange(src_, 1000, 100, kAnonFlags, 1);
    SetRange(src_, 5000, 30, kFileFlags, 1);
    SetRange(src_, 4000, 10, kShmemFlags, 1);  // /dev/shm/seg, linked
    SetRange(src_, 3000, 20, kShmemFlags, 1);  // buf
    SetRange(src_, 3100, 5, kShmemFlags, 1);   // both
    SetRange(src_, 3200, 2, kShmemFlags, 1);   // out
    SetRange(src_, 3300, 3, kShmemFlags, 1);   // seen
    src_.SetKpage(3301, kShmemFlags, 2);       // ... and an unscanned mapper
    SetRange(src_, 4100, 8, kShmemFlags, 2);   // gone
    SetRange(src_, 2000, 10, kShmemFlags, 2);  // SysV 7
    SetRange(src_, 2100, 4, kShmemFlags, 2);   // SysV 8
    SetRange(src_, 2200, 2, kShmemFlags, 1);   // SysV 9
    SetRange(src_, 6000, 10, kAnonFlags, 1);

    ProcessRecord p1, p2, p3;
    p1.id.pid = 1;
    p2.id.pid = 2;
    p3.id.pid = 3;
    Map(p1, {{1000, 100}});
    Map(p1, {{5000, 30}});
    Map(p1, {{4000, 10}});
    Map(p1, {{3200, 2}}, &kOut);
    Map(p1, {{3300, 3}}, &kSeen);
    Map(p1, {{4100, 8}}, &kGone);
    Map(p1, {{2000, 10}});
    Map(p1, {{2100, 4}});
    p1.unlinked.push_back(kBuf);  // an fd, no mapping
    p1.swap = {1, 2, 3, 9};
    p1.sysv_shmids = {7, 8};
    p1.sysv_vmas = {1, 1};
    p1.vm_pte_bytes = 8192;

    Map(p2, {{3000, 20}}, &kBuf);
    Map(p2, {{3100, 5}}, &kBoth);
    Map(p2, {{4100, 8}}, &kGone);
    Map(p2, {{2000, 10}});
    Map(p2, {{2200, 2}});
    p2.sysv_shmids = {7, 9};
    p2.sysv_vmas = {1, 1};
    p2.vm_pte_bytes = 4096;

    Map(p3, {{6000, 10}});
    Map(p3, {{2100, 4}});
    p3.unlinked.push_back(kBoth);  // an fd
    p3.swap = {9};
    p3.sysv_shmids = {8};
    p3.sysv_vmas = {1};
    p3.vm_pte_bytes = 4096;
    recs_ = {p1, p2, p3};

    // {key, shmid, size, nattch, uid, rss, swap, mode}
    sysv_ = {{0, 7, 65536, 2, 0, 40960, 8192, 01600},
             {0, 8, 16384, 2, 0, 16384, 0, 01600},
             {9, 9, 8192, 1, 0, 8192, 0, 0600}};
    outside_ = {kOut};
  }

  std::vector<GroupTotals> Account(bool page_level,
                                   std::vector<uint32_t> group_of = {0, 0, 1},
                                   uint32_t groups = 2) {
    auto catalog = PageCatalog::Build(recs_, Store(), src_, nullptr);
    EXPECT_OK(catalog);
    SwapCatalog swap(recs_);
    auto out = AccountGroups(recs_, Store(), group_of, groups,
                             page_level ? &*catalog : nullptr, swap, sysv_,
                             nullptr, outside_, shmem_);
    EXPECT_OK(out);
    return *out;
  }

  FakeProcSource src_;
  std::vector<ProcessRecord> recs_;
  std::vector<SysvSegment> sysv_;
  std::vector<UnlinkedObject> outside_;
  std::vector<scan::ShmemObject> shmem_;  // sorted by key
};

// A shmem object of `key` whose swap (cachestat) is `swapped_pages`.
scan::ShmemObject Swapped(scan::ShmemKey key, scan::ShmemKind kind,
                          const std::string& path, uint64_t swapped_pages) {
  scan::ShmemUsage usage;
  usage.swapped = swapped_pages * kPage;
  return {key, kind, path, usage};
}

TEST_F(FreedTest, PartsOfEachGroup) {
  std::vector<GroupTotals> g = Account(true);
  const GroupTotals& a = g[0];
  EXPECT_EQ(a.uss_pages[0], 100u);  // anon USS
  EXPECT_EQ(a.swap_uss_pages, 3u);  // entry 9 is pid 3's too
  EXPECT_EQ(a.freed_sysv_segments, 1u);
  EXPECT_EQ(a.freed_sysv_rss_bytes, 40960u);
  EXPECT_EQ(a.freed_sysv_swap_bytes, 8192u);
  EXPECT_EQ(a.freed_unlinked_objects, 2u);  // buf, gone
  EXPECT_EQ(a.freed_unlinked_pages, 20u + 8u);
  EXPECT_EQ(a.freed_unlinked_swap_bytes, 0u);
  EXPECT_EQ(a.vm_pte_bytes, 12288u);
  EXPECT_EQ(a.uss_pages[2], 30u);  // file USS: stays in the page cache
  EXPECT_EQ(a.freed_bytes(kPage),
            (100 + 3 + 28) * kPage + 40960 + 8192 + 12288);
  // The shmem USS includes pages FREED leaves out (linked file, "out",
  // "both", SysV 9) and pages it takes from sysvipc instead (SysV 7).
  EXPECT_EQ(a.uss_pages[1], 10u + 20u + 5u + 2u + 8u + 10u + 2u + 2u);

  const GroupTotals& b = g[1];
  EXPECT_EQ(b.uss_pages[0], 10u);
  EXPECT_EQ(b.swap_uss_pages, 0u);
  EXPECT_EQ(b.freed_sysv_segments, 0u);
  EXPECT_EQ(b.freed_unlinked_objects, 0u);
  EXPECT_EQ(b.freed_bytes(kPage), 10 * kPage + 4096);
}

// The swap of a destroyed object (ShmemObject, matched by inode and path)
// is freed with it; the swap of an object that survives is not.
TEST_F(FreedTest, DestroyedObjectsBringTheirSwap) {
  using scan::ShmemKind;
  shmem_ = {Swapped({0, 1, 50}, ShmemKind::kMemfd, kBuf.path, 6),
            Swapped({0, 1, 51}, ShmemKind::kMemfd, kBoth.path, 7),
            Swapped({0, 1, 52}, ShmemKind::kMemfd, kOut.path, 9),
            {{0, 1, 53}, ShmemKind::kMemfd, kSeen.path, std::nullopt},
            // Same inode as buf on another device, another path: not buf.
            Swapped({0, 26, 50}, ShmemKind::kTmpfsFile,
                    "/dev/shm/other (deleted)", 100),
            Swapped({0, 26, 60}, ShmemKind::kTmpfsFile, kGone.path, 4)};
  std::vector<GroupTotals> g = Account(true);
  // A destroys buf (6 pages in swap) and gone (4); "both" is held by pid
  // 3's fd, "out" by a process outside the scan, "seen" by an unscanned
  // mapper (and its swap is unknown).
  EXPECT_EQ(g[0].freed_unlinked_objects, 2u);
  EXPECT_EQ(g[0].freed_unlinked_pages, 20u + 8u);
  EXPECT_EQ(g[0].freed_unlinked_swap_bytes, (6 + 4) * kPage);
  EXPECT_EQ(g[0].freed_bytes(kPage),
            (100 + 3 + 28) * kPage + 40960 + 8192 + (6 + 4) * kPage + 12288);
  EXPECT_EQ(g[1].freed_unlinked_swap_bytes, 0u);

  // As one group: "both" too.
  g = Account(true, {0, 0, 0}, 1);
  EXPECT_EQ(g[0].freed_unlinked_swap_bytes, (6 + 7 + 4) * kPage);

  // Without page-level data no object is known to be destroyed.
  EXPECT_EQ(Account(false)[0].freed_unlinked_swap_bytes, 0u);
}

// An object none of whose pages is in the members' page tables (all in
// swap) is not counted as destroyed, and so neither is its swap (README,
// FREED).
TEST_F(FreedTest, ObjectWhollyInSwapCountsNowhere) {
  const UnlinkedObject cold{54, "/memfd:cold (deleted)"};
  Map(recs_[1], {}, &cold);
  shmem_ = {Swapped({0, 1, 54}, scan::ShmemKind::kMemfd, cold.path, 5)};
  std::vector<GroupTotals> g = Account(true);
  EXPECT_EQ(g[0].freed_unlinked_objects, 2u);  // buf, gone
  EXPECT_EQ(g[0].freed_unlinked_swap_bytes, 0u);
}

TEST_F(FreedTest, OneGroupFreesWhatOnlyTheOutsideKept) {
  std::vector<GroupTotals> g = Account(true, {0, 0, 0}, 1);
  EXPECT_EQ(g[0].freed_sysv_segments, 2u);  // 7 and 8
  EXPECT_EQ(g[0].freed_sysv_rss_bytes, 40960u + 16384u);
  EXPECT_EQ(g[0].freed_unlinked_objects, 3u);  // buf, both, gone
  EXPECT_EQ(g[0].freed_unlinked_pages, 20u + 5u + 8u);
  EXPECT_EQ(g[0].swap_uss_pages, 4u);
}

TEST_F(FreedTest, FdOfUnknownInodeHoldsEveryObjectOfItsPath) {
  recs_[2].unlinked.push_back({0, kBuf.path});  // no "ino:" in fdinfo
  std::vector<GroupTotals> g = Account(true);
  EXPECT_EQ(g[0].freed_unlinked_objects, 1u);  // gone only
  EXPECT_EQ(g[0].freed_unlinked_pages, 8u);
  EXPECT_EQ(g[1].freed_unlinked_objects, 0u);
}

TEST_F(FreedTest, WithoutPageLevelOnlySysvAndPageTables) {
  std::vector<GroupTotals> g = Account(false);
  EXPECT_EQ(g[0].freed_sysv_rss_bytes, 40960u);
  EXPECT_EQ(g[0].freed_sysv_swap_bytes, 8192u);
  // Which objects are shared memory, and their pages, need kpageflags.
  EXPECT_EQ(g[0].freed_unlinked_objects, 0u);
  EXPECT_EQ(g[0].freed_unlinked_pages, 0u);
  EXPECT_EQ(g[0].vm_pte_bytes, 12288u);
}

// A deleted regular file (page cache, not shmem) and a memfd only held
// open are no shared memory the group's pages show: not counted.
TEST_F(FreedTest, ObjectsWithoutShmemPagesCountNowhere) {
  SetRange(src_, 7000, 4, kFileFlags, 1);
  const UnlinkedObject binary{70, "/usr/bin/old (deleted)"};
  Map(recs_[0], {{7000, 4}}, &binary);
  recs_[1].unlinked.push_back({71, "/memfd:idle (deleted)"});
  std::vector<GroupTotals> g = Account(true);
  EXPECT_EQ(g[0].freed_unlinked_objects, 2u);
  EXPECT_EQ(g[0].freed_unlinked_pages, 28u);
  EXPECT_EQ(g[0].uss_pages[2], 34u);  // the deleted file's pages: FILE_USS
}

TEST_F(FreedTest, SegmentAttachedTwiceByOneMemberNeedsBothVmas) {
  // nattch 3: pid 2 attaches segment 7 a second time, then a third VMA
  // nobody in the scan has.
  sysv_[0].nattch = 3;
  recs_[1].sysv_vmas = {2, 1};
  EXPECT_EQ(Account(true)[0].freed_sysv_segments, 1u);
  sysv_[0].nattch = 4;
  EXPECT_EQ(Account(true)[0].freed_sysv_segments, 0u);
}

}  // namespace
}  // namespace memstats::sets
