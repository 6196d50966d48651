// The SVG chart on hand-built inputs: ticks, geometry computed here from
// the stated layout, escaping, determinism and edge cases.
#include "render/svg_chart.h"

#include <clocale>
#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace memstats::render {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t kTiB = 1024 * kGiB;

// Two series over three samples at 0, 10 and 30 s; the total peaks at
// 300 MiB, so the y axis tops at 300 MiB.
TimeChart TwoSeries() {
  TimeChart c;
  c.title = "memstats watch: test";
  c.seconds = {0, 10, 30};
  c.series = {"heap", "stack"};
  c.bytes = {{100 * kMiB, 200 * kMiB, 150 * kMiB}, {50 * kMiB, 100 * kMiB, 0}};
  return c;
}

// The value of attribute `attr` of the element whose data-series is `name`.
std::string SeriesAttr(const std::string& svg, const std::string& name,
                       const std::string& attr) {
  std::string key = "data-series=\"" + name + "\"";
  size_t at = svg.find(key);
  if (at == std::string::npos) return "";
  size_t start = svg.rfind('<', at);
  size_t end = svg.find('>', at);
  std::string tag = svg.substr(start, end - start);
  std::smatch m;
  if (!std::regex_search(tag, m, std::regex(" " + attr + "=\"([^\"]*)\""))) {
    return "";
  }
  return m[1];
}

std::vector<std::pair<double, double>> ParsePoints(const std::string& points) {
  std::vector<std::pair<double, double>> out;
  for (absl::string_view p : absl::StrSplit(points, ' ', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> xy = absl::StrSplit(p, ',');
    double x = 0, y = 0;
    EXPECT_TRUE(absl::SimpleAtod(xy.first, &x) &&
                absl::SimpleAtod(xy.second, &y))
        << p;
    out.emplace_back(x, y);
  }
  return out;
}

TEST(ByteTicksTest, OneTwoFiveStepsOfOneUnit) {
  AxisTicks t = ByteTicks(300 * kMiB);
  EXPECT_THAT(t.labels, ElementsAre("0", "50 MiB", "100 MiB", "150 MiB",
                                    "200 MiB", "250 MiB", "300 MiB"));
  EXPECT_EQ(t.values[1], 50.0 * kMiB);
  EXPECT_EQ(t.top(), 300.0 * kMiB);

  EXPECT_EQ(ByteTicks(301 * kMiB).labels.back(), "350 MiB");
  EXPECT_THAT(
      ByteTicks(100 * kMiB).labels,
      ElementsAre("0", "20 MiB", "40 MiB", "60 MiB", "80 MiB", "100 MiB"));
  EXPECT_THAT(ByteTicks(1 * kGiB + 512 * kMiB).labels,
              ElementsAre("0", "0.2 GiB", "0.4 GiB", "0.6 GiB", "0.8 GiB",
                          "1.0 GiB", "1.2 GiB", "1.4 GiB", "1.6 GiB"));
  EXPECT_THAT(ByteTicks(700).labels,
              ElementsAre("0", "100 B", "200 B", "300 B", "400 B", "500 B",
                          "600 B", "700 B"));
  EXPECT_THAT(ByteTicks(3 * kKiB).labels,
              ElementsAre("0", "0.5 KiB", "1.0 KiB", "1.5 KiB", "2.0 KiB",
                          "2.5 KiB", "3.0 KiB"));
  EXPECT_THAT(ByteTicks(5 * kTiB).labels,
              ElementsAre("0", "1 TiB", "2 TiB", "3 TiB", "4 TiB", "5 TiB"));
}

TEST(ByteTicksTest, ZeroAndTheLargestValue) {
  EXPECT_THAT(ByteTicks(0).labels, ElementsAre("0", "1 KiB"));
  AxisTicks t = ByteTicks(UINT64_MAX);
  EXPECT_EQ(t.labels.back(), "16 EiB");
  EXPECT_GE(t.top(), static_cast<double>(UINT64_MAX));
}

TEST(TimeTicksTest, ElapsedLabelsFollowTheSpan) {
  TimeChart c;
  c.seconds = {0, 30};
  EXPECT_THAT(TimeTicks(c).labels, ElementsAre("0 s", "5 s", "10 s", "15 s",
                                               "20 s", "25 s", "30 s"));
  c.seconds = {0, 300};
  EXPECT_THAT(TimeTicks(c).labels,
              ElementsAre("0:00", "1:00", "2:00", "3:00", "4:00", "5:00"));
  c.seconds = {0, 3 * 3600 + 20};
  EXPECT_THAT(TimeTicks(c).labels, ElementsAre("0:00", "0:30", "1:00", "1:30",
                                               "2:00", "2:30", "3:00"));
  c.seconds = {0, 1.5};
  EXPECT_THAT(TimeTicks(c).labels,
              ElementsAre("0.0 s", "0.2 s", "0.4 s", "0.6 s", "0.8 s", "1.0 s",
                          "1.2 s", "1.4 s"));
}

TEST(TimeTicksTest, ClockLabelsOnRoundTimes) {
  TimeChart c;
  // 2026-01-01 12:00:07 UTC; samples over 100 s; shown at UTC+01:00.
  c.start_unix_ms = int64_t{1767268807} * 1000;
  c.utc_offset_s = 3600;
  c.seconds = {0, 100};
  AxisTicks t = TimeTicks(c);
  EXPECT_THAT(t.labels,
              ElementsAre("13:00:15", "13:00:30", "13:00:45", "13:01:00",
                          "13:01:15", "13:01:30", "13:01:45"));
  EXPECT_DOUBLE_EQ(t.values[0], 8);  // 15 - 7 s after the start
  EXPECT_THAT(RenderSvgChart(c), HasSubstr("clock time (UTC+01:00)"));
}

// The polygons' points, computed from the stated layout: x spans the plot
// area from the first sample to the last, y from 0 (bottom) to the top
// tick (300 MiB).
TEST(SvgChartTest, PolygonsHaveTheExpectedCoordinates) {
  TimeChart c = TwoSeries();
  PlotArea p = PlotAreaOf(c);
  EXPECT_EQ(p.left, kPlotLeft);
  EXPECT_EQ(p.top, kPlotTop);
  EXPECT_EQ(p.right, 960 - kPlotRight);
  EXPECT_EQ(p.bottom, 540 - kPlotBottom);
  auto x = [&](double s) { return p.left + s / 30 * (p.right - p.left); };
  auto y = [&](double mib) {
    return p.bottom - mib / 300 * (p.bottom - p.top);
  };
  const std::vector<std::pair<double, double>> heap = {
      {x(0), y(100)}, {x(10), y(200)}, {x(30), y(150)},
      {x(30), y(0)},  {x(10), y(0)},   {x(0), y(0)}};
  const std::vector<std::pair<double, double>> stack = {
      {x(0), y(150)},  {x(10), y(300)}, {x(30), y(150)},
      {x(30), y(150)}, {x(10), y(200)}, {x(0), y(100)}};

  std::string svg = RenderSvgChart(c);
  for (const auto& [name, want] : {std::pair{"heap", heap}, {"stack", stack}}) {
    auto got = ParsePoints(SeriesAttr(svg, name, "points"));
    ASSERT_EQ(got.size(), want.size()) << name;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i].first, want[i].first, 0.005) << name << " point " << i;
      EXPECT_NEAR(got[i].second, want[i].second, 0.005)
          << name << " point " << i;
    }
  }
  EXPECT_EQ(SeriesAttr(svg, "heap", "fill"), kPalette[0]);
  EXPECT_EQ(SeriesAttr(svg, "stack", "fill"), kPalette[1]);
  EXPECT_DOUBLE_EQ(SampleX(c, 1), x(10));
}

