// Runs the built memstats binary as a subprocess on the fixture tree and
// captures what a user would see: stdout, stderr and the exit code.
#ifndef MEMSTATS_TESTS_CLI_RUN_MEMSTATS_H_
#define MEMSTATS_TESTS_CLI_RUN_MEMSTATS_H_

#include <regex>
#include <string>
#include <vector>

#include "subprocess.h"

namespace memstats::testing {

inline constexpr char kFixture[] = MEMSTATS_FIXTURES_DIR "/basic";

// Runs memstats with `args` (no argv[0]). Fails the test when the binary
// cannot be started.
inline RunResult RunMemstats(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {MemstatsBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

// Runs memstats on the fixture with one scan thread, then `args`.
inline RunResult RunOnFixture(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--procfs-root", kFixture, "--threads", "1"};
  all.insert(all.end(), args.begin(), args.end());
  return RunMemstats(all);
}

// The only text that changes from run to run: the scan time ("0.00 s").
inline std::string MaskTiming(const std::string& text) {
  static const std::regex kSeconds("[0-9]+\\.[0-9]{2} s with");
  return std::regex_replace(text, kSeconds, "X.XX s with");
}

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_CLI_RUN_MEMSTATS_H_
