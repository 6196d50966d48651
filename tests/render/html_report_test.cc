// The HTML report's text: what the page's script reads (#data), escaping,
// the charts it inlines, and that it names nothing outside the file. The
// page's behaviour in a browser: html_browser_test.cc.
#include "render/html_report.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "report_fixture.h"

namespace memstats::render {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t at = s.find(what); at != std::string::npos;
       at = s.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// The JSON in <script id="data">.
nlohmann::json PageData(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"data\">";
  size_t start = html.find(open);
  if (start == std::string::npos) return nullptr;
  start += open.size();
  size_t end = html.find("</script>", start);
  return nlohmann::json::parse(html.substr(start, end - start));
}

TEST(HtmlReportTest, DataHoldsViewsSamplesAndTables) {
  HtmlReport report = testing::FixtureReport();
  std::string html = RenderHtmlReport(report);
  nlohmann::json data = PageData(html);
  ASSERT_TRUE(data.is_object()) << html.substr(0, 2000);
  EXPECT_EQ(data["initial"], 1);
  ASSERT_EQ(data["views"].size(), 2u);
  const nlohmann::json& total = data["views"][0];
  EXPECT_EQ(total["id"], "total");
  EXPECT_EQ(total["label"], "total");
  EXPECT_EQ(total["seconds"], nlohmann::json({0.0, 2.0, 4.0, 6.0, 8.0, 10.0}));
  PlotArea p = PlotAreaOf(report.views[0].chart);
  EXPECT_EQ(total["plot"], nlohmann::json({p.left, p.top, p.right, p.bottom}));
  ASSERT_EQ(total["xs"].size(), 6u);
  EXPECT_EQ(total["xs"][0], p.left);
  EXPECT_EQ(total["xs"][5], p.right);
  EXPECT_NEAR(total["xs"][3].get<double>(), SampleX(report.views[0].chart, 3),
              0.005);
  EXPECT_EQ(total["tables"][testing::kPeak],
            testing::TotalTable(testing::kPeak));
  EXPECT_EQ(data["views"][1]["label"], "1234 postgres");
}

TEST(HtmlReportTest, NothingCanCloseTheScript) {
  HtmlReport report = testing::FixtureReport();
  report.views[1].label = "</script><!--";
  std::string html = RenderHtmlReport(report);
  // The two <script> elements' own end tags, and no other: the title, a
  // view's label and a cell hold "</script>" and "<b>".
  EXPECT_EQ(Count(html, "</script>"), 2);
  EXPECT_THAT(html, HasSubstr("\"label\":\"\\u003c/script\\u003e\\u003c!--\""));
  EXPECT_EQ(PageData(html)["views"][1]["label"], "</script><!--");
  EXPECT_THAT(html,
              HasSubstr("\\u003cb\\u003ebold\\u003c/b\\u003e \\u0026 co"));
  EXPECT_THAT(
      html,
      HasSubstr("<title>memstats watch &lt;/script&gt; &lt;test&gt;</title>"));
  EXPECT_THAT(
      html, HasSubstr("<h1>memstats watch &lt;/script&gt; &lt;test&gt;</h1>"));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  // Invalid UTF-8 in a cell is replaced, not an exception.
  HtmlReport bad = testing::FixtureReport();
  bad.views[0].tables[0]["rows"][0][0] = "\xff";
  EXPECT_THAT(RenderHtmlReport(bad), HasSubstr("\"\xef\xbf\xbd\""));
}

TEST(HtmlReportTest, InlinesEveryChartAndShowsTheFirst) {
  HtmlReport report = testing::FixtureReport();
  std::string html = RenderHtmlReport(report);
  EXPECT_THAT(
      html, HasSubstr("<div class=\"chart-view\" data-view=\"total\">\n<svg "));
  EXPECT_THAT(
      html,
      HasSubstr("<div class=\"chart-view\" data-view=\"1234\" hidden>\n<svg "));
  EXPECT_THAT(html, Not(HasSubstr("<?xml")));
  EXPECT_THAT(html, HasSubstr("data-series=\"postgres\""));
  EXPECT_THAT(html,
              HasSubstr("data-series=\"&lt;b&gt;bold&lt;/b&gt; &amp; co\""));
  EXPECT_THAT(html, HasSubstr("data-series=\"stack\""));
  for (const char* id :
       {"view", "sample", "slider", "chart", "time", "table", "data"}) {
    EXPECT_EQ(Count(html, std::string("id=\"") + id + "\""), 1) << id;
  }
  EXPECT_EQ(html, RenderHtmlReport(report));  // deterministic
}

TEST(HtmlReportTest, SelfContained) {
  std::string html = RenderHtmlReport(testing::FixtureReport());
  // The SVG namespace is a name, not a fetch; nothing else names a URL or
  // loads a resource.
  EXPECT_EQ(Count(html, "http"), Count(html, "http://www.w3.org/2000/svg"));
  EXPECT_THAT(html, Not(HasSubstr(" src=")));
  EXPECT_THAT(html, Not(HasSubstr(" href=")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
}

TEST(HtmlReportTest, InitialSample) {
  HtmlReport report = testing::FixtureReport();
  report.initial_sample.reset();
  EXPECT_EQ(PageData(RenderHtmlReport(report))["initial"], 5);  // the last
  report.initial_sample = 99;
  EXPECT_EQ(PageData(RenderHtmlReport(report))["initial"], 5);
  report.views[0].chart.seconds.clear();
  report.views[0].chart.bytes = {{}, {}, {}};
  report.views[0].tables.clear();
  nlohmann::json data = PageData(RenderHtmlReport(report));
  EXPECT_TRUE(data["initial"].is_null());
  EXPECT_EQ(data["views"][0]["xs"], nlohmann::json::array());
}

TEST(HtmlReportTest, NoViews) {
  HtmlReport report;
  report.title = "nothing";
  std::string html = RenderHtmlReport(report);
  EXPECT_THAT(html, HasSubstr("<p class=\"note\">no views</p>"));
  nlohmann::json data = PageData(html);
  EXPECT_TRUE(data["initial"].is_null());
  EXPECT_EQ(data["views"], nlohmann::json::array());
}

}  // namespace
}  // namespace memstats::render
