// Accounting: per-group RSS, USS and swap from page lists, for one split.
//
// Cost: one pass over the segments each group references (a segment the
// group has already visited is skipped whole) plus one over the distinct
// pages, whatever the number of groups. Records are visited group by group;
// a per-page "last group" word tells whether this group has seen the page
// already (count it once for the group's RSS) and whether another group saw
// it before (then it is in no group's USS). There is no per-group set and
// no "union of the other groups" loop.
//
// A group of one process needs no per-group dedupe: sorting the process's
// runs (O(runs log runs)) finds the pages it maps more than once, and then
// its RSS is its references less those repeats, and its USS its references
// to pages mapped once in all the system plus the repeated pages that only
// it maps; the references are measured once per scan. A split where every
// group is one such process (--split-pids, --list-processes) visits no
// page at all. In other splits a single process without repeated pages
// still visits its pages, to take them out of the other groups' USS, but
// writes a page's word only while fewer than two groups have visited it.
//
// USS: a page is in group G's USS when only G's processes reference it among
// those scanned and no process outside the scan maps it (PageCatalog's
// mapped_outside, from kpagecount). Swap USS has no kernel count to compare
// with, so it means "referenced by no other scanned group".
#ifndef MEMSTATS_SETS_ACCOUNTING_H_
#define MEMSTATS_SETS_ACCOUNTING_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "scan/memory_budget.h"
#include "scan/parsers.h"
#include "scan/process_record.h"
#include "scan/shmem_object.h"
#include "sets/page_catalog.h"

namespace memstats::sets {

// Distinct swap entries of a scan (sorted), with an index like PageCatalog.
class SwapCatalog {
 public:
  explicit SwapCatalog(const std::vector<scan::ProcessRecord>& records);
  size_t size() const { return keys_.size(); }
  // REQUIRES: key was referenced by one of the records.
  uint32_t IndexOf(uint64_t key) const;

 private:
  std::vector<uint64_t> keys_;
};

// Numbers for one group, in pages where page-level, in bytes otherwise.
struct GroupTotals {
  uint64_t processes = 0;
  // Page-level (valid only when the report says page_level): indexed by
  // PageKind (anon, shmem, file, hugetlb).
  std::array<uint64_t, kNumKinds> rss_pages{};
  std::array<uint64_t, kNumKinds> uss_pages{};
  uint64_t swap_rss_pages = 0;
  uint64_t swap_uss_pages = 0;
  // Distinct KSM-merged pages the group maps (page-level; part of
  // rss_pages[kAnon]). smaps Rss counts such a page once per page-table
  // entry, RSS here once.
  uint64_t ksm_pages = 0;
  // PSS, and its anon/shmem/file parts. With page-level data it comes from
  // kpagecount (page_size / mapcount for every page a member maps);
  // without, from the members' smaps_rollup Pss, Pss_Anon, Pss_Shmem,
  // Pss_File.
  uint64_t pss_bytes = 0;
  std::array<uint64_t, 3> pss_kind_bytes{};
  // Sum of the members' own RSS, and of their pages mapped by nobody else
  // (smaps Private_*): from the page references, or from smaps.
  uint64_t rss_sum_bytes = 0;
  uint64_t private_sum_bytes = 0;
  // Only smaps_rollup gives SwapPss; read for processes that have swap.
  uint64_t swap_pss_bytes = 0;
  // SysV segments attached by any member, each counted once: their rss and
  // their swap (/proc/sysvipc/shm). Swapped shmem leaves no pagemap entry,
  // so for SysV memory this is the only account of its swap.
  uint64_t sysv_rss_bytes = 0;
  uint64_t sysv_swap_bytes = 0;
  // The other shmem objects (tmpfs and /dev/shm files, memfd, shared
  // anonymous memory) mapped by any member, each counted once: their pages
  // in swap (scan::ShmemObject, from cachestat). Like SysV swap, in no page
  // table and so in neither SHMEM nor SWAP.
  uint64_t shmem_swap_bytes = 0;
  uint64_t vm_pte_bytes = 0;  // page tables of the members

