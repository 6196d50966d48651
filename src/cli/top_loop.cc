#include "cli/top_loop.h"

#include <algorithm>
#include <iostream>
#include <sstream>
#include <variant>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "profile/top_change.h"
#include "sampler/schedule.h"
#include "render/top.h"
#include "scan/exe_name.h"
#include "scan/parsers.h"

namespace memstats::cli {
namespace {

using profile::TopGroup;
using profile::TopRound;

// Reads MemTotal, MemAvailable and Dirty from the source's meminfo.
void FillMeminfo(scan::ProcSource& source, TopRound& round) {
  auto text = source.ReadSystemFile("meminfo");
  if (!text.ok()) return;
  auto info = scan::ParseMeminfo(*text);
  if (!info.ok()) return;
  auto get = [&info](const char* key) -> std::optional<uint64_t> {
    auto it = info->find(key);
    if (it == info->end()) return std::nullopt;
    return it->second;
  };
  round.mem_total = get("MemTotal");
  round.mem_available = get("MemAvailable");
  round.dirty = get("Dirty");
}

void FillCounts(const scan::ScanStats& st, TopRound& round) {
  round.contributing = st.scanned;
  round.existing = st.listed - st.kernel_threads;
  round.unreadable = st.unreadable;
  round.vanished = st.vanished;
  round.self_excluded = st.self_excluded;
}

// One scan through RunScan with its own budget. read_pages is always off:
// top needs no page tables. With `detail`, every process's full smaps is
// read, and its sum stands for smaps_rollup unless `rollup` asks for the
// rollup too (a second walk of the page tables); without, smaps_rollup
// only.
std::variant<scan::ScanResult, int> ScanOnce(Context& ctx, bool detail,
                                             bool rollup, uint8_t identity,
                                             const scan::KeepFn& keep) {
  std::unique_ptr<scan::MemoryBudget> budget = NewBudget(ctx);
  scan::ScanOptions options;
  options.identity = identity;
  options.read_pages = false;
  options.read_smaps = true;
  options.rollup_from_smaps = !rollup;
  options.mapping_detail = detail
                               ? scan::ScanOptions::MappingDetail::kCategories
                               : scan::ScanOptions::MappingDetail::kNone;
  return RunScan(ctx, options, keep, *budget);
}

// Whether top needs smaps_rollup beside the full smaps: for the pss column
// (shown or sorted by), and with -k, whose later rounds compare each
// group's rollup figure with the previous round's (the sum of the
// mappings' Pss, each rounded down to a KiB, is not the same figure).
bool NeedsRollup(const TopOptions& opts) {
  return opts.k_kib.has_value() || opts.sort == profile::TopColumn::kPss ||
         std::find(opts.columns.begin(), opts.columns.end(),
                   profile::TopColumn::kPss) != opts.columns.end();
}

class TopRunner {
 public:
  TopRunner(Context& ctx, const TopOptions& opts, const TopEnv& env)
      : ctx_(ctx), opts_(opts), env_(env), splitter_(MakeTopSplitter(opts, ctx.source.get())) {
    view_.columns = opts.columns;
    view_.unit = ctx.unit;
    view_.show_change = opts.loop_seconds.has_value();
    // The splitter's files; the exe link and command line for the
    // selectors, for -g pid's command name, and for the mappings of the
    // executable itself (its text and data).
    identity_ = splitter_->IdentityFiles() | scan::kIdExe | scan::kIdCmdline;
    rollup_ = NeedsRollup(opts);
  }