TEST(SvgChartTest, StatesSizeTitleLegendAndAxes) {
  TimeChart c = TwoSeries();
  c.width = 800;
  c.height = 400;
  std::string svg = RenderSvgChart(c);
  EXPECT_EQ(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 0),
            0u);
  EXPECT_THAT(
      svg, HasSubstr("width=\"800\" height=\"400\" viewBox=\"0 0 800 400\""));
  EXPECT_THAT(svg, HasSubstr("data-plot=\"80 48 570 356\""));
  EXPECT_THAT(svg, HasSubstr(">memstats watch: test</text>"));
  EXPECT_THAT(svg, HasSubstr(">300 MiB</text>"));
  EXPECT_THAT(svg, HasSubstr(">30 s</text>"));
  EXPECT_THAT(svg, HasSubstr(">seconds since start</text>"));
  // Legend: the top series first, then the total, with last and peak.
  size_t stack = svg.find(">stack</text>"), heap = svg.find(">heap</text>");
  size_t total = svg.find(">total</text>");
  EXPECT_LT(stack, heap);
  EXPECT_LT(heap, total);
  EXPECT_THAT(svg, HasSubstr(">last 150.0 MiB, peak 200.0 MiB</text>"));
  EXPECT_THAT(svg, HasSubstr(">last 0 B, peak 100.0 MiB</text>"));
  EXPECT_THAT(svg, HasSubstr(">last 150.0 MiB, peak 300.0 MiB</text>"));
  EXPECT_THAT(svg, Not(HasSubstr("no samples")));
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
}

TEST(SvgChartTest, SameInputSameBytesWhateverTheLocale) {
  std::string a = RenderSvgChart(TwoSeries());
  EXPECT_EQ(a, RenderSvgChart(TwoSeries()));
  // A locale with a decimal comma, when the machine has one.
  if (std::setlocale(LC_ALL, "de_DE.UTF-8") != nullptr) {
    EXPECT_EQ(a, RenderSvgChart(TwoSeries()));
    std::setlocale(LC_ALL, "C");
  }
  EXPECT_EQ(FormatCoord(12.0), "12");
  EXPECT_EQ(FormatCoord(12.5), "12.5");
  EXPECT_EQ(FormatCoord(-3.254), "-3.25");
  EXPECT_EQ(FormatCoord(-0.001), "0");
  EXPECT_EQ(FormatCoord(0.105), "0.11");
}

