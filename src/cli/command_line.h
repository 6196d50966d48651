// The memstats command line: parsing (CLI11, then the checks that read
// nothing) apart from running, so that a fuzzer or a test can parse
// without scanning anything.
#ifndef MEMSTATS_CLI_COMMAND_LINE_H_
#define MEMSTATS_CLI_COMMAND_LINE_H_

#include <memory>
#include <optional>
#include <ostream>

#include "cli/commands.h"
#include "cli/common.h"

namespace memstats::cli {

class CommandLine {
 public:
  CommandLine();
  ~CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // Parses argv (argv[0] is the program's name) and checks every option
  // that can be checked without reading /proc or the file system. Returns
  // the exit code when there is nothing to run: 0 after printing --help or
  // --version on `out`, kExitBadInput after printing the error on `err`.
  // Returns nullopt when Run() may be called. Call at most once.
  std::optional<int> Parse(int argc, const char* const* argv,
                           std::ostream& out, std::ostream& err);

  // Runs the chosen subcommand and returns its exit code; bad input found
  // while running (UsageError) is printed on std::cerr, exit code 2.
  // REQUIRES: Parse() returned nullopt.
  int Run();

  const GlobalOptions& global() const { return global_; }

 private:
  std::unique_ptr<CLI::App> app_;  // never null
  GlobalOptions global_;
  RunFn run_;
};

}  // namespace memstats::cli

#endif  // MEMSTATS_CLI_COMMAND_LINE_H_
