#include "sets/accounting.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>
#include <span>

#include "absl/container/flat_hash_map.h"
#include "scan/pagemap.h"
#include "scan/parallel.h"
#include "sets/owners.h"
#include "tbb/task_arena.h"

namespace memstats::sets {

SwapCatalog::SwapCatalog(const std::vector<scan::ProcessRecord>& records) {
  for (const auto& r : records) {
    keys_.insert(keys_.end(), r.swap.begin(), r.swap.end());
  }
  std::sort(keys_.begin(), keys_.end());
  keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
}

uint32_t SwapCatalog::IndexOf(uint64_t key) const {
  return static_cast<uint32_t>(
      std::lower_bound(keys_.begin(), keys_.end(), key) - keys_.begin());
}

namespace {

using internal::kMaxGroups;
using internal::kNone;
using internal::Owners;

// When some groups have several processes, FindDuplicates sorts at most
// this many runs (1 MiB) or repeated pages, and only for processes with at
// least kMinPagesPerRun pages per run on average: below that, sorting costs
// more than the page visits it saves. When every group is one process
// (--split-pids) it has no limit: then no page is visited at all.
constexpr size_t kMaxSortedRuns = size_t{1} << 16;
constexpr uint64_t kMinPagesPerRun = 4;

}  // namespace

Accountant::Accountant(const std::vector<scan::ProcessRecord>& records,
                       const scan::SegmentStore& segments,
                       const PageCatalog* pages, const SwapCatalog& swap,
                       const std::vector<scan::SysvSegment>& sysv, int threads,
                       const std::vector<scan::UnlinkedObject>& held_outside,
                       std::span<const scan::ShmemObject> shmem)
    : records_(records), segments_(segments), pages_(pages), swap_(swap) {
  for (const auto& seg : sysv) {
    sysv_[seg.shmid] = {seg.rss, seg.swap, seg.nattch,
                        seg.marked_for_removal()};
  }
  for (const scan::ShmemObject& o : shmem) {
    if (o.swapped() > 0) shmem_swap_[o.key] = o.swapped();
  }
  IndexUnlinked(held_outside, shmem);
  if (pages_ == nullptr) return;
  // Each distinct segment is measured once; a process adds up its own.
  struct SegmentMeasure {
    std::array<uint64_t, 3> pss_fixed{};  // kPssShift fixed point
    std::array<uint64_t, kNumKinds> refs{};
    std::array<uint64_t, kNumKinds> once{};
  };
  // Only segments some record references: those of processes dropped
  // mid-scan (vanished) may hold PFNs the catalog never saw.
  std::vector<uint8_t> used(segments.id_limit(), 0);
  std::vector<uint32_t> ids;
  for (const auto& r : records) {
    for (uint32_t id : r.segments) {
      if (!used[id]) ids.push_back(id);
      used[id] = 1;
    }
  }
  std::vector<SegmentMeasure> seg(segments.id_limit());
  measured_.resize(records.size());
  if (pages_->ksm_pages() > 0) segment_has_ksm_.assign(segments.id_limit(), 0);
  tbb::task_arena arena(std::max(1, threads));
  once_only_.assign(segments.id_limit(), 0);
  once_only_pages_.assign(segments.id_limit(), {});
  arena.execute([&] {
    scan::ParallelFor(size_t{0}, ids.size(), [&](size_t n) {
      SegmentMeasure& m = seg[ids[n]];
      for (const scan::PfnRun& run : segments.Get(ids[n])) {
        const uint32_t base = pages_->IndexOf(run.pfn);
        for (uint32_t i = base; i < base + run.count; ++i) {
          const int kind = static_cast<int>(pages_->kind(i));
          if (kind >= kNumKinds) continue;  // ignored: counts nowhere
          ++m.refs[kind];
          m.once[kind] += pages_->mapped_once(i);
          if (!segment_has_ksm_.empty() && pages_->ksm(i)) {
            segment_has_ksm_[ids[n]] = 1;  // each id is one task's
          }
          // Hugetlb is in neither Rss nor Pss.
          if (kind < 3) m.pss_fixed[kind] += pages_->pss_share(i);
        }
      }
      if (m.once != m.refs) return;
      once_only_[ids[n]] = 1;
      for (int k = 0; k < kNumKinds; ++k) {
        // At most a window's pages (scan::kWindowPages).
        once_only_pages_[ids[n]][k] = static_cast<uint16_t>(m.refs[k]);
      }
    });
    scan::ParallelFor(size_t{0}, records.size(), [&](size_t r) {
      std::array<uint64_t, 3> pss_fixed{};
      Measured& m = measured_[r];
      for (uint32_t id : records[r].segments) {
        for (int k = 0; k < 3; ++k) pss_fixed[k] += seg[id].pss_fixed[k];
        for (int k = 0; k < kNumKinds; ++k) {
          m.refs[k] += seg[id].refs[k];
          m.once[k] += seg[id].once[k];
        }
      }
      // Per process and kind, as smaps rounds: whole bytes.
      for (int k = 0; k < 3; ++k) m.pss_bytes[k] = pss_fixed[k] >> kPssShift;
    });
  });
}

std::optional<Accountant::Duplicates> Accountant::FindDuplicates(
    const scan::ProcessRecord& rec, std::vector<scan::PfnRun>& runs,
    std::vector<uint32_t>& dups, bool bounded) const {
  const size_t max_items = bounded ? kMaxSortedRuns : SIZE_MAX;
  runs.clear();
  uint64_t pages = 0;
  for (uint32_t id : rec.segments) {
    std::span<const scan::PfnRun> seg = segments_.Get(id);
    if (runs.size() + seg.size() > max_items) return std::nullopt;
    for (const scan::PfnRun& run : seg) pages += run.count;
    runs.insert(runs.end(), seg.begin(), seg.end());
  }
  if (bounded && runs.size() * kMinPagesPerRun > pages) return std::nullopt;
  std::sort(runs.begin(), runs.end(),
            [](const scan::PfnRun& a, const scan::PfnRun& b) {
              return a.pfn < b.pfn;
            });
  // A run's pages below `end` are covered by earlier runs: one repeat each.
  dups.clear();
  uint64_t end = 0;  // one past the highest PFN of the runs so far
  for (const scan::PfnRun& run : runs) {
    const uint64_t stop = std::min(end, run.pfn + run.count);
    if (stop > run.pfn) {
      if (dups.size() + (stop - run.pfn) > max_items) return std::nullopt;
      const uint32_t base = pages_->IndexOf(run.pfn);
      for (uint32_t i = base; i < base + (stop - run.pfn); ++i) {
        dups.push_back(i);
      }
    }
    end = std::max(end, run.pfn + run.count);
  }
  std::sort(dups.begin(), dups.end());
  Duplicates d;
  for (size_t k = 0; k < dups.size();) {
    const uint32_t i = dups[k];
    uint32_t repeats = 0;
    for (; k < dups.size() && dups[k] == i; ++k) ++repeats;
    const int kind = static_cast<int>(pages_->kind(i));
    if (kind >= kNumKinds) continue;
    d.extra[kind] += repeats;
    if (pages_->references(i) == repeats + 1 && !pages_->mapped_outside(i)) {
      ++d.uss[kind];
    }
  }
  return d;
}

bool Accountant::EveryGroupSingle(const std::vector<uint32_t>& group_of,
                                  const std::vector<GroupTotals>& out) {
  return std::all_of(group_of.begin(), group_of.end(),
                     [&](uint32_t g) { return out[g].processes == 1; });
}

void Accountant::CountPages(const std::vector<uint32_t>& group_of,
                            const std::vector<uint32_t>& order,
                            std::vector<GroupTotals>& out) const {
  // Records alone in their group whose duplicates are known, and among
  // them those without any.
  std::vector<uint8_t> distinct(records_.size(), 0);
  std::vector<std::optional<Duplicates>> single(records_.size());
  bool all_single = true;
  std::vector<scan::PfnRun> runs;
  std::vector<uint32_t> dups;
  const bool bounded = !EveryGroupSingle(group_of, out);
  for (uint32_t r = 0; r < records_.size(); ++r) {
    if (out[group_of[r]].processes == 1) {
      single[r] = FindDuplicates(records_[r], runs, dups, bounded);
    }
    all_single = all_single && single[r];
    distinct[r] = single[r] && single[r]->extra == std::array<uint64_t, 4>{};
  }
  if (all_single) {
    // A page is in a single process's USS when all its references are the
    // process's and nothing outside the scan maps it: mapped once in all
    // the system, or one of its repeated pages that only it maps.
    for (uint32_t r = 0; r < records_.size(); ++r) {
      GroupTotals& t = out[group_of[r]];
      for (int k = 0; k < kNumKinds; ++k) {
        t.rss_pages[k] = measured_[r].refs[k] - single[r]->extra[k];
        t.uss_pages[k] = measured_[r].once[k] + single[r]->uss[k];
      }
    }
    return;
  }

  Owners owners(pages_->size());
  Owners segment_owners(segments_.id_limit());
  // The segments whose pages were visited, each once: where USS is read
  // back (the owner words of other pages were never touched).
  std::vector<uint8_t> walked(segments_.id_limit(), 0);
  std::vector<uint32_t> walked_ids;
  // Counts the pages of segment `id` that `visit` says are new to `t`.
  auto add_segment = [&](uint32_t id, GroupTotals& t, auto visit) {
    if (!walked[id]) {
      walked[id] = 1;
      walked_ids.push_back(id);
    }
    for (const scan::PfnRun& run : segments_.Get(id)) {
      const uint32_t base = pages_->IndexOf(run.pfn);
      for (uint32_t i = base; i < base + run.count; ++i) {
        if (!visit(i)) continue;
        const auto kind = static_cast<uint32_t>(pages_->kind(i));
        if (kind < kNumKinds) ++t.rss_pages[kind];
      }
    }
  };
  for (uint32_t r : order) {
    const uint32_t g = group_of[r];
    GroupTotals& t = out[g];
    const auto& segments = records_[r].segments;
    // Pages mapped once in all the system: in this group's RSS and USS,
    // and no other group's; their owner words stay untouched (no owner).
    auto once_only = [&](uint32_t id) {
      if (!once_only_[id]) return false;
      for (int k = 0; k < kNumKinds; ++k) {
        t.rss_pages[k] += once_only_pages_[id][k];
        t.uss_pages[k] += once_only_pages_[id][k];
      }
      return true;
    };
    if (distinct[r]) {
      auto once = [&](uint32_t i) { return owners.VisitOnce(i, g); };
      for (uint32_t id : segments) {
        if (!once_only(id)) add_segment(id, t, once);
      }
      continue;
    }
    auto visit = [&](uint32_t i) { return owners.Visit(i, g); };
    for (uint32_t id : segments) {
      if (once_only(id)) continue;
      // The group's earlier processes brought these pages in already.
      if (segment_owners.Visit(id, g)) add_segment(id, t, visit);
    }
  }
  // Each visited page once (a page in two walked segments is marked done
  // after the first): in its sole owner's USS unless mapped outside.
  for (uint32_t id : walked_ids) {
    for (const scan::PfnRun& run : segments_.Get(id)) {
      const uint32_t base = pages_->IndexOf(run.pfn);
      for (uint32_t i = base; i < base + run.count; ++i) {
        const uint32_t g = owners.SoleOwner(i);
        if (g == kNone) continue;
        owners.MarkDone(i);
        const PageKind kind = pages_->kind(i);
        if (kind == PageKind::kIgnored || pages_->mapped_outside(i)) continue;
        ++out[g].uss_pages[static_cast<int>(kind)];
      }
    }
  }
}

void Accountant::CountKsm(const std::vector<uint32_t>& group_of,
                          const std::vector<uint32_t>& order,
                          std::vector<GroupTotals>& out) const {
  if (segment_has_ksm_.empty()) return;
  // KSM pages are few; records come group by group, so a page's last group
  // tells whether this group has it already.
  absl::flat_hash_map<uint32_t, uint32_t> last_group;
  for (uint32_t r : order) {
    const uint32_t g = group_of[r];
    for (uint32_t id : records_[r].segments) {
      if (!segment_has_ksm_[id]) continue;
      for (const scan::PfnRun& run : segments_.Get(id)) {
        const uint32_t base = pages_->IndexOf(run.pfn);
        for (uint32_t i = base; i < base + run.count; ++i) {
          if (!pages_->ksm(i)) continue;
          auto [it, added] = last_group.try_emplace(i, g);
          if (!added && it->second == g) continue;
          it->second = g;
          ++out[g].ksm_pages;
        }
      }
    }
  }
}

absl::StatusOr<std::vector<GroupTotals>> Accountant::Account(
    const std::vector<uint32_t>& group_of, uint32_t num_groups,
    scan::MemoryBudget* budget) const {
  if (num_groups >= kMaxGroups) {
    return absl::InvalidArgumentError("too many groups");
  }
  std::vector<GroupTotals> out(num_groups);

  // Visit records group by group (stable, so pid order within a group).
  std::vector<uint32_t> order(records_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return group_of[a] < group_of[b];
  });

