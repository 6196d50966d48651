// memstats top's loop mode: which groups changed since the previous round,
// decided cheaply from smaps_rollup before any full smaps is read.
//
// Each round scans smaps_rollup only and sums, per group, Pss + SwapPss
// (the "rollup figure": memory that moved to swap does not count as a
// shrink). A group is shown when it passes the -k rule against its figure
// of the previous round, or is new; only its processes' full smaps are read
// then. A group of the previous round with no process now is "gone": its
// change is minus its previous figure.
#ifndef MEMSTATS_PROFILE_TOP_CHANGE_H_
#define MEMSTATS_PROFILE_TOP_CHANGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "profile/top_table.h"
#include "scan/process_record.h"
#include "sets/report.h"

namespace memstats::profile {

// The -k rule. k_kib > 0: the group grew by at least k_kib KiB
// (change >= k_kib * 1024). k_kib <= 0: it changed by at least |k_kib| KiB
// either way (|change| >= |k_kib| * 1024; so -k 0 passes every group).
bool PassesChangeRule(int64_t change_bytes, int64_t k_kib);

// smaps_rollup Pss + SwapPss of one process, bytes.
uint64_t RollupFigure(const scan::ProcessRecord& rec);

// Group key -> sum of its processes' rollup figures.
using GroupRollups = absl::flat_hash_map<std::string, uint64_t>;
// REQUIRES: g.group_of.size() == recs.size().
GroupRollups SumRollups(const std::vector<scan::ProcessRecord>& recs,
                        const sets::Grouping& g);

struct ChangedGroup {
  std::string key;
  bool is_new = false;
  int64_t change = 0;  // bytes; for a new group its whole figure
};
struct ChangedGroups {
  std::vector<ChangedGroup> shown;  // groups of `now` to show, by key
  std::vector<ChangedGroup> gone;   // groups only in `prev` that pass
  bool Shows(const std::string& key) const;
};

// The groups to show this round. `k_kib` nullopt (no -k): every group of
// `now` and every gone group.
ChangedGroups SelectChanged(const GroupRollups& prev, const GroupRollups& now,
                            std::optional<int64_t> k_kib);

// The rows of this round: the groups of `rows` that `changed` shows, marked
// new or given their change, plus one row (no process, zero figures,
// gone) per gone group.
std::vector<TopGroup> ApplyChanges(std::vector<TopGroup> rows,
                                   const ChangedGroups& changed);

}  // namespace memstats::profile

#endif  // MEMSTATS_PROFILE_TOP_CHANGE_H_
