// memstats top: proportional memory (PSS by kind: stack, text, data, anon,
// SysV and other shared memory, SwapPss apart) per group of processes, once
// or every -l seconds. The rounds are in top_loop.cc.
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "capture/replay_source.h"
#include "cli/top_loop.h"
#include "sampler/schedule.h"
#include "sampler/stop_signals.h"

namespace memstats::cli {
namespace {

struct TopArgs {
  TopOptions top;
  std::string columns;
  std::string sort = "ptotal";
  std::optional<double> top_pct;
  std::optional<double> loop;
  std::optional<int64_t> k;
  std::optional<int> rounds;
  std::optional<int64_t> cmd_length;
};


std::string LocalTime(time_t now) {
  struct tm tm;
  localtime_r(&now, &tm);
  return absl::StrFormat("%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::vector<profile::TopColumn> ParseColumns(const std::string& text) {
  std::vector<profile::TopColumn> cols;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    auto c =
        profile::ParseTopColumn(std::string_view(item.data(), item.size()));
    if (!c) {
      throw UsageError(absl::StrCat(
          "--columns: unknown column '", item,
          "' (expected pswap, shSYSV, shOth, stack, text, data, anon, "
          "hugetlb, ptotal, pss, count)"));
    }
    cols.push_back(*c);
  }
  return cols;
}

// Checks what CLI11 could not, and fills args.top.
void Finish(TopArgs& a) {
  TopOptions& t = a.top;
  MakeTopSplitter(t);  // throws for an unknown -g
  if (!a.columns.empty()) t.columns = ParseColumns(a.columns);
  if (a.sort == "name") {
    t.sort_by_key = true;
  } else if (auto c = profile::ParseTopColumn(a.sort)) {
    t.sort = *c;
  } else {
    throw UsageError(absl::StrCat(
        "--sort: unknown column '", a.sort,
        "' (expected name, pswap, shSYSV, shOth, stack, text, data, anon, "
        "hugetlb, ptotal, pss, count)"));
  }
  if (a.top_pct) {
    if (!(*a.top_pct > 0 && *a.top_pct <= 100)) {
      throw UsageError(absl::StrCat(
          "-t/--top-pct: expected a percentage above 0 and at most 100, got ",
          *a.top_pct));
    }
    t.top_pct = *a.top_pct;
  }
  if (a.loop) {
    if (!(*a.loop > 0) || !std::isfinite(*a.loop)) {
      throw UsageError(absl::StrCat(
          "-l/--loop: expected a positive number of seconds, got ", *a.loop));
    }
    t.loop_seconds = a.loop;
  }
  if (a.k) {
    if (!a.loop) throw UsageError("-k/--min-change needs -l/--loop");
    if (*a.k > (int64_t{1} << 40) || *a.k < -(int64_t{1} << 40)) {
      throw UsageError(
          absl::StrCat("-k/--min-change: ", *a.k, " KiB is out of range"));
    }
    t.k_kib = a.k;
  }
  if (a.cmd_length) {
    if (*a.cmd_length < 1) {
      throw UsageError(
          absl::StrCat("-L/--cmd-length: expected at least 1 character, got ",
                       *a.cmd_length));
    }
    t.cmd_chars = static_cast<size_t>(*a.cmd_length);
  }
  if (a.rounds) {
    if (*a.rounds < 1) {
      throw UsageError(
          absl::StrCat("--rounds: expected at least 1, got ", *a.rounds));
    }
    t.rounds = a.rounds;
  }
}

}  // namespace

void RegisterTopCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  auto a = std::make_shared<TopArgs>();
  CLI::App* sub = app.add_subcommand(
      "top", "Proportional memory (PSS) by kind per group, once or in a loop");
  sub->fallthrough();
  sub->add_option("selectors", a->top.selectors,
                  "Only these processes: a number is a pid, a name matches "
                  "the executable (or script) or the command name")
      ->option_text("[EXE|PID]...");
  sub->add_option("-g,--group-by", a->top.group_by,
                  "Group by exe (default), cmd, pid, comm, user, uid or cgroup")
      ->option_text("G");
  sub->add_option("-L,--cmd-length", a->cmd_length,
                  "With -g cmd: cut command lines to N characters")
      ->option_text("N");
  sub->add_option("-u", global.units, "Units: B, KiB, MiB, GiB or auto")
      ->option_text("UNIT");
  sub->add_option("-t,--top-pct", a->top_pct,
                  "Show the largest groups that make up PCT% of the total "
                  "PSS; fold the rest into one 'others' row")
      ->option_text("PCT");
  sub->add_option("--columns", a->columns,
                  "Columns in order, e.g. ptotal,anon,count (default: pswap,"
                  "shSYSV,shOth,stack,text,data,anon,ptotal,count; pss "
                  "(smaps_rollup, a second page-table walk) and hugetlb on "
                  "request)")
      ->option_text("C,C,...");
  sub->add_option("--sort", a->sort,
                  "Sort by this column, largest first, or 'name' (default "
                  "ptotal)")
      ->option_text("COL");
  sub->add_option("-l,--loop", a->loop, "Repeat every SECS seconds")
      ->option_text("SECS");
  sub->add_option("-k,--min-change", a->k,
                  "In a loop, show only groups that grew by at least K KiB "
                  "(K > 0) or changed by at least |K| KiB either way (K <= 0)")
      ->option_text("K");
  sub->add_option("--rounds", a->rounds, "In a loop, stop after N rounds")
      ->option_text("N");
  sub->add_flag("--tsv", a->top.tsv, "Tab-separated output for scripts");
  // Deprecated: the global --self. Hidden from --help.
  sub->add_flag("-s,--include-self", global.self, "Same as --self (deprecated)")
      ->group("");

  sub->callback([a, &global, &run] {
    Finish(*a);  // at parse time: reads nothing
    if (!global.from.empty() && a->top.loop_seconds) {
      throw UsageError(
          "-l/--loop: a capture is one moment; top --from shows one round");
    }
    run = [a, &global] {
      Context ctx = MakeContext(global);
      if (ctx.opts.json && a->top.tsv) {
        throw UsageError("--json and --tsv exclude each other");
      }
      TopEnv env;
      env.out = &std::cout;
      // A capture's round is the moment it was taken.
      const capture::CaptureInfo* info = capture::CaptureInfoOf(*ctx.source);
      const time_t at =
          info != nullptr ? static_cast<time_t>(info->unix_ms / 1000) : 0;
      env.clock = [at] { return LocalTime(at != 0 ? at : ::time(nullptr)); };
      env.now = sampler::SystemClock().now;
      env.sleep = sampler::SleepUnlessStopped;
      env.stop_requested = sampler::StopRequested;
      // SIGINT and SIGTERM end the loop after the round in progress.
      if (a->top.loop_seconds) sampler::InstallStopSignals({SIGINT, SIGTERM});
      return RunTop(ctx, a->top, env);
    };
  });
}

}  // namespace memstats::cli