  // What stopping the group frees (README "FREED"), besides its anon USS,
  // swap USS and page tables. Shared memory counts only when the group's
  // exit destroys it:
  //  - SysV segments marked for removal (SHM_DEST) whose every attachment
  //    (nattch) is a member's: their rss and swap, /proc/sysvipc/shm;
  //  - unlinked objects (memfds, shared anonymous memory, deleted tmpfs
  //    files) that members map or hold open and nothing outside the group
  //    does: no other scanned process, no process the filter left out, no
  //    page-table entry of an unscanned process (kpagecount). Page-level
  //    only (0 without): the objects with shmem pages in the members' page
  //    tables, and their distinct shmem pages there.
  uint64_t freed_sysv_rss_bytes = 0;
  uint64_t freed_sysv_swap_bytes = 0;
  uint64_t freed_sysv_segments = 0;
  uint64_t freed_unlinked_objects = 0;
  uint64_t freed_unlinked_pages = 0;
  // The destroyed unlinked objects' swapped pages, which pagemap does not
  // show: their scan::ShmemObject swap (cachestat), matched by inode and
  // path. An object with no shmem page in the members' page tables (all
  // of it in swap) is not counted as destroyed, so neither is its swap.
  uint64_t freed_unlinked_swap_bytes = 0;

  // FREED in bytes. Meaningful only with page-level numbers (anon USS and
  // the unlinked objects' pages need them).
  uint64_t freed_bytes(uint64_t page_size) const {
    return (uss_pages[0] + swap_uss_pages + freed_unlinked_pages) * page_size +
           freed_sysv_rss_bytes + freed_sysv_swap_bytes +
           freed_unlinked_swap_bytes + vm_pte_bytes;
  }

  // RSS and USS over anon + shmem + file (hugetlb is reported apart, as
  // smaps does).
  uint64_t rss_total_pages() const {
    return rss_pages[0] + rss_pages[1] + rss_pages[2];
  }
  uint64_t uss_total_pages() const {
    return uss_pages[0] + uss_pages[1] + uss_pages[2];
  }
  // Swapped shared memory of every kind the group maps or attaches.
  uint64_t shm_swap_bytes() const { return sysv_swap_bytes + shmem_swap_bytes; }
};

// PageOwners' value for a page referenced by processes of two or more
// groups.
inline constexpr uint32_t kSharedPage = 0xffffffff;

// Accounts one scan's records for any number of splits.
//
// Thread safety: after construction Account() is const and may run for
// several splits at once. Construction measures each process once (PSS,
// references), in parallel on `threads` threads, so that a split only has to
// find which pages each group holds.
class Accountant {
 public:
  // `pages` may be null (PFNs hidden): page-level fields stay 0 and PSS
  // comes from the records' smaps. Everything passed must outlive this,
  // except `sysv`, `held_outside` and `shmem`, copied or indexed.
  // `held_outside`: unlinked objects held by processes left out of the
  // records (ScanResult::unlinked_held_outside); none of them is freed.
  // `shmem`: ScanResult::shmem_objects, the objects' swap.
  Accountant(const std::vector<scan::ProcessRecord>& records,
             const scan::SegmentStore& segments, const PageCatalog* pages,
             const SwapCatalog& swap,
             const std::vector<scan::SysvSegment>& sysv, int threads,
             const std::vector<scan::UnlinkedObject>& held_outside = {},
             std::span<const scan::ShmemObject> shmem = {});

  // Splits the records into `num_groups` groups; group_of[r] is the group
  // of records[r]. Fails only when `budget` refuses the per-page array.
  absl::StatusOr<std::vector<GroupTotals>> Account(
      const std::vector<uint32_t>& group_of, uint32_t num_groups,
      scan::MemoryBudget* budget) const;

  // For one split, who holds each distinct page of the catalog (indexed as
  // PageCatalog::IndexOf): the group whose processes alone reference it
  // among those scanned (it is in that group's RSS and no other's), or
  // kSharedPage. The same page walk as Account's, without its shortcuts.
  // Fails only when `budget` refuses the 4 bytes per page. REQUIRES: a
  // catalog (pages != null).
  absl::StatusOr<std::vector<uint32_t>> PageOwners(
      const std::vector<uint32_t>& group_of, uint32_t num_groups,
      scan::MemoryBudget* budget) const;

 private:
  // Per process, from its pages: PSS by kind (bytes), and by PageKind its
  // references and its references to pages mapped once in all the system.
  // When its pages are all distinct, these last two are its RSS and USS.
  struct Measured {
    std::array<uint64_t, 3> pss_bytes{};
    std::array<uint64_t, kNumKinds> refs{};
    std::array<uint64_t, kNumKinds> once{};
  };

