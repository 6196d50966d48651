// memstats run -- CMD...: runs a command and reports its memory peak.
//
// The command keeps its stdin, stdout and stderr; memstats's report goes to
// stderr (or, with -o, to a file) and its exit status is the command's
// (128 + N for a death by signal N). Two kinds of peak are reported:
//   - sampled, every -i milliseconds: the page-level RSS, PSS and USS of
//     the command (with -r, of its whole process tree) taken as one set of
//     processes, with when each peaked, and the largest VmHWM seen;
//   - the kernel's, when memstats can give the command a memory cgroup of
//     its own (exec/run_cgroup.h): every byte charged to it, including a
//     peak that lasted less than a sampling interval.
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "cli/output_file.h"
#include "cli/sampling.h"
#include "exec/command.h"
#include "exec/run_cgroup.h"
#include "nlohmann/json.hpp"
#include "render/units.h"
#include "sampler/stop_signals.h"

namespace memstats::cli {
namespace {

struct RunArgs {
  std::vector<std::string> command;
  bool tree = false;
  bool verbose = false;
  double interval_ms = 100;
  std::string output;
  bool as_root = false;
  bool no_cgroup = false;
};

struct Peak {
  uint64_t bytes = 0;
  double seconds = 0;
  void Offer(uint64_t b, double s) {
    if (b > bytes) {
      bytes = b;
      seconds = s;
    }
  }
};

// The figures of one sample of the command's processes.
struct Point {
  double seconds = 0;
  size_t processes = 0;
  uint64_t rss = 0, pss = 0, uss = 0, swap = 0;
};

// Keeps the peaks and the timeline; with -v, a line per sample on stderr.
class RunSink : public sampler::SampleSink {
 public:
  RunSink(bool verbose, render::Unit unit) : verbose_(verbose), unit_(unit) {}

  absl::Status Add(const sampler::Taken& t) override {
    const profile::Sample& s = t.sample;
    Point p;
    p.seconds = s.seconds;
    p.processes = s.processes.size();
    if (s.pages) {
      p.rss = s.pages->rss;
      p.pss = s.pages->pss;
      p.uss = s.pages->uss;
      p.swap = s.pages->swap;
    } else {
      // Without page-level data: sums of the processes' smaps (RSS counts
      // a page shared within the tree once per process).
      for (const profile::ProcessSample& ps : s.processes) {
        p.rss += ps.rss;
        p.pss += ps.smaps_pss;
        p.uss += ps.uss;
        p.swap += ps.swap;
      }
      if (!t.page_level_note.empty()) page_level_note_ = t.page_level_note;
    }
    for (const profile::ProcessSample& ps : s.processes) {
      if (ps.vm_hwm > vm_hwm_) {
        vm_hwm_ = ps.vm_hwm;
        vm_hwm_pid_ = ps.pid;
        vm_hwm_comm_ = ps.comm;
      }
    }
    rss_.Offer(p.rss, p.seconds);
    pss_.Offer(p.pss, p.seconds);
    uss_.Offer(p.uss, p.seconds);
    most_processes_ = std::max(most_processes_, p.processes);
    if (verbose_) {
      std::cerr << absl::StrFormat(
          "memstats: %8.3f s  %3d proc  RSS %9s  PSS %9s  USS %9s  swap %s\n",
          p.seconds, p.processes, render::FormatBytes(p.rss, unit_),
          render::FormatBytes(p.pss, unit_), render::FormatBytes(p.uss, unit_),
          render::FormatBytes(p.swap, unit_));
    }
    timeline_.push_back(p);
    return absl::OkStatus();
  }

  const std::vector<Point>& timeline() const { return timeline_; }
  const Peak& rss() const { return rss_; }
  const Peak& pss() const { return pss_; }
  const Peak& uss() const { return uss_; }
  uint64_t vm_hwm() const { return vm_hwm_; }
  int vm_hwm_pid() const { return vm_hwm_pid_; }
  const std::string& vm_hwm_comm() const { return vm_hwm_comm_; }
  size_t most_processes() const { return most_processes_; }
  const std::string& page_level_note() const { return page_level_note_; }

