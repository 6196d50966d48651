// The SVG chart read by other programs: python3's xml.etree parses it and
// finds the series and the title, rsvg-convert renders it to a PNG of the
// stated size that is not blank (tests/render/check_svg.py).
#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "render/svg_chart.h"
#include "render_tools.h"
#include "subprocess.h"

namespace memstats::render {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kTiB = kMiB * 1024 * 1024;

class SvgToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEMSTATS_REQUIRE_TOOLS({PYTHON3, "/usr/bin/rsvg-convert"});
  }

  // Renders `chart` to a file and runs check_svg.py on it with `expect`
  // (size, title and series taken from the chart).
  void Check(const TimeChart& chart, nlohmann::json expect) {
    expect["width"] = chart.width;
    expect["height"] = chart.height;
    expect["title"] = chart.title;
    expect["series"] =
        chart.seconds.empty() ? std::vector<std::string>{} : chart.series;
    std::string path = dir_.Write("chart.svg", RenderSvgChart(chart));
    testing::RunResult r = testing::RunCommand(
        {PYTHON3, CHECK_SVG, path, expect.dump()}, std::nullopt, 120);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
  }

  testing::TempDir dir_;
};

TEST_F(SvgToolsTest, ThreeSeriesWithNamesToEscape) {
  TimeChart c;
  c.title = "memstats watch: <firefox> & \"friends\" (pid 1234)";
  c.seconds = {0, 5, 10, 15, 20, 25, 30};
  c.series = {"heap", "<stack>", "a&b 'c'"};
  c.bytes = {{10 * kMiB, 40 * kMiB, 80 * kMiB, 120 * kMiB, 90 * kMiB, 60 * kMiB,
              50 * kMiB},
             {5 * kMiB, 5 * kMiB, 10 * kMiB, 20 * kMiB, 20 * kMiB, 10 * kMiB,
              5 * kMiB},
             {30 * kMiB, 30 * kMiB, 35 * kMiB, 40 * kMiB, 45 * kMiB, 50 * kMiB,
              55 * kMiB}};
  Check(c, {{"colours", {kPalette[0], kPalette[1], kPalette[2]}}});
}

TEST_F(SvgToolsTest, OtherSizeAndClockTime) {
  TimeChart c;
  c.title = "caf\xc3\xa9";
  c.width = 640;
  c.height = 300;
  c.start_unix_ms = int64_t{1767268807} * 1000;
  c.seconds = {0, 600, 1200, 1800, 2400};
  c.series = {"anon"};
  c.bytes = {{kMiB, 3 * kMiB, 2 * kMiB, 4 * kMiB, kMiB}};
  Check(c, {{"colours", {kPalette[0]}}});
}

TEST_F(SvgToolsTest, NoSamples) {
  TimeChart c;
  c.title = "empty";
  c.series = {"heap"};
  c.bytes = {{}};
  Check(c, {{"note", "no samples"}});
}

TEST_F(SvgToolsTest, OneSampleOfTebibytesAndAControlCharacter) {
  TimeChart c;
  c.title = "huge";
  c.seconds = {3};
  c.series = {"shm\x01"};
  c.bytes = {{3 * kTiB}};
  TimeChart expect = c;
  expect.series = {"shm\xef\xbf\xbd"};  // U+FFFD
  std::string path = dir_.Write("chart.svg", RenderSvgChart(c));
  testing::RunResult r =
      testing::RunCommand({PYTHON3, CHECK_SVG, path,
                           nlohmann::json{{"width", 960},
                                          {"height", 540},
                                          {"title", "huge"},
                                          {"series", expect.series},
                                          {"colours", {kPalette[0]}}}
                               .dump()});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
}

TEST_F(SvgToolsTest, AllZero) {
  TimeChart c;
  c.title = "idle";
  c.seconds = {0, 1, 2};
  c.series = {"heap", "stack"};
  c.bytes = {{0, 0, 0}, {0, 0, 0}};
  Check(c, {});
}

}  // namespace
}  // namespace memstats::render
