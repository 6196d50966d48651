#include "cli/command_line.h"

#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"

namespace memstats::cli {
namespace {

void PrintUsageError(const UsageError& e, std::ostream& err) {
  err << "memstats: error: " << e.what();
  std::string_view what = e.what();
  if (what.empty() || what.back() != '\n') err << "\n";
}

}  // namespace

CommandLine::CommandLine()
    : app_(std::make_unique<CLI::App>(
          "memstats: true memory of processes and groups of processes, from "
          "the kernel's page tables (RSS of distinct pages, USS, PSS)",
          "memstats")) {
  app_->set_version_flag("--version", "memstats " MEMSTATS_VERSION);
  app_->require_subcommand(1);
  AddGlobalOptions(*app_, global_);
  RegisterGroupsCommand(*app_, global_, run_);
  RegisterSingleCommand(*app_, global_, run_);
  RegisterSnapshotCommand(*app_, global_, run_);
  RegisterTopCommand(*app_, global_, run_);
  RegisterWatchCommand(*app_, global_, run_);
  RegisterRunCommand(*app_, global_, run_);
  RegisterPeakCommand(*app_, global_, run_);
  RegisterRecordCommand(*app_, global_, run_);
  RegisterPlotCommand(*app_, global_, run_);
  RegisterSystemCommand(*app_, global_, run_);
  RegisterMapCommand(*app_, global_, run_);
  RegisterProcinfoCommand(*app_, global_, run_);
  RegisterShmCommand(*app_, global_, run_);
  RegisterServeCommand(*app_, global_, run_);
  RegisterCaptureCommand(*app_, global_, run_);
}

CommandLine::~CommandLine() = default;

std::optional<int> CommandLine::Parse(int argc, const char* const* argv,
                                      std::ostream& out, std::ostream& err) {
  try {
    app_->parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app_->exit(e, out, err);  // --help, --version
  } catch (const CLI::ParseError& e) {
    // CLI11 reports a missing subcommand before an unknown word; name the
    // word, which is what the user typed wrong.
    std::vector<std::string> rest = app_->remaining();
    if (app_->get_subcommands().empty() && !rest.empty() &&
        rest.front().rfind('-', 0) != 0) {
      // The commands as registered, so the list never goes stale.
      std::vector<std::string> names;
      for (const CLI::App* sub :
           app_->get_subcommands([](const CLI::App*) { return true; })) {
        names.push_back(sub->get_name());
      }
      std::string expected = absl::StrJoin(names, ", ");
      if (auto comma = expected.rfind(", "); comma != std::string::npos) {
        expected.replace(comma, 2, " or ");
      }
      err << "memstats: error: unknown subcommand '" << rest.front()
          << "' (expected " << expected << ")\n"
          << "Run 'memstats --help' for usage.\n";
      return kExitBadInput;
    }
    err << "memstats: error: " << e.what() << "\n"
        << "Run 'memstats --help' for usage.\n";
    return kExitBadInput;
  } catch (const UsageError& e) {
    // From a subcommand's own checks, run by CLI11 after parsing.
    PrintUsageError(e, err);
    return kExitBadInput;
  }
  try {
    RefuseIgnoredOptions(*app_, app_->get_subcommands().front()->get_name());
    (void)CheckGlobalOptions(global_);
  } catch (const UsageError& e) {
    PrintUsageError(e, err);
    return kExitBadInput;
  }
  return std::nullopt;
}

int CommandLine::Run() {
  try {
    return run_();
  } catch (const UsageError& e) {
    PrintUsageError(e, std::cerr);
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "memstats: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace memstats::cli
