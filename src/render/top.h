// Renderers of memstats top: a text table, one JSON document, TSV. They
// print a profile::TopRound and compute no number.
#ifndef MEMSTATS_RENDER_TOP_H_
#define MEMSTATS_RENDER_TOP_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "profile/top_table.h"
#include "render/units.h"

namespace memstats::render {

struct TopView {
  std::vector<profile::TopColumn> columns = profile::DefaultTopColumns();
  Unit unit = Unit::kAuto;
  // Loop mode: a "change" column (+120K, -4.0M, new, gone).
  bool show_change = false;
};

// The leader line, the table (a rule, then the TOTAL row):
//   12:00:00  MemTotal 15.6G  MemAvailable 11.4G  Dirty 2.0M  5 of 5 processes
//   exe        pswap  shSYSV  ...  procs
// Keys pass through EscapeForTerminal. Grouping by pid, the key column is
// "command" (the exe key) and the count column "pid".
void RenderTopText(const profile::TopRound& round, const TopView& view,
                   std::ostream& out);

// One JSON document on one line (bytes; every figure, whatever
// view.columns says), then a newline. Invalid UTF-8 in keys is replaced.
void RenderTopJson(const profile::TopRound& round, std::ostream& out);

// Tab-separated: a header line when `header`, then one line per row, the
// others row and TOTAL: time, group key, view.columns (numbers in
// view.unit, bytes for auto), then "change" when view.show_change. Keys
// pass through EscapeForTerminal (a tab or newline becomes \x09, \x0a).
void RenderTopTsv(const profile::TopRound& round, const TopView& view,
                  bool header, std::ostream& out);

// A signed change in `unit`; for kAuto "+120K", "-4.0M", "+512B": one
// decimal below 10 of the unit, none above.
std::string FormatChange(int64_t bytes, Unit unit);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_TOP_H_
