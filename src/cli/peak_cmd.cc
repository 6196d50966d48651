// memstats peak DB: the sample of a recording where memory was highest,
// and what it was made of (profile/peak.h defines the measures and the
// table). Reads the history database only; no /proc.
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "history/store.h"
#include "profile/peak.h"
#include "render/peak.h"

namespace memstats::cli {
namespace {

struct PeakOptions {
  std::string database;
  std::string by = "rss";
  std::optional<std::string> pid;
  std::optional<std::string> recording;
  std::string files = "10";
};

// What the options say, checked.
struct PeakRequest {
  profile::PeakMeasure by = profile::PeakMeasure::kRss;
  std::optional<int> pid;
  std::optional<int64_t> recording;
  size_t files = profile::kDefaultTopFiles;
};

template <typename T>
T PositiveOrThrow(const std::string& text, const char* option,
                  const char* what) {
  T v = 0;
  if (!absl::SimpleAtoi(text, &v) || v <= 0) {
    throw UsageError(absl::StrCat(option, ": '", text, "' is not ", what));
  }
  return v;
}

// The checks that read nothing, run at parse time. Throws UsageError.
PeakRequest CheckOptions(const PeakOptions& o) {
  PeakRequest r;
  auto by = profile::ParsePeakMeasure(o.by);
  if (!by) {
    throw UsageError(
        absl::StrCat("--by: expected rss, pss or uss, got '", o.by, "'"));
  }
  r.by = *by;
  if (o.pid) {
    r.pid = PositiveOrThrow<int>(*o.pid, "--pid",
                                 "a process id (expected a positive number)");
  }
  if (o.recording) {
    r.recording = PositiveOrThrow<int64_t>(
        *o.recording, "--recording",
        "a recording number (expected a positive number)");
  }
  uint32_t files = 0;
  if (o.files != "0") {
    files = PositiveOrThrow<uint32_t>(o.files, "--files",
                                      "a number of files (expected 0 or more)");
  }
  r.files = files;
  return r;
}

// Errors about the database are the user's input (exit 2), unless the
// system failed while reading it.
int PeakError(const absl::Status& s) {
  std::cerr << "memstats: error: " << s.message() << "\n";
  return absl::IsInternal(s) || absl::IsUnavailable(s) ? kExitFailure
                                                       : kExitBadInput;
}

int RunPeak(const GlobalOptions& global, const PeakOptions& o) {
  const PeakRequest req = CheckOptions(o);
  auto store = history::Store::OpenReadOnly(o.database);
  if (!store.ok()) return PeakError(store.status());
  auto found = history::FindRecording(**store, req.recording);
  if (!found.ok()) return PeakError(found.status());
  const history::Recording* rec = &*found;

  // First the peak from the process totals alone, then its mapping rows.
  profile::PeakFinder finder(req.by, req.pid);
  history::LoadOptions totals;
  totals.pid = req.pid;
  totals.mappings = false;
  absl::Status walked = (*store)->ForEachSample(
      rec->id, totals, [&](int64_t seq, profile::Sample& s) {
        finder.Add(seq, s);
        return absl::OkStatus();
      });
  if (!walked.ok()) return PeakError(walked);
  if (!finder.found()) {
    std::string what =
        req.pid ? absl::StrCat("pid ", *req.pid, " is in no sample of")
                : std::string("no samples in");
    return PeakError(absl::InvalidArgumentError(absl::StrCat(
        "database '", o.database, "': ", what, " recording ", rec->id)));
  }
  history::LoadOptions full;
  full.pid = req.pid;
  auto peak = (*store)->LoadSample(rec->id, finder.seq(), full);
  if (!peak.ok()) return PeakError(peak.status());

  profile::PeakReport report;
  report.database = o.database;
  report.recording = rec->id;
  report.host = rec->info.host;
  report.target = rec->info.target;
  report.start_unix_ms = rec->info.start_unix_ms;
  report.samples = rec->samples;
  report.measured = finder.measured();
  report.seq = finder.seq();
  report.value = finder.value();
  report.from_pages = !req.pid && peak->pages.has_value() &&
                      req.by != profile::PeakMeasure::kPss;
  if (req.pid && !peak->processes.empty()) {
    report.comm = peak->processes.front().comm;
  }
  report.table = profile::BuildPeakTable(*peak, req.by, req.pid, req.files);

  std::ostringstream out;
  if (global.json) {
    render::RenderPeakJson(report, out);
  } else {
    render::RenderPeakText(report, out);
  }
  std::cout << out.str() << std::flush;
  return kExitOk;
}

}  // namespace

void RegisterPeakCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  auto opts = std::make_shared<PeakOptions>();
  CLI::App* sub = app.add_subcommand(
      "peak",
      "The moment of a recorded history (a database of samples) when "
      "memory was highest, and what it was made of");
  sub->fallthrough();
  sub->add_option("database", opts->database, "The history database")
      ->option_text("DB")
      ->required();
  sub->add_option("--by", opts->by,
                  "The measure: rss, pss or uss (default rss)")
      ->option_text("MEASURE");
  sub->add_option("--pid", opts->pid, "The peak of this process alone")
      ->option_text("PID");
  sub->add_option("--recording", opts->recording,
                  "This recording of the database (default: the last)")
      ->option_text("N");
  sub->add_option("--files", opts->files,
                  "Files listed in the table, largest first; the rest go to "
                  "\"other mappings\" (default 10)")
      ->option_text("N");
  sub->callback([opts, &global, &run] {
    (void)CheckOptions(*opts);  // at parse time: reads nothing
    run = [opts, &global] { return RunPeak(global, *opts); };
  });
}

}  // namespace memstats::cli
