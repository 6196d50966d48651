#include "cli/split_options.h"

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/common.h"

namespace memstats::cli {
namespace {

// "1234, 1300" -> {1234, 1300}.
std::vector<int> ParsePidList(const std::string& text) {
  std::vector<int> pids;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    int pid = 0;
    if (!absl::SimpleAtoi(item, &pid) || pid <= 0) {
      throw UsageError(absl::StrCat("--split-pids: '", item,
                                    "' is not a process id (expected a "
                                    "comma-separated list of positive "
                                    "numbers)"));
    }
    pids.push_back(pid);
  }
  return pids;
}

}  // namespace

void AddSplitOptions(CLI::App& sub, SplitOptions& opts) {
  sub.add_flag("--split-uid", opts.uid, "One group per uid");
  sub.add_flag("--split-user", opts.user, "One group per user name");
  sub.add_option("--split-env", opts.env,
                 "One group per value of environment variable VAR")
      ->option_text("VAR")
      ->take_last();
  sub.add_flag("--split-comm", opts.comm, "One group per command name");
  sub.add_flag("--split-exe", opts.exe, "One group per executable path");
  sub.add_flag("--split-cgroup", opts.cgroup, "One group per cgroup");
  sub.add_option("--split-pids", opts.pids,
                 "Each listed pid its own group, the rest Other")
      ->option_text("P,P,...")
      ->take_last();
  sub.add_option("--split-custom", opts.custom,
                 "Filters in order, first match wins, the rest Other; "
                 "repeatable")
      ->option_text("F1,F2,...")
      ->take_last();
  // Repeated --split-env/--split-pids/--split-custom each add a split.
  for (const char* name : {"--split-env", "--split-pids", "--split-custom"}) {
    sub.get_option(name)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
}

std::vector<std::unique_ptr<splitters::Splitter>> MakeSplitters(
    const CLI::App& sub, const SplitOptions& opts,
    std::vector<int>& named_pids, const scan::ProcSource* source) {
  std::vector<std::unique_ptr<splitters::Splitter>> splits;
  const splitters::UidNamer namer = source != nullptr
                                        ? splitters::SourceUidNamer(*source)
                                        : splitters::SystemUidNamer();
  const filters::UserResolver users =
      source != nullptr ? filters::SourceUserResolver(*source)
                        : filters::SystemUserResolver();
  size_t env_i = 0, pids_i = 0, custom_i = 0;
  for (const CLI::Option* o : sub.parse_order()) {
    const std::string name = o->get_name();
    if (name == "--split-uid") {
      splits.push_back(splitters::NewUidSplitter());
    } else if (name == "--split-user") {
      splits.push_back(splitters::NewUserSplitter(namer));
    } else if (name == "--split-comm") {
      splits.push_back(splitters::NewCommSplitter());
    } else if (name == "--split-exe") {
      splits.push_back(splitters::NewExeSplitter());
    } else if (name == "--split-cgroup") {
      splits.push_back(splitters::NewCgroupSplitter());
    } else if (name == "--split-env") {
      const std::string& key = opts.env.at(env_i++);
      if (key.empty() || key.find('=') != std::string::npos) {
        throw UsageError(
            absl::StrCat("--split-env: '", key, "' is not a variable name"));
      }
      splits.push_back(splitters::NewEnvSplitter(key));
    } else if (name == "--split-pids") {
      std::vector<int> pids = ParsePidList(opts.pids.at(pids_i++));
      named_pids.insert(named_pids.end(), pids.begin(), pids.end());
      splits.push_back(splitters::NewPidsSplitter(std::move(pids)));
    } else if (name == "--split-custom") {
      splits.push_back(splitters::NewCustomSplitter(ParseFilterListOrThrow(
          opts.custom.at(custom_i++), "--split-custom", users)));
    }
  }
  return splits;
}

}  // namespace memstats::cli
