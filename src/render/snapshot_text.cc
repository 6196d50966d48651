#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "render/snapshot.h"
#include "render/text_table.h"
#include "render/scan_stats.h"

namespace memstats::render {
namespace {

using Align = TextTable::Align;
using profile::SnapshotRow;
using profile::SnapshotSection;
constexpr size_t kMaxLabelWidth = 72;
constexpr size_t kMaxCommandWidth = 100;


std::string Percent(double p) { return absl::StrFormat("%.1f%%", p); }

std::string Label(const SnapshotRow& r) {
  return EscapeForTerminal(Shorten(profile::RowLabel(r), kMaxLabelWidth));
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

void PrintSection(const SnapshotSection& s, double small_threshold, Unit u,
                  std::ostream& out) {
  TextTable t;
  t.AddColumn("PSS", Align::kRight);
  t.AddColumn("%", Align::kRight);
  t.AddColumn("MEMORY", Align::kLeft);
  for (const SnapshotRow& r : s.rows) {
    t.AddRow({FormatBytes(r.pss, u), Percent(r.percent), Label(r)});
  }
  if (!s.small_rows.empty()) {
    t.AddRow({FormatBytes(s.small_pss, u), Percent(s.small_percent),
              absl::StrCat("small categories (",
                           Plural(s.small_rows.size(), "row", "rows"),
                           absl::StrFormat(" below %g%%)", small_threshold))});
    for (const SnapshotRow& r : s.small_rows) {
      t.AddRow({FormatBytes(r.pss, u), Percent(r.percent), "  " + Label(r)});
    }
  }
  if (s.hugetlb > 0 || s.hugetlb_mappings > 0) {
    t.AddRule();
    t.AddRow(
        {FormatBytes(s.hugetlb, u), "-",
         absl::StrCat("Hugetlb (huge pages, not in PSS; ",
                      Plural(s.hugetlb_mappings, "mapping", "mappings"), ")")});
  }
  t.Print(out);
  out << "swap (SwapPss, not in PSS): " << FormatBytes(s.swap_pss, u) << "\n";
}

}  // namespace

void RenderSnapshotText(const profile::Snapshot& snap, Unit unit,
                        std::ostream& out) {
  const scan::ScanStats& s = snap.scan;
  out << ScanLine(s);
  out << "file mappings by: "
      << (snap.mask_text.empty() ? "(all in one row)"
                                 : EscapeForTerminal(snap.mask_text))
      << "\n";

  out << "\nsummary of "
      << Plural(snap.processes.size(), "process", "processes") << ": PSS "
      << FormatBytes(snap.summary.pss_total, unit) << "\n";
  PrintSection(snap.summary, snap.small_percent, unit, out);

  for (const profile::ProcessSnapshot& p : snap.processes) {
    out << absl::StrFormat("\npid %d %s (ppid %d, uid %d): PSS %s\n", p.pid,
                           EscapeForTerminal(p.comm), p.ppid, p.uid,
                           FormatBytes(p.section.pss_total, unit));
    out << "command: "
        << EscapeForTerminal(Shorten(p.cmdline, kMaxCommandWidth)) << "\n";
    out << "threads: " << p.threads;
    if (p.unknown_thread_stacks > 0) {
      out << " (" << Plural(p.unknown_thread_stacks, "stack", "stacks")
          << " not found, counted in Anonymous mappings)";
    }
    out << "\n";
    PrintSection(p.section, snap.small_percent, unit, out);
  }
}

}  // namespace memstats::render
