// memstats serve: a Prometheus exporter. Scans on its own schedule
// (--interval), one scan at a time on this thread, through the groups
// pipeline (AnalyzeGroups); scrapes of /metrics get the last completed
// scan with its age (src/serve/). Binds before the first scan, so that a
// bad address fails at once; until that scan completes, /metrics and
// /healthz answer 503.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/analyze_groups.h"
#include "cli/commands.h"
#include "cli/sampling.h"
#include "cli/split_options.h"
#include "sampler/schedule.h"
#include "sampler/stop_signals.h"
#include "serve/exporter.h"
#include "serve/listen_address.h"

namespace memstats::cli {
namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:9952";
  std::string interval = "30s";
  int64_t max_groups = 100;
  bool allow_remote = false;
  SplitOptions splits;
  // Checked in the callback.
  serve::ListenAddress address;
  double interval_seconds = 30;
};

void CheckServeArgs(ServeArgs& a) {
  absl::StatusOr<serve::ListenAddress> address =
      serve::ParseListenAddress(a.listen);
  if (!address.ok()) {
    throw UsageError(absl::StrCat("--listen ", address.status().message()));
  }
  if (!address->loopback && !a.allow_remote) {
    throw UsageError(absl::StrCat(
        "--listen ", a.listen,
        ": not a loopback address; memory figures of every process would be "
        "open to the network. Add --allow-remote to serve there"));
  }
  a.address = *address;
  a.interval_seconds = ParseDurationSeconds("--interval", a.interval);
  if (a.max_groups < 1) {
    throw UsageError(absl::StrCat("--max-groups: must be at least 1, got ",
                                  a.max_groups));
  }
}

// One scan: analyzed and published, or counted as failed and said why.
void ScanAndPublish(Context& ctx,
                    const std::vector<std::unique_ptr<splitters::Splitter>>& s,
                    const ServeArgs& a, serve::LatestScan& latest,
                    bool first) {
  GroupsRequest request;
  request.max_groups = static_cast<size_t>(a.max_groups);
  absl::StatusOr<GroupsResult> done = AnalyzeGroups(ctx, s, request);
  if (!done.ok()) {
    latest.CountFailure();
    std::cerr << "memstats: error: scan failed: " << done.status().message()
              << "\n";
    return;
  }
  if (first) {
    WarnUnreadable(done->report.scan);
    if (!done->report.page_level) {
      std::cerr << "memstats: warning: " << done->report.page_level_note
                << "; RSS, USS and swap metrics are left out\n";
    }
  }
  serve::PublishedScan scan;
  scan.report = std::move(done->report);
  scan.finished = std::chrono::steady_clock::now();
  scan.finished_unix_seconds =
      static_cast<double>(sampler::UnixMillisNow()) / 1000;
  scan.self_rss_bytes = OwnRssBytes();
  latest.Publish(std::move(scan));
}

int RunServe(Context& ctx, const CLI::App& sub, const ServeArgs& a) {
  std::vector<int> named_pids;
  std::vector<std::unique_ptr<splitters::Splitter>> splits =
      MakeSplitters(sub, a.splits, named_pids);
  if (splits.empty()) splits.push_back(splitters::NewUidSplitter());
  RequireListedPids(*ctx.source, named_pids, "--split-pids");

  // A client that goes away mid-answer must not end memstats.
  ::signal(SIGPIPE, SIG_IGN);
  sampler::InstallStopSignals({SIGINT, SIGTERM});
  serve::LatestScan latest;
  std::atomic<bool> http_failed{false};  // outlives the server's thread
  serve::Server server(latest, MEMSTATS_VERSION);
  if (absl::Status s = server.Bind(a.address); !s.ok()) {
    if (absl::IsInvalidArgument(s)) {
      throw UsageError(absl::StrCat("--listen ", s.message()));
    }
    std::cerr << "memstats: error: the HTTP server: " << s.message() << "\n";
    return kExitFailure;
  }
  server.Start([&http_failed] {
    std::cerr << "memstats: error: the HTTP server stopped\n";
    http_failed.store(true);
    sampler::RequestStop();
  });
  std::cerr << absl::StrFormat(
      "memstats: serving http://%s/metrics, a scan every %g s\n",
      serve::FormatHostPort(a.address, server.port()), a.interval_seconds);

  sampler::Schedule schedule;
  schedule.period_seconds = a.interval_seconds;
  absl::StatusOr<sampler::EndReason> end = sampler::RunSchedule(
      schedule, sampler::SystemClock(),
      [&](int64_t tick) -> absl::StatusOr<bool> {
        ScanAndPublish(ctx, splits, a, latest, tick == 1);
        return true;
      });
  server.Stop();
  if (!end.ok()) {
    std::cerr << "memstats: error: " << end.status().message() << "\n";
    return kExitFailure;
  }
  if (http_failed.load()) return kExitFailure;
  SayHowItEnded(*end, "");
  return kExitOk;
}

}  // namespace

void RegisterServeCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* sub = app.add_subcommand(
      "serve",
      "Prometheus exporter: group RSS, USS and PSS on /metrics, scanned "
      "every --interval");
  sub->fallthrough();
  sub->add_option("--listen", a->listen,
                  "HOST:PORT to serve on (default 127.0.0.1:9952; port 0: a "
                  "free one)")
      ->option_text("HOST:PORT");
  sub->add_option("--interval", a->interval,
                  "Time between scans: seconds, or 90s, 30m, 1h (default 30s)")
      ->option_text("DURATION");
  sub->add_option("--max-groups", a->max_groups,
                  "At most N groups per split; the rest folded into one group "
                  "\"other\" (default 100)")
      ->option_text("N");
  sub->add_flag("--allow-remote", a->allow_remote,
                "Allow a --listen address other than loopback");
  AddSplitOptions(*sub, a->splits);
  sub->callback([sub, a, &global, &run] {
    CheckServeArgs(*a);
    run = [sub, a, &global] {
      // An exporter scans in the background: one scan thread unless
      // --threads says otherwise.
      GlobalOptions opts = global;
      if (!opts.threads) opts.threads = "1";
      Context ctx = MakeContext(opts);
      return RunServe(ctx, *sub, *a);
    };
  });
}

}  // namespace memstats::cli
