// memstats map: a picture of physical memory, every page of RAM along a
// Hilbert curve, coloured by the group that holds it (inspect/map.h).
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/output_file.h"
#include "cli/split_options.h"
#include "inspect/map.h"
#include "render/png_map.h"
#include "sets/accounting.h"
#include "sets/page_catalog.h"

namespace memstats::cli {
namespace {

struct MapArgs {
  std::string output;
  std::string scale = "1";
  SplitOptions split;
};

uint64_t ParseScale(const std::string& text) {
  uint64_t scale = 0;
  if (!absl::SimpleAtoi(text, &scale) || scale < 1 ||
      scale > inspect::kMaxScale) {
    throw UsageError(absl::StrCat("--scale: expected a number of pages per "
                                  "pixel from 1 to ",
                                  inspect::kMaxScale, ", got '", text, "'"));
  }
  return scale;
}

int RunMap(const CLI::App& sub, const MapArgs& a, GlobalOptions& global) {
  if (absl::Status s = CheckOutputPath(a.output); !s.ok()) {
    throw UsageError(absl::StrCat("-o: ", s.message()));
  }
  const uint64_t scale = ParseScale(a.scale);
  std::vector<int> named_pids;
  std::vector<std::unique_ptr<splitters::Splitter>> splits =
      MakeSplitters(sub, a.split, named_pids);
  if (splits.size() > 1) {
    throw UsageError(absl::StrCat("map draws one split, got ", splits.size(),
                                  " --split-* options"));
  }
  if (splits.empty()) splits.push_back(splitters::NewUidSplitter());
  Context ctx = MakeContext(global);
  RequireListedPids(*ctx.source, named_pids, "--split-pids");

  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<scan::MemoryBudget> budget = NewBudget(ctx);
  scan::ScanOptions options;
  options.read_smaps = false;
  for (const auto& k : splits[0]->EnvKeys()) options.env_keys.insert(k);
  auto scanned = RunScan(ctx, options, nullptr, *budget);
  if (int* code = std::get_if<int>(&scanned)) return *code;
  scan::ScanResult& result = std::get<scan::ScanResult>(scanned);
  WarnUnreadable(result.stats);
  WarnVanishedPids(named_pids, result);
  if (!result.stats.page_level_off.empty()) {
    std::cerr << "memstats: error: map needs page-level data: "
              << result.stats.page_level_off << "\n";
    return kExitFailure;
  }

  // Who holds each page, from the same scan and accounting as `groups`.
  sets::Grouping grouping =
      splitters::Split(*splits[0], result.processes, result.parents);
  auto catalog = sets::PageCatalog::Build(result.processes, *result.segments,
                                          *ctx.source, budget.get(),
                                          ctx.threads);
  if (!catalog.ok()) {
    std::cerr << "memstats: error: " << catalog.status().message() << "\n";
    return ExitCodeFor(catalog.status());
  }
  absl::StatusOr<std::vector<uint32_t>> owners;
  {
    sets::SwapCatalog swap(result.processes);
    sets::Accountant accountant(result.processes, *result.segments, &*catalog,
                                swap, result.sysv, ctx.threads);
    owners = accountant.PageOwners(grouping.group_of,
                                   static_cast<uint32_t>(grouping.names.size()),
                                   budget.get());
  }
  if (!owners.ok()) {
    std::cerr << "memstats: error: " << owners.status().message() << "\n";
    return ExitCodeFor(owners.status());
  }
  // The page lists are no longer needed: free them before the raster.
  result.segments.reset();
  result.processes.clear();
  result.processes.shrink_to_fit();

  std::vector<inspect::MapGroup> groups;
  groups.reserve(grouping.names.size());
  for (const std::string& name : grouping.names) groups.push_back({name});
  // Two bytes per pixel; BuildPhysMap covers [0, PfnLimit).
  const inspect::MapLayout layout =
      inspect::LayoutFor((scan::PfnLimit(*ctx.source) + scale - 1) / scale);
  const uint64_t raster_bytes = uint64_t{2} * layout.width * layout.height;
  if (!budget->TryCharge(raster_bytes)) {
    std::cerr << absl::StrFormat(
        "memstats: error: memory limit of %d MiB reached for the picture "
        "(%d MiB); raise --mem-limit or use --scale\n",
        ctx.mem_limit_bytes >> 20, raster_bytes >> 20);
    return kExitMemLimit;
  }
  auto map = inspect::BuildPhysMap(*ctx.source, *catalog, *owners, groups,
                                   scale);
  if (!map.ok()) {
    std::cerr << "memstats: error: " << map.status().message() << "\n";
    return kExitFailure;
  }
  auto png = render::EncodeMapPng(*map);
  if (!png.ok()) {
    std::cerr << "memstats: error: " << png.status().message() << "\n";
    return kExitFailure;
  }
  if (absl::Status s = WriteOutputFile(a.output, *png); !s.ok()) {
    std::cerr << "memstats: error: -o: " << s.message() << "\n";
    return absl::IsInvalidArgument(s) ? kExitBadInput : kExitFailure;
  }
  render::MapOutput out{
      a.output, ctx.source->PageSize(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count()};
  std::ostringstream text;
  if (ctx.opts.json) {
    render::RenderMapJson(*map, out, text);
  } else {
    render::RenderMapText(*map, out, ctx.unit, text);
  }
  std::cout << text.str() << std::flush;
  return kExitOk;
}

}  // namespace

void RegisterMapCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  auto a = std::make_shared<MapArgs>();
  CLI::App* sub = app.add_subcommand(
      "map",
      "A PNG of physical memory: every page of RAM along a Hilbert curve, "
      "coloured by group");
  sub->fallthrough();
  sub->add_option("-o,--output", a->output, "FILE.png (written atomically)")
      ->required();
  sub->add_option("--scale", a->scale,
                  "Pages per pixel, coloured by majority (default 1)")
      ->option_text("N");
  AddSplitOptions(*sub, a->split);
  sub->callback([sub, a, &global, &run] {
    run = [sub, a, &global] { return RunMap(*sub, *a, global); };
  });
}

}  // namespace memstats::cli
