#include "render/html_report.h"

#include <cmath>
#include <sstream>

// Generated at build time from html_report.js and html_report.css
// (embed_text.cmake): kHtmlReportJs, kHtmlReportCss.
#include "render/html_report_css.h"
#include "render/html_report_js.h"

namespace memstats::render {

namespace {

// What the page's script reads (html_report.js):
//   {"initial": sample index or null,
//    "views": [{"id", "label", "seconds": [...], "xs": [...] (each sample's
//               x in the SVG's px), "plot": [left, top, right, bottom],
//               "tables": [...]}]}
nlohmann::json PageData(const HtmlReport& report) {
  nlohmann::json views = nlohmann::json::array();
  for (const HtmlView& v : report.views) {
    nlohmann::json xs = nlohmann::json::array();
    for (size_t i = 0; i < v.chart.seconds.size(); ++i) {
      // Two decimals, as in the SVG: the JSON stays short and stable.
      xs.push_back(std::round(SampleX(v.chart, i) * 100) / 100);
    }
    PlotArea p = PlotAreaOf(v.chart);
    views.push_back({{"id", v.id},
                     {"label", v.label},
                     {"seconds", v.chart.seconds},
                     {"xs", std::move(xs)},
                     {"plot", {p.left, p.top, p.right, p.bottom}},
                     {"tables", v.tables}});
  }
  nlohmann::json initial = nullptr;
  if (!report.views.empty() && !report.views[0].chart.seconds.empty()) {
    size_t n = report.views[0].chart.seconds.size();
    initial = std::min(report.initial_sample.value_or(n - 1), n - 1);
  }
  return {{"initial", initial}, {"views", std::move(views)}};
}

// JSON that can sit inside <script>: '<', '>' and '&' occur only within
// JSON strings, where \u escapes mean the same, and without '<' nothing
// can close the element ("</script>") or open a comment ("<!--").
std::string ScriptSafeJson(const nlohmann::json& j) {
  std::string dumped =
      j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(dumped.size());
  for (char c : dumped) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

void RenderHtmlReport(const HtmlReport& report, std::ostream& out) {
  const std::string title = EscapeXml(report.title);
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
         "charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, "
         "initial-scale=1\">\n"
      << "<title>" << title << "</title>\n<style>\n"
      << kHtmlReportCss << "</style>\n</head>\n<body>\n"
      << "<h1>" << title << "</h1>\n"
      << "<div id=\"controls\">\n"
      << "<label>View <select id=\"view\"></select></label>\n"
      << "<label>Sample <select id=\"sample\"></select></label>\n"
      << "<input id=\"slider\" type=\"range\" min=\"0\" max=\"0\" value=\"0\" "
         "aria-label=\"sample\">\n"
      << "</div>\n<div id=\"chart\">\n";
  // Every view's chart is in the page; the script shows one. Without
  // script the first one still shows.
  for (size_t i = 0; i < report.views.size(); ++i) {
    out << "<div class=\"chart-view\" data-view=\""
        << EscapeXml(report.views[i].id) << "\"" << (i > 0 ? " hidden" : "")
        << ">\n";
    RenderSvgElement(report.views[i].chart, out);
    out << "</div>\n";
  }
  if (report.views.empty()) out << "<p class=\"note\">no views</p>\n";
  out << "</div>\n<h2 id=\"time\"></h2>\n<table id=\"table\"></table>\n"
      << "<script type=\"application/json\" id=\"data\">"
      << ScriptSafeJson(PageData(report)) << "</script>\n"
      << "<script>\n"
      << kHtmlReportJs << "</script>\n</body>\n</html>\n";
}

std::string RenderHtmlReport(const HtmlReport& report) {
  std::ostringstream out;
  RenderHtmlReport(report, out);
  return out.str();
}

}  // namespace memstats::render
