// PageCatalog: the distinct physical pages a scan saw, and what each one is.
//
// Built once per scan and shared by every split (read-only after Build, so
// safe to read from many threads). A PFN's position among the distinct PFNs
// (its index) is its rank in a bitmap over the PFN space, so consecutive
// PFNs of a run have consecutive indices and no hashing is needed. Memory:
// 12 bytes per 64 PFNs up to the highest PFN seen (bitmap and rank), plus
// five bytes per distinct page (its kind and flags, its mapcount and the
// references seen in 16 bits each, larger counts in a side table). The scanner leaves out PFNs at or past its
// limit (scan::PfnLimit: the end of RAM, else from MemTotal, never past
// scan::kMaxPhysPfn), so a garbage PFN cannot size the bitmap.
//
// For every distinct page it keeps:
//  - its kind, from /proc/kpageflags: anon (KPF_ANON), shmem (swap-backed
//    but not anon: shared anonymous, tmpfs, SysV, memfd), file (page cache),
//    hugetlb (KPF_HUGE without KPF_THP), or ignored (the zero page or huge
//    zero page, KPF_ZERO_PAGE; a PFN with no page, KPF_NOPAGE);
//  - whether KSM merged it (KPF_KSM): one page behind the page-table
//    entries of identical pages, in one process or many;
//  - for an anonymous page, whether it is also in the swap cache
//    (KPF_SWAPCACHE);
//  - whether a process outside the scanned set maps it: /proc/kpagecount
//    (the page's mapcount) exceeds the references the scan saw. A page
//    pagemap marked exclusively mapped (PM_MMAP_EXCLUSIVE, bit 56) in
//    every reference the scan saw needs no kpagecount read: the kernel
//    sets the bit when the page's mapcount is 1 (CONFIG_PAGE_MAPCOUNT, the
//    default: folio_precise_page_mapcount() == 1, the very count
//    kpagecount reports), or when its folio is mapped by one process only
//    (CONFIG_NO_PAGE_MAPCOUNT: !folio_maybe_mapped_shared()). Either way
//    no process outside the scan maps it, and its mapcount is the
//    references the scan saw (below: at least those), which for a page
//    read once is 1. Spans where every page is such are not read from
//    kpagecount; spans where besides every page was anonymous (pagemap
//    bit 61 clear) are not read from kpageflags either, on a machine with
//    no KSM, swap-cache or hugetlb page in use (ExclusiveAnonPagesArePlain
//    below): their kind is anon, with no other flag;
//  - how many references to it the scan saw;
//  - its share of PSS per reference, page_size / mapcount, in fixed point
//    (kPssShift bits, as the kernel's smaps does). The mapcount used is at
//    least the references seen, so a page unmapped between the pagemap and
//    kpagecount reads never counts more than once. For a transparent huge
//    page the kernel reports the folio's average mapcount, so PSS matches
//    smaps only up to that averaging.
#ifndef MEMSTATS_SETS_PAGE_CATALOG_H_
#define MEMSTATS_SETS_PAGE_CATALOG_H_

#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "scan/huge_page_allocator.h"
#include "scan/memory_budget.h"
#include "scan/pagemap.h"
#include "scan/proc_source.h"
#include "scan/process_record.h"
#include "scan/segment_store.h"

namespace memstats::sets {

enum class PageKind : uint8_t {
  kAnon = 0,
  kShmem = 1,
  kFile = 2,
  kHugetlb = 3,
  kIgnored = 4,
};
inline constexpr int kNumKinds = 4;  // kinds that are counted (not ignored)
inline constexpr int kPssShift = 12;

// Kind of a page from its kpageflags word.
PageKind KindFromFlags(uint64_t kpageflags);

// Per-page counts in 16 bits, the rare larger ones (a libc page mapped by
// more than 65,534 processes) in a side table: 2 bytes a page, not 4.
class PageCounts {
 public:
  static constexpr uint16_t kBig = 0xffff;

  void Assign(size_t n) { small_.assign(n, 0); }
  uint32_t Get(uint32_t i) const {
    const uint16_t v = small_[i];
    return v != kBig ? v : GetBig(i);
  }
  // Stores v when it fits in 16 bits; otherwise returns false and leaves
  // page i for Set. Pages apart may be stored from different threads.
  bool SetSmall(uint32_t i, uint64_t v) {
    if (v >= kBig) return false;
    small_[i] = static_cast<uint16_t>(v);
    return true;
  }
  // Not thread-safe. Values past 2^32 - 1 are kept as 2^32 - 1.
  void Set(uint32_t i, uint64_t v) {
    if (SetSmall(i, v)) return;
    small_[i] = kBig;
    big_[i] = static_cast<uint32_t>(std::min<uint64_t>(v, 0xffffffffu));
  }
  void Add(uint32_t i, uint64_t n) { Set(i, uint64_t{Get(i)} + n); }
  uint64_t bytes_used() const {
    return small_.capacity() * 2 + big_.capacity() * 12;
  }

 private:
  uint32_t GetBig(uint32_t i) const;  // out of line: rare

  scan::HugeVector<uint16_t> small_;
  absl::flat_hash_map<uint32_t, uint32_t> big_;
};

class PageCatalog {
 public:
  // Reads kpageflags and kpagecount for every distinct PFN in `records`,
  // in ranges, on `threads` threads. Fails with the ProcSource's error (e.g.
  // PermissionDenied without root) or ResourceExhausted when `budget` refuses.
  static absl::StatusOr<PageCatalog> Build(
      const std::vector<scan::ProcessRecord>& records,
      const scan::SegmentStore& segments, scan::ProcSource& source,
      scan::MemoryBudget* budget, int threads = 1);

