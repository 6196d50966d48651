// Fuzzes the command line: cli::CommandLine::Parse, which runs CLI11 and
// every check that reads nothing (numbers, sizes, durations, percentages,
// pid lists, masks, options a command ignores), but never runs a command.
//
// Input: the first byte picks the subcommand (bits 0-1: groups, single,
// top, snapshot) and where it goes (bit 2: after the first argument rather
// than first, so that global options come before it too); the rest,
// split on NUL bytes, are the arguments. Parse must return 0 (help,
// version) with nothing on stderr, 2 with one "memstats: error: " message,
// or nothing with the global options checked within their bounds.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command_line.h"
#include "cli/common.h"

namespace memstats::fuzz {
namespace {

[[noreturn]] void Fail(const char* what, const std::vector<std::string>& args,
                       const std::string& detail) {
  std::fprintf(stderr, "%s\n  argv:", what);
  for (const std::string& a : args) std::fprintf(stderr, " '%s'", a.c_str());
  std::fprintf(stderr, "\n  %s\n", detail.c_str());
  std::abort();
}

std::vector<std::string> Args(const uint8_t* data, size_t size) {
  static constexpr const char* kCommands[] = {"groups", "single", "top",
                                              "snapshot"};
  std::vector<std::string> args = {"memstats"};
  if (size == 0) return args;
  const uint8_t pick = data[0];
  std::vector<std::string> rest;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  while (!text.empty()) {
    size_t nul = text.find('\0');
    rest.emplace_back(text.substr(0, nul));
    if (nul == std::string_view::npos) break;
    text.remove_prefix(nul + 1);
  }
  size_t at = (pick & 4) && !rest.empty() ? 1 : 0;
  rest.insert(rest.begin() + static_cast<std::ptrdiff_t>(at),
              kCommands[pick & 3]);
  args.insert(args.end(), rest.begin(), rest.end());
  return args;
}

void Check(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  cli::CommandLine command_line;
  std::optional<int> code = command_line.Parse(
      static_cast<int>(argv.size()), argv.data(), out, err);
  if (!code) {
    if (!err.str().empty()) Fail("parsed, with a message", args, err.str());
    const cli::CheckedGlobals c =
        cli::CheckGlobalOptions(command_line.global());
    if (c.threads < 1 || c.threads > cli::kMaxThreadsPerCore * cli::Cores()) {
      Fail("threads out of bounds", args, std::to_string(c.threads));
    }
    if (c.mem_limit_bytes && (*c.mem_limit_bytes == 0 ||
                              *c.mem_limit_bytes >> 20 > cli::kMaxMemLimitMib)) {
      Fail("mem limit out of bounds", args,
           std::to_string(*c.mem_limit_bytes));
    }
    return;
  }
  if (*code == cli::kExitOk) {
    if (!err.str().empty()) Fail("exit 0 with a message", args, err.str());
    return;
  }
  if (*code != cli::kExitBadInput) {
    Fail("unexpected exit code", args, std::to_string(*code));
  }
  if (err.str().rfind("memstats: error: ", 0) != 0 || !out.str().empty()) {
    Fail("bad input without its message, or with output", args,
         err.str() + "|" + out.str());
  }
}

}  // namespace
}  // namespace memstats::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  memstats::fuzz::Check(memstats::fuzz::Args(data, size));
  return 0;
}
