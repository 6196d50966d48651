#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "inspect/kpageflags.h"
#include "render/procinfo.h"
#include "render/text_table.h"
#include "scan/pagemap.h"

namespace memstats::render {
namespace {

using Align = TextTable::Align;
using inspect::MappingInfo;
using inspect::PageFigures;
using inspect::ProcInfo;

std::string HexField(uint64_t v) { return absl::StrFormat("%08x", v); }

std::string Path(const MappingInfo& m) {
  return EscapeForTerminal(m.map.path);
}

// "present,file/shared,exclusive" for a pagemap entry.
std::string PagemapFlags(uint64_t e) {
  std::vector<absl::string_view> f;
  if (scan::PmIsPresent(e)) f.emplace_back("present");
  if (scan::PmIsSwapped(e)) f.emplace_back("swapped");
  if (e & scan::kPmFileOrShared) f.emplace_back("file/shared");
  if (e & scan::kPmExclusive) f.emplace_back("exclusive");
  if (e & scan::kPmSoftDirty) f.emplace_back("soft-dirty");
  return absl::StrJoin(f, ",");
}

// The PFN column: "0x100", "swap 0:0x8" (type:offset), or "hidden".
std::string PfnCell(const inspect::PageInfo& p) {
  if (p.has_page) return absl::StrFormat("0x%x", p.pfn);
  if (!scan::PmIsPresent(p.entry)) {
    return absl::StrFormat("swap %d:0x%x", scan::PmSwapType(p.entry),
                           scan::PmSwapOffset(p.entry));
  }
  return "hidden";
}

void MappingTable(const ProcInfo& info, Unit unit, std::ostream& out) {
  TextTable t;
  for (const char* h : {"START", "END", "PERMS", "OFFSET", "KIND"}) {
    t.AddColumn(h, Align::kLeft);
  }
  std::vector<const char*> numbers;
  if (info.page_level) {
    numbers = {"RSS", "PSS", "USS", "SWAP", "THP", "HUGETLB", "KSM", "ZERO"};
  } else {
    numbers = {"PRESENT", "SWAPPED", "RSS", "PSS", "SWAP"};
  }
  for (const char* h : numbers) t.AddColumn(h, Align::kRight);
  t.AddColumn("PATH", Align::kLeft);
  auto figures = [&](const PageFigures& p, const scan::SmapsTotals& s) {
    if (info.page_level) {
      return std::vector<std::string>{
          FormatBytes(p.rss, unit),        FormatBytes(p.pss, unit),
          FormatBytes(p.uss, unit),        FormatBytes(p.swap_bytes, unit),
          absl::StrCat(p.thp),             absl::StrCat(p.hugetlb),
          absl::StrCat(p.ksm),             absl::StrCat(p.zero)};
    }
    return std::vector<std::string>{
        absl::StrCat(p.present), absl::StrCat(p.swap),
        FormatBytes(s.rss, unit), FormatBytes(s.pss, unit),
        FormatBytes(s.swap, unit)};
  };
  for (const MappingInfo& m : info.mappings) {
    std::vector<std::string> row = {
        HexField(m.map.start), HexField(m.map.end),
        scan::FormatPerms(scan::MappingPerms(m.map)), HexField(m.map.offset),
        std::string(scan::MappingCategoryName(m.category))};
    for (std::string& c : figures(m.pages, m.smaps)) row.push_back(std::move(c));
    row.push_back(Path(m));
    t.AddRow(std::move(row));
  }
  t.AddRule();
  std::vector<std::string> total = {
      "total", "", "", "",
      absl::StrCat(info.mappings.size(),
                   info.mappings.size() == 1 ? " mapping" : " mappings")};
  for (std::string& c : figures(info.total, info.smaps_total)) {
    total.push_back(std::move(c));
  }
  total.emplace_back();
  t.AddRow(std::move(total));
  t.Print(out);
}

void PageTable(const ProcInfo& info, std::ostream& out) {
  TextTable t;
  t.AddColumn("ADDRESS", Align::kLeft);
  t.AddColumn("PFN", Align::kLeft);
  t.AddColumn("PAGEMAP", Align::kLeft);
  t.AddColumn("COUNT", Align::kRight);
  t.AddColumn("KPAGEFLAGS", Align::kLeft);
  for (const inspect::PageInfo& p : info.pages) {
    const bool known = p.has_page;
    t.AddRow({HexField(p.address), PfnCell(p), PagemapFlags(p.entry),
              known ? absl::StrCat(p.kpagecount) : "-",
              known ? inspect::KpageflagsText(p.kpageflags) : "-"});
  }
  t.Print(out);
}

}  // namespace

void RenderProcinfoText(const ProcInfo& info, Unit unit, std::ostream& out) {
  out << "pid " << info.pid << " (" << EscapeForTerminal(info.comm) << ")";
  if (!info.exe.empty()) out << " " << EscapeForTerminal(info.exe);
  out << "\n";
  if (info.range) {
    out << absl::StrFormat("range %08x-%08x: mappings cut to it", info.range->start,
                           info.range->end)
        << "\n";
  }
  if (info.page_level) {
    out << "RSS, PSS and USS by page from kpagecount (page size "
        << info.page_size
        << "); zero pages and hugetlb pages are counted apart, not in RSS\n";
  } else {
    out << "page-level numbers are not available: " << info.page_level_off
        << "\n"
        << "not shown: " << kProcinfoNotShown << "\n"
        << "shown: PRESENT and SWAPPED pagemap entries, and the kernel's "
           "smaps RSS, PSS and SWAP"
        << (info.range ? " (of whole mappings)" : "") << "\n";
  }
  out << "\n";
  MappingTable(info, unit, out);
  if (info.pte_markers > 0) {
    out << info.pte_markers
        << (info.pte_markers == 1 ? " page-table marker (a guard page) is"
                                  : " page-table markers (guard pages) are")
        << " neither a page nor swap\n";
  }
  if (!info.pages.empty()) {
    out << "\n";
    PageTable(info, out);
  }
}

}  // namespace memstats::render