  std::vector<std::pair<int, uint32_t>> shmids;  // (shmid, VMAs)
  std::vector<scan::ShmemKey> shmem;
  for (uint32_t g = 0, k = 0; g < num_groups; ++g) {
    GroupTotals& t = out[g];
    shmids.clear();
    shmem.clear();
    for (; k < order.size() && group_of[order[k]] == g; ++k) {
      const uint32_t r = order[k];
      const scan::ProcessRecord& rec = records_[r];
      ++t.processes;
      t.swap_pss_bytes += rec.smaps.swap_pss;
      t.vm_pte_bytes += rec.vm_pte_bytes;
      if (pages_ == nullptr) {
        t.pss_bytes += rec.smaps.pss;
        t.pss_kind_bytes[0] += rec.smaps.pss_anon;
        t.pss_kind_bytes[1] += rec.smaps.pss_shmem;
        t.pss_kind_bytes[2] += rec.smaps.pss_file;
        t.rss_sum_bytes += rec.smaps.rss;
        t.private_sum_bytes +=
            rec.smaps.private_clean + rec.smaps.private_dirty;
      } else {
        const Measured& m = measured_[r];
        for (int kind = 0; kind < 3; ++kind) {
          t.pss_kind_bytes[kind] += m.pss_bytes[kind];
          t.pss_bytes += m.pss_bytes[kind];
        }
        t.rss_sum_bytes += (m.refs[0] + m.refs[1] + m.refs[2]) * scan::kPageSize;
        t.private_sum_bytes +=
            (m.once[0] + m.once[1] + m.once[2]) * scan::kPageSize;
      }
      for (size_t i = 0; i < rec.sysv_shmids.size(); ++i) {
        shmids.emplace_back(rec.sysv_shmids[i], i < rec.sysv_vmas.size()
                                                    ? rec.sysv_vmas[i]
                                                    : 1);
      }
      if (!shmem_swap_.empty()) {
        for (const scan::ShmemMapRef& ref : rec.shmem_maps) {
          if (shmem_swap_.contains(ref.key)) shmem.push_back(ref.key);
        }
      }
    }
    std::sort(shmem.begin(), shmem.end());
    shmem.erase(std::unique(shmem.begin(), shmem.end()), shmem.end());
    for (const scan::ShmemKey& key : shmem) {
      t.shmem_swap_bytes += shmem_swap_.at(key);
    }
    CountFreedSysv(shmids, t);
  }

