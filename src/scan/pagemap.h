// Bit layouts of /proc/PID/pagemap and /proc/kpageflags entries, as given in
// the kernel's Documentation/admin-guide/mm/pagemap.rst.
#ifndef MEMSTATS_SCAN_PAGEMAP_H_
#define MEMSTATS_SCAN_PAGEMAP_H_

#include <cstdint>

namespace memstats::scan {

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
// Swap type 31, the last 5-bit type, is the kernel's SWP_PTE_MARKER
// (include/linux/swapops.h: MAX_SWAPFILES + the hwpoison, migration and
// device types): a PTE marker -- a guard region (MADV_GUARD_INSTALL), a
// userfaultfd write-protect marker on an empty page, a swap-in error or
// poison marker. pagemap sets the swap bit for it, but it holds neither a
// page nor swap.
inline constexpr uint64_t kSwpPteMarker = 31;
inline bool PmIsPteMarker(uint64_t e) {
  return PmIsSwapped(e) && PmSwapType(e) == kSwpPteMarker;
}

// kpageflags bits (include/uapi/linux/kernel-page-flags.h).
inline constexpr int kKpfAnon = 12;
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
