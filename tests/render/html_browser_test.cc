// The HTML report in a real browser: headless Chromium driven through
// Selenium by browser_check.py loads the page from a file:// URL, checks
// the chart is drawn, picks the peak by a click on the chart and by the
// sample <select>, switches views, and compares the shown tables with the
// ones the report was given. Label "browser".
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "render/html_report.h"
#include "render_tools.h"
#include "report_fixture.h"
#include "subprocess.h"

namespace memstats::render {
namespace {

TEST(HtmlBrowserTest, ChartClickAndSelectsShowTheSampleTable) {
  MEMSTATS_REQUIRE_TOOLS(
      {PYTHON3, "/usr/bin/chromium", "/usr/bin/chromedriver",
       "/usr/lib/python3/dist-packages/selenium/__init__.py"});
  HtmlReport report = testing::FixtureReport();
  nlohmann::json views = nlohmann::json::array();
  for (const HtmlView& v : report.views) {
    nlohmann::json xs = nlohmann::json::array();
    for (size_t i = 0; i < v.chart.seconds.size(); ++i) {
      xs.push_back(SampleX(v.chart, i));
    }
    views.push_back({{"id", v.id},
                     {"label", v.label},
                     {"series", v.chart.series},
                     {"xs", xs},
                     {"tables", v.tables}});
  }
  nlohmann::json expect = {{"views", views},
                           {"initial", *report.initial_sample},
                           {"peak", testing::kPeak},
                           {"other", 4}};
  // The peak's top row and sum, as the page must show them.
  ASSERT_EQ(report.views[0].tables[testing::kPeak]["rows"][0][0], "postgres");
  ASSERT_EQ(report.views[0].tables[testing::kPeak]["footer"][1], "410 MiB");
  ASSERT_EQ(report.views[0].tables[4]["rows"][0][0], "firefox");

  testing::TempDir dir;
  std::string page = dir.Write("report.html", RenderHtmlReport(report));
  std::vector<std::string> argv = {PYTHON3, BROWSER_CHECK, page, expect.dump()};
  // MEMSTATS_BROWSER_SCREENSHOT=FILE.png keeps a picture of the page.
  if (const char* shot = std::getenv("MEMSTATS_BROWSER_SCREENSHOT")) {
    argv.emplace_back(shot);
  }
  testing::RunResult r = testing::RunCommand(argv, std::nullopt, 240);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("browser_check.py: ok"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace memstats::render
