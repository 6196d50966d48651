// memstats on bad input: exit code 2, nothing on stdout, one clear message on
// stderr. Also --mem-limit below memstats's own size (exit 3) and --help.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "cli/run_memstats.h"
#include "gtest/gtest.h"

namespace memstats::testing {
namespace {

constexpr int kExitBadInput = 2;
constexpr int kExitMemLimit = 3;

// The whole of stderr must equal `err`.
void ExpectBadInput(const std::vector<std::string>& args,
                    const std::string& err) {
  RunResult r = RunOnFixture(args);
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, err);
}

constexpr char kUsageHint[] = "Run 'memstats --help' for usage.\n";
constexpr char kFunctions[] =
    "one of: and, or, not, true, false, uid, user, pid, ppid, comm, exe, "
    "descendants, env_k, env_kv, cmdline, cgroup";

TEST(BadInput, UnknownOption) {
  ExpectBadInput({"--bogus", "single"},
                 std::string("memstats: error: The following argument was not "
                             "expected: --bogus\n") +
                     kUsageHint);
}

TEST(BadInput, UnknownSubcommandOption) {
  ExpectBadInput({"groups", "--split-bogus"},
                 std::string("memstats: error: The following argument was not "
                             "expected: --split-bogus\n") +
                     kUsageHint);
}

TEST(BadInput, UnknownSubcommand) {
  ExpectBadInput({"frob"},
                 std::string("memstats: error: unknown subcommand 'frob' "
                             "(expected groups, single, snapshot, top, "
                             "watch, run, peak, record, plot, system, map, "
                             "procinfo, shm, serve or capture)\n") +
                     kUsageHint);
}

TEST(BadInput, NoSubcommand) {
  ExpectBadInput({}, std::string("memstats: error: A subcommand is "
                                 "required\n") +
                         kUsageHint);
}

// RunOnFixture passes --threads 1 already; CLI11 refuses a second one.
TEST(BadInput, ThreadsZero) {
  RunResult r = RunMemstats({"--procfs-root", kFixture, "--threads", "0",
                             "single"});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "memstats: error: --threads: must be at least 1, got 0\n");
}

TEST(BadInput, ThreadsTwice) {
  ExpectBadInput({"--threads", "2", "single"},
                 std::string("memstats: error: --threads: At Most 1 required "
                             "but received 2\n") +
                     kUsageHint);
}

TEST(BadInput, MemLimitZero) {
  ExpectBadInput({"--mem-limit", "0", "single"},
                 "memstats: error: --mem-limit: expected MiB from 1 to "
                 "1099511627776 (2^40 MiB), got '0'\n");
}

TEST(BadInput, UnknownUnit) {
  ExpectBadInput({"--units", "foo", "single"},
                 "memstats: error: --units: expected B, KiB, MiB, GiB or "
                 "auto, got 'foo'\n");
}

TEST(BadInput, ProcfsRootIsAFile) {
  const std::string file = std::string(kFixture) + "/meminfo";
  RunResult r = RunMemstats({"--procfs-root", file, "single"});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "memstats: error: --procfs-root: '" + file +
                       "' is not a directory\n");
}

TEST(BadInput, ProcfsRootMissing) {
  const std::string missing = std::string(kFixture) + "/no-such-dir";
  RunResult r = RunMemstats({"--procfs-root", missing, "single"});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "memstats: error: --procfs-root: '" + missing +
                       "' is not a directory\n");
}

TEST(BadInput, ProcfsRootWithoutProcesses) {
  char tmpl[] = "/tmp/memstats_cli_test_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  RunResult r = RunMemstats({"--procfs-root", dir, "single"});
  ::rmdir(dir.c_str());
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "memstats: error: --procfs-root: '" + dir +
                       "' holds no process directories\n");
}

TEST(BadInput, SplitPidsNotANumber) {
  ExpectBadInput({"groups", "--split-pids", "12,abc"},
                 "memstats: error: --split-pids: 'abc' is not a process id "
                 "(expected a comma-separated list of positive numbers)\n");
}

TEST(BadInput, SplitEnvNotAName) {
  ExpectBadInput({"groups", "--split-env", "A=B"},
                 "memstats: error: --split-env: 'A=B' is not a variable "
                 "name\n");
}

