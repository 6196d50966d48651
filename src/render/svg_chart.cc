#include "render/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "render/units.h"
#include "render/utf8.h"

namespace memstats::render {

namespace {

constexpr int kMaxIntervals = 8;
constexpr const char* kUnitNames[] = {"B",   "KiB", "MiB", "GiB",
                                      "TiB", "PiB", "EiB"};

// v rounded to `decimals` decimals, without printf: printf's point follows
// LC_NUMERIC, and the output must not depend on the locale.
std::string FormatFixed(double v, int decimals) {
  double scale = std::pow(10.0, decimals);
  double r = std::round(std::fabs(v) * scale);
  if (!std::isfinite(r) || r >= 9e18) return "0";
  auto n = static_cast<int64_t>(r);
  auto whole = static_cast<int64_t>(scale);
  std::string s = absl::StrCat(v < 0 && n != 0 ? "-" : "", n / whole);
  if (decimals > 0) {
    std::string frac = absl::StrCat(n % whole + whole).substr(1);
    absl::StrAppend(&s, ".", frac);
  }
  return s;
}

// Decimals a 1-2-5 step needs: 0 for 1 and up, 1 for 0.5, 2 for 0.05.
int DecimalsOf(double step) {
  int d = 0;
  while (d < 6 && std::fabs(step * std::pow(10.0, d) -
                            std::round(step * std::pow(10.0, d))) > 1e-6) {
    ++d;
  }
  return d;
}

// "12.3 MiB": one decimal in the largest unit that keeps the value >= 1.
std::string LegendBytes(uint64_t bytes) {
  int u = 0;
  double v = static_cast<double>(bytes);
  while (u < 6 && v >= 1024) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? absl::StrCat(bytes, " B")
                : absl::StrCat(FormatFixed(v, 1), " ", kUnitNames[u]);
}

// XML 1.0's Char production.
bool IsXmlChar(uint32_t cp) {
  return cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
         (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
}

// Sum of the series at each sample, in double: uint64 sums of huge values
// could wrap, and the geometry is in double anyway.
std::vector<double> Totals(const TimeChart& chart) {
  std::vector<double> totals(chart.seconds.size(), 0.0);
  for (const auto& row : chart.bytes) {
    for (size_t i = 0; i < totals.size() && i < row.size(); ++i) {
      totals[i] += static_cast<double>(row[i]);
    }
  }
  return totals;
}

uint64_t ToBytes(double v) {
  // 2^64 as a double; anything at or above it is clamped.
  if (v >= 18446744073709551616.0) return std::numeric_limits<uint64_t>::max();
  return static_cast<uint64_t>(v);
}

// The time steps TimeTicks tries, smallest first; past a day, 1-2-5 days.
std::vector<double> TimeSteps() {
  std::vector<double> steps = {0.1,  0.2,  0.5,  1,     2,     5,    10,
                               15,   30,   60,   120,   300,   600,  900,
                               1800, 3600, 7200, 10800, 21600, 43200};
  double days = 1;
  for (int decade = 0; decade <= 6; ++decade, days *= 10) {
    for (double m : {1, 2, 5}) steps.push_back(86400 * days * m);
  }
  return steps;
}

std::string TwoDigits(int64_t v) {
  return v < 10 ? absl::StrCat("0", v) : absl::StrCat(v);
}

// Elapsed time t (>= 0) for a tick: the format follows the chart's span
// (`last`) and the step.
std::string ElapsedLabel(double t, double step, double last) {
  if (step < 1) return absl::StrCat(FormatFixed(t, 1), " s");
  auto s = static_cast<int64_t>(std::llround(t));
  if (last < 60) return absl::StrCat(s, " s");
  if (last < 3600) return absl::StrCat(s / 60, ":", TwoDigits(s % 60));
  std::string hm = absl::StrCat(s / 3600, ":", TwoDigits(s / 60 % 60));
  return step < 60 ? absl::StrCat(hm, ":", TwoDigits(s % 60)) : hm;
}

// Clock time of day for local seconds since the epoch t.
std::string ClockLabel(double t, double step) {
  double day = std::fmod(t, 86400.0);
  if (day < 0) day += 86400.0;
  auto s = static_cast<int64_t>(std::floor(day + 1e-6));
  std::string hm =
      absl::StrCat(TwoDigits(s / 3600), ":", TwoDigits(s / 60 % 60));
  if (step >= 60) return hm;
  std::string hms = absl::StrCat(hm, ":", TwoDigits(s % 60));
  if (step < 1) {
    auto tenths = std::llround((day - static_cast<double>(s)) * 10) % 10;
    absl::StrAppend(&hms, ".", tenths);
  }
  return hms;
}

std::string XAxisCaption(const TimeChart& chart) {
  if (chart.start_unix_ms.has_value()) {
    if (chart.utc_offset_s == 0) return "clock time (UTC)";
    int64_t m = std::llabs(chart.utc_offset_s) / 60;
    return absl::StrCat("clock time (UTC", chart.utc_offset_s < 0 ? "-" : "+",
                        TwoDigits(m / 60), ":", TwoDigits(m % 60), ")");
  }
  double last = chart.seconds.empty() ? 0 : chart.seconds.back();
  if (last < 60) return "seconds since start";
  if (last < 3600) return "time since start (min:s)";
  return "time since start (h:min)";
}

class SvgWriter {
 public:
  SvgWriter(const TimeChart& chart, std::ostream& out)
      : chart_(chart), out_(out), plot_(PlotAreaOf(chart)) {}

  void Write();

 private:
  double Y(double bytes) const {
    return plot_.bottom - bytes / y_top_ * (plot_.bottom - plot_.top);
  }
  double TimeX(double t) const;
  void Text(double x, double y, std::string_view anchor, std::string_view attrs,
            std::string_view text);
  void WriteYAxis(const AxisTicks& ticks);
  void WriteXAxis();
  void WriteSeries(size_t k, std::vector<double>* below);
  void WriteLegend(const std::vector<double>& totals);

  const TimeChart& chart_;
  std::ostream& out_;
  PlotArea plot_;
  double y_top_ = 1;
};

double SvgWriter::TimeX(double t) const {
  const auto& s = chart_.seconds;
  double span = s.empty() ? 0 : s.back() - s.front();
  if (span <= 0) return (plot_.left + plot_.right) / 2;
  return plot_.left + (t - s.front()) / span * (plot_.right - plot_.left);
}

void SvgWriter::Text(double x, double y, std::string_view anchor,
                     std::string_view attrs, std::string_view text) {
  out_ << "<text x=\"" << FormatCoord(x) << "\" y=\"" << FormatCoord(y)
       << "\" text-anchor=\"" << anchor << "\"" << attrs << ">"
       << EscapeXml(text) << "</text>\n";
}

void SvgWriter::WriteYAxis(const AxisTicks& ticks) {
  out_ << "<g class=\"y-axis\" font-size=\"11\" fill=\"#333\">\n";
  for (size_t i = 0; i < ticks.values.size(); ++i) {
    std::string y = FormatCoord(Y(ticks.values[i]));
    out_ << "<line x1=\"" << FormatCoord(plot_.left) << "\" y1=\"" << y
         << "\" x2=\"" << FormatCoord(plot_.right) << "\" y2=\"" << y
         << "\" stroke=\"#e0e0e0\"/>\n";
    // dy centres the label on its grid line (no dominant-baseline: not
    // every renderer has it).
    Text(plot_.left - 8, Y(ticks.values[i]), "end", " dy=\"0.35em\"",
         ticks.labels[i]);
  }
  out_ << "</g>\n";
}

void SvgWriter::WriteXAxis() {
  out_ << "<g class=\"x-axis\" font-size=\"11\" fill=\"#333\">\n";
  AxisTicks ticks = TimeTicks(chart_);
  for (size_t i = 0; i < ticks.values.size(); ++i) {
    std::string x = FormatCoord(TimeX(ticks.values[i]));
    out_ << "<line x1=\"" << x << "\" y1=\"" << FormatCoord(plot_.bottom)
         << "\" x2=\"" << x << "\" y2=\"" << FormatCoord(plot_.bottom + 5)
         << "\" stroke=\"#333\"/>\n";
    Text(TimeX(ticks.values[i]), plot_.bottom + 18, "middle", "",
         ticks.labels[i]);
  }
  Text((plot_.left + plot_.right) / 2, plot_.bottom + 36, "middle", "",
       XAxisCaption(chart_));
  out_ << "</g>\n";
}

// The area of series k: the top edge (below + this series) left to right,
// then the bottom edge (below) right to left. One sample: a band across
// the whole plot area.
void SvgWriter::WriteSeries(size_t k, std::vector<double>* below) {
  const size_t n = chart_.seconds.size();
  std::vector<double> xs, top(n), bottom = *below;
  for (size_t i = 0; i < n; ++i) {
    top[i] = bottom[i] + static_cast<double>(chart_.bytes[k][i]);
  }
  if (n == 1) {
    xs = {plot_.left, plot_.right};
    top.push_back(top[0]);
    bottom.push_back(bottom[0]);
  } else {
    for (size_t i = 0; i < n; ++i) xs.push_back(SampleX(chart_, i));
  }
  std::string name = EscapeXml(chart_.series[k]);
  std::string_view colour = kPalette[k % std::size(kPalette)];
  out_ << "<polygon class=\"series\" data-series=\"" << name << "\" fill=\""
       << colour << "\" fill-opacity=\"0.85\" stroke=\"" << colour
       << "\" stroke-width=\"1\" points=\"";
  for (size_t i = 0; i < xs.size(); ++i) {
    out_ << (i ? " " : "") << FormatCoord(xs[i]) << ","
         << FormatCoord(Y(top[i]));
  }
  for (size_t i = xs.size(); i-- > 0;) {
    out_ << " " << FormatCoord(xs[i]) << "," << FormatCoord(Y(bottom[i]));
  }
  out_ << "\"><title>" << name << "</title></polygon>\n";
  top.resize(n);
  *below = std::move(top);
}

// Legend entries, top series first as the areas stack, then the total.
// Entries that do not fit give way to a "+N more" line.
void SvgWriter::WriteLegend(const std::vector<double>& totals) {
  constexpr double kEntry = 32;
  const double x = plot_.right + 20;
  double y = plot_.top + 4;
  const size_t fit =
      static_cast<size_t>(std::max(0.0, (plot_.bottom - y) / kEntry - 1));
  const size_t count = chart_.series.size();
  const size_t shown = count <= fit ? count : fit > 0 ? fit - 1 : 0;
  out_ << "<g class=\"legend\" font-size=\"12\" fill=\"#222\">\n";
  auto entry = [&](std::string_view name, std::string_view colour,
                   uint64_t last, uint64_t peak) {
    out_ << "<rect x=\"" << FormatCoord(x) << "\" y=\"" << FormatCoord(y)
         << "\" width=\"12\" height=\"12\" fill=\"" << colour << "\"/>\n";
    Text(x + 18, y + 10, "start", "", Shorten(std::string(name), 30));
    Text(
        x + 18, y + 24, "start", " font-size=\"10\" fill=\"#555\"",
        absl::StrCat("last ", LegendBytes(last), ", peak ", LegendBytes(peak)));
    y += kEntry;
  };
  for (size_t j = 0; j < shown; ++j) {
    size_t k = count - 1 - j;
    const auto& row = chart_.bytes[k];
    uint64_t last = row.empty() ? 0 : row.back();
    uint64_t peak = row.empty() ? 0 : *std::max_element(row.begin(), row.end());
    entry(chart_.series[k], kPalette[k % std::size(kPalette)], last, peak);
  }
  if (shown < count) {
    Text(x, y + 10, "start", "", absl::StrCat("+", count - shown, " more"));
    y += kEntry / 2;
  }
  double peak =
      totals.empty() ? 0 : *std::max_element(totals.begin(), totals.end());
  entry("total", "#444", ToBytes(totals.empty() ? 0 : totals.back()),
        ToBytes(peak));
  out_ << "</g>\n";
}

void SvgWriter::Write() {
  const int w = std::max(chart_.width, kMinWidth);
  const int h = std::max(chart_.height, kMinHeight);
  std::vector<double> totals = Totals(chart_);
  double max =
      totals.empty() ? 0 : *std::max_element(totals.begin(), totals.end());
  AxisTicks y_ticks = ByteTicks(ToBytes(max));
  y_top_ = y_ticks.top();

  out_ << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w
       << "\" height=\"" << h << "\" viewBox=\"0 0 " << w << " " << h
       << "\" font-family=\"sans-serif\" data-plot=\""
       << FormatCoord(plot_.left) << " " << FormatCoord(plot_.top) << " "
       << FormatCoord(plot_.right) << " " << FormatCoord(plot_.bottom)
       << "\">\n";
  out_ << "<title>" << EscapeXml(chart_.title) << "</title>\n";
  out_ << "<rect class=\"background\" width=\"" << w << "\" height=\"" << h
       << "\" fill=\"#fff\"/>\n";
  Text(plot_.left, 28, "start",
       " class=\"title\" font-size=\"16\" font-weight=\"bold\"", chart_.title);
  WriteYAxis(y_ticks);
  WriteXAxis();

  out_ << "<g class=\"areas\">\n";
  std::vector<double> below(chart_.seconds.size(), 0.0);
  if (!chart_.seconds.empty()) {
    for (size_t k = 0; k < chart_.series.size(); ++k) WriteSeries(k, &below);
  }
  out_ << "</g>\n";
  if (chart_.seconds.empty()) {
    Text((plot_.left + plot_.right) / 2, (plot_.top + plot_.bottom) / 2,
         "middle", " class=\"note\" font-size=\"14\" fill=\"#777\"",
         "no samples");
  }
  // The axes last, over the areas' strokes.
  out_ << "<path class=\"axes\" d=\"M" << FormatCoord(plot_.left) << ","
       << FormatCoord(plot_.top) << "V" << FormatCoord(plot_.bottom) << "H"
       << FormatCoord(plot_.right) << "\" fill=\"none\" stroke=\"#333\"/>\n";
  WriteLegend(totals);
  out_ << "</svg>\n";
}

}  // namespace

PlotArea PlotAreaOf(const TimeChart& chart) {
  const int w = std::max(chart.width, kMinWidth);
  const int h = std::max(chart.height, kMinHeight);
  return {kPlotLeft, kPlotTop, w - kPlotRight, h - kPlotBottom};
}

AxisTicks ByteTicks(uint64_t max_bytes) {
  if (max_bytes == 0) return {{0, 1024}, {"0", "1 KiB"}};
  int u = 0;
  double unit = 1;
  while (u < 6 && static_cast<double>(max_bytes) >= unit * 1024) {
    unit *= 1024;
    ++u;
  }
  const double v = static_cast<double>(max_bytes) / unit;
  // The smallest 1-2-5 step (0.001 .. 1000 units) with at most
  // kMaxIntervals intervals; whole bytes only.
  double step = 1;
  double p = u == 0 ? 1 : 0.001;
  for (int decade = 0; decade < 8; ++decade, p *= 10) {
    bool found = false;
    for (double m : {1, 2, 5}) {
      if (std::ceil(v / (m * p) - 1e-9) <= kMaxIntervals) {
        step = m * p;
        found = true;
        break;
      }
    }
    if (found) break;
  }
  const int decimals = DecimalsOf(step);
  const auto intervals = static_cast<int>(std::ceil(v / step - 1e-9));
  AxisTicks ticks;
  for (int i = 0; i <= std::max(intervals, 1); ++i) {
    ticks.values.push_back(i * step * unit);
    ticks.labels.push_back(i == 0
                               ? "0"
                               : absl::StrCat(FormatFixed(i * step, decimals),
                                              " ", kUnitNames[u]));
  }
  return ticks;
}

AxisTicks TimeTicks(const TimeChart& chart) {
  AxisTicks ticks;
  const auto& s = chart.seconds;
  if (s.empty()) return ticks;
  const bool clock = chart.start_unix_ms.has_value();
  // Ticks fall on multiples of the step of `origin + seconds`.
  const double origin =
      clock ? static_cast<double>(*chart.start_unix_ms) / 1000.0 +
                  static_cast<double>(chart.utc_offset_s)
            : 0;
  const double first = s.front(), last = s.back(), span = last - first;
  double step = 1;  // one sample: whole seconds
  for (double candidate : span > 0 ? TimeSteps() : std::vector<double>{}) {
    step = candidate;
    if (span / candidate <= kMaxIntervals) break;
  }
  auto label = [&](double t) {
    return clock ? ClockLabel(origin + t, step) : ElapsedLabel(t, step, last);
  };
  if (span <= 0) {
    ticks.values.push_back(first);
    ticks.labels.push_back(label(first));
    return ticks;
  }
  auto k = static_cast<int64_t>(std::ceil((origin + first) / step - 1e-9));
  for (; static_cast<double>(k) * step <= origin + last + 1e-9; ++k) {
    double t = static_cast<double>(k) * step - origin;
    ticks.values.push_back(t);
    ticks.labels.push_back(label(t));
  }
  return ticks;
}

double SampleX(const TimeChart& chart, size_t i) {
  const PlotArea p = PlotAreaOf(chart);
  const auto& s = chart.seconds;
  if (s.size() <= 1) return (p.left + p.right) / 2;
  double span = s.back() - s.front();
  double f = span > 0
                 ? (s[i] - s.front()) / span
                 : static_cast<double>(i) / static_cast<double>(s.size() - 1);
  return p.left + f * (p.right - p.left);
}

void RenderSvgChart(const TimeChart& chart, std::ostream& out) {
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  RenderSvgElement(chart, out);
}

void RenderSvgElement(const TimeChart& chart, std::ostream& out) {
  SvgWriter(chart, out).Write();
}

std::string RenderSvgChart(const TimeChart& chart) {
  std::ostringstream out;
  RenderSvgChart(chart, out);
  return out.str();
}

std::string EscapeXml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0 || !IsXmlChar(cp)) {
      out += kReplacementChar;
      i += std::max<size_t>(n, 1);
      continue;
    }
    switch (cp) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string FormatCoord(double v) {
  std::string s = FormatFixed(v, 2);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

}  // namespace memstats::render