 private:
  bool verbose_;
  render::Unit unit_;
  std::vector<Point> timeline_;
  Peak rss_, pss_, uss_;
  uint64_t vm_hwm_ = 0;
  int vm_hwm_pid_ = 0;
  std::string vm_hwm_comm_;
  size_t most_processes_ = 0;
  std::string page_level_note_;
};

struct Outcome {
  exec::ExitInfo exit;
  double seconds = 0;  // from start to exit
  std::optional<uint64_t> cgroup_peak;
  std::string cgroup_source;
  int left_behind = 0;  // processes still in the cgroup at the end
};

// The command as a shell would show it, safe for a terminal.
std::string EscapeCommand(const std::vector<std::string>& argv) {
  std::vector<std::string> words;
  words.reserve(argv.size());
  for (const std::string& w : argv) words.push_back(render::EscapeForTerminal(w));
  return absl::StrJoin(words, " ");
}

nlohmann::json PeakJson(const Peak& p) {
  return {{"bytes", p.bytes}, {"seconds", p.seconds}};
}

nlohmann::json ReportJson(const RunArgs& a, const RunSink& sink,
                          const Outcome& o) {
  nlohmann::json j;
  j["command"] = a.command;
  j["tree"] = a.tree;
  j["exit_code"] = o.exit.exit_code;
  j["signaled"] = o.exit.signaled;
  if (o.exit.signaled) j["signal"] = o.exit.signal;
  j["seconds"] = o.seconds;
  j["interval_ms"] = a.interval_ms;
  j["samples"] = sink.timeline().size();
  j["most_processes"] = sink.most_processes();
  j["sources"] = {
      {"sampled", sink.page_level_note().empty()
                      ? "page tables (pagemap, kpagecount)"
                      : absl::StrCat("smaps (", sink.page_level_note(), ")")},
      {"cgroup", o.cgroup_source}};
  nlohmann::json peak;
  peak["rss"] = PeakJson(sink.rss());
  peak["pss"] = PeakJson(sink.pss());
  peak["uss"] = PeakJson(sink.uss());
  peak["vm_hwm_bytes"] = sink.vm_hwm();
  peak["cgroup_bytes"] =
      o.cgroup_peak ? nlohmann::json(*o.cgroup_peak) : nlohmann::json();
  j["peak"] = std::move(peak);
  j["left_behind"] = o.left_behind;
  nlohmann::json timeline = nlohmann::json::array();
  for (const Point& p : sink.timeline()) {
    timeline.push_back({{"seconds", p.seconds},
                        {"processes", p.processes},
                        {"rss", p.rss},
                        {"pss", p.pss},
                        {"uss", p.uss},
                        {"swap", p.swap}});
  }
  j["timeline"] = std::move(timeline);
  return j;
}

std::string ReportText(const RunArgs& a, const RunSink& sink, const Outcome& o,
                       render::Unit unit) {
  auto bytes = [unit](uint64_t b) { return render::FormatBytes(b, unit); };
  std::ostringstream t;
  t << "memstats run: " << EscapeCommand(a.command) << "\n";
  const size_t n = sink.most_processes();
  t << absl::StrFormat("  %s after %.2f s; %d samples every %g ms, %d %s%s\n",
                       o.exit.Describe(), o.seconds, sink.timeline().size(),
                       a.interval_ms, n, n == 1 ? "process" : "processes",
                       a.tree ? " at most (-r: the whole tree)"
                              : " (without -r: the command alone)");
  if (!sink.timeline().empty()) {
    const char* what = sink.page_level_note().empty()
                           ? "distinct pages"
                           : "sums of smaps";
    t << absl::StrFormat("  peak RSS %10s at %.2f s (%s)\n",
                         bytes(sink.rss().bytes), sink.rss().seconds, what);
    t << absl::StrFormat("  peak PSS %10s at %.2f s\n", bytes(sink.pss().bytes),
                         sink.pss().seconds);
    t << absl::StrFormat("  peak USS %10s at %.2f s\n", bytes(sink.uss().bytes),
                         sink.uss().seconds);
    if (sink.vm_hwm() > 0) {
      t << absl::StrFormat("  largest VmHWM %s (pid %d, %s)\n",
                           bytes(sink.vm_hwm()), sink.vm_hwm_pid(),
                           render::EscapeForTerminal(sink.vm_hwm_comm()));
    }
  } else {
    t << "  no sample: the command ended before the first one\n";
  }
  if (o.cgroup_peak) {
    t << absl::StrFormat("  cgroup peak %s (%s: every byte charged, between "
                         "samples too)\n",
                         bytes(*o.cgroup_peak), o.cgroup_source);
    // A peak the samples missed: the kernel's figure is well above the
    // largest sampled RSS (it also counts page cache the command read).
    constexpr uint64_t kSlack = 8 << 20;
    if (*o.cgroup_peak > sink.rss().bytes + kSlack &&
        *o.cgroup_peak > sink.rss().bytes + sink.rss().bytes / 10) {
      t << absl::StrFormat(
          "  the cgroup peak is %s above the sampled RSS: a peak shorter "
          "than the sampling interval (-i) was missed by the samples\n",
          bytes(*o.cgroup_peak - sink.rss().bytes));
    }
  } else {
    t << "  " << o.cgroup_source << "\n";
  }
  if (!sink.page_level_note().empty()) {
    t << "  note: " << sink.page_level_note() << "\n";
  }
  if (o.left_behind > 0) {
    t << absl::StrFormat("  %d processes of the command were still running "
                         "when it exited (left running)\n",
                         o.left_behind);
  }
  return t.str();
}

int RunRun(Context& ctx, const RunArgs& a) {
  const int self = static_cast<int>(::getpid());
  // The cgroup, unless asked not to (or impossible: it says why).
  std::unique_ptr<exec::RunCgroup> cgroup;
  std::string no_cgroup = "no cgroup: --no-cgroup";
  if (!a.no_cgroup) {
    absl::StatusOr<exec::CgroupSetup> setup =
        exec::LiveCgroupSetup(*ctx.source);
    if (setup.ok()) {
      cgroup = exec::RunCgroup::Create(*setup, std::make_unique<exec::CgroupFs>());
    } else {
      no_cgroup = absl::StrCat("no cgroup: ", setup.status().message());
    }
  }
  // Orphans of the command are reparented to memstats rather than init, so
  // that -r still finds them by their parent (without a cgroup).
  if (a.tree) ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  exec::CommandSpec spec;
  spec.argv = a.command;
  spec.as_root = a.as_root;
  if (const char* v = std::getenv("SUDO_UID")) spec.sudo_uid = v;
  if (const char* v = std::getenv("SUDO_GID")) spec.sudo_gid = v;
  spec.cgroup_procs_fd = cgroup && cgroup->active() ? cgroup->procs_fd() : -1;
  absl::StatusOr<exec::RunningCommand> cmd = exec::StartCommand(spec);
  if (!cmd.ok()) {
    if (absl::IsInvalidArgument(cmd.status())) {
      throw UsageError(absl::StrCat(cmd.status().message()));
    }
    std::cerr << "memstats: " << cmd.status().message() << "\n";
    return exec::ExitCodeForStartFailure(cmd.status());
  }
  if (cgroup && cgroup->active() && !cmd->cgroup_status().ok()) {
    cgroup->Abandon(cmd->cgroup_status().message());
  }
  const bool in_cgroup = cgroup && cgroup->active();
  const double started = sampler::SystemClock().now();

  // Who is sampled: the command; with -r every process below it, and the
  // processes in its cgroup (read before each scan) or, without one, the
  // orphans reparented to memstats.
  auto cgroup_pids = std::make_shared<absl::flat_hash_set<int>>();
  scan::KeepFn pick = nullptr;
  if (a.tree) {
    pick = [cgroup_pids, in_cgroup, self](const scan::ProcessIdentity& p,
                                          const scan::ParentMap&) {
      return in_cgroup ? cgroup_pids->contains(p.pid) : p.ppid == self;
    };
  }
  sampler::ProcessTree tree({cmd->pid()}, a.tree);
  std::optional<sampler::Selector> who;
  if (pick) {
    who.emplace(std::move(tree), pick);
  } else {
    who.emplace(std::move(tree));
  }
  sampler::ScanFn scan_all = SamplerScanFn(ctx);
  sampler::ScanFn scan = [&](scan::ScanOptions& o, const scan::KeepFn& keep) {
    if (in_cgroup && a.tree) {
      absl::StatusOr<std::vector<int>> pids = cgroup->Pids();
      cgroup_pids->clear();
      if (pids.ok()) cgroup_pids->insert(pids->begin(), pids->end());
    }
    return scan_all(o, keep);
  };

  // The loop ends when the command exits: sleeping wakes then, too.
  auto exited = [&cmd]() {
    absl::StatusOr<std::optional<exec::ExitInfo>> e = cmd->Poll();
    return !e.ok() || e->has_value();
  };
  sampler::Clock clock;
  clock.now = sampler::SystemClock().now;
  clock.sleep = [&exited](double s) { return sampler::SleepUntil(s, exited); };
  clock.stop_requested = exited;
  sampler::LoopOptions options;
  options.schedule.period_seconds = a.interval_ms / 1000;
  options.sample.mappings = false;
  options.sample.page_level = true;
  options.threads = ctx.threads;
  RunSink sink(a.verbose, ctx.unit);
  absl::StatusOr<sampler::LoopResult> loop = sampler::RunSampleLoop(
      scan, *ctx.source, options, clock, sampler::UnixMillisNow,
      SamplerBudgets(ctx), *who, {&sink});

  absl::StatusOr<exec::ExitInfo> exit = cmd->Wait();
  Outcome o;
  o.seconds = sampler::SystemClock().now() - started;
  if (exit.ok()) o.exit = *exit;
  o.cgroup_source = cgroup ? cgroup->Source() : no_cgroup;
  if (cgroup && cgroup->active()) {
    if (absl::StatusOr<uint64_t> peak = cgroup->PeakBytes(); peak.ok()) {
      o.cgroup_peak = *peak;
    }
    absl::StatusOr<int> moved = cgroup->Remove();
    if (moved.ok()) {
      o.left_behind = *moved;
    } else {
      std::cerr << "memstats: warning: " << moved.status().message() << "\n";
    }
  }
  if (!loop.ok()) {
    std::cerr << "memstats: error while sampling: " << loop.status().message()
              << "\n";
  }
  if (!exit.ok()) {
    std::cerr << "memstats: error: " << exit.status().message() << "\n";
    return kExitFailure;
  }
  if (!a.output.empty() || ctx.opts.json) {
    const std::string text =
        ctx.opts.json ? ReportJson(a, sink, o).dump(2) + "\n"
                      : ReportText(a, sink, o, ctx.unit);
    if (a.output.empty()) {
      std::cerr << text;
    } else if (absl::Status s = WriteOutputFile(a.output, text); !s.ok()) {
      std::cerr << "memstats: error: -o: " << s.message() << "\n";
    }
  } else {
    std::cerr << ReportText(a, sink, o, ctx.unit);
  }
  return o.exit.exit_code;
}

}  // namespace

void RegisterRunCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  CLI::App* sub = app.add_subcommand(
      "run",
      "Run a command and report its memory peak: sampled page-level RSS, "
      "PSS and USS, and the kernel's peak from a cgroup of its own");
  sub->fallthrough();
  auto a = std::make_shared<RunArgs>();
  sub->add_option("COMMAND", a->command,
                  "The command and its arguments, after --")
      ->required();
  sub->add_flag("-r,--tree", a->tree,
                "Measure the whole process tree (children, and their "
                "children, as they come and go)");
  sub->add_flag("-v,--verbose", a->verbose,
                "A line per sample on stderr while the command runs");
  sub->add_option("-i,--interval", a->interval_ms,
                  "Milliseconds between samples (default 100)");
  sub->add_option("-o,--output", a->output,
                  "Write the report to FILE (atomically) instead of stderr");
  sub->add_flag("--as-root", a->as_root,
                "Under sudo, run the command as root (default: as the user "
                "who ran sudo)");
  sub->add_flag("--no-cgroup", a->no_cgroup,
                "Do not give the command a cgroup of its own (no kernel peak)");
  sub->callback([a, &global, &run] {
    run = [a, &global] {
      CheckSeconds("-i", a->interval_ms / 1000);
      if (!a->output.empty()) {
        if (absl::Status s = CheckOutputPath(a->output); !s.ok()) {
          throw UsageError(absl::StrCat("-o: ", s.message()));
        }
      }
      Context ctx = MakeContext(global);
      return RunRun(ctx, *a);
    };
  });
}

}  // namespace memstats::cli
