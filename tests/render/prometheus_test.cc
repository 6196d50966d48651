// The Prometheus exposition, whole, in both formats: golden texts with
// group names that need every escape (backslash, double quote, newline)
// and invalid UTF-8; the page-level families left out without page-level
// numbers.
#include "render/prometheus.h"

#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace memstats::render {
namespace {

sets::GroupTotals Totals(uint64_t processes, uint64_t anon, uint64_t shmem,
                         uint64_t file, uint64_t anon_uss, uint64_t file_uss,
                         uint64_t swap, uint64_t pss) {
  sets::GroupTotals t;
  t.processes = processes;
  t.rss_pages = {anon, shmem, file, 7};  // hugetlb is in no RSS metric
  t.uss_pages = {anon_uss, 0, file_uss, 0};
  t.swap_rss_pages = swap;
  t.pss_bytes = pss;
  return t;
}

sets::Report FixtureReport() {
  sets::Report r;
  r.page_level = true;
  r.scan.scanned = 5;
  r.scan.vanished = 2;
  r.scan.seconds = 0.2504;
  sets::SplitReport env;
  env.splitter = "env:ROLE";
  // A value with a quote, a backslash, a newline, valid UTF-8 and a lone
  // 0xff byte.
  env.groups.push_back({"db \"main\"\\primary\nline2 caf\xc3\xa9 \xff!",
                        {10, 11},
                        Totals(2, 100, 50, 10, 80, 5, 3, 600000)});
  env.groups.push_back({"other", {12, 13, 14}, Totals(3, 20, 0, 4, 20, 0, 0,
                                                      90000)});
  sets::SplitReport uid;
  uid.splitter = "uid";
  uid.groups.push_back({"0", {10, 11, 12, 13, 14},
                        Totals(5, 120, 50, 14, 100, 6, 3, 690000)});
  r.splits = {env, uid};
  return r;
}

ScanFacts Facts() {
  ScanFacts f;
  f.finished_unix_seconds = 1764910800.125;
  f.age_seconds = 12.3456;
  f.self_rss_bytes = 25165824;
  f.failed_scans = 1;
  f.version = "1.2.3";
  return f;
}

std::string Render(const sets::Report& r, MetricsFormat format) {
  std::ostringstream out;
  RenderPrometheus(r, Facts(), format, out);
  return out.str();
}

// The group families, the same in both formats.
constexpr char kGroups[] =
    R"(# HELP memstats_group_processes Processes in the group.
# TYPE memstats_group_processes gauge
memstats_group_processes{split="env:ROLE",group="db \"main\"\\primary\nline2 café �!"} 2
memstats_group_processes{split="env:ROLE",group="other"} 3
memstats_group_processes{split="uid",group="0"} 5
# HELP memstats_group_rss_bytes Distinct physical pages mapped by the group's processes (group RSS).
# TYPE memstats_group_rss_bytes gauge
memstats_group_rss_bytes{split="env:ROLE",group="db \"main\"\\primary\nline2 café �!"} 655360
memstats_group_rss_bytes{split="env:ROLE",group="other"} 98304
memstats_group_rss_bytes{split="uid",group="0"} 753664
# HELP memstats_group_uss_bytes Pages mapped by the group and by no process outside it (group USS).
# TYPE memstats_group_uss_bytes gauge
memstats_group_uss_bytes{split="env:ROLE",group="db \"main\"\\primary\nline2 café �!"} 348160
memstats_group_uss_bytes{split="env:ROLE",group="other"} 81920
memstats_group_uss_bytes{split="uid",group="0"} 434176
# HELP memstats_group_pss_bytes Sum of the PSS of the group's processes.
# TYPE memstats_group_pss_bytes gauge
memstats_group_pss_bytes{split="env:ROLE",group="db \"main\"\\primary\nline2 café �!"} 600000
memstats_group_pss_bytes{split="env:ROLE",group="other"} 90000
memstats_group_pss_bytes{split="uid",group="0"} 690000
# HELP memstats_group_anon_uss_bytes Anonymous pages of the group's USS: freed when the group exits.
# TYPE memstats_group_anon_uss_bytes gauge
memstats_group_anon_uss_bytes{split="env:ROLE",group="db \"main\"\\primary\nline2 café �!"} 327680
memstats_group_anon_uss_bytes{split="env:ROLE",group="other"} 81920
memstats_group_anon_uss_bytes{split="uid",group="0"} 409600
# HELP memstats_group_swap_bytes Distinct swap entries in the group's page tables (SWAP).
# TYPE memstats_group_swap_bytes gauge
memstats_group_swap_bytes{split="env:ROLE",group="db \"main\"\\primary\nline2 café �!"} 12288
memstats_group_swap_bytes{split="env:ROLE",group="other"} 0
memstats_group_swap_bytes{split="uid",group="0"} 12288
)";

