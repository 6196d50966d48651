// The splitter options shared by the commands that split processes into
// groups (groups, map, shm): --split-uid, --split-user, --split-env VAR,
// --split-comm, --split-exe, --split-cgroup, --split-pids P,P,...,
// --split-custom F1,F2,...
#ifndef MEMSTATS_CLI_SPLIT_OPTIONS_H_
#define MEMSTATS_CLI_SPLIT_OPTIONS_H_

#include <memory>
#include <string>
#include <vector>

#include "splitters/splitter.h"

namespace CLI {
class App;
}  // namespace CLI

namespace memstats::cli {

struct SplitOptions {
  bool uid = false, user = false, comm = false, exe = false, cgroup = false;
  std::vector<std::string> env;
  std::vector<std::string> pids;
  std::vector<std::string> custom;
};

// Adds the --split-* options to `sub`, storing into `opts`.
void AddSplitOptions(CLI::App& sub, SplitOptions& opts);

// The splitters asked for, in the order the options were given on `sub`'s
// command line (none when none was given); every pid of --split-pids into
// `named_pids`. Throws UsageError for a bad variable name, pid list or
// filter. User names (--split-user, user() in --split-custom) come from
// `source` (a capture answers from its own table), from this machine's
// passwd when null.
std::vector<std::unique_ptr<splitters::Splitter>> MakeSplitters(
    const CLI::App& sub, const SplitOptions& opts,
    std::vector<int>& named_pids, const scan::ProcSource* source = nullptr);

}  // namespace memstats::cli

#endif  // MEMSTATS_CLI_SPLIT_OPTIONS_H_
