// What every subcommand shares: the global options, their checks, and the
// scan -> split -> account pipeline.
#ifndef MEMSTATS_CLI_COMMON_H_
#define MEMSTATS_CLI_COMMON_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "filters/filter.h"
#include "tbb/global_control.h"
#include "render/units.h"
#include "scan/memory_budget.h"
#include "scan/proc_source.h"
#include "scan/scanner.h"
#include "sets/report.h"
#include "splitters/splitter.h"

// CLI11 is header-only and heavy; only the files that build the command
// line include it.
namespace CLI {
class App;
}  // namespace CLI

namespace memstats::cli {

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;    // the system failed us
inline constexpr int kExitBadInput = 2;   // the user's input is wrong
inline constexpr int kExitMemLimit = 3;   // --mem-limit reached

// Thrown for bad input found after CLI11 parsing; main prints the message
// and exits with kExitBadInput.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// --mem-limit's largest value, 2^40 MiB (1 EiB): more than any machine
// has, and its bytes fit in 64 bits.
inline constexpr uint64_t kMaxMemLimitMib = uint64_t{1} << 40;
// --threads is bounded to this many threads per core: the scan waits on
// /proc reads, so a few more threads than cores can help, and oneTBB
// allows at least 4 per core (its hard limit is max(256, 4 x cores)).
inline constexpr int kMaxThreadsPerCore = 4;

struct GlobalOptions {
  std::string filter_text;
  // As typed, checked by CheckGlobalOptions (CLI11 would wrap or refuse
  // values that do not fit an int with a less clear message).
  std::optional<std::string> threads;        // unset: all cores
  std::optional<std::string> mem_limit_mib;  // unset: the default
  std::string procfs_root = "/proc";
  std::string from;  // --from FILE: a capture instead of /proc
  bool list_processes = false;
  bool json = false;
  std::string units = "auto";
  bool ksm_column = false;
  bool self = false;  // --self: count memstats's own process too
};

// Registers the global options on the top-level app.
void AddGlobalOptions(CLI::App& app, GlobalOptions& opts);

// The cores memstats may run on (oneTBB's default concurrency, which
// follows the CPU affinity mask).
int Cores();

// The global options that can be checked without reading anything.
struct CheckedGlobals {
  render::Unit unit = render::Unit::kAuto;
  int threads = 1;              // what the scan uses, at most 4 x Cores()
  std::string threads_warning;  // set when --threads was lowered
  std::optional<uint64_t> mem_limit_bytes;  // unset: the default
};
// Throws UsageError naming the option for a bad --units, --threads below 1
// or not a number, and --mem-limit outside 1..kMaxMemLimitMib.
CheckedGlobals CheckGlobalOptions(const GlobalOptions& opts);

// Global options that `command` (the subcommand's name) would ignore are
// refused: throws UsageError "--list-processes does nothing for top: ...".
void RefuseIgnoredOptions(const CLI::App& app, const std::string& command);

// Everything the pipeline needs, checked. Throws UsageError.
struct Context {
  GlobalOptions opts;
  std::unique_ptr<scan::ProcSource> source;
  filters::Filter filter;
  render::Unit unit = render::Unit::kAuto;
  int threads = 1;
  uint64_t mem_limit_bytes = 0;
  // Raises oneTBB's limit to `threads` when that is above the cores, so
  // that oneTBB neither ignores the extra threads nor prints a warning.
  std::unique_ptr<tbb::global_control> parallelism;
  // memstats's own pid, which every scan leaves out; 0 with --self or when
  // the source is not the live /proc (a fixture tree has no memstats in it).
  int self_pid = 0;
  // The source is the live /proc (not a fixture tree): the machine's file
  // systems belong to it.
  bool live = false;
};
// Checks the options (CheckGlobalOptions), prints the --threads warning
// once, opens --procfs-root, or the capture of --from (a capture that
// cannot be read is bad input: UsageError with the reader's message).
// Throws UsageError.
Context MakeContext(const GlobalOptions& opts);

// Pids the user named to be reported (snapshot -p, top's PID arguments,
// --split-pids) must be in the process list: throws UsageError
// "<option>: no process with pid N" for the first that is not.
void RequireListedPids(scan::ProcSource& source, const std::vector<int>& pids,
                       const std::string& option);

// The named `pids` that were listed but vanished during the scan of
// `result`, or were not listed by it (exited before), each once.
std::vector<int> VanishedPids(const std::vector<int>& pids,
                              const scan::ScanResult& result);

// "warning: process N exited during the scan" on stderr for each of the
// named `pids` that was listed but vanished during the scan of `result`.
void WarnVanishedPids(const std::vector<int>& pids,
                      const scan::ScanResult& result);

// Parses a filter list or one filter, throwing UsageError with the caret
// message on error.
// User names resolve through `users` (the source's, for a capture).
filters::Filter ParseFilterOrThrow(
    const std::string& text,
    const filters::UserResolver& users = filters::SystemUserResolver());
std::vector<filters::Filter> ParseFilterListOrThrow(
    const std::string& text, const std::string& option,
    const filters::UserResolver& users = filters::SystemUserResolver());

// A memory budget of ctx.mem_limit_bytes, starting from memstats's own
// resident size now.
std::unique_ptr<scan::MemoryBudget> NewBudget(const Context& ctx);

// The scan every command shares, as a library call: prints nothing (with
// progress_line, the progress line on a terminal's stderr). Fails with
// ResourceExhausted when --mem-limit is reached, with FailedPrecondition
// when the source is a capture without what the scan needs (environment
// values it did not keep, a file it did not read), else with the source's
// error, the message naming the source. Fills in `options` as RunScan.
absl::StatusOr<scan::ScanResult> ScanSelected(Context& ctx,
                                              scan::ScanOptions& options,
                                              const scan::KeepFn& keep,
                                              scan::MemoryBudget& budget,
                                              bool progress_line);

// The exit code of a failed scan or accounting: kExitMemLimit for
// ResourceExhausted, kExitBadInput for FailedPrecondition (a capture
// without what the command needs), kExitFailure otherwise (kExitOk for
// OK).
int ExitCodeFor(const absl::Status& s);

// The scan every command shares. Fills in `options`' threads, budget, PFN
// limit, progress line and the filter's environment variables (callers set
// what to read: read_pages, read_smaps, mapping_detail, extra env_keys), and
// keeps the processes that match the global filter and `keep` (may be
// null), never ctx.self_pid (then the stats say self_excluded and do not
// count it as filtered out). On failure prints why on stderr and returns the exit code
// (kExitMemLimit, kExitFailure).
std::variant<scan::ScanResult, int> RunScan(Context& ctx,
                                            scan::ScanOptions& options,
                                            const scan::KeepFn& keep,
                                            scan::MemoryBudget& budget);

// memstats's own resident size now, in bytes (0 when unreadable).
uint64_t OwnRssBytes();

// "warning: N processes could not be read (permission denied): pids" on
// stderr, when there were any.
void WarnUnreadable(const scan::ScanStats& st);

}  // namespace memstats::cli

#endif  // MEMSTATS_CLI_COMMON_H_
