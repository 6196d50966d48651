// memstats snapshot: what kind of memory a set of processes uses (heap,
// stacks, anonymous, shared memory, each file), in PSS, for the set and for
// each process. Reads every selected process's full smaps; no page tables.
//
// Selection: a regex searched in the command line, -p pids, both through
// the filter language (cmdline(), pid(), and with -c descendants()), and
// the global --filter on top.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/commands.h"
#include "cli/output_file.h"
#include "filters/node.h"
#include "profile/snapshot.h"
#include "render/snapshot.h"

namespace memstats::cli {
namespace {

struct SnapshotOptions {
  std::optional<std::string> regex;
  std::vector<std::string> pids;
  bool children = false;
  std::optional<std::string> mask;
  double small_percent = 0.5;
  std::string output;
};

// "-p 1234 -p 1300,1400" -> {1234, 1300, 1400}.
std::vector<int> ParsePids(const std::vector<std::string>& texts) {
  std::vector<int> pids;
  for (const std::string& text : texts) {
    for (absl::string_view item : absl::StrSplit(text, ',')) {
      item = absl::StripAsciiWhitespace(item);
      int pid = 0;
      if (!absl::SimpleAtoi(item, &pid) || pid <= 0) {
        throw UsageError(absl::StrCat(
            "-p: '", item,
            "' is not a process id (expected a positive number, or a "
            "comma-separated list of them)"));
      }
      pids.push_back(pid);
    }
  }
  return pids;
}

// Parses text this file built; only the regex inside it can be wrong.
filters::Filter ParseSelection(const std::string& text,
                               const std::string& regex) {
  auto parsed = filters::ParseFilter(text, filters::SystemUserResolver());
  if (auto* err = std::get_if<filters::FilterError>(&parsed)) {
    throw UsageError(absl::StrCat(
        "invalid regex '", regex, "': ",
        absl::StripPrefix(err->message, "invalid regular expression: ")));
  }
  return std::get<filters::Filter>(std::move(parsed));
}

// "or(a,b,...)" of the given calls, or the single call; "true()" for none.
std::string AnyOf(const std::vector<std::string>& calls) {
  if (calls.empty()) return "true()";
  if (calls.size() == 1) return calls[0];
  return absl::StrCat("or(", absl::StrJoin(calls, ","), ")");
}

// The roots that have no other root above them: descendants() of those
// alone selects the same processes, and each process is checked against
// fewer of them (a thousand workers of one matched master are one root).
std::vector<int> OutermostRoots(std::vector<int> roots,
                                const scan::ParentMap& parents) {
  std::sort(roots.begin(), roots.end());
  absl::flat_hash_set<int> all(roots.begin(), roots.end());
  std::vector<int> outer;
  for (int pid : roots) {
    bool below_another = false;
    auto it = parents.find(pid);
    // At most parents.size() steps, and never past `pid` itself: a cycle of
    // ppids (pids reused while /proc was read) neither loops nor drops it.
    for (size_t steps = 0;
         it != parents.end() && it->second != pid && steps <= parents.size();
         ++steps) {
      if (all.contains(it->second)) {
        below_another = true;
        break;
      }
      it = parents.find(it->second);
    }
    if (!below_another) outer.push_back(pid);
  }
  return outer;
}

class Selection {
 public:
  explicit Selection(const SnapshotOptions& o)
      : regex_(o.regex.value_or("")) {
    std::vector<std::string> calls;
    if (o.regex) {
      calls.push_back(
          absl::StrCat("cmdline(", filters::Quote(*o.regex), ")"));
    }
    for (int pid : ParsePids(o.pids))
      calls.push_back(absl::StrCat("pid(", pid, ")"));
    text_ = AnyOf(calls);
    matched_ = ParseSelection(text_, regex_);
  }

  // Whether a process is selected (RunScan leaves memstats itself out).
  scan::KeepFn Matched() const {
    return
        [this](const scan::ProcessIdentity& p, const scan::ParentMap& parents) {
          return matched_.Matches(p, parents);
        };
  }

  // Adds every descendant of `roots` (a process is its own descendant).
  // What matched already still matches (a process that started since the
  // roots were found).
  void AddDescendantsOf(const std::vector<int>& roots) {
    std::vector<std::string> calls = {text_};
    for (int pid : roots) {
      calls.push_back(absl::StrCat("descendants(", pid, ")"));
    }
    text_ = AnyOf(calls);
    matched_ = ParseSelection(text_, regex_);
  }

