#include "cli/common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>
#include <variant>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "capture/capture_file.h"
#include "capture/replay_source.h"
#include "scan/memory_budget.h"
#include "scan/parsers.h"
#include "scan/scanner.h"
#include "tbb/info.h"

namespace memstats::cli {
namespace {

// The default --mem-limit: this fraction of MemAvailable (README says so).
constexpr uint64_t kDefaultLimitDivisor = 4;

// Facts about the machine memstats itself runs on (not --procfs-root).
struct SelfMemory {
  uint64_t mem_available = 0;
  uint64_t own_rss = 0;
};

SelfMemory ReadSelfMemory() {
  SelfMemory m;
  auto proc = scan::NewLiveProcSource("/proc");
  if (!proc.ok()) return m;
  if (auto text = (*proc)->ReadSystemFile("meminfo"); text.ok()) {
    if (auto info = scan::ParseMeminfo(*text); info.ok()) {
      if (auto it = info->find("MemAvailable"); it != info->end()) {
        m.mem_available = it->second;
      }
    }
  }
  if (auto text = (*proc)->ReadSystemFile("self/statm"); text.ok()) {
    std::istringstream in(*text);
    uint64_t size = 0, resident = 0;
    const long page = ::sysconf(_SC_PAGESIZE);
    if (in >> size >> resident) {
      m.own_rss = resident * static_cast<uint64_t>(page > 0 ? page : 4096);
    }
  }
  return m;
}

// "\rscanning 120/431 processes" on a terminal, at most ten times a second.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  ~Progress() { Finish(); }
  // Clears the progress line.
  void Finish() {
    if (enabled_ && shown_.exchange(false)) {
      std::cerr << "\r\033[K" << std::flush;
    }
    enabled_ = false;
  }
  void Update(size_t done, size_t total) {
    if (!enabled_) return;
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
    int64_t last = last_ms_.load(std::memory_order_relaxed);
    if (now - last < 100 && done != total) return;
    if (!last_ms_.compare_exchange_strong(last, now)) return;
    shown_.store(true);
    std::cerr << absl::StrFormat("\rmemstats: scanning %d/%d processes", done,
                                 total)
              << std::flush;
  }

 private:
  std::atomic<bool> enabled_;
  std::atomic<int64_t> last_ms_{0};
  std::atomic<bool> shown_{false};
};

void Warn(const std::string& msg) { std::cerr << "memstats: " << msg << "\n"; }

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == s.npos;
}

// --threads: a positive number; one above the bound (however many digits)
// is lowered to the bound, with a warning.
void CheckThreads(const std::string& text, CheckedGlobals& c) {
  const int bound = kMaxThreadsPerCore * Cores();
  if (text.size() > 1 && text[0] == '-' && AllDigits(text.substr(1))) {
    throw UsageError(absl::StrCat("--threads: must be at least 1, got ", text));
  }
  if (!AllDigits(text)) {
    throw UsageError(absl::StrCat(
        "--threads: expected a number of threads, got '", text, "'"));
  }
  uint64_t n = 0;
  if (absl::SimpleAtoi(text, &n) && n == 0) {
    throw UsageError("--threads: must be at least 1, got 0");
  }
  // Too many digits for 64 bits counts as above the bound too.
  if (!absl::SimpleAtoi(text, &n) || n > static_cast<uint64_t>(bound)) {
    c.threads = bound;
    c.threads_warning = absl::StrFormat(
        "--threads %s: using %d (at most %d per core, %d cores)", text, bound,
        kMaxThreadsPerCore, Cores());
    return;
  }
  c.threads = static_cast<int>(n);
}

// --mem-limit: MiB from 1 to kMaxMemLimitMib, whose bytes fit in 64 bits.
uint64_t CheckMemLimit(const std::string& text) {
  uint64_t mib = 0;
  if (!AllDigits(text) || !absl::SimpleAtoi(text, &mib) || mib < 1 ||
      mib > kMaxMemLimitMib) {
    throw UsageError(absl::StrFormat(
        "--mem-limit: expected MiB from 1 to %d (2^40 MiB), got '%s'",
        kMaxMemLimitMib, text));
  }
  return mib << 20;
}

}  // namespace

int Cores() { return std::max(1, tbb::info::default_concurrency()); }

CheckedGlobals CheckGlobalOptions(const GlobalOptions& opts) {
  CheckedGlobals c;
  auto unit = render::ParseUnit(opts.units);
  if (!unit) {
    throw UsageError(absl::StrCat("--units: expected B, KiB, MiB, GiB or auto, "
                                  "got '",
                                  opts.units, "'"));
  }
  c.unit = *unit;
  if (opts.threads) {
    CheckThreads(*opts.threads, c);
  } else {
    c.threads = Cores();
  }
  if (opts.mem_limit_mib) c.mem_limit_bytes = CheckMemLimit(*opts.mem_limit_mib);
  return c;
}

