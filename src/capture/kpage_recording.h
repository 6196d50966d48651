// What a capture keeps of /proc/kpageflags and /proc/kpagecount: the
// entries of the PFNs its pagemap entries reference, as KpageRuns.
//
// The kernel builds every entry it returns (tens of ns each) and a pread
// costs more than a few entries, so the PFNs are gathered into a bitmap
// and read in spans across short gaps, side by side on the calling
// thread's oneTBB arena; only the referenced PFNs are kept.
#ifndef MEMSTATS_CAPTURE_KPAGE_RECORDING_H_
#define MEMSTATS_CAPTURE_KPAGE_RECORDING_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "capture/capture_data.h"
#include "scan/pfn_bitmap.h"
#include "scan/proc_source.h"

namespace memstats::capture {

// A set of PFNs. Below `limit` (the end of RAM: scan::PfnLimit) one bit
// per PFN up to the highest added; at or above it (device memory, garbage
// PFNs) a list of ranges, so that a stray PFN cannot size the bitmap.
// Not thread-safe.
class ReferencedPfns {
 public:
  explicit ReferencedPfns(uint64_t limit) : limit_(limit) {}

  // Adds the PFNs [first, end).
  void Add(uint64_t first, uint64_t end);

  // The smallest PFN of the bitmap at or after `pfn`, or UINT64_MAX.
  uint64_t NextInBitmap(uint64_t pfn) const {
    return scan::NextSetPfn(bits_, pfn);
  }
  bool InBitmap(uint64_t pfn) const {
    return (pfn >> 6) < bits_.size() && ((bits_[pfn >> 6] >> (pfn & 63)) & 1);
  }
  const std::vector<uint64_t>& bits() const { return bits_; }
  // One past the bitmap's highest possible PFN.
  uint64_t bitmap_end() const { return bits_.size() * 64; }
  // The ranges at or above the limit, sorted and merged.
  std::vector<VpnRange> FarRanges() const;

 private:
  uint64_t limit_;
  std::vector<uint64_t> bits_;
  std::vector<VpnRange> far_;  // [first, end) of PFNs, as added
};

// kpageflags and kpagecount of every PFN of `pfns`, as runs ascending by
// PFN (consecutive PFNs with equal flags and count in one run). Fails
// with the first read error in PFN order.
absl::StatusOr<std::vector<KpageRun>> ReadKpageRuns(scan::ProcSource& source,
                                                    const ReferencedPfns& pfns);

}  // namespace memstats::capture

#endif  // MEMSTATS_CAPTURE_KPAGE_RECORDING_H_
