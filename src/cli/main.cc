// memstats: how much memory a process, or a group of processes, really
// costs. main only parses the command line and maps errors to exit codes;
// each subcommand lives in its own file.
#include <exception>
#include <iostream>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "cli/common.h"

namespace memstats::cli {
namespace {

int Main(int argc, char** argv) {
  CLI::App app{
      "memstats: true memory of processes and groups of processes, from the "
      "kernel's page tables (RSS of distinct pages, USS, PSS)",
      "memstats"};
  app.set_version_flag("--version", "memstats " MEMSTATS_VERSION);
  app.require_subcommand(1);
  GlobalOptions global;
  AddGlobalOptions(app, global);
  RunFn run;
  RegisterGroupsCommand(app, global, run);
  RegisterSingleCommand(app, global, run);
  RegisterSnapshotCommand(app, global, run);
  RegisterTopCommand(app, global, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    // CLI11 reports a missing subcommand before an unknown word; name the
    // word, which is what the user typed wrong.
    std::vector<std::string> rest = app.remaining();
    if (app.get_subcommands().empty() && !rest.empty() &&
        rest.front().rfind('-', 0) != 0) {
      std::cerr << "memstats: error: unknown subcommand '" << rest.front()
                << "' (expected groups, single, top or snapshot)\n"
                << "Run 'memstats --help' for usage.\n";
      return kExitBadInput;
    }
    std::cerr << "memstats: error: " << e.what() << "\n"
              << "Run 'memstats --help' for usage.\n";
    return kExitBadInput;
  }
  try {
    return run();
  } catch (const UsageError& e) {
    std::cerr << "memstats: error: " << e.what();
    std::string_view what = e.what();
    if (what.empty() || what.back() != '\n') std::cerr << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "memstats: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace
}  // namespace memstats::cli

// Nothing escapes main: an exception from setting up the command line (a
// programming error, or std::bad_alloc) is reported like any other failure.
int main(int argc, char** argv) {
  try {
    return memstats::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "memstats: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "memstats: internal error\n";
  }
  return memstats::cli::kExitFailure;
}