void RefuseIgnoredOptions(const CLI::App& app, const std::string& command) {
  struct Ignored {
    const char* option;
    const char* command;
    const char* why;
  };
  static constexpr Ignored kIgnored[] = {
      {"--list-processes", "top",
       "top shows groups; -g pid shows one row per process"},
      {"--list-processes", "snapshot",
       "snapshot always shows each matched process"},
      {"--ksm", "top", "the KSM column is in the groups and single tables"},
      {"--ksm", "snapshot",
       "the KSM column is in the groups and single tables"},
      // peak reads a history database: options about scanning /proc and
      // other tables' columns mean nothing there.
      {"--filter", "peak",
       "peak reads a recording (--pid selects one process of it)"},
      {"--threads", "peak", "peak reads a recording, not /proc"},
      {"--mem-limit", "peak", "peak reads a recording, not /proc"},
      {"--procfs-root", "peak", "peak reads a recording, not /proc"},
      {"--self", "peak", "peak reads a recording, not /proc"},
      {"--list-processes", "peak",
       "peak sums the processes' mappings (--pid shows one process)"},
      {"--units", "peak", "peak prints bytes with thousands separators"},
      {"--ksm", "peak", "the KSM column is in the groups and single tables"},
      // system accounts for the whole machine, memstats included.
      {"--filter", "system", "system accounts for every process"},
      {"--self", "system", "system always counts memstats itself"},
      {"--list-processes", "system", "system shows the machine, not processes"},
      {"--ksm", "system", "system always shows what KSM saves"},
      {"--list-processes", "map", "map colours pages by group"},
      {"--ksm", "map", "the KSM column is in the groups and single tables"},
      // procinfo reads one process, named by its pid.
      {"--filter", "procinfo", "procinfo shows the one process it is given"},
      {"--list-processes", "procinfo",
       "procinfo shows the one process it is given"},
      {"--self", "procinfo", "procinfo shows the one process it is given"},
      {"--threads", "procinfo", "procinfo reads one process on one thread"},
      {"--mem-limit", "procinfo", "procinfo reads one process"},
      {"--ksm", "procinfo", "procinfo always has a KSM column"},
      {"--list-processes", "shm",
       "shm lists the processes attaching each object"},
      {"--ksm", "shm", "the KSM column is in the groups and single tables"},
      {"--list-processes", "serve", "serve exports groups"},
      {"--json", "serve", "serve answers in the Prometheus text format"},
      {"--units", "serve", "serve exports bytes"},
      {"--ksm", "serve", "serve exports no KSM metric"},
      // A capture is one moment of one machine: commands that sample over
      // time, run things, or look at the machine beyond its processes
      // refuse it.
      {"--from", "watch", "watch samples the live system over time"},
      {"--from", "run", "run starts a command and samples it live"},
      {"--from", "record", "record samples the live system over time"},
      {"--from", "peak", "peak reads a recording (its own FILE argument)"},
      {"--from", "plot", "plot reads a recording (its own FILE argument)"},
      {"--from", "system",
       "a capture holds no kernel memory figures (vmallocinfo, zoneinfo)"},
      {"--from", "map",
       "a capture holds kpageflags only for the pages processes map"},
      {"--from", "shm",
       "a capture holds no listing of /dev/shm and other tmpfs files"},
      {"--from", "capture", "capture reads the live system"},
      {"--from", "serve", "serve scans the live system on its schedule"},
      // capture records every process whole; filters and views apply
      // when the capture is analysed.
      {"--filter", "capture",
       "a capture holds every process; filter when analysing it"},
      {"--list-processes", "capture", "capture prints no report"},
      {"--json", "capture", "capture prints no report"},
      {"--units", "capture", "capture prints no report"},
      {"--ksm", "capture", "capture prints no report"},
      {"--self", "capture",
       "a capture always holds memstats itself (--self when analysing)"},
  };
  for (const Ignored& i : kIgnored) {
    if (command == i.command && app.get_option(i.option)->count() > 0) {
      throw UsageError(absl::StrCat(i.option, " does nothing for ", i.command,
                                    ": ", i.why));
    }
  }
}

void RequireListedPids(scan::ProcSource& source, const std::vector<int>& pids,
                       const std::string& option) {
  if (pids.empty()) return;
  auto listed = source.ListPids();
  if (!listed.ok()) return;  // the scan reports it
  absl::flat_hash_set<int> all(listed->begin(), listed->end());
  for (int pid : pids) {
    if (!all.contains(pid)) {
      throw UsageError(absl::StrCat(option, ": no process with pid ", pid));
    }
  }
}

