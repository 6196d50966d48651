// memstats top's numbers: each process's smaps categories folded into top's
// columns, summed per group, ordered, and folded below --top-pct. Pure
// computation on scan records; no I/O.
//
// Category -> column (every byte of a process's smaps Pss lands in exactly
// one of the ptotal columns, so ptotal == ProcessRecord::usage_pss):
//   stack   = stack + thread_stack
//   data    = heap + private writable file mappings (.data/.bss, rw-p)
//   text    = file mappings that are not writable (code r-xp, read-only
//             data r--p, shared read-only r--s) + special ([vdso], [vvar])
//   anon    = other private anonymous memory (and thread stacks whose stack
//             pointer could not be read)
//   shSYSV  = SysV shared memory
//   shOth   = other shared memory (shared anonymous, /dev/shm, memfd) +
//             shared writable file mappings
//   ptotal  = stack + data + text + anon + shSYSV + shOth
//   pss     = smaps_rollup Pss, read apart on request (a second walk of
//             the page tables): shows agreement with ptotal
//   pswap   = SwapPss of every mapping (never part of ptotal or pss)
//   hugetlb = hugetlb bytes (the kernel leaves them out of Pss; not in
//             ptotal)
#ifndef MEMSTATS_PROFILE_TOP_TABLE_H_
#define MEMSTATS_PROFILE_TOP_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scan/process_record.h"
#include "sets/report.h"

namespace memstats::profile {

enum class TopColumn : uint8_t {
  kPswap,
  kShSysv,
  kShOth,
  kStack,
  kText,
  kData,
  kAnon,
  kHugetlb,
  kPtotal,
  kPss,
  kCount,  // processes in the group (the pid when grouping by pid)
};

// "pswap", "shSYSV", "shOth", "stack", "text", "data", "anon", "hugetlb",
// "ptotal", "pss", "count".
std::string_view TopColumnName(TopColumn c);
// The inverse of TopColumnName; nullopt for anything else.
std::optional<TopColumn> ParseTopColumn(std::string_view name);
// pswap shSYSV shOth stack text data anon ptotal count (pss and hugetlb
// on request).
std::vector<TopColumn> DefaultTopColumns();

// Bytes per column (kCount is not a figure).
struct TopFigures {
  uint64_t pswap = 0, shsysv = 0, shoth = 0, stack = 0, text = 0, data = 0,
           anon = 0, hugetlb = 0, ptotal = 0, pss = 0;
  // REQUIRES: c != kCount.
  uint64_t Get(TopColumn c) const;
  void Add(const TopFigures& o);
  bool operator==(const TopFigures&) const = default;
};

// One process's figures from its usage rows (ScanOptions::mapping_detail)
// and its ProcessRecord::smaps (pss: smaps_rollup's when it was read, else
// the sum of the mappings', which is ptotal).
TopFigures ProcessFigures(const scan::ProcessRecord& rec);

// One row of the table.
struct TopGroup {
  std::string key;  // the group key ("others" for the folded row)
  // What the table names the group by when the key says little: grouping
  // by pid, the process's exe key. Empty otherwise.
  std::string name;
  int processes = 0;
  int pid = 0;  // the lowest pid of the group
  TopFigures figures;
  bool is_new = false;            // not in the previous round
  bool gone = false;              // in the previous round, no process now
  std::optional<int64_t> change;  // bytes since the previous round
  int folded_groups = 0;          // the "others" row: how many groups it holds
};

// Sums `recs` per group of `g`, in the order of g.names; groups without a
// process are left out. REQUIRES: g.group_of.size() == recs.size().
std::vector<TopGroup> SumGroups(const std::vector<scan::ProcessRecord>& recs,
                                const sets::Grouping& g);

// Orders rows by `column` descending (kCount: processes), then by key
// ascending. `by_key` instead orders by key ascending only. Keys that are
// both numbers (pids, uids) compare as numbers.
void SortGroups(std::vector<TopGroup>& groups, TopColumn column,
                bool by_key = false);

// Keeps the groups with the largest ptotal that together make up
// `top_pct` percent of the groups' whole ptotal: a group is kept while the
// ptotal of the groups kept before it is below the threshold. The rest are
// summed into one "others" row (nullopt when nothing is folded). `groups`
// keep their relative order. REQUIRES: 0 < top_pct <= 100.
struct Folded {
  std::vector<TopGroup> kept;
  std::optional<TopGroup> others;
};
Folded FoldBelowTopPct(std::vector<TopGroup> groups, double top_pct);

// The sum of `groups` as one row keyed "TOTAL".
TopGroup TotalOf(const std::vector<TopGroup>& groups,
                 const std::optional<TopGroup>& others);

// One round of memstats top: what the renderers print.
struct TopRound {
  int round = 1;
  std::string time;      // "HH:MM:SS", local time
  std::string group_by;  // "exe", "cmd", "pid", "comm", "user", "uid", "cgroup"
  // From the source's meminfo, bytes; nullopt when it does not say.
  std::optional<uint64_t> mem_total, mem_available, dirty;
  size_t contributing = 0;  // processes counted in this round
  size_t existing = 0;      // processes listed, kernel threads excluded
  size_t unreadable = 0;
  size_t vanished = 0;
  bool self_excluded = false;  // memstats's own process was left out
  // smaps_rollup was read, so TopFigures::pss is its Pss (JSON shows pss
  // only then, null otherwise).
  bool rollup_read = false;
  std::vector<TopGroup> rows;      // in display order
  std::optional<TopGroup> others;  // groups folded below --top-pct
  TopGroup total;                  // rows + others
};

}  // namespace memstats::profile

#endif  // MEMSTATS_PROFILE_TOP_TABLE_H_
