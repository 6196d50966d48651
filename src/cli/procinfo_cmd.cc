// memstats procinfo PID: one process's mappings with RSS, PSS and USS by
// page, and with --pages every page (inspect/procinfo.h computes; the
// renderers in render/procinfo_*.cc format).
//
// Exit codes: 0 shown; 2 for a pid that is not a number, names no process,
// exits while it is read, is a kernel thread or a zombie (nothing to show),
// and for a malformed --range; 1 when a file may not be read or the system
// fails.
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "inspect/procinfo.h"
#include "render/procinfo.h"

namespace memstats::cli {
namespace {

struct ProcinfoOptions {
  std::string pid;
  bool pages = false;
  std::optional<std::string> range;
};

struct ProcinfoRequestChecked {
  int pid = 0;
  inspect::ProcinfoRequest request;
};

// The checks that read nothing, run at parse time. Throws UsageError.
ProcinfoRequestChecked CheckOptions(const ProcinfoOptions& o) {
  ProcinfoRequestChecked c;
  if (!absl::SimpleAtoi(o.pid, &c.pid) || c.pid <= 0) {
    throw UsageError(absl::StrCat(
        "procinfo: '", o.pid, "' is not a process id (expected a positive "
        "number)"));
  }
  if (o.range) {
    auto r = inspect::ParseAddressRange(*o.range);
    if (!r.ok()) {
      throw UsageError(absl::StrCat("--range: ", r.status().message()));
    }
    c.request.range = *r;
  }
  c.request.pages = o.pages;
  return c;
}

int RunProcinfo(const GlobalOptions& global, const ProcinfoOptions& o) {
  const ProcinfoRequestChecked checked = CheckOptions(o);
  Context ctx = MakeContext(global);
  auto info = inspect::ReadProcInfo(*ctx.source, checked.pid, checked.request);
  if (!info.ok()) {
    const absl::Status& s = info.status();
    std::cerr << "memstats: error: " << s.message() << "\n";
    return absl::IsNotFound(s) || absl::IsFailedPrecondition(s)
               ? kExitBadInput
               : kExitFailure;
  }
  std::ostringstream out;
  if (global.json) {
    render::RenderProcinfoJson(*info, checked.request.pages, out);
  } else {
    render::RenderProcinfoText(*info, ctx.unit, out);
  }
  std::cout << out.str() << std::flush;
  return kExitOk;
}

}  // namespace

void RegisterProcinfoCommand(CLI::App& app, GlobalOptions& global,
                             RunFn& run) {
  auto opts = std::make_shared<ProcinfoOptions>();
  CLI::App* sub = app.add_subcommand(
      "procinfo",
      "One process's mappings with RSS, PSS and USS counted page by page "
      "(kpagecount), swap, THP, hugetlb, KSM and zero pages; --pages lists "
      "every page");
  sub->fallthrough();
  sub->add_option("pid", opts->pid, "The process")
      ->option_text("PID")
      ->required();
  sub->add_flag("--pages", opts->pages,
                "Also list every present or swapped page: address, PFN, "
                "pagemap flags, kpagecount and kpageflags");
  sub->add_option("--range", opts->range,
                  "Only mappings and pages in [START, END) (hexadecimal, "
                  "0x optional)")
      ->option_text("START-END");
  sub->callback([opts, &global, &run] {
    (void)CheckOptions(*opts);  // at parse time: reads nothing
    run = [opts, &global] { return RunProcinfo(global, *opts); };
  });
}

}  // namespace memstats::cli
