// Bitmaps over PFNs (bit i of word w is PFN 64 * w + i), as the page
// catalog and a capture's kpage recording keep the PFNs they read
// kpageflags and kpagecount for, and the spans they read them in.
#ifndef MEMSTATS_SCAN_PFN_BITMAP_H_
#define MEMSTATS_SCAN_PFN_BITMAP_H_

#include <bit>
#include <cstdint>
#include <span>

namespace memstats::scan {

// The kernel builds every kpageflags/kpagecount entry it returns (tens of
// ns each), so reads cover referenced PFNs only: a span runs from a
// referenced PFN to the last referenced one before a gap longer than
// kKpageMaxGap unreferenced PFNs (a short gap costs less than another
// pread), and holds at most kKpageMaxSpan entries (32 KiB).
inline constexpr uint64_t kKpageMaxSpan = 4096;
inline constexpr uint64_t kKpageMaxGap = 16;

// The smallest set PFN at or after `pfn`, or UINT64_MAX.
inline uint64_t NextSetPfn(std::span<const uint64_t> bits, uint64_t pfn) {
  uint64_t w = pfn >> 6;
  if (w >= bits.size()) return UINT64_MAX;
  uint64_t word = bits[w] & (~uint64_t{0} << (pfn & 63));
  while (word == 0) {
    if (++w >= bits.size()) return UINT64_MAX;
    word = bits[w];
  }
  return (w << 6) + static_cast<uint64_t>(std::countr_zero(word));
}

// The last set PFN of the span that starts at the set PFN `first` and
// ends before `stop`.
inline uint64_t KpageSpanLast(std::span<const uint64_t> bits, uint64_t first,
                              uint64_t stop) {
  uint64_t last = first;
  for (uint64_t q = NextSetPfn(bits, first + 1);
       q < stop && q - last <= kKpageMaxGap + 1 && q - first < kKpageMaxSpan;
       q = NextSetPfn(bits, q + 1)) {
    last = q;
  }
  return last;
}

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_PFN_BITMAP_H_
