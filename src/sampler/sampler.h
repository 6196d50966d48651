// The sampler: one scan per tick of a Schedule, reduced to a
// profile::Sample and handed to sinks (TSV, JSON lines, SQLite, a graph).
// memstats watch, record and run are this loop with different selectors,
// options and sinks. It prints nothing and exits nothing: scans go through
// an injected ScanFn (the CLI's, which applies the global filter, leaves
// memstats itself out and keeps to --mem-limit), errors come back as Status.
#ifndef MEMSTATS_SAMPLER_SAMPLER_H_
#define MEMSTATS_SAMPLER_SAMPLER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "profile/sample.h"
#include "sampler/process_tree.h"
#include "sampler/schedule.h"
#include "scan/memory_budget.h"
#include "scan/proc_source.h"
#include "scan/scanner.h"

namespace memstats::sampler {

// Runs one scan with `options` (the callee adds threads, budget, PFN limit
// and the global filter) of the processes `keep` accepts.
using ScanFn = std::function<absl::StatusOr<scan::ScanResult>(
    scan::ScanOptions& options, const scan::KeepFn& keep)>;

struct SampleOptions {
  // Per process, its smaps summed per series and file (watch, record).
  bool mappings = true;
  // The set's page-level RSS, USS and PSS (Sample::pages) from the page
  // tables, and each process's RSS/USS/PSS from its pages (memstats run).
  // Costs a pagemap read per process; left out silently when PFNs are
  // hidden (Taken::page_level_note says why).
  bool page_level = false;
};

// Who is sampled: a tree of pids, every process a predicate accepts, or
// both (what the predicate picks, and with a tree of descendants, the
// processes below those it picked before).
class Selector {
 public:
  // Follows `tree`; the loop ends when the tree is gone.
  explicit Selector(ProcessTree tree);
  // Every process `pick` accepts (nullptr: all); never ends by itself.
  explicit Selector(scan::KeepFn pick);
  // What `pick` accepts at each sample, and what `tree` holds: the tree
  // remembers every process sampled, so with descendants, a child of a
  // picked process is sampled from its parent's next sample on. Never ends
  // by itself. REQUIRES: pick is not null.
  Selector(ProcessTree tree, scan::KeepFn pick);

  scan::KeepFn Keep() const;
  // After each scan, with the pids it found.
  void Found(const std::vector<int>& pids);
  bool gone() const;

 private:
  std::optional<ProcessTree> tree_;
  scan::KeepFn pick_;
};

struct Taken {
  profile::Sample sample;
  scan::ScanStats stats;
  std::string page_level_note;  // why Sample::pages is unset, if asked for
};

// One sample: scans, then reduces. `unix_ms` and `seconds` are stamped on
// the sample.
absl::StatusOr<Taken> TakeSample(const ScanFn& scan, scan::ProcSource& source,
                                 const SampleOptions& options,
                                 const scan::KeepFn& keep, int threads,
                                 scan::MemoryBudget* budget, int64_t unix_ms,
                                 double seconds);

// Where samples go. Add is called once per sample, in order; an error ends
// the loop and is returned by RunSampleLoop (after Finish).
class SampleSink {
 public:
  virtual ~SampleSink() = default;
  virtual absl::Status Add(const Taken& taken) = 0;
  // Once, when the loop ends for any reason (also after an error).
  virtual absl::Status Finish(EndReason why) { return absl::OkStatus(); }
};

struct LoopOptions {
  Schedule schedule;
  SampleOptions sample;
  int threads = 1;
};

struct LoopResult {
  EndReason end = EndReason::kTicks;
  int64_t samples = 0;
  // The last scan's stats (with the pids it could not read: a followed
  // process that is unreadable ends the loop as if it had exited).
  scan::ScanStats last_stats;
};

// Samples on `options.schedule` until it ends or `who` is gone. `unix_ms`
// gives wall-clock time (injected for tests); a sample's seconds count from
// the first sample. `budget_for_tick` gives each tick a fresh memory budget
// (may return null: no cap).
absl::StatusOr<LoopResult> RunSampleLoop(
    const ScanFn& scan, scan::ProcSource& source, const LoopOptions& options,
    const Clock& clock, const std::function<int64_t()>& unix_ms,
    const std::function<std::unique_ptr<scan::MemoryBudget>()>& budget_for_tick,
    Selector& who, const std::vector<SampleSink*>& sinks);

// Wall-clock milliseconds since the epoch (CLOCK_REALTIME).
int64_t UnixMillisNow();

}  // namespace memstats::sampler

#endif  // MEMSTATS_SAMPLER_SAMPLER_H_