  // The rounds run on the sampler's schedule: one every -l seconds from
  // the start of the previous one.
  int Run() {
    sampler::Schedule schedule;
    schedule.period_seconds = opts_.loop_seconds.value_or(1);
    schedule.max_ticks = opts_.loop_seconds ? opts_.rounds : 1;
    // Without a monotonic clock (tests), time moves only while sleeping.
    double virtual_now = 0;
    sampler::Clock clock;
    clock.now = env_.now ? env_.now : [&virtual_now] { return virtual_now; };
    clock.sleep = [this, &virtual_now](double seconds) {
      virtual_now += seconds;
      return env_.sleep(seconds);
    };
    clock.stop_requested = [this] {
      return env_.stop_requested && env_.stop_requested();
    };
    int code = kExitOk;
    auto round = [this, &code](int64_t n) -> absl::StatusOr<bool> {
      TopRound r;
      code = Round(static_cast<int>(n), r);
      if (code != kExitOk) return false;
      Print(r, n == 1);
      return true;
    };
    // Rounds never fail as a Status: a failed round ends the loop with its
    // exit code.
    sampler::RunSchedule(schedule, clock, round).IgnoreError();
    return code;
  }

 private:
  bool Wanted(const scan::ProcessIdentity& p) const {
    return MatchesSelectors(opts_.selectors, p);
  }

  // Fills `round`; returns an exit code.
  int Round(int n, TopRound& round) {
    round.round = n;
    round.group_by = opts_.group_by;
    round.time = env_.clock();
    auto base = [this](const scan::ProcessIdentity& p, const scan::ParentMap&) {
      return Wanted(p);
    };
    const bool cheap = n > 1 && opts_.k_kib.has_value();
    round.rollup_read = rollup_;
    auto first = ScanOnce(ctx_, !cheap, rollup_, identity_, base);
    if (int* code = std::get_if<int>(&first)) return *code;
    scan::ScanResult& all = std::get<scan::ScanResult>(first);
    if (n == 1) {
      WarnUnreadable(all.stats);
      WarnVanishedPids(SelectorPids(opts_.selectors), all);
    }
    FillCounts(all.stats, round);
    FillMeminfo(*ctx_.source, round);

    sets::Grouping g = splitters::Split(*splitter_, all.processes, all.parents);
    profile::GroupRollups now = profile::SumRollups(all.processes, g);
    std::vector<TopGroup> rows;
    if (!cheap) {
      rows = Rows(all, g);
      if (n > 1) {
        rows = profile::ApplyChanges(
            std::move(rows), profile::SelectChanged(prev_, now, opts_.k_kib));
      }
    } else {
      profile::ChangedGroups changed =
          profile::SelectChanged(prev_, now, opts_.k_kib);
      absl::flat_hash_set<int> pids;
      for (size_t i = 0; i < all.processes.size(); ++i) {
        if (changed.Shows(g.names[g.group_of[i]])) {
          pids.insert(all.processes[i].id.pid);
        }
      }
      if (!pids.empty()) {
        auto keep = [this, &pids](const scan::ProcessIdentity& p,
                                  const scan::ParentMap&) {
          return pids.contains(p.pid) && Wanted(p);
        };
        // The rollup figures came from the first scan.
        auto detail = ScanOnce(ctx_, true, false, identity_, keep);
        if (int* code = std::get_if<int>(&detail)) return *code;
        scan::ScanResult& d = std::get<scan::ScanResult>(detail);
        // pss is the rollup's, from the first scan (that decided the
        // change), not the sum of this scan's mappings.
        absl::flat_hash_map<int, const scan::SmapsTotals*> rollups;
        for (const scan::ProcessRecord& rec : all.processes) {
          rollups[rec.id.pid] = &rec.smaps;
        }
        for (scan::ProcessRecord& rec : d.processes) {
          auto it = rollups.find(rec.id.pid);
          if (it != rollups.end()) rec.smaps = *it->second;
        }
        sets::Grouping dg =
            splitters::Split(*splitter_, d.processes, d.parents);
        rows = Rows(d, dg);
      }
      rows = profile::ApplyChanges(std::move(rows), changed);
    }
    prev_ = std::move(now);

    profile::SortGroups(rows, opts_.sort, opts_.sort_by_key);
    profile::Folded folded =
        profile::FoldBelowTopPct(std::move(rows), opts_.top_pct);
    round.rows = std::move(folded.kept);
    round.others = std::move(folded.others);
    round.total = profile::TotalOf(round.rows, round.others);
    return kExitOk;
  }