  // A process's references to pages it references more than once, by
  // PageKind: `extra` references beyond the first, and `uss` such pages
  // that nothing else maps (all of the page's references are this
  // process's). Ignored pages count nowhere.
  struct Duplicates {
    std::array<uint64_t, kNumKinds> extra{};
    std::array<uint64_t, kNumKinds> uss{};
  };
  // Finds rec's duplicates by sorting its runs (O(runs log runs), in
  // `runs` and `dups`). When `bounded`, nullopt when too costly: too many
  // runs or duplicates, or runs too short for the sort to pay.
  std::optional<Duplicates> FindDuplicates(
      const scan::ProcessRecord& rec, std::vector<scan::PfnRun>& runs,
      std::vector<uint32_t>& dups, bool bounded) const;
  // Whether every record is alone in its group (out[g].processes).
  static bool EveryGroupSingle(const std::vector<uint32_t>& group_of,
                               const std::vector<GroupTotals>& out);

  // Page-level RSS and USS of every group into `out`, visiting records in
  // `order` (grouped by group_of). REQUIRES: pages_, and out[g].processes
  // filled in.
  void CountPages(const std::vector<uint32_t>& group_of,
                  const std::vector<uint32_t>& order,
                  std::vector<GroupTotals>& out) const;
  // Distinct KSM pages of every group into out[g].ksm_pages, visiting only
  // the segments that hold any. REQUIRES: pages_.
  void CountKsm(const std::vector<uint32_t>& group_of,
                const std::vector<uint32_t>& order,
                std::vector<GroupTotals>& out) const;

  // The unlinked objects' ids (see IndexUnlinked), and the FREED parts
  // that come from shared memory (accounting_freed.cc). `shmids` holds
  // (shmid, VMAs) pairs of the group, sorted.
  void IndexUnlinked(const std::vector<scan::UnlinkedObject>& held_outside,
                     std::span<const scan::ShmemObject> shmem);
  // What CountFreedUnlinked allocates.
  uint64_t UnlinkedBytes() const;
  void CountFreedSysv(std::vector<std::pair<int, uint32_t>>& shmids,
                      GroupTotals& t) const;
  void CountFreedUnlinked(const std::vector<uint32_t>& group_of,
                          const std::vector<uint32_t>& order,
                          std::vector<GroupTotals>& out) const;

  const std::vector<scan::ProcessRecord>& records_;
  const scan::SegmentStore& segments_;
  const PageCatalog* pages_;
  const SwapCatalog& swap_;
  struct SysvUse {
    uint64_t rss = 0;
    uint64_t swap = 0;
    int nattch = 0;
    bool marked_for_removal = false;
  };
  // Unlinked objects: per record, the id of each of its `unlinked`; per
  // id, the other ids it may be (same path, an inode unknown), and
  // whether a process left out of the records holds it, and whether its
  // inode is unknown.
  std::vector<std::vector<uint32_t>> unlinked_ids_;
  std::vector<std::vector<uint32_t>> unlinked_aliases_;
  std::vector<uint8_t> unlinked_outside_;
  std::vector<uint8_t> unlinked_unknown_;   // inode 0
  std::vector<uint64_t> unlinked_swap_;     // bytes, its ShmemObject's swap
  absl::flat_hash_map<int, SysvUse> sysv_;  // by shmid, in bytes
  absl::flat_hash_map<scan::ShmemKey, uint64_t> shmem_swap_;  // bytes
  std::vector<Measured> measured_;
  std::vector<uint8_t> segment_has_ksm_;  // by segment id; empty: no KSM
  // By segment id: whether every page of the segment is mapped once in
  // all the system (PageCatalog::mapped_once), and then its pages by
  // kind. Such a segment's pages are in its one process's group's RSS and
  // USS, whatever the split: a split adds them up without visiting a page.
  std::vector<uint8_t> once_only_;
  std::vector<std::array<uint16_t, kNumKinds>> once_only_pages_;
};

// One split with a one-off Accountant (tests, benchmarks).
absl::StatusOr<std::vector<GroupTotals>> AccountGroups(
    const std::vector<scan::ProcessRecord>& records,
    const scan::SegmentStore& segments,
    const std::vector<uint32_t>& group_of, uint32_t num_groups,
    const PageCatalog* pages, const SwapCatalog& swap,
    const std::vector<scan::SysvSegment>& sysv, scan::MemoryBudget* budget,
    const std::vector<scan::UnlinkedObject>& held_outside = {},
    std::span<const scan::ShmemObject> shmem = {});

}  // namespace memstats::sets

#endif  // MEMSTATS_SETS_ACCOUNTING_H_