// The scan families; TYPE lines of the counter and the info differ.
constexpr char kScanHead[] =
    R"(# HELP memstats_scan_timestamp_seconds When the last completed scan finished, in seconds since the epoch.
# TYPE memstats_scan_timestamp_seconds gauge
memstats_scan_timestamp_seconds 1764910800.125
# HELP memstats_scan_age_seconds Seconds since the last completed scan finished, at this scrape.
# TYPE memstats_scan_age_seconds gauge
memstats_scan_age_seconds 12.346
# HELP memstats_scan_duration_seconds How long the last completed scan and its accounting took.
# TYPE memstats_scan_duration_seconds gauge
memstats_scan_duration_seconds 0.250
# HELP memstats_scan_processes Processes the last completed scan read whole.
# TYPE memstats_scan_processes gauge
memstats_scan_processes 5
# HELP memstats_scan_vanished_processes Processes that exited during the last completed scan.
# TYPE memstats_scan_vanished_processes gauge
memstats_scan_vanished_processes 2
# HELP memstats_scan_page_level 1 when the scan had page-level numbers (RSS, USS by page; needs root), else 0.
# TYPE memstats_scan_page_level gauge
memstats_scan_page_level 1
)";

TEST(PrometheusTest, TextFormatGolden) {
  const std::string want = absl::StrCat(kGroups, kScanHead,
                                        R"(# HELP memstats_scan_failures_total Scans that failed since memstats serve started.
# TYPE memstats_scan_failures_total counter
memstats_scan_failures_total 1
# HELP memstats_self_rss_bytes memstats's own resident memory after the last completed scan.
# TYPE memstats_self_rss_bytes gauge
memstats_self_rss_bytes 25165824
# HELP memstats_build_info memstats's version.
# TYPE memstats_build_info gauge
memstats_build_info{version="1.2.3"} 1
)");
  EXPECT_EQ(Render(FixtureReport(), MetricsFormat::kPrometheusText), want);
}

TEST(PrometheusTest, OpenMetricsGolden) {
  const std::string want = absl::StrCat(kGroups, kScanHead,
                                        R"(# HELP memstats_scan_failures Scans that failed since memstats serve started.
# TYPE memstats_scan_failures counter
memstats_scan_failures_total 1
# HELP memstats_self_rss_bytes memstats's own resident memory after the last completed scan.
# TYPE memstats_self_rss_bytes gauge
memstats_self_rss_bytes 25165824
# HELP memstats_build memstats's version.
# TYPE memstats_build info
memstats_build_info{version="1.2.3"} 1
# EOF
)");
  EXPECT_EQ(Render(FixtureReport(), MetricsFormat::kOpenMetrics), want);
}

TEST(PrometheusTest, WithoutPageLevelOnlyProcessesAndPss) {
  sets::Report r = FixtureReport();
  r.page_level = false;
  r.splits.resize(1);
  r.splits[0].groups.resize(1);
  r.splits[0].groups[0].name = "x";
  const std::string text = Render(r, MetricsFormat::kPrometheusText);
  const std::string groups = text.substr(0, text.find("# HELP memstats_scan_"));
  EXPECT_EQ(groups,
            R"(# HELP memstats_group_processes Processes in the group.
# TYPE memstats_group_processes gauge
memstats_group_processes{split="env:ROLE",group="x"} 2
# HELP memstats_group_pss_bytes Sum of the PSS of the group's processes.
# TYPE memstats_group_pss_bytes gauge
memstats_group_pss_bytes{split="env:ROLE",group="x"} 600000
)");
  EXPECT_NE(text.find("memstats_scan_page_level 0\n"), std::string::npos);
}

TEST(PrometheusTest, EscapeLabelValue) {
  struct {
    std::string in, want;
  } cases[] = {
      {"postgres", "postgres"},
      {"a\\b", "a\\\\b"},
      {"say \"hi\"", "say \\\"hi\\\""},
      {"two\nlines", "two\\nlines"},
      {"tab\tand\rcr", "tab\tand\rcr"},  // valid in a quoted label value
      {"caf\xc3\xa9", "caf\xc3\xa9"},
      {"bad\xff", "bad\xef\xbf\xbd"},
      {"cut \xc3", "cut \xef\xbf\xbd"},           // truncated sequence
      {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},   // overlong '/'
      {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},  // surrogate
      {"", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(EscapeLabelValue(c.in), c.want) << c.in;
  }
}

TEST(PrometheusTest, ContentTypes) {
  EXPECT_EQ(MetricsContentType(MetricsFormat::kPrometheusText),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(MetricsContentType(MetricsFormat::kOpenMetrics),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

}  // namespace
}  // namespace memstats::render
