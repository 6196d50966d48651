// Memory over time as a stacked-area SVG chart, drawn by memstats itself
// (memstats watch -g, memstats plot; the HTML report inlines it).
//
// The output is a function of the input alone: same TimeChart, same bytes
// (numbers are formatted without the locale, clock labels use the offset
// the caller gives, never the machine's time zone).
#ifndef MEMSTATS_RENDER_SVG_CHART_H_
#define MEMSTATS_RENDER_SVG_CHART_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace memstats::render {

struct TimeChart {
  std::string title;  // any text: it is escaped
  // x: seconds since the start, ascending, one per sample.
  std::vector<double> seconds;
  // The stacked series, bottom to top ("heap", "stack", ...).
  std::vector<std::string> series;
  // bytes[series][sample]. REQUIRES: one row per series, each as long as
  // `seconds`.
  std::vector<std::vector<uint64_t>> bytes;
  // When set, x labels are clock times (HH:MM:SS) of start_unix_ms +
  // seconds, shifted by utc_offset_s (the caller knows the time zone).
  std::optional<int64_t> start_unix_ms;
  int64_t utc_offset_s = 0;
  // The SVG's size in px (width/height attributes and viewBox); raised to
  // at least kMinWidth x kMinHeight.
  int width = 960, height = 540;
};

inline constexpr int kMinWidth = 480, kMinHeight = 240;

// The plot area in px: margins of kPlotLeft (y labels), kPlotTop (title),
// kPlotRight (legend) and kPlotBottom (x labels) around it.
inline constexpr double kPlotLeft = 80, kPlotTop = 48, kPlotRight = 230,
                        kPlotBottom = 44;
struct PlotArea {
  double left, top, right, bottom;  // right > left, bottom > top
};
PlotArea PlotAreaOf(const TimeChart& chart);

// The y axis: ticks from 0 to the first tick >= max_bytes, a 1-2-5 step of
// one binary unit (B, KiB, ... EiB: the largest unit <= max_bytes), at most
// 8 intervals. max_bytes 0 gives 0 and 1 KiB. Labels: "0", "50 MiB",
// "0.5 GiB" (as many decimals as the step needs).
struct AxisTicks {
  std::vector<double> values;  // bytes (y axis) or seconds (x axis)
  std::vector<std::string> labels;
  double top() const { return values.back(); }
};
AxisTicks ByteTicks(uint64_t max_bytes);

// The x axis over [first, last] seconds: a step from 0.1 s to 1 day
// (1-2-5 seconds, then 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3, 6,
// 12 h, ...) with at most 8 intervals; ticks on multiples of the step of
// elapsed time, or of clock time when start_unix_ms is set. Labels: "30 s",
// "1:30" (min:s), "1:00:00" or "1:30" (h:min) by span; clock "12:00:30".
AxisTicks TimeTicks(const TimeChart& chart);

// The x of sample i in px: the samples span the plot area's width, from
// the first to the last; a single sample sits in the middle.
double SampleX(const TimeChart& chart, size_t i);

// The palette: series k gets kPalette[k % size], distinguishable colours
// (Okabe-Ito and Tableau hues), bottom series first.
inline constexpr std::string_view kPalette[] = {
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

// The SVG document: title, y ticks with grid lines, x ticks, one
// <polygon class="series" data-series="NAME"> per series (the area between
// the sum of the series below it and that sum plus itself, points left to
// right along the top edge, then right to left along the bottom edge), a
// legend (name, last and peak value; bottom series last, as stacked) and
// the total's last and peak. No samples: the axes and a "no samples" note.
// The root <svg> carries data-plot="left top right bottom" for scripts.
// Always well-formed XML: text is escaped, invalid UTF-8 and control
// characters become U+FFFD.
// RenderSvgChart writes a standalone file (an XML declaration, then the
// <svg> element); RenderSvgElement the <svg> element alone, for inlining in
// an HTML page.
void RenderSvgChart(const TimeChart& chart, std::ostream& out);
std::string RenderSvgChart(const TimeChart& chart);
void RenderSvgElement(const TimeChart& chart, std::ostream& out);

// Text for XML and HTML (content and quoted attribute values): & < > " '
// escaped, invalid UTF-8 and control characters other than tab and newline
// replaced by U+FFFD.
std::string EscapeXml(std::string_view s);

// A number with at most 2 decimals, trailing zeros dropped, "." as the
// point whatever the locale: "12", "12.5", "-3.25".
std::string FormatCoord(double v);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_SVG_CHART_H_
