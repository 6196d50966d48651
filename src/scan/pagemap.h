// Bit layouts of /proc/PID/pagemap and /proc/kpageflags entries, as given in
// the kernel's Documentation/admin-guide/mm/pagemap.rst.
#ifndef MEMSTATS_SCAN_PAGEMAP_H_
#define MEMSTATS_SCAN_PAGEMAP_H_

#include <cstdint>

namespace memstats::scan {

// The base page size memstats's page-level accounting is written for. The
// running kernel's comes from ProcSource::PageSize(); on another size (16
// or 64 KiB on some arm64 and ppc64 kernels) the scanner reads no pagemap
// and reports PSS from smaps only (ScanStats::page_level_note), rather than
// compute offsets in the wrong unit.
inline constexpr uint64_t kPageSize = 4096;
inline constexpr int kPageShift = 12;

// pagemap entry bits.
inline constexpr uint64_t kPmPresent = 1ULL << 63;
inline constexpr uint64_t kPmSwapped = 1ULL << 62;
inline constexpr uint64_t kPmFileOrShared = 1ULL << 61;
inline constexpr uint64_t kPmExclusive = 1ULL << 56;
inline constexpr uint64_t kPmSoftDirty = 1ULL << 55;
inline constexpr uint64_t kPmPfnMask = (1ULL << 55) - 1;

inline bool PmIsPresent(uint64_t e) { return (e & kPmPresent) != 0; }
inline bool PmIsSwapped(uint64_t e) { return (e & kPmSwapped) != 0; }
inline uint64_t PmPfn(uint64_t e) { return e & kPmPfnMask; }
// For a swapped entry: bits 0-4 type, 5-54 offset. Encoded back into one
// integer (type << 50 | offset) that orders entries by device, then offset.
inline uint64_t PmSwapType(uint64_t e) { return e & 0x1f; }
inline uint64_t PmSwapOffset(uint64_t e) { return (e & kPmPfnMask) >> 5; }
inline uint64_t PmSwapKey(uint64_t e) {
  return (PmSwapType(e) << 50) | PmSwapOffset(e);
}
// Bit 62 is set for every non-present entry that is not empty, and only
// some of them are swap (include/linux/swap.h). The 5-bit type space holds
// the swap areas (types below MAX_SWAPFILES), then hwpoison, migration
// (3 types), device-private (2 or 3) and, always last, the PTE marker (31).
// MAX_SWAPFILES is 32 less those, so it depends on the kernel's
// configuration; with every option on it is 24, its smallest value. So:
//  - type < 24: a swap area (a kernel with more than 24 swap areas active
//    would have areas of type 24 and up, counted as below: not supported);
//  - type 24-30: an entry that names a page by its PFN (the offset):
//    migration, hwpoison, device-private. The page is resident (smaps counts
//    it in Rss), so memstats counts it as its page;
//  - type 31: SWP_PTE_MARKER, a PTE marker (a guard region from
//    MADV_GUARD_INSTALL, a userfaultfd write-protect marker on an empty
//    page, a swap-in error or poison marker): neither a page nor swap.
inline constexpr uint64_t kMinMaxSwapfiles = 24;
inline constexpr uint64_t kSwpPteMarker = 31;
enum class SwapEntryKind { kSwap, kPage, kMarker };
inline SwapEntryKind PmSwapEntryKind(uint64_t e) {
  const uint64_t type = PmSwapType(e);
  if (type < kMinMaxSwapfiles) return SwapEntryKind::kSwap;
  if (type == kSwpPteMarker) return SwapEntryKind::kMarker;
  return SwapEntryKind::kPage;
}

// PAGEMAP_SCAN page categories (include/uapi/linux/fs.h, Linux 6.7+;
// Debian 12's headers predate them). FILE means present and not anonymous.
inline constexpr uint64_t kPageIsWpallowed = 1ULL << 0;
inline constexpr uint64_t kPageIsWritten = 1ULL << 1;
inline constexpr uint64_t kPageIsFile = 1ULL << 2;
inline constexpr uint64_t kPageIsPresent = 1ULL << 3;
inline constexpr uint64_t kPageIsSwapped = 1ULL << 4;
inline constexpr uint64_t kPageIsPfnzero = 1ULL << 5;
inline constexpr uint64_t kPageIsHuge = 1ULL << 6;
inline constexpr uint64_t kPageIsSoftDirty = 1ULL << 7;
// What ProcHandle::ScanPresent asks for: pages in either category (any
// entry bit 63 or 62 marks; the scanner decodes each one's entry).
inline constexpr uint64_t kScanPresentCategories =
    kPageIsPresent | kPageIsSwapped;

// kpageflags bits (include/uapi/linux/kernel-page-flags.h).
inline constexpr int kKpfAnon = 12;
inline constexpr int kKpfSwapcache = 13;  // also in the swap cache
inline constexpr int kKpfSwapbacked = 14;
inline constexpr int kKpfCompoundHead = 15;
inline constexpr int kKpfCompoundTail = 16;
inline constexpr int kKpfHuge = 17;  // hugetlbfs page
inline constexpr int kKpfNoPage = 20;
inline constexpr int kKpfKsm = 21;
inline constexpr int kKpfThp = 22;
inline constexpr int kKpfZeroPage = 24;  // the zero page or the huge zero page

inline bool KpfHas(uint64_t flags, int bit) { return (flags >> bit) & 1; }

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_PAGEMAP_H_