// Filter errors: message, the expression, a caret under the column where
// parsing failed, and what was expected there.
TEST(BadInput, FilterUnbalancedParen) {
  ExpectBadInput({"--filter", "and(uid(0)", "single"},
                 "memstats: error: invalid filter: unbalanced parenthesis: "
                 "missing ')'\n"
                 "  and(uid(0)\n"
                 "            ^\n"
                 "  expected ',' or ')'\n");
}

TEST(BadInput, FilterExtraParen) {
  ExpectBadInput({"--filter", "uid(0))", "single"},
                 "memstats: error: invalid filter: unbalanced parenthesis: "
                 "extra ')'\n"
                 "  uid(0))\n"
                 "        ^\n"
                 "  expected end of input\n");
}

TEST(BadInput, FilterUnknownFunction) {
  // 'foo' starts at column 12 (0-based): the caret sits under its 'f'.
  ExpectBadInput({"--filter", "and(uid(0), foo(1))", "single"},
                 std::string("memstats: error: invalid filter: unknown "
                             "function 'foo'\n"
                             "  and(uid(0), foo(1))\n"
                             "              ^\n"
                             "  expected ") +
                     kFunctions + "\n");
}

TEST(BadInput, FilterMissingArgument) {
  ExpectBadInput({"--filter", "uid()", "single"},
                 "memstats: error: invalid filter: missing argument: uid() "
                 "takes 1 argument\n"
                 "  uid()\n"
                 "      ^\n"
                 "  expected a number\n");
}

TEST(BadInput, FilterTrailingCharacters) {
  ExpectBadInput({"--filter", "uid(0) x", "single"},
                 "memstats: error: invalid filter: trailing characters after "
                 "filter\n"
                 "  uid(0) x\n"
                 "         ^\n"
                 "  expected end of input\n");
}

TEST(BadInput, FilterUidNotANumber) {
  ExpectBadInput({"--filter", "uid(abc)", "single"},
                 "memstats: error: invalid filter: expected a number, got "
                 "word 'abc'\n"
                 "  uid(abc)\n"
                 "      ^\n"
                 "  expected a number\n");
}

TEST(BadInput, FilterUnknownUser) {
  ExpectBadInput({"--filter", "user(no_such_user_memstats)", "single"},
                 "memstats: error: invalid filter: unknown user "
                 "'no_such_user_memstats'\n"
                 "  user(no_such_user_memstats)\n"
                 "       ^\n");
}

TEST(BadInput, FilterEmpty) {
  ExpectBadInput({"--filter", "   ", "single"},
                 std::string("memstats: error: invalid filter: empty "
                             "filter\n"
                             "     \n"
                             "     ^\n"
                             "  expected a filter, ") +
                     kFunctions + "\n");
}

// Column numbers in --split-custom count from the start of the whole list.
TEST(BadInput, SplitCustomBadFilter) {
  ExpectBadInput({"groups", "--split-custom", "uid(0),bad(1)"},
                 std::string("memstats: error: --split-custom: invalid "
                             "filter: unknown function 'bad'\n"
                             "  uid(0),bad(1)\n"
                             "         ^\n"
                             "  expected ") +
                     kFunctions + "\n");
}

// memstats's own resident size is well above 1 MiB when it starts, so the
// limit is reached before anything is read; nothing reaches stdout.
TEST(MemLimit, BelowOwnSizeExits3) {
  RunResult r = RunOnFixture({"--mem-limit", "1", "groups", "--split-uid"});
  EXPECT_EQ(r.exit_code, kExitMemLimit);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(std::regex_match(
      r.err, std::regex("memstats: error: --mem-limit 1 MiB is below "
                        "memstats's own [0-9]+ MiB at start\n")))
      << r.err;
}

// A limit well above what the fixture needs changes nothing.
TEST(MemLimit, AmpleLimitRuns) {
  RunResult r = RunOnFixture({"--mem-limit", "1024", "--json", "single"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("\"rss\": 667648"), std::string::npos) << r.out;
}

TEST(Help, ExitsZeroWithUsage) {
  RunResult r = RunMemstats({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  for (const char* word : {"groups", "single", "--procfs-root", "--filter",
                           "--threads", "--mem-limit", "--json", "--units",
                           "--list-processes"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word << "\n" << r.out;
  }
}

TEST(Help, SubcommandHelp) {
  RunResult r = RunMemstats({"groups", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  for (const char* word : {"--split-uid", "--split-env", "--split-comm",
                           "--split-pids", "--split-custom"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word << "\n" << r.out;
  }
}

}  // namespace
}  // namespace memstats::testing
