// memstats top as a text table and as TSV.
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "render/text_table.h"
#include "render/top.h"

namespace memstats::render {
namespace {

using profile::TopColumn;
using profile::TopGroup;
using profile::TopRound;

bool ByPid(const TopRound& r) { return r.group_by == "pid"; }

std::string KeyHeader(const TopRound& r) {
  return ByPid(r) ? "command" : r.group_by;
}

std::string CountHeader(const TopRound& r) {
  return ByPid(r) ? "pid" : "procs";
}

// The key cell: "others (3 groups)" for the folded row; grouping by pid,
// the exe key of a process row.
std::string KeyCell(const TopRound& r, const TopGroup& g, bool folded) {
  if (folded) {
    return absl::StrCat("others (", g.folded_groups,
                        g.folded_groups == 1 ? " group)" : " groups)");
  }
  if (ByPid(r) && !g.name.empty()) return g.name;
  return g.key;
}

// Grouping by pid a process row shows its pid; every other row (others,
// TOTAL, other groupings) its process count.
std::string CountCell(const TopRound& r, const TopGroup& g, bool summary) {
  if (ByPid(r) && !summary) return absl::StrCat(g.pid);
  return absl::StrCat(g.processes);
}

std::string ChangeCell(const TopGroup& g, Unit unit) {
  if (g.gone) return absl::StrCat("gone ", FormatChange(*g.change, unit));
  if (g.is_new) return "new";
  if (g.change) return FormatChange(*g.change, unit);
  return "";
}

std::string Bytes(uint64_t v, Unit unit) { return FormatBytes(v, unit); }

std::string MeminfoItem(const char* name, const std::optional<uint64_t>& v,
                        Unit unit) {
  if (!v) return absl::StrCat(name, " ?");
  static constexpr const char* kUnitName[] = {"B", "KiB", "MiB", "GiB", ""};
  std::string text = absl::StrCat(name, " ", Bytes(*v, unit));
  if (unit != Unit::kAuto) {
    absl::StrAppend(&text, " ", kUnitName[static_cast<int>(unit)]);
  }
  return text;
}

// Control bytes (tabs and newlines too) escaped as \xNN: one line per row,
// one field per column, nothing a terminal would act on.
std::string TsvText(std::string_view s) { return EscapeForTerminal(s); }

// TSV numbers: auto means bytes (scripts want plain numbers).
Unit TsvUnit(Unit u) { return u == Unit::kAuto ? Unit::kBytes : u; }

}  // namespace

std::string FormatChange(int64_t bytes, Unit unit) {
  const char* sign = bytes < 0 ? "-" : "+";
  const uint64_t mag = bytes < 0 ? uint64_t{0} - static_cast<uint64_t>(bytes)
                                 : static_cast<uint64_t>(bytes);
  if (unit != Unit::kAuto) return absl::StrCat(sign, FormatBytes(mag, unit));
  if (mag < 1024) return absl::StrCat(sign, mag, "B");
  static constexpr const char* kSuffix[] = {"K", "M", "G", "T"};
  double v = static_cast<double>(mag) / 1024;
  int i = 0;
  while (v >= 1024 && i < 3) {
    v /= 1024;
    ++i;
  }
  if (v < 10) return absl::StrFormat("%s%.1f%s", sign, v, kSuffix[i]);
  return absl::StrFormat("%s%.0f%s", sign, std::floor(v), kSuffix[i]);
}

void RenderTopText(const TopRound& r, const TopView& view, std::ostream& out) {
  std::string leader = absl::StrCat(
      r.time, "  ", MeminfoItem("MemTotal", r.mem_total, view.unit), "  ",
      MeminfoItem("MemAvailable", r.mem_available, view.unit), "  ",
      MeminfoItem("Dirty", r.dirty, view.unit), "  ", r.contributing, " of ",
      r.existing, " processes");
  if (r.unreadable > 0)
    absl::StrAppend(&leader, ", ", r.unreadable, " unreadable");
  if (r.vanished > 0) absl::StrAppend(&leader, ", ", r.vanished, " vanished");
  if (r.self_excluded) absl::StrAppend(&leader, ", memstats itself left out");
  out << leader << "\n";

  TextTable t;
  t.AddColumn(KeyHeader(r), TextTable::Align::kLeft);
  for (TopColumn c : view.columns) {
    t.AddColumn(
        c == TopColumn::kCount ? CountHeader(r) : std::string(TopColumnName(c)),
        TextTable::Align::kRight);
  }
  if (view.show_change) t.AddColumn("change", TextTable::Align::kRight);

  auto add = [&](const TopGroup& g, bool folded, bool summary) {
    std::vector<std::string> cells;
    cells.push_back(EscapeForTerminal(KeyCell(r, g, folded)));
    for (TopColumn c : view.columns) {
      cells.push_back(c == TopColumn::kCount
                          ? CountCell(r, g, summary)
                          : Bytes(g.figures.Get(c), view.unit));
    }
    if (view.show_change) cells.push_back(ChangeCell(g, view.unit));
    t.AddRow(std::move(cells));
  };
  for (const TopGroup& g : r.rows) add(g, false, false);
  if (r.others) add(*r.others, true, true);
  t.AddRule();
  add(r.total, false, true);
  t.Print(out);
}

void RenderTopTsv(const TopRound& r, const TopView& view, bool header,
                  std::ostream& out) {
  const Unit unit = TsvUnit(view.unit);
  if (header) {
    out << "time\t" << KeyHeader(r);
    for (TopColumn c : view.columns) {
      out << '\t'
          << (c == TopColumn::kCount ? CountHeader(r) : TopColumnName(c));
    }
    if (view.show_change) out << "\tchange";
    out << '\n';
  }
  auto line = [&](const TopGroup& g, bool folded, bool summary) {
    out << r.time << '\t' << TsvText(KeyCell(r, g, folded));
    for (TopColumn c : view.columns) {
      out << '\t'
          << (c == TopColumn::kCount ? CountCell(r, g, summary)
                                     : FormatBytes(g.figures.Get(c), unit));
    }
    if (view.show_change) {
      out << '\t';
      if (g.gone) {
        out << "gone";
      } else if (g.is_new) {
        out << "new";
      } else if (g.change) {
        out << (*g.change < 0 ? "-" : "+")
            << FormatBytes(*g.change < 0
                               ? uint64_t{0} - static_cast<uint64_t>(*g.change)
                               : static_cast<uint64_t>(*g.change),
                           unit);
      }
    }
    out << '\n';
  };
  for (const TopGroup& g : r.rows) line(g, false, false);
  if (r.others) line(*r.others, true, true);
  line(r.total, false, true);
}

}  // namespace memstats::render
