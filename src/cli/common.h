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

#include "CLI/CLI.hpp"
#include "filters/filter.h"
#include "render/units.h"
#include "scan/memory_budget.h"
#include "scan/proc_source.h"
#include "scan/scanner.h"
#include "sets/report.h"
#include "splitters/splitter.h"

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

struct GlobalOptions {
  std::string filter_text;
  std::optional<int> threads;   // unset: all cores
  std::optional<uint64_t> mem_limit_mib;
  std::string procfs_root = "/proc";
  bool list_processes = false;
  bool json = false;
  std::string units = "auto";
  bool ksm_column = false;
  bool self = false;  // --self: count memstats's own process too
};

// Registers the global options on the top-level app.
void AddGlobalOptions(CLI::App& app, GlobalOptions& opts);

// Everything the pipeline needs, checked. Throws UsageError.
struct Context {
  GlobalOptions opts;
  std::unique_ptr<scan::ProcSource> source;
  filters::Filter filter;
  render::Unit unit = render::Unit::kAuto;
  int threads = 1;
  uint64_t mem_limit_bytes = 0;
  // memstats's own pid, which every scan leaves out; 0 with --self or when
  // the source is not the live /proc (a fixture tree has no memstats in it).
  int self_pid = 0;
};
Context MakeContext(const GlobalOptions& opts);

// Parses a filter list or one filter, throwing UsageError with the caret
// message on error.
filters::Filter ParseFilterOrThrow(const std::string& text);
std::vector<filters::Filter> ParseFilterListOrThrow(const std::string& text,
                                                    const std::string& option);

// A memory budget of ctx.mem_limit_bytes, starting from memstats's own
// resident size now.
std::unique_ptr<scan::MemoryBudget> NewBudget(const Context& ctx);

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

// "warning: N processes could not be read (permission denied): pids" on
// stderr, when there were any.
void WarnUnreadable(const scan::ScanStats& st);

// Scans once, applies every splitter, accounts, and prints the report
// (text or JSON) to stdout. Returns the exit code.
int RunGroups(Context& ctx,
              const std::vector<std::unique_ptr<splitters::Splitter>>& splits);

}  // namespace memstats::cli

#endif  // MEMSTATS_CLI_COMMON_H_