  const bool any_single = std::any_of(
      out.begin(), out.end(),
      [](const GroupTotals& t) { return t.processes == 1; });
  // FindDuplicates's buffers: bounded, or as large as the largest process
  // when every group is one process.
  uint64_t sort_bytes = 0;
  if (pages_ != nullptr && EveryGroupSingle(group_of, out)) {
    for (size_t r = 0; r < records_.size(); ++r) {
      uint64_t runs = 0;
      for (uint32_t id : records_[r].segments) runs += segments_.Get(id).size();
      uint64_t refs = 0;
      for (uint64_t n : measured_[r].refs) refs += n;
      sort_bytes = std::max(
          sort_bytes, runs * sizeof(scan::PfnRun) + refs * sizeof(uint32_t));
    }
  } else if (pages_ != nullptr && any_single) {
    sort_bytes = kMaxSortedRuns * (sizeof(scan::PfnRun) + sizeof(uint32_t));
  }
  const uint64_t owner_bytes =
      ((pages_ ? pages_->size() + segments_.id_limit() : 0) + swap_.size()) *
          sizeof(uint32_t) +
      sort_bytes + UnlinkedBytes();
  if (budget != nullptr && !budget->TryCharge(owner_bytes)) {
    return absl::ResourceExhaustedError("memory limit (group accounting)");
  }

