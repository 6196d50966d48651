#include "sets/page_catalog.h"

#include <algorithm>
#include <array>
#include <optional>

#include "scan/pagemap.h"
#include "scan/parallel.h"
#include "scan/parsers.h"
#include "scan/pfn_bitmap.h"
#include "tbb/task_arena.h"

namespace memstats::sets {

using scan::KpfHas;

PageKind KindFromFlags(uint64_t kpageflags) {
  const uint64_t f = kpageflags;
  if (KpfHas(f, scan::kKpfNoPage) || KpfHas(f, scan::kKpfZeroPage)) {
    return PageKind::kIgnored;
  }
  if (KpfHas(f, scan::kKpfHuge) && !KpfHas(f, scan::kKpfThp)) {
    return PageKind::kHugetlb;
  }
  if (KpfHas(f, scan::kKpfAnon)) return PageKind::kAnon;
  if (KpfHas(f, scan::kKpfSwapbacked)) return PageKind::kShmem;
  return PageKind::kFile;
}

namespace {

bool Charge(scan::MemoryBudget* budget, uint64_t bytes) {
  return budget == nullptr || budget->TryCharge(bytes);
}

// What a referenced entry of a kpage span needs (Build).
constexpr uint8_t kReferenced = 1;
constexpr uint8_t kNeedsFlags = 2;
constexpr uint8_t kNeedsCount = 4;

// Reads into out[k] the entries of PFN p + k whose need[k] has `bit`,
// with `read(pfn, entries)`, in reads that also cover entries not needed
// across a gap of at most scan::kKpageMaxGap (a read costs more than a
// few entries).
template <typename Read>
absl::Status ReadWhere(std::span<const uint8_t> need, uint8_t bit, uint64_t p,
                       std::span<uint64_t> out, Read&& read) {
  for (uint64_t k = 0; k < out.size();) {
    if (!(need[k] & bit)) {
      ++k;
      continue;
    }
    uint64_t last = k;
    for (uint64_t q = k + 1;
         q < out.size() && q - last <= scan::kKpageMaxGap + 1; ++q) {
      if (need[q] & bit) last = q;
    }
    if (absl::Status s = read(p + k, out.subspan(k, last - k + 1)); !s.ok()) {
      return s;
    }
    k = last + 1;
  }
  return absl::OkStatus();
}

}  // namespace

uint32_t PageCounts::GetBig(uint32_t i) const { return big_.at(i); }

bool ExclusiveAnonPagesArePlain(scan::ProcSource& source) {
  if (!source.NoKsmPages()) return false;
  auto text = source.ReadSystemFile("meminfo");
  if (!text.ok()) return false;
  auto meminfo = scan::ParseMeminfo(*text);
  if (!meminfo.ok()) return false;
  auto field = [&](const char* name) -> std::optional<uint64_t> {
    auto it = meminfo->find(name);
    if (it == meminfo->end()) return std::nullopt;
    return it->second;
  };
  const auto swap_cached = field("SwapCached");
  const auto hugetlb = field("Hugetlb");  // every pool's bytes, since 4.16
  const auto total = field("HugePages_Total");
  const auto free = field("HugePages_Free");
  const auto size = field("Hugepagesize");
  if (!swap_cached || *swap_cached != 0 || !hugetlb) return false;
  if (*hugetlb == 0) return true;  // no hugetlb page at all
  // Pools of the default size only, none of their pages in use.
  return total && free && size && *hugetlb == *total * *size &&
         *free == *total;
}

absl::StatusOr<PageCatalog> PageCatalog::Build(
    const std::vector<scan::ProcessRecord>& records,
    const scan::SegmentStore& segments, scan::ProcSource& source,
    scan::MemoryBudget* budget, int threads) {
  PageCatalog c;
  // How many times each segment is referenced: its pages are referenced
  // that many times.
  std::vector<uint32_t> uses(segments.id_limit(), 0);
  for (const auto& r : records) {
    for (uint32_t id : r.segments) ++uses[id];
  }
  // Solo segments: read exclusively mapped, by one record (the pages of
  // a private mapping); see below.
  const auto solo = [&](uint32_t id) {
    return uses[id] == 1 && segments.exclusive(id);
  };
  uint64_t max_pfn = 0;
  bool solo_pages = false;
  segments.ForEach([&](uint32_t id) {
    if (uses[id] == 0) return;
    solo_pages = solo_pages || solo(id);
    for (const auto& run : segments.Get(id)) {
      max_pfn = std::max(max_pfn, run.pfn + run.count - 1);
    }
  });
  const uint64_t words = max_pfn / 64 + 1;
  if (!Charge(budget, words * 12)) {
    return absl::ResourceExhaustedError("memory limit (page bitmap)");
  }
  c.bits_.assign(words, 0);
  // The pages of solo segments are normally in no other segment, so their
  // references (one) and what their reads said follow from the segment,
  // and are written below in PFN order, with the pages' kinds, instead of
  // in a pass of their own in the segments' order (a random walk over the
  // per-page arrays). A page that left one process and joined another
  // between two reads can be in two segments: then every page takes the
  // general pass (`solo_pages` off).
  scan::HugeVector<uint64_t> solo_bits, solo_anon;
  bool solo_twice = false;
  if (solo_pages) {
    if (!Charge(budget, words * 16)) {
      return absl::ResourceExhaustedError("memory limit (page bitmap)");
    }
    solo_bits.assign(words, 0);
    solo_anon.assign(words, 0);
  }
  segments.ForEach([&](uint32_t id) {
    if (uses[id] == 0) return;
    const bool is_solo = solo_pages && solo(id);
    const bool anon = is_solo && segments.exclusive_anon(id);
    for (const auto& run : segments.Get(id)) {
      for (uint64_t p = run.pfn; p < run.pfn + run.count; ++p) {
        const uint64_t w = p >> 6, bit = uint64_t{1} << (p & 63);
        if (is_solo) {
          solo_twice = solo_twice || (c.bits_[w] & bit) != 0;
          solo_bits[w] |= bit;
          if (anon) solo_anon[w] |= bit;
        } else if (solo_pages) {
          solo_twice = solo_twice || (solo_bits[w] & bit) != 0;
        }
        c.bits_[w] |= bit;
      }
    }
  });
  solo_pages = solo_pages && !solo_twice;
  c.rank_.resize(words);
  uint32_t total = 0;
  for (uint64_t w = 0; w < words; ++w) {
    c.rank_[w] = total;
    total += static_cast<uint32_t>(std::popcount(c.bits_[w]));
  }

  // References per distinct page, to compare with the kernel's mapcount.
  if (!Charge(budget, uint64_t{total} * 5)) {
    return absl::ResourceExhaustedError("memory limit (page catalog)");
  }
  PageCounts& refs = c.refs_;
  refs.Assign(total);
  c.info_.assign(total, 0);
  segments.ForEach([&](uint32_t id) {
    if (uses[id] == 0 || (solo_pages && solo(id))) return;
    const uint8_t read =
        (segments.exclusive(id) ? kReadExclusiveBit : 0) |
        (segments.exclusive_anon(id) ? kReadAnonBit : kReadNotAnonBit);
    for (const auto& run : segments.Get(id)) {
      uint32_t base = c.IndexOf(run.pfn);
      for (uint64_t k = 0; k < run.count; ++k) {
        refs.Add(static_cast<uint32_t>(base + k), uses[id]);
        c.info_[base + k] |= read;
      }
    }
  });
  // Checked after the scan: a KSM page, a hugetlb page or a swap-cache
  // page that came and went while the scan ran is not seen (a page that
  // changes during the scan is read as whatever it was then).
  const bool plain = ExclusiveAnonPagesArePlain(source);

  c.mapcount_.Assign(total);
  // The PFN space is cut into slices read side by side; a span never
  // crosses a slice's end.
  const uint64_t slices = std::max<uint64_t>(
      1, std::min<uint64_t>(words, static_cast<uint64_t>(threads) * 8));
  const uint64_t slice_words = (words + slices - 1) / slices;
  std::vector<absl::Status> status(slices);
  std::vector<uint64_t> zero(slices, 0), invalid(slices, 0), ksm(slices, 0),
      implied(slices, 0);
  // (index, mapcount) of pages whose mapcount does not fit in 16 bits.
  std::vector<std::vector<std::pair<uint32_t, uint64_t>>> big(slices);
  auto read_slice = [&](uint64_t slice) {
    const uint64_t begin = slice * slice_words * 64;
    const uint64_t stop =
        std::min(max_pfn + 1, (slice + 1) * slice_words * 64);  // exclusive
    std::vector<uint64_t> flags(scan::kKpageMaxSpan),
        counts(scan::kKpageMaxSpan);
    std::array<uint8_t, scan::kKpageMaxSpan> need;
    for (uint64_t p = scan::NextSetPfn(c.bits_, begin); p < stop;
         p = scan::NextSetPfn(c.bits_, p)) {
      const uint64_t span = scan::KpageSpanLast(c.bits_, p, stop) - p + 1;
      std::span<uint64_t> f(flags.data(), span), n(counts.data(), span);
      // Per entry: referenced, and which files its page needs read.
      // Exclusive pages need no kpagecount: one page-table reference each
      // in the whole system, the one the scan saw, the mapcount kpagecount
      // would give. Exclusive anonymous folios (PM_FILE clear), when none
      // is KSM or hugetlb or in the swap cache, need no kpageflags: of
      // their flags only KPF_ANON matters. Referenced PFNs in order have
      // consecutive indices, from the span's first.
      const uint32_t first = c.IndexOf(p);
      uint32_t idx = first;
      for (uint64_t k = 0; k < span; ++k) {
        if (!c.Referenced(p + k)) {
          need[k] = 0;
          continue;
        }
        const uint64_t w = (p + k) >> 6, bit = uint64_t{1} << ((p + k) & 63);
        if (solo_pages && (solo_bits[w] & bit)) {
          refs.SetSmall(idx, 1);
          c.info_[idx] =
              kReadExclusiveBit |
              ((solo_anon[w] & bit) ? kReadAnonBit : kReadNotAnonBit);
        }
        need[k] = kReferenced |
                  (plain && c.ReadExclusiveAnon(idx) ? 0 : kNeedsFlags) |
                  (c.ReadExclusive(idx) ? 0 : kNeedsCount);
        ++idx;
      }
      absl::Status st = ReadWhere(
          need, kNeedsFlags, p, f, [&source](uint64_t q, std::span<uint64_t> o) {
            return source.ReadKpageflags(q, o);
          });
      if (st.ok()) {
        st = ReadWhere(need, kNeedsCount, p, n,
                       [&source](uint64_t q, std::span<uint64_t> o) {
                         return source.ReadKpagecount(q, o);
                       });
      }
      if (!st.ok()) {
        status[slice] = st;
        return;
      }
      idx = first;
      for (uint64_t k = 0; k < span; ++k) {
        if (need[k] == 0) continue;
        if (!(need[k] & kNeedsFlags)) {
          f[k] = uint64_t{1} << scan::kKpfAnon;
          ++implied[slice];
        }
        if (!(need[k] & kNeedsCount)) n[k] = 1;
        const PageKind kind = KindFromFlags(f[k]);
        if (kind == PageKind::kIgnored) {
          ++(scan::KpfHas(f[k], scan::kKpfNoPage) ? invalid : zero)[slice];
        }
        uint8_t info = static_cast<uint8_t>(kind);
        const uint64_t seen = refs.Get(idx);
        if (n[k] > seen) info |= kOutsideBit;
        const uint64_t mapcount = std::max<uint64_t>(n[k], seen);
        if (mapcount == 1) info |= kOnceBit;
        if (kind == PageKind::kAnon && scan::KpfHas(f[k], scan::kKpfKsm)) {
          info |= kKsmBit;
          ++ksm[slice];
        }
        if (kind == PageKind::kAnon &&
            scan::KpfHas(f[k], scan::kKpfSwapcache)) {
          info |= kSwapCacheBit;
        }
        c.info_[idx] = info;
        if (!c.mapcount_.SetSmall(idx, mapcount)) {
          big[slice].emplace_back(idx, mapcount);
        }
        ++idx;
      }
      p += span;
    }
  };
  tbb::task_arena arena(std::max(1, threads));
  arena.execute([&] { scan::ParallelFor(uint64_t{0}, slices, read_slice); });
  for (uint64_t i = 0; i < slices; ++i) {
    if (!status[i].ok()) return status[i];
    c.zero_pages_ += zero[i];
    c.invalid_pfns_ += invalid[i];
    c.ksm_pages_ += ksm[i];
    c.flags_implied_ += implied[i];
    for (const auto& [idx, count] : big[i]) c.mapcount_.Set(idx, count);
  }
  return c;
}

}  // namespace memstats::sets