std::vector<int> VanishedPids(const std::vector<int>& pids,
                              const scan::ScanResult& result) {
  const std::vector<int>& gone = result.stats.vanished_pids;
  absl::flat_hash_set<int> seen;
  std::vector<int> vanished;
  for (int pid : pids) {
    // Not listed by the scan (exited since RequireListedPids), or listed
    // and gone before its files were read.
    if ((!result.parents.contains(pid) ||
         std::binary_search(gone.begin(), gone.end(), pid)) &&
        seen.insert(pid).second) {
      vanished.push_back(pid);
    }
  }
  return vanished;
}

void WarnVanishedPids(const std::vector<int>& pids,
                      const scan::ScanResult& result) {
  for (int pid : VanishedPids(pids, result)) {
    Warn(absl::StrFormat("warning: process %d exited during the scan", pid));
  }
}

void AddGlobalOptions(CLI::App& app, GlobalOptions& o) {
  app.add_option("--filter", o.filter_text,
                 "Only processes matching this filter expression")
      ->option_text("EXPR");
  app.add_option("--threads", o.threads,
                 "Scan threads (default: all cores; at most 4 per core)")
      ->option_text("N");
  app.add_option("--mem-limit", o.mem_limit_mib,
                 "Cap on memstats's own memory in MiB, 1 to 2^40 (default: a "
                 "quarter of MemAvailable)")
      ->option_text("MiB");
  app.add_option("--procfs-root", o.procfs_root,
                 "Read this /proc-shaped directory instead of /proc")
      ->option_text("DIR");
  app.add_option("--from", o.from,
                 "Analyse this capture (memstats capture -o FILE) instead "
                 "of the live system")
      ->option_text("FILE");
  app.add_flag("--list-processes", o.list_processes,
               "Also list every process with its own numbers");
  app.add_flag("--json", o.json, "Print one JSON document (bytes) on stdout");
  app.add_option("--units", o.units, "Units: B, KiB, MiB, GiB or auto")
      ->option_text("UNIT");
  app.add_flag("--ksm", o.ksm_column,
               "Add a KSM column to the groups tables: distinct KSM-merged "
               "pages (part of ANON; JSON always has \"ksm\")");
  app.add_flag("--self", o.self,
               "Count memstats's own process too (left out by default)");
}

filters::Filter ParseFilterOrThrow(const std::string& text,
                                   const filters::UserResolver& users) {
  auto parsed = filters::ParseFilter(text, users);
  if (auto* err = std::get_if<filters::FilterError>(&parsed)) {
    throw UsageError(filters::FormatFilterError(text, *err));
  }
  return std::get<filters::Filter>(std::move(parsed));
}

std::vector<filters::Filter> ParseFilterListOrThrow(
    const std::string& text, const std::string& option,
    const filters::UserResolver& users) {
  auto parsed = filters::ParseFilterList(text, users);
  if (auto* err = std::get_if<filters::FilterError>(&parsed)) {
    throw UsageError(
        absl::StrCat(option, ": ", filters::FormatFilterError(text, *err)));
  }
  return std::get<std::vector<filters::Filter>>(std::move(parsed));
}

