// memstats capture -o FILE: one scan with everything the analysis commands
// read, recorded through capture::RecordingSource and written as a capture
// file that --from FILE replays (DESIGN.md, "Engine and front-ends").
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "capture/capture_file.h"
#include "capture/recording_source.h"
#include "cli/commands.h"
#include "cli/output_file.h"
#include "sampler/sampler.h"
#include "scan/pagemap.h"
#include "tbb/task_arena.h"

namespace memstats::cli {
namespace {

struct CaptureArgs {
  std::string output;
  std::vector<std::string> env;  // variables whose values are kept
};

// The system files the analysis commands read besides the scan's own:
// top's memory line (meminfo), SysV segments, tmpfs mounts, the PFN limit
// (iomem's System RAM), and the host's name and kernel.
const std::vector<std::string>& SystemFiles() {
  static const auto* files = new std::vector<std::string>{
      "meminfo", "sysvipc/shm",          "self/mountinfo",
      "iomem",   "sys/kernel/osrelease", "sys/kernel/hostname"};
  return *files;
}

std::string FirstLine(const capture::CaptureData& d, const std::string& name) {
  auto it = d.system.find(name);
  if (it == d.system.end() || it->second.code != absl::StatusCode::kOk) {
    return "";
  }
  return absl::StrReplaceAll(it->second.data, {{"\n", ""}});
}

uint64_t PresentPages(const capture::CaptureData& d) {
  uint64_t n = 0;
  for (const auto& [pid, p] : d.processes) {
    for (const capture::PagemapRun& r : p.pagemap) {
      if (scan::PmIsPresent(r.entry)) n += r.count;
    }
  }
  return n;
}

int RunCapture(const GlobalOptions& global, const CaptureArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  for (const std::string& key : a.env) {
    if (key.empty() || key.find('=') != std::string::npos ||
        key.find('\0') != std::string::npos) {
      throw UsageError(
          absl::StrCat("--env: '", key, "' is not a variable name"));
    }
  }
  if (absl::Status s = CheckOutputPath(a.output); !s.ok()) {
    throw UsageError(std::string{s.message()});
  }
  Context ctx = MakeContext(global);
  auto owned =
      std::make_unique<capture::RecordingSource>(std::move(ctx.source), a.env);
  capture::RecordingSource& recorder = *owned;
  ctx.source = std::move(owned);
  // The capture holds memstats itself; analyses leave it out by its pid.
  const int self_pid = recorder.SelfPid();
  ctx.self_pid = 0;

  std::unique_ptr<scan::MemoryBudget> budget = NewBudget(ctx);
  scan::ScanOptions options;
  options.read_pages = true;
  // What `groups` reads; CompleteProcesses() then reads the rest (full
  // smaps, smaps_rollup, thread stacks, environ), whose failures are kept
  // as answers rather than dropping the process from the capture.
  options.read_smaps = false;
  options.shm_holders = true;
  // Every window's entries are read, so that the capture can answer any
  // process's pagemap (a replay on other threads reads in another order).
  options.object_pages = false;
  for (const std::string& key : a.env) options.env_keys.insert(key);
  auto scanned = RunScan(ctx, options, nullptr, *budget);
  if (int* code = std::get_if<int>(&scanned)) return *code;
  scan::ScanResult& result = std::get<scan::ScanResult>(scanned);
  WarnUnreadable(result.stats);

  {
    tbb::task_arena arena(ctx.threads);
    arena.execute([&recorder] {
      recorder.CompleteProcesses();
      recorder.RecordKpages();
    });
  }
  recorder.RecordSystemFiles(SystemFiles());

  capture::CaptureInfo info;
  info.page_size = recorder.PageSize();
  info.unix_ms = sampler::UnixMillisNow();
  info.self_pid = self_pid;
  info.memstats_version = MEMSTATS_VERSION;
  capture::CaptureData data = recorder.Finish(std::move(info));
  data.info.host = FirstLine(data, "sys/kernel/hostname");
  data.info.kernel = FirstLine(data, "sys/kernel/osrelease");

  auto bytes = capture::SerializeCapture(data);
  if (!bytes.ok()) {
    std::cerr << "memstats: error: " << bytes.status().message() << "\n";
    return kExitFailure;
  }
  if (absl::Status s = WriteOutputFile(a.output, *bytes); !s.ok()) {
    std::cerr << "memstats: error: " << s.message() << "\n";
    return absl::IsInvalidArgument(s) ? kExitBadInput : kExitFailure;
  }
  const uint64_t pages = PresentPages(data);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  std::cerr << absl::StrFormat(
      "memstats: captured %d processes, %d present pages, into %s: %d bytes "
      "(%.2f per present page) in %.2f s\n",
      result.processes.size(), pages, a.output, bytes->size(),
      pages ? static_cast<double>(bytes->size()) / static_cast<double>(pages)
            : 0.0,
      seconds);
  return kExitOk;
}

}  // namespace

void RegisterCaptureCommand(CLI::App& app, GlobalOptions& global, RunFn& run) {
  auto a = std::make_shared<CaptureArgs>();
  CLI::App* sub = app.add_subcommand(
      "capture",
      "Record everything the analysis commands need in one scan, into a "
      "file that --from FILE analyses anywhere");
  sub->fallthrough();
  sub->add_option("-o,--output", a->output, "The capture file to write (0600)")
      ->option_text("FILE")
      ->required();
  sub->add_option("--env", a->env,
                  "Keep the values of this environment variable (repeat for "
                  "more; only names are kept otherwise)")
      ->option_text("VAR")
      ->take_last()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->callback([a, &global, &run] {
    run = [a, &global] { return RunCapture(global, *a); };
  });
}

}  // namespace memstats::cli
