#include "cli/sampling.h"

#include <signal.h>
#include <string.h>

#include <cmath>
#include <iostream>
#include <mutex>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "sampler/stop_signals.h"

namespace memstats::cli {

sampler::ScanFn SamplerScanFn(Context& ctx) {
  return [&ctx](scan::ScanOptions& options, const scan::KeepFn& keep)
             -> absl::StatusOr<scan::ScanResult> {
    std::unique_ptr<scan::MemoryBudget> budget = NewBudget(ctx);
    return ScanSelected(ctx, options, keep, *budget, /*progress_line=*/false);
  };
}

std::function<std::unique_ptr<scan::MemoryBudget>()> SamplerBudgets(
    const Context& ctx) {
  return [&ctx] { return NewBudget(ctx); };
}

double CheckSeconds(const std::string& option, double seconds) {
  constexpr double kWeek = 7 * 24 * 3600;
  if (!std::isfinite(seconds) || seconds <= 0 || seconds > kWeek) {
    throw UsageError(absl::StrCat(
        option, ": expected a number of seconds above 0 and at most ",
        kWeek, " (a week), got ", seconds));
  }
  return seconds;
}

double ParseDurationSeconds(const std::string& option,
                            const std::string& text) {
  double seconds = 0;
  if (absl::SimpleAtod(text, &seconds)) return CheckSeconds(option, seconds);
  absl::Duration d;
  if (!absl::ParseDuration(text, &d)) {
    throw UsageError(absl::StrCat(
        option, ": expected seconds or a duration such as 90s, 30m, 1h, got '",
        text, "'"));
  }
  return CheckSeconds(option, absl::ToDoubleSeconds(d));
}

scan::KeepFn PatternPicker(const std::vector<std::string>& patterns) {
  std::vector<std::regex> res;
  for (const std::string& p : patterns) {
    try {
      res.emplace_back(p, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      throw UsageError(
          absl::StrCat("pattern '", p, "' is not a regular expression: ",
                       e.what()));
    }
  }
  return [res = std::move(res)](const scan::ProcessIdentity& p,
                                const scan::ParentMap&) {
    const std::string cmd = absl::StrJoin(p.cmdline, " ");
    for (const std::regex& re : res) {
      if (std::regex_search(cmd, re) || std::regex_search(p.comm, re)) {
        return true;
      }
    }
    return false;
  };
}

std::vector<int> PickedNow(Context& ctx, const scan::KeepFn& pick) {
  std::mutex mu;
  std::vector<int> pids;
  scan::ScanOptions options;
  options.read_pages = false;
  options.read_smaps = false;
  std::unique_ptr<scan::MemoryBudget> budget = NewBudget(ctx);
  // Keep nothing: the predicate only notes who it accepts.
  auto noted = ScanSelected(
      ctx, options,
      [&](const scan::ProcessIdentity& p, const scan::ParentMap& parents) {
        if (pick(p, parents)) {
          std::lock_guard<std::mutex> l(mu);
          pids.push_back(p.pid);
        }
        return false;
      },
      *budget, /*progress_line=*/false);
  if (!noted.ok()) return {};  // the first sample reports the failure
  return pids;
}

void SayHowItEnded(sampler::EndReason why, const std::string& what_exited) {
  switch (why) {
    case sampler::EndReason::kTickDone:
      std::cerr << "memstats: " << what_exited << " exited; stopped\n";
      break;
    case sampler::EndReason::kStopped:
      if (int sig = sampler::LastStopSignal(); sig != 0) {
        std::cerr << "memstats: stopped by SIG" << sigabbrev_np(sig) << "\n";
      }
      break;
    case sampler::EndReason::kTicks:
    case sampler::EndReason::kDuration:
      break;
  }
}

}  // namespace memstats::cli
