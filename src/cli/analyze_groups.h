// The groups pipeline (scan, splitters, accounting) as a library call that
// prints nothing, and memstats groups' printing of it. memstats serve runs
// the same call on its own schedule.
#ifndef MEMSTATS_CLI_ANALYZE_GROUPS_H_
#define MEMSTATS_CLI_ANALYZE_GROUPS_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/common.h"
#include "sets/report.h"
#include "splitters/splitter.h"

namespace memstats::cli {

struct GroupsRequest {
  // Pids the user named (--split-pids): those that exit before or during
  // the scan are listed in GroupsResult::vanished_named.
  std::vector<int> named_pids;
  // Cap on the groups per split, the rest folded into one (sets::FoldGroups);
  // 0: no cap.
  size_t max_groups = 0;
  // The "scanning N/M processes" line on a terminal's stderr.
  bool progress_line = false;
};

struct GroupsResult {
  sets::Report report;  // report.scan.seconds covers scan and accounting
  std::vector<int> vanished_named;
};

// Scans once (ScanSelected), applies every splitter, accounts. Prints
// nothing. Fails with ResourceExhausted when --mem-limit is reached (the
// message says whether in the scan or the accounting), else with the
// source's error.
absl::StatusOr<GroupsResult> AnalyzeGroups(
    Context& ctx,
    const std::vector<std::unique_ptr<splitters::Splitter>>& splits,
    const GroupsRequest& request);

// AnalyzeGroups, then its warnings on stderr and the report (text or JSON)
// on stdout, whole or not at all. `named_pids` (--split-pids) must be
// listed (RequireListedPids). Returns the exit code.
int RunGroups(Context& ctx,
              const std::vector<std::unique_ptr<splitters::Splitter>>& splits,
              const std::vector<int>& named_pids = {});

}  // namespace memstats::cli

#endif  // MEMSTATS_CLI_ANALYZE_GROUPS_H_
