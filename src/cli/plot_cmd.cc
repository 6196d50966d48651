// memstats plot DB -o FILE.svg|FILE.html: a recording drawn.
//   - FILE.svg: the stacked PSS series of the recording's processes (or of
//     --pid), the same chart as memstats watch -g.
//   - FILE.html: one self-contained page: that chart, a view per process
//     (the largest by peak PSS), and for any sample chosen on the chart, the
//     table memstats peak prints for it.
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "cli/output_file.h"
#include "history/store.h"
#include "profile/peak.h"
#include "render/html_report.h"
#include "render/peak.h"
#include "render/sample_chart.h"
#include "render/svg_chart.h"

namespace memstats::cli {
namespace {

struct PlotArgs {
  std::string database;
  std::string output;
  std::optional<int> pid;
  std::optional<int64_t> recording;
  std::string by = "pss";
  int views = 10;
};

std::vector<render::ChartPoint> Points(
    const std::vector<profile::Sample>& samples, std::optional<int> pid) {
  std::vector<render::ChartPoint> points;
  points.reserve(samples.size());
  for (const profile::Sample& s : samples) {
    points.push_back(render::PointOf(s, pid));
  }
  return points;
}

// The processes with the largest peak PSS (series sum), at most `n`.
std::vector<std::pair<int, std::string>> LargestProcesses(
    const std::vector<profile::Sample>& samples, int n) {
  absl::flat_hash_map<int, std::pair<uint64_t, std::string>> peak;
  for (const profile::Sample& s : samples) {
    for (const profile::ProcessSample& p : s.processes) {
      auto& [bytes, label] = peak[p.pid];
      bytes = std::max(bytes, p.PssTotal());
      if (label.empty()) label = absl::StrCat(p.pid, " ", p.comm);
    }
  }
  std::vector<std::tuple<uint64_t, int, std::string>> order;
  for (auto& [pid, v] : peak) order.emplace_back(v.first, pid, v.second);
  std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
    if (std::get<0>(x) != std::get<0>(y)) return std::get<0>(x) > std::get<0>(y);
    return std::get<1>(x) < std::get<1>(y);
  });
  std::vector<std::pair<int, std::string>> out;
  for (const auto& [bytes, pid, label] : order) {
    if (static_cast<int>(out.size()) >= n) break;
    out.emplace_back(pid, label);
  }
  return out;
}

render::HtmlView View(std::string id, std::string label, std::string title,
                      const std::vector<profile::Sample>& samples,
                      std::optional<int> pid, profile::PeakMeasure by,
                      int64_t utc_offset) {
  render::HtmlView v;
  v.id = std::move(id);
  v.label = std::move(label);
  v.chart = render::SeriesChart(std::move(title), Points(samples, pid),
                                utc_offset);
  v.tables.reserve(samples.size());
  for (const profile::Sample& s : samples) {
    v.tables.push_back(
        render::PeakTableJson(profile::BuildPeakTable(s, by, pid)));
  }
  return v;
}

int RunPlot(const PlotArgs& a) {
  const bool html = absl::EndsWith(a.output, ".html");
  if (!html && !absl::EndsWith(a.output, ".svg")) {
    throw UsageError(absl::StrCat("-o: expected FILE.svg or FILE.html, got '",
                                  a.output, "'"));
  }
  if (absl::Status s = CheckOutputPath(a.output); !s.ok()) {
    throw UsageError(absl::StrCat("-o: ", s.message()));
  }
  std::optional<profile::PeakMeasure> by = profile::ParsePeakMeasure(a.by);
  if (!by) {
    throw UsageError(
        absl::StrCat("--by: expected rss, pss or uss, got '", a.by, "'"));
  }
  auto store = history::Store::OpenReadOnly(a.database);
  if (!store.ok()) throw UsageError(absl::StrCat(store.status().message()));
  auto rec = history::FindRecording(**store, a.recording);
  if (!rec.ok()) throw UsageError(absl::StrCat(rec.status().message()));
  history::LoadOptions load;
  load.pid = a.pid;
  load.mappings = html;
  auto samples = (*store)->LoadSamples(rec->id, load);
  if (!samples.ok()) {
    std::cerr << "memstats: error: " << samples.status().message() << "\n";
    return kExitFailure;
  }
  if (samples->empty()) {
    throw UsageError(absl::StrCat("database '", a.database,
                                  "': no samples in recording ", rec->id));
  }
  if (a.pid) {
    bool seen = false;
    for (const profile::Sample& s : *samples) seen |= !s.processes.empty();
    if (!seen) {
      throw UsageError(absl::StrCat("--pid: pid ", *a.pid,
                                    " is in no sample of recording ",
                                    rec->id));
    }
  }
  const int64_t offset =
      render::LocalUtcOffsetSeconds(samples->front().unix_ms);
  std::string title = absl::StrCat("memstats plot: ", rec->info.target);
  if (!rec->info.host.empty()) absl::StrAppend(&title, " on ", rec->info.host);
  if (a.pid) absl::StrAppend(&title, ", pid ", *a.pid);

  std::string content;
  if (!html) {
    content = render::RenderSvgChart(
        render::SeriesChart(title, Points(*samples, a.pid), offset));
  } else {
    render::HtmlReport report;
    report.title = title;
    report.views.push_back(View(a.pid ? absl::StrCat("pid", *a.pid) : "total",
                                a.pid ? absl::StrCat("pid ", *a.pid)
                                      : "all processes",
                                title, *samples, a.pid, *by, offset));
    if (!a.pid) {
      for (const auto& [pid, label] : LargestProcesses(*samples, a.views)) {
        report.views.push_back(View(absl::StrCat("pid", pid), label,
                                    absl::StrCat(title, ", pid ", pid),
                                    *samples, pid, *by, offset));
      }
    }
    report.initial_sample = profile::FindPeak(*samples, *by, a.pid);
    content = render::RenderHtmlReport(report);
  }
  if (absl::Status s = WriteOutputFile(a.output, content); !s.ok()) {
    std::cerr << "memstats: error: -o: " << s.message() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void RegisterPlotCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  CLI::App* sub = app.add_subcommand(
      "plot",
      "Draw a recording: an SVG chart of PSS by series, or one HTML page "
      "with the chart, a view per process and each sample's peak table");
  auto a = std::make_shared<PlotArgs>();
  sub->add_option("database", a->database, "The history database")
      ->required();
  sub->add_option("-o,--output", a->output, "FILE.svg or FILE.html")
      ->required();
  sub->add_option("--pid", a->pid, "Only this process");
  sub->add_option("--recording", a->recording,
                  "The recording (default: the last one)");
  sub->add_option("--by", a->by,
                  "The HTML tables' measure: rss, pss (default) or uss");
  sub->add_option("--views", a->views,
                  "HTML: a view for each of the N processes with the largest "
                  "peak PSS (default 10)")
      ->check(CLI::Range(0, 1000));
  sub->callback([a, &global, &run] {
    (void)global;
    run = [a] { return RunPlot(*a); };
  });
}

}  // namespace memstats::cli
