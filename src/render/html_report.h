// Memory over time as one self-contained HTML page (memstats watch -g,
// memstats plot): inline CSS, inline JS and inline SVG charts, nothing
// fetched from the network, so the file can be mailed or archived.
//
// The page shows the chart of one view (the total, or one process) chosen
// in a <select>; a click on the chart, or the sample <select> or slider,
// chooses the nearest sample, draws a marker line there and shows that
// sample's table below the chart. Stable ids for scripts and tests:
//   #view    <select> of the views          #chart   the charts' container
//   #sample  <select> of the samples        #slider  <input type=range>
//   #time    the chosen sample's time       #table   the sample's table
//   #data    <script type="application/json">: the views' labels, sample
//            x positions, times and tables (what the page's JS reads).
#ifndef MEMSTATS_RENDER_HTML_REPORT_H_
#define MEMSTATS_RENDER_HTML_REPORT_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "render/svg_chart.h"

namespace memstats::render {

// One selectable view: the total, or one process.
struct HtmlView {
  std::string id;     // unique in the report, e.g. "total", "1234"
  std::string label;  // shown in #view, e.g. "1234 postgres"
  TimeChart chart;
  // The table to show when sample i is chosen, built by the caller:
  //   {"time": "12:00:30", "columns": ["process", "PSS"],
  //    "rows": [["postgres", "120.0 MiB"], ...], "footer": ["total", ...]}
  // ("time" and "footer" may be absent; cells are strings or numbers, and
  // the page shows them as text, never as markup; number cells and cells
  // that look like sizes are right-aligned).
  // REQUIRES: empty (no tables) or one per sample of `chart`.
  std::vector<nlohmann::json> tables;
};

struct HtmlReport {
  std::string title;
  std::vector<HtmlView> views;  // the first is shown first
  // The sample chosen when the page opens (e.g. the peak); nullopt: the
  // last one. Clamped to the first view's samples. Switching views keeps
  // the chosen time (the nearest sample of the new view).
  std::optional<size_t> initial_sample;
};

// The page, deterministic as RenderSvgChart is. The JSON in #data is dumped
// with invalid UTF-8 replaced and '<', '>' and '&' written as \u escapes, so
// no text can close the <script> element.
void RenderHtmlReport(const HtmlReport& report, std::ostream& out);
std::string RenderHtmlReport(const HtmlReport& report);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_HTML_REPORT_H_