  size_t size() const { return info_.size(); }

  // Whether one of the records given to Build references `pfn`.
  bool Contains(uint64_t pfn) const {
    return (pfn >> 6) < bits_.size() && Referenced(pfn);
  }

  // REQUIRES: pfn was referenced by one of the records given to Build.
  uint32_t IndexOf(uint64_t pfn) const {
    uint64_t w = pfn >> 6;
    uint64_t below = bits_[w] & ((uint64_t{1} << (pfn & 63)) - 1);
    return rank_[w] + static_cast<uint32_t>(std::popcount(below));
  }

  PageKind kind(uint32_t i) const {
    return static_cast<PageKind>(info_[i] & kKindMask);
  }
  bool mapped_outside(uint32_t i) const { return info_[i] & kOutsideBit; }
  // Mapped once in all the system (smaps counts it as Private).
  bool mapped_once(uint32_t i) const { return info_[i] & kOnceBit; }
  // A KSM page (KPF_KSM), and how many distinct ones the catalog holds.
  bool ksm(uint32_t i) const { return info_[i] & kKsmBit; }
  uint64_t ksm_pages() const { return ksm_pages_; }
  // Distinct pages whose kpageflags were not read: exclusive anonymous
  // pages while ExclusiveAnonPagesArePlain.
  uint64_t flags_implied() const { return flags_implied_; }
  // An anonymous page that is also in the swap cache (KPF_SWAPCACHE):
  // meminfo counts it in both AnonPages and SwapCached.
  bool anon_in_swap_cache(uint32_t i) const { return info_[i] & kSwapCacheBit; }
  // The page's mapcount: kpagecount, or the references the scan saw when
  // more (a page unmapped between the two reads counts once).
  uint32_t mapcount(uint32_t i) const { return mapcount_.Get(i); }
  // page_size / mapcount << kPssShift. A page mapped once (its info byte
  // says so) is whole without a look at the mapcounts.
  uint32_t pss_share(uint32_t i) const {
    constexpr uint32_t kWhole = static_cast<uint32_t>(scan::kPageSize)
                                << kPssShift;
    if (mapped_once(i)) return kWhole;
    const uint32_t n = mapcount(i);
    return n <= 1 ? kWhole : kWhole / n;
  }
  // References to page i among the records given to Build.
  uint32_t references(uint32_t i) const { return refs_.Get(i); }

  // Distinct pages left out: zero pages, and PFNs that name no page.
  uint64_t zero_pages() const { return zero_pages_; }
  uint64_t invalid_pfns() const { return invalid_pfns_; }

  uint64_t bytes_used() const {
    return bits_.capacity() * 8 + rank_.capacity() * 4 + info_.capacity() +
           mapcount_.bytes_used() + refs_.bytes_used();
  }

 private:
  bool Referenced(uint64_t pfn) const {
    return (bits_[pfn >> 6] >> (pfn & 63)) & 1;
  }

  static constexpr uint8_t kKindMask = 0x7;
  static constexpr uint8_t kOutsideBit = 0x80;
  static constexpr uint8_t kOnceBit = 0x40;
  static constexpr uint8_t kKsmBit = 0x20;
  static constexpr uint8_t kSwapCacheBit = 0x10;
  // While Build runs: every reference to the page was read exclusively
  // mapped (scan::SegmentStore::exclusive). Replaced by the page's info.
  static constexpr uint8_t kReadExclusiveBit = 0x08;
  // While Build runs: a reference to the page was in a segment read
  // exclusively mapped and anonymous (SegmentStore::exclusive_anon); one
  // was in another segment.
  static constexpr uint8_t kReadAnonBit = 0x04;
  static constexpr uint8_t kReadNotAnonBit = 0x02;

  // Whether every reference to page i was read exclusively mapped; and
  // besides, anonymous.
  bool ReadExclusive(uint32_t i) const { return info_[i] & kReadExclusiveBit; }
  bool ReadExclusiveAnon(uint32_t i) const {
    return (info_[i] & (kReadAnonBit | kReadNotAnonBit)) == kReadAnonBit;
  }


  // In huge pages where the kernel allows (scan/huge_page_allocator.h).
  scan::HugeVector<uint64_t> bits_;       // bit p set: PFN p is referenced
  scan::HugeVector<uint32_t> rank_;       // set bits in bits_[0..w)
  scan::HugeVector<uint8_t> info_;        // per distinct page: kind | flags
  PageCounts mapcount_;                   // per distinct page
  PageCounts refs_;                       // per distinct page
  uint64_t zero_pages_ = 0;
  uint64_t invalid_pfns_ = 0;
  uint64_t ksm_pages_ = 0;
  uint64_t flags_implied_ = 0;
};

// Whether a present page that pagemap marks exclusively mapped and not a
// file or shared page (bit 56 set, bit 61 clear) is, for the catalog, a
// plain anonymous page, so that its kpageflags need not be read. The
// kernel sets bit 61 exactly when the page's folio is not anonymous
// (fs/proc/task_mmu.c: !folio_test_anon), and bit 56 only for a page it
// found (never the zero page, never a PFN mapping). An anonymous folio is
// also a KSM page (KPF_KSM), a private hugetlb page (KPF_HUGE) or in the
// swap cache (KPF_SWAPCACHE), which the catalog tells apart; so true only
// when there are none: `source` knows no KSM page exists
// (ProcSource::NoKsmPages), and its meminfo shows SwapCached 0 and no
// hugetlb page in use (Hugetlb 0, or only default-size pools, all free).
bool ExclusiveAnonPagesArePlain(scan::ProcSource& source);

}  // namespace memstats::sets

#endif  // MEMSTATS_SETS_PAGE_CATALOG_H_
