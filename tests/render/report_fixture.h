// One HTML report for the unit and browser tests: a "total" view whose
// series are processes and whose tables list them, and a process view
// with categories. Six samples at 0, 2, ..., 10 s; the total peaks at
// sample kPeak (410 MiB, postgres on top); at sample 4 firefox is on top.
#ifndef MEMSTATS_TESTS_RENDER_REPORT_FIXTURE_H_
#define MEMSTATS_TESTS_RENDER_REPORT_FIXTURE_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "render/html_report.h"

namespace memstats::testing {

inline constexpr size_t kPeak = 3;
inline constexpr uint64_t kFixtureMiB = 1024 * 1024;

inline std::string MiB(uint64_t mib) { return absl::StrCat(mib, " MiB"); }

// MiB per process (rows) per sample (columns).
inline const std::vector<std::string> kProcesses = {"postgres", "firefox",
                                                    "<b>bold</b> & co"};
inline const std::vector<std::vector<uint64_t>> kProcessMiB = {
    {100, 120, 150, 300, 120, 110},
    {50, 60, 80, 90, 230, 40},
    {10, 10, 10, 20, 10, 10}};

// The total view's table at sample i: processes, largest first, and the
// sum in the footer.
inline nlohmann::json TotalTable(size_t i) {
  std::vector<size_t> order = {0, 1, 2};
  std::stable_sort(order.begin(), order.end(), [i](size_t a, size_t b) {
    return kProcessMiB[a][i] > kProcessMiB[b][i];
  });
  nlohmann::json rows = nlohmann::json::array();
  uint64_t sum = 0;
  for (size_t p : order) {
    rows.push_back({kProcesses[p], MiB(kProcessMiB[p][i])});
    sum += kProcessMiB[p][i];
  }
  return {{"time", absl::StrCat("12:00:", i * 2 < 10 ? "0" : "", i * 2)},
          {"columns", {"process", "PSS"}},
          {"rows", rows},
          {"footer", {"total", MiB(sum)}}};
}

inline render::HtmlReport FixtureReport() {
  render::HtmlReport report;
  report.title = "memstats watch </script> <test>";
  render::HtmlView total;
  total.id = "total";
  total.label = "total";
  total.chart.title = "all processes";
  total.chart.seconds = {0, 2, 4, 6, 8, 10};
  total.chart.series = kProcesses;
  for (const auto& row : kProcessMiB) {
    std::vector<uint64_t> bytes;
    for (uint64_t m : row) bytes.push_back(m * kFixtureMiB);
    total.chart.bytes.push_back(bytes);
  }
  for (size_t i = 0; i < 6; ++i) total.tables.push_back(TotalTable(i));

  render::HtmlView proc;
  proc.id = "1234";
  proc.label = "1234 postgres";
  proc.chart.title = "postgres (pid 1234)";
  proc.chart.seconds = total.chart.seconds;
  proc.chart.series = {"heap", "stack"};
  proc.chart.bytes = {{90 * kFixtureMiB, 110 * kFixtureMiB, 140 * kFixtureMiB,
                       280 * kFixtureMiB, 110 * kFixtureMiB, 100 * kFixtureMiB},
                      {10 * kFixtureMiB, 10 * kFixtureMiB, 10 * kFixtureMiB,
                       20 * kFixtureMiB, 10 * kFixtureMiB, 10 * kFixtureMiB}};
  for (size_t i = 0; i < 6; ++i) {
    proc.tables.push_back(
        {{"columns", {"category", "PSS"}},
         {"rows",
          nlohmann::json::array(
              {nlohmann::json::array(
                   {"heap", MiB(proc.chart.bytes[0][i] / kFixtureMiB)}),
               nlohmann::json::array(
                   {"stack", MiB(proc.chart.bytes[1][i] / kFixtureMiB)})})},
         {"footer", {"total", MiB(kProcessMiB[0][i])}}});
  }
  report.views = {total, proc};
  report.initial_sample = 1;
  return report;
}

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_RENDER_REPORT_FIXTURE_H_
