#include "render/groups.h"
#include "render/scan_stats.h"
#include "scan/pagemap.h"

namespace memstats::render {
namespace {

using nlohmann::json;
using sets::GroupTotals;

// FREED and its parts (README "FREED"); page-level parts null without
// page-level data, and then the total too.
json Freed(const GroupTotals& g, bool page_level) {
  auto pages = [&](uint64_t n) -> json {
    return page_level ? json(n * scan::kPageSize) : json(nullptr);
  };
  return json{
      {"bytes", page_level ? json(g.freed_bytes(scan::kPageSize)) : json(nullptr)},
      {"anon_uss", pages(g.uss_pages[0])},
      {"swap_uss", pages(g.swap_uss_pages)},
      {"sysv_shm", g.freed_sysv_rss_bytes + g.freed_sysv_swap_bytes},
      {"sysv_shm_swap", g.freed_sysv_swap_bytes},
      {"sysv_shm_segments", g.freed_sysv_segments},
      {"unlinked_shm",
       page_level ? json(g.freed_unlinked_pages * scan::kPageSize +
                         g.freed_unlinked_swap_bytes)
                  : json(nullptr)},
      {"unlinked_shm_swap", g.freed_unlinked_swap_bytes},
      {"unlinked_shm_objects",
       page_level ? json(g.freed_unlinked_objects) : json(nullptr)},
      {"page_tables", g.vm_pte_bytes},
      {"file_uss_kept", pages(g.uss_pages[2])},
  };
}

json Totals(const GroupTotals& g, bool page_level) {
  auto pages = [&](uint64_t n) -> json {
    return page_level ? json(n * scan::kPageSize) : json(nullptr);
  };
  return json{
      {"processes", g.processes},
      {"rss", pages(g.rss_total_pages())},
      {"anon_rss", pages(g.rss_pages[0])},
      {"shmem_rss", pages(g.rss_pages[1])},
      {"file_rss", pages(g.rss_pages[2])},
      {"uss", pages(g.uss_total_pages())},
      {"anon_uss", pages(g.uss_pages[0])},
      {"shmem_uss", pages(g.uss_pages[1])},
      {"file_uss", pages(g.uss_pages[2])},
      {"hugetlb", pages(g.rss_pages[3])},
      {"pss", g.pss_bytes},
      {"pss_anon", g.pss_kind_bytes[0]},
      {"pss_shmem", g.pss_kind_bytes[1]},
      {"pss_file", g.pss_kind_bytes[2]},
      {"swap_rss", pages(g.swap_rss_pages)},
      {"swap_uss", pages(g.swap_uss_pages)},
      {"swap_pss", g.swap_pss_bytes},
      {"ksm", pages(g.ksm_pages)},
      {"sysv_shm_rss", g.sysv_rss_bytes},
      {"sysv_shm_swap", g.sysv_swap_bytes},
      {"shmem_swap", g.shmem_swap_bytes},
      {"rss_sum", g.rss_sum_bytes},
      {"private_sum", g.private_sum_bytes},
      {"page_tables", g.vm_pte_bytes},
      {"freed", Freed(g, page_level)},
  };
}

}  // namespace

json GroupsJson(const sets::Report& report) {
  const scan::ScanStats& s = report.scan;
  json doc;
  doc["schema_version"] = kJsonSchemaVersion;
  doc["page_level"] = report.page_level;
  if (!report.page_level) doc["page_level_note"] = report.page_level_note;
  json scan = ScanStatsJson(s);
  scan["zero_pages_excluded"] = report.zero_pages;
  scan["invalid_pfns_excluded"] = report.invalid_pfns;
  scan["beyond_ram_entries_excluded"] = s.out_of_range_pfns;
  scan["migration_entries_as_pages"] = s.pfn_swap_entries;
  scan["pte_markers_excluded"] = s.pte_markers;
  scan["shmem_swap_unknown_objects"] = s.shmem_objects_unknown;
  scan["shared_windows_reused"] = s.object_windows_reused;
  scan["pages_kind_from_pagemap"] = report.kind_from_pagemap;
  doc["scan"] = std::move(scan);
  json splits = json::array();
  for (const sets::SplitReport& split : report.splits) {
    json groups = json::array();
    for (const sets::GroupReport& g : split.groups) {
      json j = Totals(g.totals, report.page_level);
      j["name"] = g.name;
      if (!report.processes.empty()) j["pids"] = g.pids;
      groups.push_back(std::move(j));
    }
    splits.push_back(json{{"splitter", split.splitter},
                          {"groups", std::move(groups)},
                          {"totals", Totals(split.totals, report.page_level)}});
  }
  doc["splits"] = std::move(splits);
  if (!report.processes.empty()) {
    json procs = json::array();
    for (const sets::ProcessReport& p : report.processes) {
      json j = Totals(p.totals, report.page_level);
      j.erase("processes");
      j["pid"] = p.pid;
      j["ppid"] = p.ppid;
      j["uid"] = p.uid;
      j["comm"] = p.comm;
      j["cmdline"] = p.cmdline;
      procs.push_back(std::move(j));
    }
    doc["processes"] = std::move(procs);
  }
  return doc;
}

void RenderGroupsJson(const sets::Report& report, std::ostream& out) {
  out << GroupsJson(report).dump(2, ' ', false,
                                 json::error_handler_t::replace)
      << "\n";
}

}  // namespace memstats::render
