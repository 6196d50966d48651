// memstats groups: one table per splitter, all from one scan.
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "cli/analyze_groups.h"
#include "cli/split_options.h"

namespace memstats::cli {

void RegisterGroupsCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  auto opts = std::make_shared<SplitOptions>();
  CLI::App* sub = app.add_subcommand(
      "groups", "True RSS, USS and PSS of process groups, one table per split");
  sub->fallthrough();
  AddSplitOptions(*sub, *opts);

  sub->callback([sub, opts, &global, &run] {
    run = [sub, opts, &global] {
      Context ctx = MakeContext(global);
      std::vector<int> named_pids;  // --split-pids, all of them
      // Reports come in the order the options were given.
      std::vector<std::unique_ptr<splitters::Splitter>> splits =
          MakeSplitters(*sub, *opts, named_pids, ctx.source.get());
      if (splits.empty()) splits.push_back(splitters::NewUidSplitter());
      return RunGroups(ctx, splits, named_pids);
    };
  });
}

void RegisterSingleCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  CLI::App* sub = app.add_subcommand(
      "single", "The whole filtered set as one group");
  sub->fallthrough();
  sub->callback([&global, &run] {
    run = [&global] {
      Context ctx = MakeContext(global);
      std::vector<std::unique_ptr<splitters::Splitter>> splits;
      splits.push_back(splitters::NewSingleSplitter());
      return RunGroups(ctx, splits);
    };
  });
}

}  // namespace memstats::cli
