#include "sets/accounting.h"

#include <algorithm>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "scan/pagemap.h"

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

// Per-page word: the last group that referenced the page, plus a flag once
// a second group has.
constexpr uint32_t kNone = 0x7fffffff;
constexpr uint32_t kShared = 0x80000000;

class Owners {
 public:
  explicit Owners(size_t n) : owner_(n, kNone) {}

  // Notes that `group` references page i. Returns true the first time the
  // group does (the page joins the group's RSS).
  bool Visit(uint32_t i, uint32_t group) {
    uint32_t o = owner_[i];
    if ((o & ~kShared) == group) return false;
    owner_[i] = group | (o == kNone ? 0 : kShared);
    return true;
  }
  // The only group that referenced page i, or kNone.
  uint32_t SoleOwner(uint32_t i) const {
    uint32_t o = owner_[i];
    return (o & kShared) ? kNone : o;
  }
  size_t size() const { return owner_.size(); }

 private:
  std::vector<uint32_t> owner_;
};

}  // namespace

absl::StatusOr<std::vector<GroupTotals>> AccountGroups(
    const std::vector<scan::ProcessRecord>& records,
    const std::vector<uint32_t>& group_of, uint32_t num_groups,
    const PageCatalog* pages, const SwapCatalog& swap,
    const std::vector<scan::SysvSegment>& sysv, scan::MemoryBudget* budget) {
  std::vector<GroupTotals> out(num_groups);

  // Visit records group by group (stable, so pid order within a group).
  std::vector<uint32_t> order(records.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return group_of[a] < group_of[b];
  });

  absl::flat_hash_map<int, uint64_t> sysv_rss;
  for (const auto& seg : sysv) sysv_rss[seg.shmid] = seg.rss;

  for (uint32_t g = 0, k = 0; g < num_groups; ++g) {
    GroupTotals& t = out[g];
    std::vector<int> shmids;
    for (; k < order.size() && group_of[order[k]] == g; ++k) {
      const scan::ProcessRecord& r = records[order[k]];
      ++t.processes;
      t.swap_pss_bytes += r.smaps.swap_pss;
      t.vm_pte_bytes += r.vm_pte_bytes;
      if (pages == nullptr) {
        t.pss_bytes += r.smaps.pss;
        t.pss_kind_bytes[0] += r.smaps.pss_anon;
        t.pss_kind_bytes[1] += r.smaps.pss_shmem;
        t.pss_kind_bytes[2] += r.smaps.pss_file;
        t.rss_sum_bytes += r.smaps.rss;
        t.private_sum_bytes += r.smaps.private_clean + r.smaps.private_dirty;
      }
      shmids.insert(shmids.end(), r.sysv_shmids.begin(), r.sysv_shmids.end());
    }
    std::sort(shmids.begin(), shmids.end());
    shmids.erase(std::unique(shmids.begin(), shmids.end()), shmids.end());
    for (int id : shmids) {
      auto it = sysv_rss.find(id);
      if (it != sysv_rss.end()) t.sysv_rss_bytes += it->second;
    }
  }

  const uint64_t owner_bytes =
      ((pages ? pages->size() : 0) + swap.size()) * sizeof(uint32_t);
  if (budget != nullptr && !budget->TryCharge(owner_bytes)) {
    return absl::ResourceExhaustedError("memory limit (group accounting)");
  }

  if (pages != nullptr) {
    Owners owners(pages->size());
    for (uint32_t r : order) {
      const uint32_t g = group_of[r];
      GroupTotals& t = out[g];
      std::array<uint64_t, 3> pss_fixed{};  // kPssShift fixed point
      uint64_t refs = 0, once = 0;
      for (const scan::PfnRun& run : records[r].pages) {
        const uint32_t base = pages->IndexOf(run.pfn);
        for (uint32_t i = base; i < base + run.count; ++i) {
          const PageKind kind = pages->kind(i);
          if (kind == PageKind::kIgnored) continue;
          const int k = static_cast<int>(kind);
          if (owners.Visit(i, g)) ++t.rss_pages[k];
          if (kind == PageKind::kHugetlb) continue;  // not in Rss or Pss
          pss_fixed[k] += pages->pss_share(i);
          ++refs;
          once += pages->mapped_once(i);
        }
      }
      for (int k = 0; k < 3; ++k) {
        // Per process, as smaps rounds: whole bytes.
        const uint64_t bytes = pss_fixed[k] >> kPssShift;
        t.pss_kind_bytes[k] += bytes;
        t.pss_bytes += bytes;
      }
      t.rss_sum_bytes += refs * scan::kPageSize;
      t.private_sum_bytes += once * scan::kPageSize;
    }
    for (uint32_t i = 0; i < owners.size(); ++i) {
      uint32_t g = owners.SoleOwner(i);
      PageKind kind = pages->kind(i);
      if (g == kNone || kind == PageKind::kIgnored || pages->mapped_outside(i)) {
        continue;
      }
      ++out[g].uss_pages[static_cast<int>(kind)];
    }
  }

  Owners swap_owners(swap.size());
  for (uint32_t r : order) {
    const uint32_t g = group_of[r];
    for (uint64_t key : records[r].swap) {
      if (swap_owners.Visit(swap.IndexOf(key), g)) ++out[g].swap_rss_pages;
    }
  }
  for (uint32_t i = 0; i < swap_owners.size(); ++i) {
    uint32_t g = swap_owners.SoleOwner(i);
    if (g != kNone) ++out[g].swap_uss_pages;
  }

  if (budget != nullptr) budget->Release(owner_bytes);
  return out;
}

}  // namespace memstats::sets
