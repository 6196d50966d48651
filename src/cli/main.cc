// memstats: how much memory a process, or a group of processes, really
// costs. main only parses the command line and maps errors to exit codes;
// each subcommand lives in its own file.
#include <exception>
#include <iostream>

#include "cli/command_line.h"

// Nothing escapes main: an exception from setting up the command line (a
// programming error, or std::bad_alloc) is reported like any other failure.
int main(int argc, char** argv) {
  try {
    memstats::cli::CommandLine command_line;
    if (auto code = command_line.Parse(argc, argv, std::cout, std::cerr)) {
      return *code;
    }
    return command_line.Run();
  } catch (const std::exception& e) {
    std::cerr << "memstats: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "memstats: internal error\n";
  }
  return memstats::cli::kExitFailure;
}