  std::vector<TopGroup> Rows(const scan::ScanResult& r,
                             const sets::Grouping& g) const {
    std::vector<TopGroup> rows = profile::SumGroups(r.processes, g);
    if (opts_.group_by == "pid") {
      absl::flat_hash_map<int, const scan::ProcessIdentity*> by_pid;
      for (const scan::ProcessRecord& rec : r.processes) {
        by_pid[rec.id.pid] = &rec.id;
      }
      for (TopGroup& row : rows) {
        auto it = by_pid.find(row.pid);
        if (it != by_pid.end()) row.name = splitters::TopExeKey(*it->second);
      }
    }
    return rows;
  }

  // The whole round goes out in one write: never half a round.
  void Print(const TopRound& round, bool first) {
    std::ostringstream text;
    if (ctx_.opts.json) {
      render::RenderTopJson(round, text);
    } else if (opts_.tsv) {
      render::RenderTopTsv(round, view_, first, text);
    } else {
      if (!first) text << "\n";
      render::RenderTopText(round, view_, text);
    }
    *env_.out << text.str() << std::flush;
  }

  Context& ctx_;
  const TopOptions& opts_;
  const TopEnv& env_;
  std::unique_ptr<splitters::Splitter> splitter_;
  render::TopView view_;
  profile::GroupRollups prev_;
  uint8_t identity_ = scan::kIdAll;  // scan::IdentityFile bits to read
  bool rollup_ = false;  // smaps_rollup read beside smaps (NeedsRollup)
};

}  // namespace

std::vector<int> SelectorPids(const std::vector<std::string>& selectors) {
  std::vector<int> pids;
  for (const std::string& s : selectors) {
    int pid = 0;
    if (absl::SimpleAtoi(s, &pid)) pids.push_back(pid);
  }
  return pids;
}

std::unique_ptr<splitters::Splitter> MakeTopSplitter(
    const TopOptions& opts, const scan::ProcSource* source) {
  const std::string& g = opts.group_by;
  if (g == "exe") return splitters::NewTopExeSplitter();
  if (g == "cmd") return splitters::NewCmdlineSplitter(opts.cmd_chars);
  if (g == "pid") return splitters::NewPidSplitter();
  if (g == "comm") return splitters::NewCommSplitter();
  if (g == "user")
    return splitters::NewUserSplitter(source != nullptr
                                          ? splitters::SourceUidNamer(*source)
                                          : splitters::SystemUidNamer());
  if (g == "uid") return splitters::NewUidSplitter();
  if (g == "cgroup") return splitters::NewCgroupSplitter();
  throw UsageError(absl::StrCat(
      "-g: expected exe, cmd, pid, comm, user, uid or cgroup, got '", g, "'"));
}

bool MatchesSelectors(const std::vector<std::string>& selectors,
                      const scan::ProcessIdentity& p) {
  if (selectors.empty()) return true;
  const std::string key = splitters::TopExeKey(p);
  const splitters::TopExeKeyParts parts = splitters::TopExeKeyOf(p);
  // "nginx" for a deleted /usr/sbin/nginx, "sleep" for a sleep run from a
  // memfd: the executable's name without its mark.
  const scan::ExeName exe = scan::ParseExeName(p.exe, p.cmdline);
  const std::string_view exe_name = scan::PathBasename(exe.name);
  for (const std::string& s : selectors) {
    int pid = 0;
    if (absl::SimpleAtoi(s, &pid)) {
      if (pid == p.pid) return true;
      continue;
    }
    if (s == key || s == p.comm || (!exe_name.empty() && s == exe_name) ||
        (!parts.script.empty() && s == parts.script)) {
      return true;
    }
  }
  return false;
}

int RunTop(Context& ctx, const TopOptions& opts, const TopEnv& env) {
  RequireListedPids(*ctx.source, SelectorPids(opts.selectors), "top");
  TopRunner runner(ctx, opts, env);
  return runner.Run();
}

}  // namespace memstats::cli
