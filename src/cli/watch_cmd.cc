// memstats watch: a live time series of processes' memory by kind (PSS per
// smaps-profiler series), a row per process per interval and a total row,
// as TSV or JSON lines, until a signal, --count, --duration, or the
// processes it follows exit.
#include <signal.h>

#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "cli/output_file.h"
#include "cli/sampling.h"
#include "render/sample_chart.h"
#include "render/svg_chart.h"
#include "render/watch.h"
#include "sampler/stop_signals.h"

namespace memstats::cli {
namespace {

struct WatchArgs {
  std::vector<std::string> patterns;
  std::vector<int> pids;
  bool children = false;
  double interval = 1;
  std::optional<int64_t> count;
  std::optional<double> duration;
  render::WatchView view;
  std::string graph;     // -g FILE.svg
  int64_t graph_every = 10;
};

// -g: the total's series as a stacked-area SVG, rewritten whole (atomically)
// every `every` samples and when the loop ends.
class GraphSink : public sampler::SampleSink {
 public:
  GraphSink(std::string path, std::string title, int64_t every)
      : path_(std::move(path)), title_(std::move(title)), every_(every) {}

  absl::Status Add(const sampler::Taken& t) override {
    points_.push_back(render::PointOf(t.sample));
    if (points_.size() == 1) {
      utc_offset_s_ = render::LocalUtcOffsetSeconds(t.sample.unix_ms);
    }
    if (static_cast<int64_t>(points_.size()) % every_ != 0) {
      return absl::OkStatus();
    }
    return Write();
  }

  absl::Status Finish(sampler::EndReason) override {
    return points_.empty() ? absl::OkStatus() : Write();
  }

 private:
  absl::Status Write() {
    return WriteOutputFile(
        path_, render::RenderSvgChart(
                   render::SeriesChart(title_, points_, utc_offset_s_)));
  }

  std::string path_;
  std::string title_;
  int64_t every_;
  int64_t utc_offset_s_ = 0;
  std::vector<render::ChartPoint> points_;
};

// Writes each sample whole, in one write, to `out`.
class StreamSink : public sampler::SampleSink {
 public:
  StreamSink(std::ostream& out, bool json, const render::WatchView& view)
      : out_(out), json_(json), view_(view) {}

  absl::Status Add(const sampler::Taken& t) override {
    if (first_) WarnUnreadable(t.stats);
    std::ostringstream text;
    if (json_) {
      render::RenderWatchJsonLine(t.sample, view_, text);
    } else {
      if (first_) render::RenderWatchTsvHeader(view_, text);
      render::RenderWatchTsv(t.sample, view_, text);
    }
    first_ = false;
    out_ << text.str() << std::flush;
    if (!out_) return absl::UnavailableError("cannot write to stdout");
    return absl::OkStatus();
  }

 private:
  std::ostream& out_;
  bool json_;
  render::WatchView view_;
  bool first_ = true;
};

int RunWatch(Context& ctx, const WatchArgs& a) {
  RequireListedPids(*ctx.source, a.pids, "-p");
  sampler::LoopOptions options;
  options.schedule.period_seconds = a.interval;
  options.schedule.max_ticks = a.count;
  options.schedule.duration_seconds = a.duration;
  options.threads = ctx.threads;

  std::optional<sampler::Selector> who;
  std::string followed;
  if (!a.patterns.empty()) {
    scan::KeepFn pick = PatternPicker(a.patterns);
    std::vector<int> roots = a.pids;
    if (a.children) {
      std::vector<int> now = PickedNow(ctx, pick);
      roots.insert(roots.end(), now.begin(), now.end());
    }
    who.emplace(sampler::ProcessTree(roots, a.children), std::move(pick));
  } else if (!a.pids.empty()) {
    who.emplace(sampler::ProcessTree(a.pids, a.children));
    followed = a.pids.size() == 1
                   ? absl::StrCat("process ", a.pids.front())
                   : absl::StrCat("processes ", absl::StrJoin(a.pids, ", "));
    if (a.children) absl::StrAppend(&followed, " and its descendants");
  } else {
    who.emplace(scan::KeepFn(nullptr));
  }

  sampler::InstallStopSignals({SIGINT, SIGTERM, SIGHUP, SIGQUIT});
  StreamSink sink(std::cout, ctx.opts.json, a.view);
  std::vector<sampler::SampleSink*> sinks = {&sink};
  std::optional<GraphSink> graph;
  if (!a.graph.empty()) {
    std::string what = !a.patterns.empty()
                           ? absl::StrJoin(a.patterns, " ")
                           : (followed.empty() ? "every process" : followed);
    graph.emplace(a.graph, absl::StrCat("memstats watch: ", what),
                  a.graph_every);
    sinks.push_back(&*graph);
  }
  absl::StatusOr<sampler::LoopResult> done = sampler::RunSampleLoop(
      SamplerScanFn(ctx), *ctx.source, options, sampler::SystemClock(),
      sampler::UnixMillisNow, SamplerBudgets(ctx), *who, sinks);
  if (!done.ok()) {
    std::cerr << "error: " << done.status().message() << "\n";
    return ExitCodeFor(done.status());
  }
  if (done->samples == 0 && done->last_stats.unreadable > 0) {
    WarnUnreadable(done->last_stats);
    std::cerr << "error: " << followed << " could not be read\n";
    return kExitFailure;
  }
  SayHowItEnded(done->end, followed);
  return kExitOk;
}

}  // namespace

void RegisterWatchCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  CLI::App* sub = app.add_subcommand(
      "watch",
      "Memory by kind over time (PSS per series, as smaps-profiler): a TSV "
      "row per process per interval and a total row, or JSON lines");
  sub->fallthrough();
  auto a = std::make_shared<WatchArgs>();
  sub->add_option("PATTERN", a->patterns,
                  "Processes whose command line or comm matches (regular "
                  "expression, e.g. '^postgres'); none: every process the "
                  "filter keeps");
  sub->add_option("-p,--pid", a->pids, "Follow this process (repeatable)")
      ->take_all();
  sub->add_flag("-c,--children,-r,--recursive", a->children,
                "Include the descendants of the processes followed");
  sub->add_option("-i,--interval", a->interval,
                  "Seconds between samples (default 1; fractions allowed)");
  sub->add_option("-n,--count", a->count, "Stop after N samples")
      ->check(CLI::PositiveNumber);
  sub->add_option("--duration", a->duration, "Stop after this many seconds");
  sub->add_flag("--total-only", a->view.total_only,
                "Only the total row of each sample");
  sub->add_flag("-v,--verbose", a->view.verbose,
                "Also each row's RSS, USS (private) and swap");
  sub->add_option("-g,--graph", a->graph,
                  "Write a stacked-area graph of the total's series to "
                  "FILE.svg, refreshed as samples come and on exit")
      ->option_text("FILE.svg");
  sub->add_option("--graph-every", a->graph_every,
                  "Rewrite the graph every N samples (default 10)")
      ->check(CLI::PositiveNumber);
  sub->callback([a, &global, &run] {
    run = [a, &global] {
      CheckSeconds("-i", a->interval);
      if (!a->graph.empty()) {
        if (absl::Status s = CheckOutputPath(a->graph); !s.ok()) {
          throw UsageError(absl::StrCat("-g: ", s.message()));
        }
      }
      if (a->duration) CheckSeconds("--duration", *a->duration);
      Context ctx = MakeContext(global);
      return RunWatch(ctx, *a);
    };
  });
}

}  // namespace memstats::cli
