#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "render/groups.h"
#include "render/text_table.h"
#include "render/scan_stats.h"
#include "scan/pagemap.h"

namespace memstats::render {
namespace {

using Align = TextTable::Align;
using sets::GroupTotals;
constexpr size_t kMaxNameWidth = 48;


std::string Name(const std::string& raw) {
  return EscapeForTerminal(Shorten(raw, kMaxNameWidth));
}

// The memory columns shared by group and process tables.
void AddMemoryColumns(TextTable& t, const GroupsTextOptions& o) {
  for (const char* h : {"RSS", "ANON", "SHMEM", "FILE", "USS", "ANON_USS",
                        "PSS", "SWAP", "SWAP_USS", "SYSV_SHM", "SHM_SWAP",
                        "FREED", "FILE_USS"}) {
    t.AddColumn(h, Align::kRight);
  }
  if (o.ksm) t.AddColumn("KSM", Align::kRight);
}

std::vector<std::string> MemoryCells(const GroupTotals& g, bool page_level,
                                     Unit u, const GroupsTextOptions& o) {
  auto pages = [&](uint64_t n) {
    return page_level ? FormatBytes(n * scan::kPageSize, u) : std::string("-");
  };
  std::vector<std::string> cells = {pages(g.rss_total_pages()),
                                    pages(g.rss_pages[0]),
                                    pages(g.rss_pages[1]),
                                    pages(g.rss_pages[2]),
                                    pages(g.uss_total_pages()),
                                    pages(g.uss_pages[0]),
                                    FormatBytes(g.pss_bytes, u),
                                    pages(g.swap_rss_pages),
                                    pages(g.swap_uss_pages),
                                    FormatBytes(g.sysv_rss_bytes, u),
                                    FormatBytes(g.shm_swap_bytes(), u),
                                    // Needs anon USS: page-level only.
                                    page_level
                                        ? FormatBytes(g.freed_bytes(scan::kPageSize), u)
                                        : std::string("-"),
                                    pages(g.uss_pages[2])};
  if (o.ksm) cells.push_back(pages(g.ksm_pages));
  return cells;
}

void Append(std::vector<std::string>& row, std::vector<std::string> more) {
  row.insert(row.end(), more.begin(), more.end());
}

}  // namespace

void RenderGroupsText(const sets::Report& report, Unit unit,
                      std::ostream& out, const GroupsTextOptions& options) {
  const scan::ScanStats& s = report.scan;
  out << ScanLine(s);
  if (!report.page_level) {
    out << "page-level numbers unavailable: " << report.page_level_note
        << "\n";
  }
  if (s.shmem_objects_unknown > 0) {
    out << "swap unknown for " << s.shmem_objects_unknown
        << " tmpfs, memfd or shared anonymous "
        << (s.shmem_objects_unknown == 1 ? "object" : "objects")
        << ", left out of SHM_SWAP (it needs /proc/PID/map_files: "
           "CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE; and cachestat: Linux "
           "6.5)\n";
  }
  for (const sets::SplitReport& split : report.splits) {
    out << "\nsplit by " << EscapeForTerminal(split.splitter) << "\n";
    TextTable t;
    t.AddColumn("GROUP", Align::kLeft);
    t.AddColumn("PROCS", Align::kRight);
    AddMemoryColumns(t, options);
    for (const sets::GroupReport& g : split.groups) {
      std::vector<std::string> row = {Name(g.name),
                                      absl::StrCat(g.totals.processes)};
      Append(row, MemoryCells(g.totals, report.page_level, unit, options));
      t.AddRow(std::move(row));
    }
    t.AddRule();
    std::vector<std::string> total = {"TOTAL",
                                      absl::StrCat(split.totals.processes)};
    Append(total, MemoryCells(split.totals, report.page_level, unit, options));
    t.AddRow(std::move(total));
    t.Print(out);
  }
  if (!report.processes.empty()) {
    out << "\nprocesses\n";
    TextTable t;
    t.AddColumn("PID", Align::kRight);
    t.AddColumn("PPID", Align::kRight);
    t.AddColumn("UID", Align::kRight);
    t.AddColumn("COMM", Align::kLeft);
    AddMemoryColumns(t, options);
    t.AddColumn("COMMAND", Align::kLeft);
    for (const sets::ProcessReport& p : report.processes) {
      std::vector<std::string> row = {absl::StrCat(p.pid),
                                      absl::StrCat(p.ppid),
                                      absl::StrCat(p.uid),
                                      EscapeForTerminal(p.comm)};
      Append(row, MemoryCells(p.totals, report.page_level, unit, options));
      row.push_back(EscapeForTerminal(Shorten(p.cmdline, 80)));
      t.AddRow(std::move(row));
    }
    t.Print(out);
  }
}

}  // namespace memstats::render
