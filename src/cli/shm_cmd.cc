// memstats shm: SysV segments, tmpfs mounts and files, memfd objects and
// the shared memory no process holds.
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/split_options.h"
#include "machine/shm.h"
#include "machine/tmpfs.h"
#include "render/shm.h"

namespace memstats::cli {
namespace {

struct ShmCommandOptions {
  SplitOptions split;
  std::string top = "10";  // as typed: checked by ParseTop
};

// --top: a count of rows, 1 to 1,000,000.
size_t ParseTop(const std::string& text) {
  constexpr uint64_t kMaxTop = 1000000;
  uint64_t n = 0;
  if (!absl::SimpleAtoi(text, &n) || n < 1 || n > kMaxTop) {
    throw UsageError(absl::StrCat("--top: '", text,
                                  "' is not a number of rows from 1 to ",
                                  kMaxTop));
  }
  return n;
}

int RunShm(const CLI::App& sub, const ShmCommandOptions& opts,
           const GlobalOptions& global) {
  const size_t top = ParseTop(opts.top);
  Context ctx = MakeContext(global);
  std::vector<int> named_pids;
  std::vector<std::unique_ptr<splitters::Splitter>> splits =
      MakeSplitters(sub, opts.split, named_pids, ctx.source.get());
  RequireListedPids(*ctx.source, named_pids, "--split-pids");

  std::unique_ptr<scan::MemoryBudget> budget = NewBudget(ctx);
  // Identity only: the shared mappings' pages are read by CollectShm.
  scan::ScanOptions options;
  options.read_pages = false;
  options.read_smaps = false;
  for (const auto& s : splits) {
    for (const auto& k : s->EnvKeys()) options.env_keys.insert(k);
  }
  auto scanned = RunScan(ctx, options, nullptr, *budget);
  if (int* code = std::get_if<int>(&scanned)) return *code;
  scan::ScanResult& result = std::get<scan::ScanResult>(scanned);

  machine::ShmOptions shm_options;
  shm_options.top = top;
  shm_options.namer = splitters::SourceUidNamer(*ctx.source);
  for (const auto& s : splits) shm_options.splits.push_back(s.get());
  std::unique_ptr<machine::FsSource> fs =
      ctx.live ? machine::NewLiveFsSource() : machine::NewNoFsSource();
  auto report = machine::CollectShm(*ctx.source, *fs, result, shm_options);
  if (!report.ok()) {
    std::cerr << "memstats: error: " << report.status().message() << "\n";
    return kExitFailure;
  }
  WarnUnreadable(report->scan);
  WarnVanishedPids(named_pids, result);
  for (const std::string& w : report->warnings) {
    std::cerr << "memstats: warning: " << w << "\n";
  }
  if (!report->page_level) {
    std::cerr << "memstats: warning: " << report->page_level_note << "\n";
  }
  // Render into memory first: stdout gets the whole report or nothing.
  std::ostringstream out;
  if (ctx.opts.json) {
    render::RenderShmJson(*report, out);
  } else {
    render::RenderShmText(*report, ctx.unit, out);
  }
  std::cout << out.str() << std::flush;
  return kExitOk;
}

}  // namespace

void RegisterShmCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  auto opts = std::make_shared<ShmCommandOptions>();
  CLI::App* sub = app.add_subcommand(
      "shm",
      "SysV segments, tmpfs, memfd and the shared memory no process holds");
  sub->fallthrough();
  AddSplitOptions(*sub, opts->split);
  sub->add_option("--top", opts->top,
                  "List at most N tmpfs files and N unheld objects "
                  "(default 10)")
      ->option_text("N");
  sub->callback([sub, opts, &global, &run] {
    run = [sub, opts, &global] { return RunShm(*sub, *opts, global); };
  });
}

}  // namespace memstats::cli
