#include "sets/report.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "scan/parallel.h"
#include "tbb/task_arena.h"

namespace memstats::sets {

absl::StatusOr<std::optional<PageCatalog>> PageLevelCatalog(
    const scan::ScanResult& scan, scan::ProcSource& source,
    scan::MemoryBudget* budget, int threads, std::string& note) {
  if (!scan.stats.page_level_off.empty()) {
    note = scan.stats.page_level_off;
    return std::nullopt;
  }
  auto c = PageCatalog::Build(scan.processes, *scan.segments, source, budget,
                              threads);
  if (c.ok()) return std::optional<PageCatalog>(std::move(*c));
  if (absl::IsPermissionDenied(c.status()) || absl::IsNotFound(c.status())) {
    note = absl::StrCat(c.status().message(),
                        ": run as root for RSS/USS by page");
    return std::nullopt;
  }
  return c.status();
}

namespace {

// The split's report from its accounted groups: groups with processes,
// largest RSS first (PSS first without page-level numbers).
SplitReport MakeSplit(const scan::ScanResult& scan, const Grouping& g,
                      const std::vector<GroupTotals>& per_group,
                      const GroupTotals& totals, bool page_level) {
  const uint32_t n = static_cast<uint32_t>(g.names.size());
  SplitReport split;
  split.splitter = g.splitter;
  split.totals = totals;
  std::vector<std::vector<int>> pids(n);
  for (size_t r = 0; r < scan.processes.size(); ++r) {
    pids[g.group_of[r]].push_back(scan.processes[r].id.pid);
  }
  for (uint32_t id = 0; id < n; ++id) {
    if (per_group[id].processes == 0) continue;
    split.groups.push_back({g.names[id], std::move(pids[id]), per_group[id]});
  }
  std::stable_sort(split.groups.begin(), split.groups.end(),
                   [page_level](const GroupReport& a, const GroupReport& b) {
                     if (page_level) {
                       return a.totals.rss_total_pages() >
                              b.totals.rss_total_pages();
                     }
                     return a.totals.pss_bytes > b.totals.pss_bytes;
                   });
  return split;
}

}  // namespace

std::optional<Grouping> FoldGroups(const Grouping& grouping,
                                   const SplitReport& split,
                                   size_t max_groups) {
  if (max_groups == 0 || split.groups.size() <= max_groups) {
    return std::nullopt;
  }
  Grouping folded;
  folded.splitter = grouping.splitter;
  absl::flat_hash_map<std::string_view, uint32_t> kept;
  for (const GroupReport& g : split.groups) {
    if (kept.size() + 1 >= max_groups) break;
    // A group already named "other" goes into the folded one: two series
    // with the same labels would be one too many.
    if (g.name == kFoldedGroup) continue;
    kept.emplace(g.name, static_cast<uint32_t>(folded.names.size()));
    folded.names.push_back(g.name);
  }
  const auto other = static_cast<uint32_t>(folded.names.size());
  folded.names.emplace_back(kFoldedGroup);
  std::vector<uint32_t> new_id(grouping.names.size(), other);
  for (size_t id = 0; id < grouping.names.size(); ++id) {
    if (auto it = kept.find(grouping.names[id]); it != kept.end()) {
      new_id[id] = it->second;
    }
  }
  folded.group_of.reserve(grouping.group_of.size());
  for (uint32_t id : grouping.group_of) folded.group_of.push_back(new_id[id]);
  return folded;
}

absl::StatusOr<Report> BuildReport(const scan::ScanResult& scan,
                                   const std::vector<Grouping>& groupings,
                                   bool list_processes,
                                   scan::ProcSource& source,
                                   scan::MemoryBudget* budget, int threads,
                                   size_t max_groups) {
  Report report;
  report.scan = scan.stats;
  auto catalog = PageLevelCatalog(scan, source, budget, threads,
                                  report.page_level_note);
  if (!catalog.ok()) return catalog.status();
  report.page_level = catalog->has_value();
  if (report.page_level) {
    report.zero_pages = (*catalog)->zero_pages();
    report.invalid_pfns = (*catalog)->invalid_pfns();
    report.kind_from_pagemap = (*catalog)->flags_implied();
  }
  const PageCatalog* pages = *catalog ? &**catalog : nullptr;
  SwapCatalog swap(scan.processes);
  const size_t n_records = scan.processes.size();
  Accountant accountant(scan.processes, *scan.segments, pages, swap, scan.sysv,
                        threads, scan.unlinked_held_outside,
                        scan.shmem_objects);

  // Jobs: the totals (everything as one group), each grouping, and with
  // --list-processes each process as its own group. Independent, so they
  // run side by side.
  struct Job {
    std::vector<uint32_t> group_of;
    uint32_t groups = 1;
    absl::StatusOr<std::vector<GroupTotals>> result;
  };
  std::vector<Job> jobs(1 + groupings.size() + (list_processes ? 1 : 0));
  jobs[0].group_of.assign(n_records, 0);
  for (size_t j = 0; j < groupings.size(); ++j) {
    jobs[1 + j].group_of = groupings[j].group_of;
    jobs[1 + j].groups = static_cast<uint32_t>(groupings[j].names.size());
  }
  if (list_processes) {
    Job& own = jobs.back();
    own.group_of.resize(n_records);
    std::iota(own.group_of.begin(), own.group_of.end(), 0);
    own.groups = static_cast<uint32_t>(n_records);
  }
  tbb::task_arena arena(std::max(1, threads));
  arena.execute([&] {
    scan::ParallelFor(size_t{0}, jobs.size(), [&](size_t j) {
      jobs[j].result =
          accountant.Account(jobs[j].group_of, jobs[j].groups, budget);
    });
  });
  for (const Job& job : jobs) {
    if (!job.result.ok()) return job.result.status();
  }
  const GroupTotals& totals = (*jobs[0].result)[0];

  for (size_t j = 0; j < groupings.size(); ++j) {
    report.splits.push_back(MakeSplit(scan, groupings[j], *jobs[1 + j].result,
                                      totals, report.page_level));
  }

  // Splits over max_groups: their small groups folded into one and
  // accounted again, as one group (a union of pages, not a sum).
  std::vector<std::pair<size_t, Grouping>> refold;
  for (size_t j = 0; j < groupings.size(); ++j) {
    if (auto f = FoldGroups(groupings[j], report.splits[j], max_groups)) {
      refold.emplace_back(j, std::move(*f));
    }
  }
  std::vector<absl::StatusOr<std::vector<GroupTotals>>> refolded(refold.size());
  arena.execute([&] {
    scan::ParallelFor(size_t{0}, refold.size(), [&](size_t k) {
      const Grouping& g = refold[k].second;
      refolded[k] = accountant.Account(
          g.group_of, static_cast<uint32_t>(g.names.size()), budget);
    });
  });
  for (size_t k = 0; k < refold.size(); ++k) {
    if (!refolded[k].ok()) return refolded[k].status();
    report.splits[refold[k].first] = MakeSplit(
        scan, refold[k].second, *refolded[k], totals, report.page_level);
  }

  if (list_processes) {
    const std::vector<GroupTotals>& per_process = *jobs.back().result;
    for (size_t r = 0; r < n_records; ++r) {
      const scan::ProcessIdentity& id = scan.processes[r].id;
      report.processes.push_back({id.pid, id.ppid, id.uid, id.comm,
                                  absl::StrJoin(id.cmdline, " "),
                                  per_process[r]});
    }
  }
  return report;
}

}  // namespace memstats::sets
