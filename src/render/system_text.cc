#include <string>

#include "absl/strings/str_cat.h"
#include "render/scan_stats.h"
#include "render/system.h"
#include "render/text_table.h"

namespace memstats::render {
namespace {

std::string Size(int64_t bytes, Unit unit) {
  if (bytes >= 0) return FormatBytes(static_cast<uint64_t>(bytes), unit);
  return absl::StrCat("-",
                      FormatBytes(~static_cast<uint64_t>(bytes) + 1, unit));
}

}  // namespace

void RenderSystemText(const machine::SystemView& v, const scan::ScanStats& s,
                      Unit unit, std::ostream& out) {
  out << ScanLine(s);
  TextTable t;
  t.AddColumn("WHAT", TextTable::Align::kLeft);
  t.AddColumn("SIZE", TextTable::Align::kRight);
  t.AddColumn("FROM", TextTable::Align::kLeft);
  t.AddRow({"MemTotal", FormatBytes(v.mem_total, unit), "MemTotal"});
  t.AddRow({"MemFree", FormatBytes(v.mem_free, unit), "MemFree"});
  t.AddRow({"used", Size(v.used, unit), "MemTotal - MemFree"});
  for (const machine::Section& sec : v.sections) {
    t.AddRule();
    t.AddRow({sec.title, "", ""});
    for (const machine::Line& l : sec.lines) {
      t.AddRow({absl::StrCat("  ", l.label), Size(l.bytes, unit), l.source});
    }
  }
  t.AddRule();
  t.AddRow({"not explained by the kernel's counters", Size(v.remainder, unit),
            "used - every line above"});
  if (v.remainder_pcp_free) {
    t.AddRow({"  of which free pages on per-CPU lists",
              Size(*v.remainder_pcp_free, unit), "zoneinfo pagesets count"});
    t.AddRow({"  of which the rest", Size(*v.remainder_rest, unit),
              "remainder - per-CPU lists"});
  }
  t.Print(out);
  out << "The lines add up to used exactly.\n";
  out << "KSM saves " << FormatBytes(v.ksm_saved, unit)
      << " (page-table entries to KSM pages - distinct KSM pages; not part "
         "of used)\n";
  for (const std::string& note : v.notes) out << "note: " << note << "\n";
}

}  // namespace memstats::render
