#include "sets/report.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "absl/strings/str_join.h"

namespace memstats::sets {
namespace {

absl::StatusOr<std::vector<GroupTotals>> Account(
    const scan::ScanResult& scan, const std::vector<uint32_t>& group_of,
    uint32_t n, const PageCatalog* pages, const SwapCatalog& swap,
    scan::MemoryBudget* budget) {
  return AccountGroups(scan.processes, group_of, n, pages, swap, scan.sysv,
                       budget);
}

}  // namespace

absl::StatusOr<Report> BuildReport(const scan::ScanResult& scan,
                                   const std::vector<Grouping>& groupings,
                                   bool list_processes,
                                   scan::ProcSource& source,
                                   scan::MemoryBudget* budget) {
  Report report;
  report.scan = scan.stats;
  std::optional<PageCatalog> catalog;
  if (scan.stats.pfns_hidden) {
    report.page_level = false;
    report.page_level_note =
        "physical page numbers are hidden (pagemap reads PFN 0 without "
        "CAP_SYS_ADMIN): run as root for RSS/USS by page";
  } else {
    auto c = PageCatalog::Build(scan.processes, source, budget);
    if (c.ok()) {
      catalog = std::move(*c);
      report.zero_pages = catalog->zero_pages();
      report.invalid_pfns = catalog->invalid_pfns();
    } else if (absl::IsPermissionDenied(c.status()) ||
               absl::IsNotFound(c.status())) {
      report.page_level = false;
      report.page_level_note = std::string(c.status().message()) +
                               ": run as root for RSS/USS by page";
    } else {
      return c.status();
    }
  }
  const PageCatalog* pages = catalog ? &*catalog : nullptr;
  SwapCatalog swap(scan.processes);
  const size_t n_records = scan.processes.size();

  std::vector<uint32_t> all(n_records, 0);
  auto totals = Account(scan, all, 1, pages, swap, budget);
  if (!totals.ok()) return totals.status();

  for (const Grouping& g : groupings) {
    const uint32_t n = static_cast<uint32_t>(g.names.size());
    auto per_group = Account(scan, g.group_of, n, pages, swap, budget);
    if (!per_group.ok()) return per_group.status();
    SplitReport split;
    split.splitter = g.splitter;
    split.totals = (*totals)[0];
    std::vector<std::vector<int>> pids(n);
    for (size_t r = 0; r < n_records; ++r) {
      pids[g.group_of[r]].push_back(scan.processes[r].id.pid);
    }
    for (uint32_t id = 0; id < n; ++id) {
      if ((*per_group)[id].processes == 0) continue;
      split.groups.push_back(
          {g.names[id], std::move(pids[id]), (*per_group)[id]});
    }
    const bool by_rss = report.page_level;
    std::stable_sort(split.groups.begin(), split.groups.end(),
                     [by_rss](const GroupReport& a, const GroupReport& b) {
                       if (by_rss) {
                         return a.totals.rss_total_pages() >
                                b.totals.rss_total_pages();
                       }
                       return a.totals.pss_bytes > b.totals.pss_bytes;
                     });
    report.splits.push_back(std::move(split));
  }

  if (list_processes) {
    std::vector<uint32_t> own(n_records);
    std::iota(own.begin(), own.end(), 0);
    auto per_process = Account(scan, own, static_cast<uint32_t>(n_records),
                               pages, swap, budget);
    if (!per_process.ok()) return per_process.status();
    for (size_t r = 0; r < n_records; ++r) {
      const scan::ProcessIdentity& id = scan.processes[r].id;
      report.processes.push_back({id.pid, id.ppid, id.uid, id.comm,
                                  absl::StrJoin(id.cmdline, " "),
                                  (*per_process)[r]});
    }
  }
  return report;
}

}  // namespace memstats::sets
