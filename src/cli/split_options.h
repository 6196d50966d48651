// The --split-* options of memstats groups, shared with every command that
// splits processes into groups (groups, shm).
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

// Adds --split-uid, --split-user, --split-env, --split-comm, --split-exe,
// --split-cgroup, --split-pids and --split-custom to `sub`.
void AddSplitOptions(CLI::App& sub, SplitOptions& opts);

// The splitters the options name, in the order they were given (repeated
// --split-env/--split-pids/--split-custom each add one); `named_pids` gets
// every --split-pids pid. Throws UsageError for a bad variable name, pid
// list or filter.
std::vector<std::unique_ptr<splitters::Splitter>> MakeSplitters(
    const CLI::App& sub, const SplitOptions& opts, std::vector<int>& named_pids);

}  // namespace memstats::cli

#endif  // MEMSTATS_CLI_SPLIT_OPTIONS_H_