Context MakeContext(const GlobalOptions& opts) {
  Context ctx;
  ctx.opts = opts;
  const CheckedGlobals checked = CheckGlobalOptions(opts);
  ctx.unit = checked.unit;
  ctx.threads = checked.threads;

  if (!opts.from.empty()) {
    if (opts.procfs_root != "/proc") {
      throw UsageError("--from and --procfs-root: give one source, not both");
    }
    auto data = capture::ReadCaptureFile(opts.from, ctx.threads);
    if (!data.ok()) throw UsageError(std::string{data.status().message()});
    ctx.source = capture::NewReplaySource(std::move(*data), opts.from);
  } else {
    struct stat st;
    if (::stat(opts.procfs_root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      throw UsageError(absl::StrCat("--procfs-root: '", opts.procfs_root,
                                    "' is not a directory"));
    }
    auto source = scan::NewLiveProcSource(opts.procfs_root);
    if (!source.ok()) {
      throw UsageError(
          absl::StrCat("--procfs-root: ", source.status().message()));
    }
    auto pids = (*source)->ListPids();
    if (!pids.ok() || pids->empty()) {
      throw UsageError(absl::StrCat("--procfs-root: '", opts.procfs_root,
                                    "' holds no process directories"));
    }
    ctx.source = std::move(*source);
    // memstats is one of the processes of the live /proc only.
    ctx.live = ctx.source->SelfPid() != 0;
  }
  // A capture names the pid of the memstats that took it.
  if (!opts.self) ctx.self_pid = ctx.source->SelfPid();
  if (!opts.filter_text.empty()) {
    ctx.filter = ParseFilterOrThrow(opts.filter_text,
                                    filters::SourceUserResolver(*ctx.source));
  }

  if (!checked.threads_warning.empty()) {
    Warn(absl::StrCat("warning: ", checked.threads_warning));
  }
  if (ctx.threads > Cores()) {
    ctx.parallelism = std::make_unique<tbb::global_control>(
        tbb::global_control::max_allowed_parallelism, ctx.threads);
  }

  SelfMemory self = ReadSelfMemory();
  if (checked.mem_limit_bytes) {
    ctx.mem_limit_bytes = *checked.mem_limit_bytes;
  } else if (self.mem_available > 0) {
    ctx.mem_limit_bytes = self.mem_available / kDefaultLimitDivisor;
  } else {
    ctx.mem_limit_bytes = ~uint64_t{0};
  }
  return ctx;
}

absl::StatusOr<scan::ScanResult> ScanSelected(Context& ctx,
                                              scan::ScanOptions& options,
                                              const scan::KeepFn& keep,
                                              scan::MemoryBudget& budget,
                                              bool progress_line) {
  if (budget.used() > budget.limit()) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "--mem-limit %d MiB is below memstats's own %d MiB at start",
        budget.limit() >> 20, budget.used() >> 20));
  }
  options.threads = ctx.threads;
  options.budget = &budget;
  options.pfn_limit = scan::PfnLimit(*ctx.source);
  for (const auto& k : ctx.filter.EnvKeys()) options.env_keys.insert(k);
  options.identity |= ctx.filter.IdentityFiles();
  if (absl::Status s = ctx.source->CheckEnvKeys(options.env_keys); !s.ok()) {
    return s;
  }
  Progress progress(progress_line && ::isatty(STDERR_FILENO) == 1);
  options.progress = [&progress](size_t done, size_t total) {
    progress.Update(done, total);
  };
  const filters::Filter& filter = ctx.filter;
  const int self_pid = ctx.self_pid;
  std::atomic<bool> saw_self{false};
  auto scan = scan::Scan(
      *ctx.source, options,
      [&filter, &keep, self_pid, &saw_self](const scan::ProcessIdentity& p,
                                            const scan::ParentMap& parents) {
        if (self_pid != 0 && p.pid == self_pid) {
          saw_self.store(true, std::memory_order_relaxed);
          return false;
        }
        return filter.Matches(p, parents) && (!keep || keep(p, parents));
      });
  progress.Finish();
  options.progress = nullptr;
  if (!scan.ok()) {
    if (absl::IsResourceExhausted(scan.status())) return scan.status();
    return absl::Status(scan.status().code(),
                        absl::StrCat("cannot scan ", ctx.source->Describe(),
                                     ": ", scan.status().message()));
  }
  // A capture without something the scan read: an error, not a process
  // counted as vanished.
  if (absl::Status s = ctx.source->Incomplete(); !s.ok()) return s;
  if (saw_self.load()) {
    scan::ScanStats& st = scan->stats;
    st.self_excluded = true;
    if (st.filtered_out > 0) --st.filtered_out;  // counted as filtered above
  }
  return scan;
}

int ExitCodeFor(const absl::Status& s) {
  if (s.ok()) return kExitOk;
  if (absl::IsFailedPrecondition(s)) return kExitBadInput;
  return absl::IsResourceExhausted(s) ? kExitMemLimit : kExitFailure;
}

std::variant<scan::ScanResult, int> RunScan(Context& ctx,
                                            scan::ScanOptions& options,
                                            const scan::KeepFn& keep,
                                            scan::MemoryBudget& budget) {
  absl::StatusOr<scan::ScanResult> scan =
      ScanSelected(ctx, options, keep, budget, /*progress_line=*/true);
  if (!scan.ok()) {
    Warn(absl::StrCat("error: ", scan.status().message()));
    return ExitCodeFor(scan.status());
  }
  return std::move(*scan);
}

void WarnUnreadable(const scan::ScanStats& st) {
  if (st.unreadable == 0) return;
  std::string pids;
  for (size_t i = 0; i < st.unreadable_pids.size() && i < 10; ++i) {
    absl::StrAppend(&pids, i ? ", " : "", st.unreadable_pids[i]);
  }
  if (st.unreadable_pids.size() > 10) absl::StrAppend(&pids, ", ...");
  Warn(absl::StrFormat("warning: %d %s could not be read "
                       "(permission denied): %s",
                       st.unreadable,
                       st.unreadable == 1 ? "process" : "processes", pids));
}

uint64_t OwnRssBytes() { return ReadSelfMemory().own_rss; }

std::unique_ptr<scan::MemoryBudget> NewBudget(const Context& ctx) {
  SelfMemory self = ReadSelfMemory();
  return std::make_unique<scan::MemoryBudget>(ctx.mem_limit_bytes,
                                              self.own_rss);
}

}  // namespace memstats::cli
