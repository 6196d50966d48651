#include "profile/top_change.h"

#include <algorithm>
#include <cstdlib>

namespace memstats::profile {

bool PassesChangeRule(int64_t change_bytes, int64_t k_kib) {
  if (k_kib > 0) return change_bytes >= k_kib * 1024;
  // |x| >= |k|, written so that INT64_MIN needs no negation.
  const uint64_t magnitude =
      change_bytes < 0 ? uint64_t{0} - static_cast<uint64_t>(change_bytes)
                       : static_cast<uint64_t>(change_bytes);
  const uint64_t limit = static_cast<uint64_t>(-k_kib) * 1024;
  return magnitude >= limit;
}

uint64_t RollupFigure(const scan::ProcessRecord& rec) {
  return rec.smaps.pss + rec.smaps.swap_pss;
}

GroupRollups SumRollups(const std::vector<scan::ProcessRecord>& recs,
                        const sets::Grouping& g) {
  GroupRollups sums;
  for (size_t i = 0; i < recs.size(); ++i) {
    sums[g.names[g.group_of[i]]] += RollupFigure(recs[i]);
  }
  return sums;
}

bool ChangedGroups::Shows(const std::string& key) const {
  auto it = std::lower_bound(
      shown.begin(), shown.end(), key,
      [](const ChangedGroup& c, const std::string& k) { return c.key < k; });
  return it != shown.end() && it->key == key;
}

ChangedGroups SelectChanged(const GroupRollups& prev, const GroupRollups& now,
                            std::optional<int64_t> k_kib) {
  auto passes = [&k_kib](int64_t change) {
    return !k_kib || PassesChangeRule(change, *k_kib);
  };
  ChangedGroups out;
  for (const auto& [key, figure] : now) {
    auto it = prev.find(key);
    if (it == prev.end()) {
      out.shown.push_back({key, true, static_cast<int64_t>(figure)});
      continue;
    }
    const int64_t change =
        static_cast<int64_t>(figure) - static_cast<int64_t>(it->second);
    if (passes(change)) out.shown.push_back({key, false, change});
  }
  for (const auto& [key, figure] : prev) {
    if (now.contains(key)) continue;
    const int64_t change = -static_cast<int64_t>(figure);
    if (passes(change)) out.gone.push_back({key, false, change});
  }
  auto by_key = [](const ChangedGroup& a, const ChangedGroup& b) {
    return a.key < b.key;
  };
  std::sort(out.shown.begin(), out.shown.end(), by_key);
  std::sort(out.gone.begin(), out.gone.end(), by_key);
  return out;
}

std::vector<TopGroup> ApplyChanges(std::vector<TopGroup> rows,
                                   const ChangedGroups& changed) {
  std::vector<TopGroup> out;
  for (TopGroup& row : rows) {
    auto it = std::lower_bound(
        changed.shown.begin(), changed.shown.end(), row.key,
        [](const ChangedGroup& c, const std::string& k) { return c.key < k; });
    if (it == changed.shown.end() || it->key != row.key) continue;
    row.is_new = it->is_new;
    row.change = it->change;
    out.push_back(std::move(row));
  }
  for (const ChangedGroup& g : changed.gone) {
    TopGroup row;
    row.key = g.key;
    row.gone = true;
    row.change = g.change;
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace memstats::profile
