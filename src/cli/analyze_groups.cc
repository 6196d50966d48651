#include "cli/analyze_groups.h"

#include <chrono>
#include <iostream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "render/groups.h"

namespace memstats::cli {

absl::StatusOr<GroupsResult> AnalyzeGroups(
    Context& ctx,
    const std::vector<std::unique_ptr<splitters::Splitter>>& splits,
    const GroupsRequest& request) {
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<scan::MemoryBudget> budget = NewBudget(ctx);
  scan::ScanOptions options;
  // Page-level accounting needs kpageflags; when it cannot be read PSS can
  // only come from smaps, so read smaps_rollup during the scan. (When
  // kpageflags opens but pagemap hides PFNs, as for root without
  // CAP_SYS_ADMIN, the scan finds out and reads smaps_rollup itself.)
  uint64_t probe = 0;
  options.read_smaps =
      !ctx.source->ReadKpageflags(0, std::span<uint64_t>(&probe, 1)).ok();
  // Only the identity files the splitters look at (the filter's are
  // added by ScanSelected), and the command line for --list-processes.
  options.identity = ctx.opts.list_processes ? scan::kIdCmdline : 0;
  for (const auto& s : splits) {
    for (const auto& k : s->EnvKeys()) options.env_keys.insert(k);
    options.identity |= s->IdentityFiles();
  }
  options.shm_holders = true;  // FREED: who holds memfds, deleted files
  absl::StatusOr<scan::ScanResult> result = ScanSelected(
      ctx, options, nullptr, *budget, request.progress_line);
  if (!result.ok()) return result.status();

  std::vector<sets::Grouping> groupings;
  groupings.reserve(splits.size());
  for (const auto& s : splits) {
    groupings.push_back(
        splitters::Split(*s, result->processes, result->parents));
  }
  absl::StatusOr<sets::Report> report = sets::BuildReport(
      *result, groupings, ctx.opts.list_processes, *ctx.source, budget.get(),
      ctx.threads, request.max_groups);
  if (!report.ok()) {
    if (absl::IsResourceExhausted(report.status())) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "memory limit of %d MiB reached while accounting; no numbers were "
          "printed. Raise --mem-limit or narrow --filter",
          ctx.mem_limit_bytes >> 20));
    }
    return report.status();
  }
  // The time reported covers the scan and the accounting.
  report->scan.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  GroupsResult out{std::move(*report), VanishedPids(request.named_pids,
                                                    *result)};
  return out;
}

int RunGroups(Context& ctx,
              const std::vector<std::unique_ptr<splitters::Splitter>>& splits,
              const std::vector<int>& named_pids) {
  RequireListedPids(*ctx.source, named_pids, "--split-pids");
  GroupsRequest request;
  request.named_pids = named_pids;
  request.progress_line = true;
  absl::StatusOr<GroupsResult> done = AnalyzeGroups(ctx, splits, request);
  if (!done.ok()) {
    std::cerr << "memstats: error: " << done.status().message() << "\n";
    return ExitCodeFor(done.status());
  }
  const sets::Report& report = done->report;
  WarnUnreadable(report.scan);
  for (int pid : done->vanished_named) {
    std::cerr << absl::StrFormat(
        "memstats: warning: process %d exited during the scan\n", pid);
  }
  if (!report.page_level) {
    std::cerr << "memstats: warning: " << report.page_level_note << "\n";
  }

  // Render into memory first: stdout gets the whole report or nothing.
  std::ostringstream out;
  if (ctx.opts.json) {
    render::RenderGroupsJson(report, out);
  } else {
    render::RenderGroupsText(report, ctx.unit, out,
                             {.ksm = ctx.opts.ksm_column});
  }
  std::cout << out.str() << std::flush;
  return kExitOk;
}

}  // namespace memstats::cli
