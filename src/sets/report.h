// Report: the plain numbers a command prints, built from one scan and any
// number of groupings. Renderers format a Report and compute nothing.
#ifndef MEMSTATS_SETS_REPORT_H_
#define MEMSTATS_SETS_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "scan/memory_budget.h"
#include "scan/proc_source.h"
#include "scan/scanner.h"
#include "sets/accounting.h"

namespace memstats::sets {

// A split of the scanned records into groups (what a splitter produces).
struct Grouping {
  std::string splitter;
  std::vector<std::string> names;  // group id -> name
  std::vector<uint32_t> group_of;  // record index -> group id
};

struct GroupReport {
  std::string name;
  std::vector<int> pids;  // ascending
  GroupTotals totals;
};

struct SplitReport {
  std::string splitter;
  // Groups with at least one process, largest RSS first (PSS first when
  // page-level numbers are unavailable).
  std::vector<GroupReport> groups;
  GroupTotals totals;  // every group taken together as one group
};

struct ProcessReport {
  int pid = 0;
  int ppid = 0;
  uint32_t uid = 0;
  std::string comm;
  std::string cmdline;  // argv joined by spaces
  GroupTotals totals;   // the process as a group of one
};

struct Report {
  scan::ScanStats scan;
  // False when PFNs are hidden (not root) or kpageflags/kpagecount cannot
  // be read: page-level fields must not be shown. `page_level_note` says why.
  bool page_level = true;
  std::string page_level_note;
  uint64_t zero_pages = 0;    // distinct zero pages left out
  uint64_t invalid_pfns = 0;  // distinct PFNs naming no page, left out
  // Distinct pages whose kind came from pagemap alone, their kpageflags
  // not read (PageCatalog::flags_implied).
  uint64_t kind_from_pagemap = 0;
  std::vector<SplitReport> splits;
  std::vector<ProcessReport> processes;  // with --list-processes
};

// The scan's page catalog when page-level numbers can be had. nullopt, with
// `note` saying why, when the scan found PFNs hidden or kpageflags and
// kpagecount cannot be read (permissions, missing files). Fails on the
// memory budget or another ProcSource error.
absl::StatusOr<std::optional<PageCatalog>> PageLevelCatalog(
    const scan::ScanResult& scan, scan::ProcSource& source,
    scan::MemoryBudget* budget, int threads, std::string& note);

// The name of the group that FoldGroups makes of a split's smaller groups.
inline constexpr char kFoldedGroup[] = "other";

// `grouping` with at most `max_groups` groups: the max_groups - 1 first
// groups of `split` (its report: largest first) keep their names, every
// other process goes into one group named kFoldedGroup (a group already
// named so is folded too, so that names stay unique). nullopt when the
// split has no more than max_groups groups or max_groups is 0.
// REQUIRES: `split` was accounted from `grouping`.
std::optional<Grouping> FoldGroups(const Grouping& grouping,
                                   const SplitReport& split,
                                   size_t max_groups);

// Accounts every grouping over the same scan, the splits side by side on
// `threads` threads. With max_groups > 0, a split with more groups than
// that is folded (FoldGroups) and accounted again: its kFoldedGroup is a
// true group (distinct pages, USS against everything outside it). Fails
// only on the memory budget or a ProcSource error other than permissions.
absl::StatusOr<Report> BuildReport(const scan::ScanResult& scan,
                                   const std::vector<Grouping>& groupings,
                                   bool list_processes,
                                   scan::ProcSource& source,
                                   scan::MemoryBudget* budget, int threads = 1,
                                   size_t max_groups = 0);

}  // namespace memstats::sets

#endif  // MEMSTATS_SETS_REPORT_H_
