#include "sampler/sampler.h"

#include <time.h>

#include <memory>
#include <utility>

#include "scan/pagemap.h"
#include "sets/report.h"

namespace memstats::sampler {

Selector::Selector(ProcessTree tree) : tree_(std::move(tree)) {}

Selector::Selector(scan::KeepFn pick) : pick_(std::move(pick)) {}

Selector::Selector(ProcessTree tree, scan::KeepFn pick)
    : tree_(std::move(tree)), pick_(std::move(pick)) {}

scan::KeepFn Selector::Keep() const {
  if (tree_ && pick_) {
    const ProcessTree* tree = &*tree_;
    const scan::KeepFn* pick = &pick_;
    return [tree, pick](const scan::ProcessIdentity& p,
                        const scan::ParentMap& parents) {
      return (*pick)(p, parents) || tree->Contains(p.pid, parents);
    };
  }
  if (tree_) {
    const ProcessTree* tree = &*tree_;
    return [tree](const scan::ProcessIdentity& p,
                  const scan::ParentMap& parents) {
      return tree->Contains(p.pid, parents);
    };
  }
  if (pick_) return pick_;
  return [](const scan::ProcessIdentity&, const scan::ParentMap&) {
    return true;
  };
}

void Selector::Found(const std::vector<int>& pids) {
  if (tree_) tree_->Remember(pids);
}

bool Selector::gone() const { return !pick_ && tree_ && tree_->gone(); }

absl::StatusOr<Taken> TakeSample(const ScanFn& scan, scan::ProcSource& source,
                                 const SampleOptions& options,
                                 const scan::KeepFn& keep, int threads,
                                 scan::MemoryBudget* budget, int64_t unix_ms,
                                 double seconds) {
  scan::ScanOptions so;
  so.read_pages = options.page_level;
  // smaps_rollup gives each process's Rss, private (USS) and swap.
  so.read_smaps = true;
  so.mapping_detail = options.mappings
                          ? scan::ScanOptions::MappingDetail::kFiles
                          : scan::ScanOptions::MappingDetail::kNone;
  so.rollup_from_smaps = true;
  absl::StatusOr<scan::ScanResult> result = scan(so, keep);
  if (!result.ok()) return result.status();

  Taken t;
  t.stats = result->stats;
  t.sample.unix_ms = unix_ms;
  t.sample.seconds = seconds;
  t.sample.vanished = result->stats.vanished;
  t.sample.processes.reserve(result->processes.size());
  for (const scan::ProcessRecord& rec : result->processes) {
    t.sample.processes.push_back(profile::SampleProcess(rec));
  }
  if (!options.page_level) return t;
  if (!result->stats.page_level_off.empty()) {
    t.page_level_note = result->stats.page_level_off;
    return t;
  }
  if (result->processes.empty()) {
    t.sample.pages = profile::SetPages{};
    return t;
  }
  // Every process of the sample as one group: its distinct pages, and the
  // pages no process outside it maps.
  sets::Grouping all;
  all.splitter = "sample";
  all.names = {"all"};
  all.group_of.assign(result->processes.size(), 0);
  absl::StatusOr<sets::Report> report = sets::BuildReport(
      *result, {all}, /*list_processes=*/false, source, budget, threads);
  if (!report.ok()) return report.status();
  if (!report->page_level) {
    t.page_level_note = report->page_level_note;
    return t;
  }
  const sets::GroupTotals& g = report->splits.front().totals;
  profile::SetPages& pages = t.sample.pages.emplace();
  pages.rss = g.rss_total_pages() * scan::kPageSize;
  pages.uss = g.uss_total_pages() * scan::kPageSize;
  pages.pss = g.pss_bytes;
  pages.swap = g.swap_rss_pages * scan::kPageSize;
  return t;
}

absl::StatusOr<LoopResult> RunSampleLoop(
    const ScanFn& scan, scan::ProcSource& source, const LoopOptions& options,
    const Clock& clock, const std::function<int64_t()>& unix_ms,
    const std::function<std::unique_ptr<scan::MemoryBudget>()>& budget_for_tick,
    Selector& who, const std::vector<SampleSink*>& sinks) {
  LoopResult out;
  double t0 = 0;
  auto tick = [&](int64_t n) -> absl::StatusOr<bool> {
    const double now = clock.now();
    if (n == 1) t0 = now;
    const double seconds = now - t0;
    std::unique_ptr<scan::MemoryBudget> budget = budget_for_tick();
    absl::StatusOr<Taken> taken =
        TakeSample(scan, source, options.sample, who.Keep(), options.threads,
                   budget.get(), unix_ms(), seconds);
    if (!taken.ok()) return taken.status();
    out.last_stats = taken->stats;
    std::vector<int> pids;
    pids.reserve(taken->sample.processes.size());
    for (const profile::ProcessSample& p : taken->sample.processes) {
      pids.push_back(p.pid);
    }
    who.Found(pids);
    if (who.gone()) return false;
    for (SampleSink* sink : sinks) {
      if (absl::Status s = sink->Add(*taken); !s.ok()) return s;
    }
    ++out.samples;
    return true;
  };
  absl::StatusOr<EndReason> end = RunSchedule(options.schedule, clock, tick);
  const EndReason why = end.ok() ? *end : EndReason::kStopped;
  absl::Status finished;
  for (SampleSink* sink : sinks) finished.Update(sink->Finish(why));
  if (!end.ok()) return end.status();
  if (!finished.ok()) return finished;
  out.end = *end;
  return out;
}

int64_t UnixMillisNow() {
  struct timespec ts = {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace memstats::sampler