TEST(SvgChartTest, EscapesTitleAndSeriesNames) {
  TimeChart c = TwoSeries();
  c.title = "a<b & \"c\" 'd'";
  c.series = {"<heap>", "x&y\"z"};
  std::string svg = RenderSvgChart(c);
  EXPECT_THAT(
      svg, HasSubstr("<title>a&lt;b &amp; &quot;c&quot; &#39;d&#39;</title>"));
  EXPECT_THAT(svg, HasSubstr("data-series=\"&lt;heap&gt;\""));
  EXPECT_THAT(svg, HasSubstr("data-series=\"x&amp;y&quot;z\""));
  EXPECT_THAT(svg, Not(HasSubstr("<heap>")));
}

TEST(EscapeXmlTest, ReplacesWhatXmlCannotHold) {
  EXPECT_EQ(EscapeXml("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(EscapeXml(std::string("a\0b", 3)),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(EscapeXml("\x1b[31m"), "\xef\xbf\xbd[31m");
  EXPECT_EQ(EscapeXml("\xff"), "\xef\xbf\xbd");
  EXPECT_EQ(EscapeXml("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong
  EXPECT_EQ(EscapeXml("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(EscapeXml("\xef\xbf\xbe"), "\xef\xbf\xbd");  // U+FFFE
  EXPECT_EQ(EscapeXml("tab\tnl\n"), "tab\tnl\n");
}

TEST(SvgChartTest, NoSamples) {
  TimeChart c;
  c.title = "empty";
  c.series = {"heap"};
  c.bytes = {{}};
  std::string svg = RenderSvgChart(c);
  EXPECT_THAT(svg, HasSubstr(">no samples</text>"));
  EXPECT_THAT(svg, Not(HasSubstr("<polygon")));
  EXPECT_THAT(svg, HasSubstr(">1 KiB</text>"));
  EXPECT_THAT(svg, HasSubstr(">last 0 B, peak 0 B</text>"));
}

TEST(SvgChartTest, OneSampleIsABandAcrossThePlot) {
  TimeChart c;
  c.seconds = {5};
  c.series = {"heap"};
  c.bytes = {{4 * kMiB}};
  PlotArea p = PlotAreaOf(c);
  auto got = ParsePoints(SeriesAttr(RenderSvgChart(c), "heap", "points"));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], std::pair(p.left, p.top));  // 4 MiB is the top tick
  EXPECT_EQ(got[1], std::pair(p.right, p.top));
  EXPECT_EQ(got[2], std::pair(p.right, p.bottom));
  EXPECT_EQ(got[3], std::pair(p.left, p.bottom));
  EXPECT_EQ(SampleX(c, 0), (p.left + p.right) / 2);
  EXPECT_THAT(TimeTicks(c).labels, ElementsAre("5 s"));
}

TEST(SvgChartTest, AllZeroAndHugeValues) {
  TimeChart c = TwoSeries();
  c.bytes = {{0, 0, 0}, {0, 0, 0}};
  PlotArea p = PlotAreaOf(c);
  for (const auto& [x, y] :
       ParsePoints(SeriesAttr(RenderSvgChart(c), "stack", "points"))) {
    EXPECT_EQ(y, p.bottom);
  }
  c.bytes = {{3 * kTiB, 5 * kTiB, UINT64_MAX / 2}, {UINT64_MAX / 2, 1, 1}};
  std::string svg = RenderSvgChart(c);
  EXPECT_THAT(svg, HasSubstr(">10 EiB</text>"));  // 8 EiB + 3 TiB
  EXPECT_THAT(svg, HasSubstr(">last 8.0 EiB, peak 8.0 EiB</text>"));
  for (const auto& [x, y] : ParsePoints(SeriesAttr(svg, "stack", "points"))) {
    EXPECT_GE(y, p.top);
    EXPECT_LE(y, p.bottom);
  }
}

TEST(SvgChartTest, LegendFoldsWhatDoesNotFit) {
  TimeChart c;
  c.height = 240;  // room for 2 entries, the "+N more" line and the total
  c.seconds = {0, 1};
  for (int k = 0; k < 12; ++k) {
    c.series.push_back("s" + std::to_string(k));
    c.bytes.push_back({kMiB, kMiB});
  }
  std::string svg = RenderSvgChart(c);
  EXPECT_THAT(svg, HasSubstr(">s11</text>"));
  EXPECT_THAT(svg, HasSubstr(">+"));
  EXPECT_THAT(svg, HasSubstr(" more</text>"));
  EXPECT_THAT(svg, Not(HasSubstr(">s0</text>")));
  // Every series still has its area, colours cycling through the palette.
  EXPECT_EQ(SeriesAttr(svg, "s10", "fill"), kPalette[0]);
}

}  // namespace
}  // namespace memstats::render
