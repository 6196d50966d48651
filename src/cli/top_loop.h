// memstats top: the rounds. Round 1 reads every wanted process's full smaps
// (and smaps_rollup). In loop mode with -k, later rounds first scan
// smaps_rollup only, pick the groups that pass the -k rule or are new
// (profile::SelectChanged), and read full smaps again only for their
// processes; without -k every round is a full round and shows every group.
//
// Everything that touches the world is injected (the ProcSource through the
// Context, the clock, the sleep, the stop request, the output stream), so a
// test runs several rounds over a FakeProcSource without sleeping.
#ifndef MEMSTATS_CLI_TOP_LOOP_H_
#define MEMSTATS_CLI_TOP_LOOP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/common.h"
#include "profile/top_table.h"
#include "splitters/splitter.h"

namespace memstats::cli {

struct TopOptions {
  std::string group_by = "exe";  // exe cmd pid comm user uid cgroup
  size_t cmd_chars = 0;          // -L: cut -g cmd keys (0: no limit)
  // Positional selectors: a number is a pid, anything else matches the exe
  // key (or the script after "->"), the executable's basename without its
  // " (deleted)"/" (memfd)" mark (scan/exe_name.h), or comm.
  std::vector<std::string> selectors;
  double top_pct = 100;  // --top-pct: fold the rest into "others"
  std::vector<profile::TopColumn> columns = profile::DefaultTopColumns();
  profile::TopColumn sort = profile::TopColumn::kPtotal;
  bool sort_by_key = false;            // --sort name
  std::optional<double> loop_seconds;  // -l
  std::optional<int64_t> k_kib;        // -k
  std::optional<int> rounds;           // --rounds: stop after N rounds
  bool tsv = false;
};

struct TopEnv {
  std::ostream* out = nullptr;
  // Seconds on a monotonic clock; unset: time moves only in `sleep`.
  std::function<double()> now;
  // "HH:MM:SS" now.
  std::function<std::string()> clock;
  // Waits `seconds`; returns false when stopped early (the loop then ends).
  std::function<bool(double seconds)> sleep;
  // True once SIGINT/SIGTERM arrived: the loop ends after the round it is
  // in, printed whole.
  std::function<bool()> stop_requested;
};

// The splitter for -g NAME. Throws UsageError for an unknown name.
// User names come from `source` (this machine's passwd when null).
std::unique_ptr<splitters::Splitter> MakeTopSplitter(
    const TopOptions& opts, const scan::ProcSource* source = nullptr);

// True when `p` matches one of the selectors (or there are none).
bool MatchesSelectors(const std::vector<std::string>& selectors,
                      const scan::ProcessIdentity& p);

// The selectors that are numbers: pids the user named to be reported.
std::vector<int> SelectorPids(const std::vector<std::string>& selectors);

// Runs the rounds (one without loop_seconds) and prints each whole to
// env.out. Returns the exit code: kExitOk, or RunScan's code on failure.
// Throws UsageError when a pid selector names no listed process; warns
// when one vanished during round 1's scan.
int RunTop(Context& ctx, const TopOptions& opts, const TopEnv& env);

}  // namespace memstats::cli

#endif  // MEMSTATS_CLI_TOP_LOOP_H_
