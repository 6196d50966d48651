// memstats system: where the machine's memory is. One scan of every
// process (page level) splits meminfo's fields; machine/reconcile.h makes
// the lines, which add up to MemTotal − MemFree.
#include <chrono>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "machine/reconcile.h"
#include "render/system.h"
#include "sets/report.h"

namespace memstats::cli {
namespace {

int RunSystem(Context& ctx) {
  const auto t0 = std::chrono::steady_clock::now();
  // The whole machine: memstats's own memory is in meminfo too.
  ctx.self_pid = 0;
  std::unique_ptr<scan::MemoryBudget> budget = NewBudget(ctx);
  scan::ScanOptions options;
  // No smaps numbers are shown (without PFNs the scanner reads them anyway).
  options.read_smaps = false;
  auto scanned = RunScan(ctx, options, nullptr, *budget);
  if (int* code = std::get_if<int>(&scanned)) return *code;
  scan::ScanResult& result = std::get<scan::ScanResult>(scanned);

  std::string note;
  auto catalog = sets::PageLevelCatalog(result, *ctx.source, budget.get(),
                                        ctx.threads, note);
  if (!catalog.ok()) {
    std::cerr << "memstats: error: " << catalog.status().message() << "\n";
    return ExitCodeFor(catalog.status());
  }
  // meminfo is read right after the scan, so that the two are as close in
  // time as they can be.
  auto view = machine::BuildSystemView(
      *ctx.source, catalog->has_value() ? &**catalog : nullptr);
  if (!view.ok()) {
    std::cerr << "memstats: error: " << view.status().message() << "\n";
    // A --procfs-root tree without a usable meminfo is the user's input.
    const bool input = absl::IsInvalidArgument(view.status()) ||
                       absl::IsNotFound(view.status());
    return input ? kExitBadInput : kExitFailure;
  }
  result.stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  WarnUnreadable(result.stats);
  if (!note.empty()) std::cerr << "memstats: warning: " << note << "\n";

  // Render into memory first: stdout gets the whole report or nothing.
  std::ostringstream out;
  if (ctx.opts.json) {
    render::RenderSystemJson(*view, result.stats, out);
  } else {
    render::RenderSystemText(*view, result.stats, ctx.unit, out);
  }
  std::cout << out.str() << std::flush;
  return kExitOk;
}

}  // namespace

void RegisterSystemCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  CLI::App* sub = app.add_subcommand(
      "system",
      "Where the machine's memory is: MemTotal - MemFree split into parts "
      "that add up exactly, with the remainder the kernel does not explain");
  sub->fallthrough();
  sub->callback([&global, &run] {
    run = [&global] {
      Context ctx = MakeContext(global);
      return RunSystem(ctx);
    };
  });
}

}  // namespace memstats::cli
