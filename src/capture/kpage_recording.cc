#include "capture/kpage_recording.h"

#include <algorithm>
#include <span>

#include "scan/parallel.h"
#include "scan/pfn_bitmap.h"

namespace memstats::capture {
namespace {

using scan::kKpageMaxSpan;

// Bitmap words per slice read by one task.
constexpr uint64_t kSliceWords = 4096;

// Appends one PFN's entry, extending the last run when it continues it.
void Append(std::vector<KpageRun>& runs, const KpageRun& k) {
  if (!runs.empty()) {
    KpageRun& r = runs.back();
    if (r.pfn + r.count == k.pfn && r.flags == k.flags &&
        r.mapcount == k.mapcount) {
      r.count += k.count;
      return;
    }
  }
  runs.push_back(k);
}

// Reads [first, first + flags.size()) into flags and counts.
absl::Status ReadSpan(scan::ProcSource& source, uint64_t first,
                      std::span<uint64_t> flags, std::span<uint64_t> counts) {
  absl::Status s = source.ReadKpageflags(first, flags);
  if (s.ok()) s = source.ReadKpagecount(first, counts);
  return s;
}

// The bitmap's PFNs in [begin, stop).
absl::Status ReadBitmapSlice(scan::ProcSource& source,
                             const ReferencedPfns& pfns, uint64_t begin,
                             uint64_t stop, std::vector<KpageRun>& runs) {
  std::vector<uint64_t> flags(kKpageMaxSpan), counts(kKpageMaxSpan);
  for (uint64_t p = pfns.NextInBitmap(begin); p < stop;
       p = pfns.NextInBitmap(p)) {
    const uint64_t last = scan::KpageSpanLast(pfns.bits(), p, stop);
    const uint64_t n = last - p + 1;
    std::span<uint64_t> f(flags.data(), n), c(counts.data(), n);
    if (absl::Status s = ReadSpan(source, p, f, c); !s.ok()) return s;
    for (uint64_t k = 0; k < n; ++k) {
      if (pfns.InBitmap(p + k)) Append(runs, {p + k, 1, f[k], c[k]});
    }
    p = last + 1;
  }
  return absl::OkStatus();
}

}  // namespace

void ReferencedPfns::Add(uint64_t first, uint64_t end) {
  if (end > limit_) {
    far_.push_back({std::max(first, limit_), end});
    end = limit_;
  }
  if (first >= end) return;
  const uint64_t words = ((end - 1) >> 6) + 1;
  if (words > bits_.size()) {
    bits_.resize(std::max<uint64_t>(words, bits_.size() * 2), 0);
  }
  for (uint64_t p = first; p < end;) {
    const uint64_t bit = p & 63;
    const uint64_t n = std::min<uint64_t>(64 - bit, end - p);
    const uint64_t mask = n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1);
    bits_[p >> 6] |= mask << bit;
    p += n;
  }
}

std::vector<VpnRange> ReferencedPfns::FarRanges() const {
  std::vector<VpnRange> ranges = far_;
  MergeRanges(ranges);
  return ranges;
}

absl::StatusOr<std::vector<KpageRun>> ReadKpageRuns(
    scan::ProcSource& source, const ReferencedPfns& pfns) {
  const uint64_t end = pfns.bitmap_end();
  const uint64_t slice_pfns = kSliceWords * 64;
  const uint64_t slices = (end + slice_pfns - 1) / slice_pfns;
  std::vector<std::vector<KpageRun>> parts(slices);
  std::vector<absl::Status> status(slices);
  scan::ParallelFor(uint64_t{0}, slices, [&](uint64_t i) {
    status[i] = ReadBitmapSlice(source, pfns, i * slice_pfns,
                                std::min(end, (i + 1) * slice_pfns), parts[i]);
  });
  std::vector<KpageRun> runs;
  for (uint64_t i = 0; i < slices; ++i) {
    if (!status[i].ok()) return status[i];
    for (const KpageRun& k : parts[i]) Append(runs, k);
  }
  std::vector<uint64_t> flags(kKpageMaxSpan), counts(kKpageMaxSpan);
  for (const VpnRange& r : pfns.FarRanges()) {
    for (uint64_t first = r.first; first < r.end; first += kKpageMaxSpan) {
      const uint64_t n = std::min(kKpageMaxSpan, r.end - first);
      std::span<uint64_t> f(flags.data(), n), c(counts.data(), n);
      if (absl::Status s = ReadSpan(source, first, f, c); !s.ok()) return s;
      for (uint64_t k = 0; k < n; ++k) Append(runs, {first + k, 1, f[k], c[k]});
    }
  }
  return runs;
}

}  // namespace memstats::capture