 private:
  std::string regex_;
  std::string text_;  // the selection in the filter language
  filters::Filter matched_;
};

int SnapshotError(const absl::Status& s) {
  std::cerr << "memstats: error: " << s.message() << "\n";
  return absl::IsInvalidArgument(s) ? kExitBadInput : kExitFailure;
}

// The checks that read nothing, run at parse time. Throws UsageError.
profile::FileKeyMask CheckOptions(const SnapshotOptions& o,
                                  std::string& mask_text) {
  mask_text = o.mask.value_or(std::string(profile::kDefaultFileKeyMask));
  auto mask = profile::ParseFileKeyMask(mask_text);
  if (!mask.ok())
    throw UsageError(absl::StrCat("-m: ", mask.status().message()));
  if (!(o.small_percent >= 0 && o.small_percent <= 100)) {
    throw UsageError(
        absl::StrCat("--small: expected a percentage from 0 to "
                     "100, got ",
                     o.small_percent));
  }
  (void)ParsePids(o.pids);
  return *mask;
}

int RunSnapshot(const GlobalOptions& global, const SnapshotOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string mask_text;
  const profile::FileKeyMask mask = CheckOptions(o, mask_text);
  Context ctx = MakeContext(global);
  const std::vector<int> named_pids = ParsePids(o.pids);
  RequireListedPids(*ctx.source, named_pids, "-p");
  if (!o.output.empty()) {
    if (absl::Status s = CheckOutputPath(o.output); !s.ok()) {
      throw UsageError(std::string{s.message()});
    }
  }
  Selection selection(o);
  std::unique_ptr<scan::MemoryBudget> budget = NewBudget(ctx);

  if (o.children) {
    // Which processes match, from their identity alone (nothing else is
    // read); then the scan proper takes them and every descendant.
    std::mutex mu;
    std::vector<int> roots;
    scan::ScanOptions first;
    first.read_pages = false;
    first.read_smaps = false;
    scan::KeepFn matched = selection.Matched();
    auto found = RunScan(
        ctx, first,
        [&](const scan::ProcessIdentity& p, const scan::ParentMap& parents) {
          if (matched(p, parents)) {
            std::lock_guard<std::mutex> l(mu);
            roots.push_back(p.pid);
          }
          return false;
        },
        *budget);
    if (int* code = std::get_if<int>(&found)) return *code;
    selection.AddDescendantsOf(OutermostRoots(
        std::move(roots), std::get<scan::ScanResult>(found).parents));
  }

  scan::ScanOptions options;
  options.read_pages = false;
  options.read_smaps = false;
  // Snapshot's numbers all come from the full smaps; its sum stands for
  // smaps_rollup, which would make the kernel walk the page tables twice.
  options.rollup_from_smaps = true;
  // It shows the command line and tells the executable's own mappings
  // from libraries' (the exe link); the cgroup it never shows.
  options.identity = scan::kIdCmdline | scan::kIdExe;
  options.mapping_detail = mask.path || mask.binary
                               ? scan::ScanOptions::MappingDetail::kFiles
                               : scan::ScanOptions::MappingDetail::kCategories;
  auto scanned = RunScan(ctx, options, selection.Matched(), *budget);
  if (int* code = std::get_if<int>(&scanned)) return *code;
  scan::ScanResult& result = std::get<scan::ScanResult>(scanned);

  profile::SnapshotOptions build;
  build.mask = mask;
  build.small_percent = o.small_percent;
  profile::Snapshot snap = profile::BuildSnapshot(result.processes, build);
  snap.scan = result.stats;
  snap.scan.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  snap.mask_text = mask_text;
  WarnUnreadable(result.stats);
  WarnVanishedPids(named_pids, result);
  if (result.processes.empty()) {
    std::cerr << "memstats: warning: no process matched\n";
  }

  // Render into memory first: the output gets the whole report or nothing.
  std::ostringstream out;
  if (global.json) {
    render::RenderSnapshotJson(snap, out);
  } else {
    render::RenderSnapshotText(snap, ctx.unit, out);
  }
  if (!o.output.empty()) {
    if (absl::Status s = WriteOutputFile(o.output, out.str()); !s.ok()) {
      return SnapshotError(s);
    }
    return kExitOk;
  }
  std::cout << out.str() << std::flush;
  return kExitOk;
}

}  // namespace

void RegisterSnapshotCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  auto opts = std::make_shared<SnapshotOptions>();
  CLI::App* sub = app.add_subcommand(
      "snapshot",
      "PSS by kind of memory (heap, stacks, anonymous, shared memory, each "
      "file) for the matched processes together and for each");
  sub->fallthrough();
  sub->add_option("regex", opts->regex,
                  "ECMAScript regex searched in the command line (argv "
                  "joined by spaces)")
      ->option_text("REGEX");
  sub->add_option("-p,--pid", opts->pids,
                  "This process (repeatable, or a comma-separated list)")
      ->option_text("PID[,PID...]")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->add_flag("-c,--children", opts->children,
                "Also every descendant of a matched process");
  sub->add_option("-m,--mask", opts->mask,
                  "What file rows are keyed by, letters from bfrwxsp: b "
                  "binary vs library, f path, r w x s p permissions; '' one "
                  "row (default frwxsp)")
      ->option_text("MASK");
  sub->add_option("--small", opts->small_percent,
                  "Fold rows below this percent of PSS into a \"small "
                  "categories\" row (default 0.5)")
      ->option_text("PCT");
  // Deprecated: the global --self. Hidden from --help.
  sub->add_flag("-s", global.self, "Same as --self (deprecated)")->group("");
  sub->add_option("-o,--output", opts->output,
                  "Write the report to this file (0600, never through a "
                  "symbolic link) instead of stdout")
      ->option_text("FILE");
  sub->callback([opts, &global, &run] {
    std::string mask_text;
    (void)CheckOptions(*opts, mask_text);  // at parse time: reads nothing
    run = [opts, &global] { return RunSnapshot(global, *opts); };
  });
}

}  // namespace memstats::cli