  if (pages_ != nullptr) {
    CountPages(group_of, order, out);
    CountKsm(group_of, order, out);
  }
  CountFreedUnlinked(group_of, order, out);

  Owners swap_owners(swap_.size());
  for (uint32_t r : order) {
    const uint32_t g = group_of[r];
    for (uint64_t key : records_[r].swap) {
      if (swap_owners.Visit(swap_.IndexOf(key), g)) ++out[g].swap_rss_pages;
    }
  }
  for (uint32_t i = 0; i < swap_owners.size(); ++i) {
    const uint32_t g = swap_owners.SoleOwner(i);
    if (g != kNone) ++out[g].swap_uss_pages;
  }

  if (budget != nullptr) budget->Release(owner_bytes);
  return out;
}

absl::StatusOr<std::vector<uint32_t>> Accountant::PageOwners(
    const std::vector<uint32_t>& group_of, uint32_t num_groups,
    scan::MemoryBudget* budget) const {
  if (num_groups >= kMaxGroups) {
    return absl::InvalidArgumentError("too many groups");
  }
  // The walk's words, then the result (which stays charged).
  const uint64_t bytes =
      (pages_->size() + segments_.id_limit()) * sizeof(uint32_t);
  const uint64_t result_bytes = pages_->size() * sizeof(uint32_t);
  if (budget != nullptr && !budget->TryCharge(bytes + result_bytes)) {
    return absl::ResourceExhaustedError("memory limit (page owners)");
  }
  Owners owners(pages_->size());
  Owners segment_owners(segments_.id_limit());
  for (uint32_t r = 0; r < records_.size(); ++r) {
    const uint32_t g = group_of[r];
    for (uint32_t id : records_[r].segments) {
      // A segment seen by this group already holds no page new to it.
      if (!segment_owners.Visit(id, g)) continue;
      for (const scan::PfnRun& run : segments_.Get(id)) {
        const uint32_t base = pages_->IndexOf(run.pfn);
        for (uint32_t i = base; i < base + run.count; ++i) owners.Visit(i, g);
      }
    }
  }
  std::vector<uint32_t> out(owners.size());
  for (uint32_t i = 0; i < owners.size(); ++i) {
    const uint32_t g = owners.SoleOwner(i);
    out[i] = g == kNone ? kSharedPage : g;
  }
  if (budget != nullptr) budget->Release(bytes);
  return out;
}

absl::StatusOr<std::vector<GroupTotals>> AccountGroups(
    const std::vector<scan::ProcessRecord>& records,
    const scan::SegmentStore& segments,
    const std::vector<uint32_t>& group_of, uint32_t num_groups,
    const PageCatalog* pages, const SwapCatalog& swap,
    const std::vector<scan::SysvSegment>& sysv, scan::MemoryBudget* budget,
    const std::vector<scan::UnlinkedObject>& held_outside,
    std::span<const scan::ShmemObject> shmem) {
  return Accountant(records, segments, pages, swap, sysv, 1, held_outside,
                    shmem)
      .Account(group_of, num_groups, budget);
}

}  // namespace memstats::sets
