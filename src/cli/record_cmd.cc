// memstats record --db FILE [PID...]: samples into a history database
// (history/store.h) until a signal, --duration, --count, or the recorded
// processes exit. Each sample is one transaction: whatever stops the
// recording, every sample taken before is in the file, whole.
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "cli/sampling.h"
#include "history/store.h"
#include "sampler/stop_signals.h"
#include "scan/parsers.h"

namespace memstats::cli {
namespace {

struct RecordArgs {
  std::string db;
  std::vector<int> pids;
  bool tree = false;
  int64_t period_ms = 1000;
  std::string duration;  // "1h", "90s", "2.5" (seconds)
  std::optional<int64_t> count;
};

// Appends each sample to the store.
class StoreSink : public sampler::SampleSink {
 public:
  explicit StoreSink(history::Store& store) : store_(store) {}
  absl::Status Add(const sampler::Taken& t) override {
    if (samples_ == 0) WarnUnreadable(t.stats);
    absl::Status s = store_.AddSample(t.sample);
    if (s.ok()) ++samples_;
    return s;
  }
  int64_t samples() const { return samples_; }

 private:
  history::Store& store_;
  int64_t samples_ = 0;
};

// memstats's own command line, as the recording's description keeps it.
// Read from the live /proc even under --procfs-root: it is memstats's own.
std::string OwnCommandLine() {
  auto text = scan::NewLiveProcSource("/proc");
  if (!text.ok()) return "memstats record";
  auto h = (*text)->OpenProcess(static_cast<int>(::getpid()));
  if (!h.ok()) return "memstats record";
  auto cmdline = (*h)->ReadFile("cmdline");
  if (!cmdline.ok()) return "memstats record";
  return absl::StrJoin(scan::ParseCmdline(*cmdline), " ");
}

history::RecordingInfo Describe(Context& ctx, const RecordArgs& a,
                                const std::string& target) {
  history::RecordingInfo info;
  struct utsname u = {};
  if (::uname(&u) == 0) {
    info.host = u.nodename;
    info.kernel = u.release;
  }
  // A /proc from another machine: its kernel, not ours.
  if (auto k = ctx.source->ReadSystemFile("sys/kernel/osrelease"); k.ok()) {
    info.kernel = absl::StrReplaceAll(*k, {{"\n", ""}});
  }
  if (auto h = ctx.source->ReadSystemFile("sys/kernel/hostname"); h.ok()) {
    info.host = absl::StrReplaceAll(*h, {{"\n", ""}});
  }
  info.start_unix_ms = sampler::UnixMillisNow();
  info.page_size = ctx.source->PageSize();
  info.command_line = OwnCommandLine();
  info.target = target;
  return info;
}

int RunRecord(Context& ctx, const RecordArgs& a) {
  RequireListedPids(*ctx.source, a.pids, "record");
  std::string target;
  std::optional<sampler::Selector> who;
  if (!a.pids.empty()) {
    who.emplace(sampler::ProcessTree(a.pids, a.tree));
    target = absl::StrCat(a.pids.size() == 1 ? "pid " : "pids ",
                          absl::StrJoin(a.pids, ", "),
                          a.tree ? " and descendants" : "");
  } else {
    who.emplace(scan::KeepFn(nullptr));
    target = ctx.opts.filter_text.empty()
                 ? "every process"
                 : absl::StrCat("--filter ", ctx.opts.filter_text);
  }
  absl::StatusOr<std::unique_ptr<history::Store>> store =
      history::Store::Create(a.db, Describe(ctx, a, target));
  if (!store.ok()) {
    if (absl::IsInvalidArgument(store.status())) {
      throw UsageError(absl::StrCat(store.status().message()));
    }
    std::cerr << "memstats: error: " << store.status().message() << "\n";
    return kExitFailure;
  }

  sampler::LoopOptions options;
  options.schedule.period_seconds = static_cast<double>(a.period_ms) / 1000;
  options.schedule.max_ticks = a.count;
  if (!a.duration.empty()) {
    options.schedule.duration_seconds = ParseDurationSeconds("--duration", a.duration);
  }
  options.threads = ctx.threads;
  sampler::InstallStopSignals({SIGINT, SIGTERM, SIGHUP, SIGQUIT});
  StoreSink sink(**store);
  absl::StatusOr<sampler::LoopResult> done = sampler::RunSampleLoop(
      SamplerScanFn(ctx), *ctx.source, options, sampler::SystemClock(),
      sampler::UnixMillisNow, SamplerBudgets(ctx), *who, {&sink});
  const std::string summary =
      absl::StrCat(sink.samples(), sink.samples() == 1 ? " sample" : " samples",
                   " in ", a.db, " (recording ", (*store)->recording(), ")");
  if (!done.ok()) {
    std::cerr << "memstats: error: " << done.status().message() << "; "
              << summary << "\n";
    return ExitCodeFor(done.status());
  }
  SayHowItEnded(done->end, target);
  std::cerr << "memstats: recorded " << summary << "\n";
  return kExitOk;
}

}  // namespace

void RegisterRecordCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  CLI::App* sub = app.add_subcommand(
      "record",
      "Record samples (PSS by series, mappings by file) into an SQLite "
      "history database, for memstats peak and plot");
  sub->fallthrough();
  auto a = std::make_shared<RecordArgs>();
  sub->add_option("--db", a->db, "The database file (created 0600, or a new "
                                 "recording added to it)")
      ->required();
  sub->add_option("PID", a->pids,
                  "Record these processes (none: every process the filter "
                  "keeps)");
  sub->add_flag("-r,--tree", a->tree, "With their descendants");
  sub->add_option("--period-ms", a->period_ms,
                  "Milliseconds between samples (default 1000)");
  sub->add_option("--duration", a->duration,
                  "Stop after this long: seconds, or 90s, 30m, 1h");
  sub->add_option("-n,--count", a->count, "Stop after N samples")
      ->check(CLI::PositiveNumber);
  sub->callback([a, &global, &run] {
    run = [a, &global] {
      if (a->period_ms <= 0 || a->period_ms > int64_t{7} * 24 * 3600 * 1000) {
        throw UsageError(absl::StrCat(
            "--period-ms: expected milliseconds above 0 and at most a week, "
            "got ", a->period_ms));
      }
      if (!a->duration.empty()) ParseDurationSeconds("--duration", a->duration);
      Context ctx = MakeContext(global);
      return RunRecord(ctx, *a);
    };
  });
}

}  // namespace memstats::cli
