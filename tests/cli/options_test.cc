// Global options at their limits, run as the binary on the fixture trees:
// --threads above what memstats uses, --mem-limit beyond 64 bits of bytes,
// global options a command would ignore, and pids named to be reported
// that no process has.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/run_memstats.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tbb/info.h"

namespace memstats::testing {
namespace {

constexpr char kProfile[] = MEMSTATS_FIXTURES_DIR "/profile";

// What memstats uses at most: 4 threads per core it may run on.
int MaxThreads() { return 4 * tbb::info::default_concurrency(); }

std::string ThreadsWarning(const std::string& asked) {
  return absl::StrFormat(
      "memstats: warning: --threads %s: using %d (at most 4 per core, %d "
      "cores)\n",
      asked, MaxThreads(), tbb::info::default_concurrency());
}

constexpr const char* kHugeThreads[] = {"70000", "100000", "2147483647",
                                        "99999999999"};

// groups and single: the warning once, and the scan line and JSON report
// the threads used. No "TBB Warning" ever reaches stderr.
TEST(ThreadsTest, HugeValuesAreBoundedForGroupsAndSingle) {
  for (const char* n : kHugeThreads) {
    for (const char* command : {"groups", "single"}) {
      SCOPED_TRACE(absl::StrCat(command, " --threads ", n));
      RunResult text = RunMemstats(
          {"--procfs-root", kFixture, "--threads", n, command});
      EXPECT_EQ(text.exit_code, 0) << text.Describe();
      EXPECT_EQ(text.err, ThreadsWarning(n));
      EXPECT_NE(text.out.find(absl::StrCat(" s with ", MaxThreads(),
                                           " threads\n")),
                std::string::npos)
          << text.out;

      RunResult json = RunMemstats(
          {"--procfs-root", kFixture, "--threads", n, "--json", command});
      EXPECT_EQ(json.exit_code, 0) << json.Describe();
      EXPECT_EQ(json.err, ThreadsWarning(n));
      EXPECT_EQ(nlohmann::json::parse(json.out)["scan"]["threads"],
                MaxThreads());
    }
  }
}

TEST(ThreadsTest, HugeValuesAreBoundedForTopAndSnapshot) {
  for (const char* n : kHugeThreads) {
    SCOPED_TRACE(absl::StrCat("--threads ", n));
    RunResult top = RunMemstats(
        {"--procfs-root", kProfile, "--threads", n, "--json", "top"});
    EXPECT_EQ(top.exit_code, 0) << top.Describe();
    EXPECT_EQ(top.err, ThreadsWarning(n));
    EXPECT_EQ(nlohmann::json::parse(top.out)["groups"].size(), 4u) << top.out;

    RunResult snap = RunMemstats(
        {"--procfs-root", kProfile, "--threads", n, "--json", "snapshot"});
    EXPECT_EQ(snap.exit_code, 0) << snap.Describe();
    EXPECT_EQ(snap.err, ThreadsWarning(n));
    EXPECT_EQ(nlohmann::json::parse(snap.out)["scan"]["threads"],
              MaxThreads());
  }
}

// At the bound, and above the cores but within it: used as given, no
// warning from memstats and none from oneTBB.
TEST(ThreadsTest, WithinTheBoundIsUsedAsGiven) {
  for (int n : {MaxThreads(), tbb::info::default_concurrency() + 1}) {
    RunResult r = RunMemstats({"--procfs-root", kFixture, "--threads",
                               std::to_string(n), "--json", "single"});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(nlohmann::json::parse(r.out)["scan"]["threads"], n);
  }
}

void ExpectBadInput(const std::vector<std::string>& args,
                    const std::string& err) {
  RunResult r = RunMemstats(args);
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, err);
}

TEST(ThreadsTest, NotAPositiveNumber) {
  ExpectBadInput({"--procfs-root", kFixture, "--threads", "-3", "single"},
                 "memstats: error: --threads: must be at least 1, got -3\n");
  ExpectBadInput({"--procfs-root", kFixture, "--threads", "many", "single"},
                 "memstats: error: --threads: expected a number of threads, "
                 "got 'many'\n");
  ExpectBadInput({"--procfs-root", kFixture, "--threads", "", "single"},
                 "memstats: error: --threads: expected a number of threads, "
                 "got ''\n");
}

TEST(MemLimitOptionTest, ValuesBeyondTheMaximumAreRefused) {
  for (const char* mib : {"17592186044416", "18446744073709551615",
                          "99999999999999999999", "1099511627777", "-1",
                          "0", "1.5"}) {
    for (const char* command : {"single", "top"}) {
      ExpectBadInput({"--procfs-root", kFixture, "--mem-limit", mib, command},
                     absl::StrCat("memstats: error: --mem-limit: expected MiB "
                                  "from 1 to 1099511627776 (2^40 MiB), got '",
                                  mib, "'\n"));
    }
  }
}

TEST(MemLimitOptionTest, TheMaximumIsAccepted) {
  RunResult r = RunMemstats({"--procfs-root", kFixture, "--threads", "1",
                             "--mem-limit", "1099511627776", "--json",
                             "single"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.err, "");
}

// Before or after the subcommand, alone or with other options.
TEST(IgnoredOptionsTest, RefusedWhereTheyWouldDoNothing) {
  const std::string top_list =
      "memstats: error: --list-processes does nothing for top: top shows "
      "groups; -g pid shows one row per process\n";
  const std::string snap_list =
      "memstats: error: --list-processes does nothing for snapshot: "
      "snapshot always shows each matched process\n";
  ExpectBadInput({"--procfs-root", kProfile, "--list-processes", "top"},
                 top_list);
  ExpectBadInput({"--procfs-root", kProfile, "top", "-g", "pid",
                  "--list-processes"},
                 top_list);
  ExpectBadInput({"--procfs-root", kProfile, "--list-processes", "snapshot"},
                 snap_list);
  ExpectBadInput({"--procfs-root", kProfile, "--json", "snapshot", "-p", "100",
                  "--list-processes"},
                 snap_list);
  for (const char* command : {"top", "snapshot"}) {
    ExpectBadInput({"--procfs-root", kProfile, "--ksm", command},
                   absl::StrCat("memstats: error: --ksm does nothing for ",
                                command,
                                ": the KSM column is in the groups and "
                                "single tables\n"));
  }
}

TEST(IgnoredOptionsTest, GroupsAndSingleTakeThem) {
  for (const char* command : {"groups", "single"}) {
    RunResult r = RunMemstats({"--procfs-root", kFixture, "--threads", "1",
                               "--list-processes", "--ksm", command});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_EQ(r.err, "");
    EXPECT_NE(r.out.find("KSM"), std::string::npos) << r.out;
  }
}

// Pids named to be reported: one no process has is bad input, nothing on
// stdout. (The filter's pid(), ppid() and descendants() are predicates and
// match nothing instead.)
TEST(NamedPidsTest, APidThatDoesNotExistIsBadInput) {
  ExpectBadInput({"--procfs-root", kFixture, "--threads", "1", "groups",
                  "--split-pids", "200,999"},
                 "memstats: error: --split-pids: no process with pid 999\n");
  ExpectBadInput({"--procfs-root", kFixture, "--threads", "1", "groups",
                  "--split-uid", "--split-pids", "200", "--split-pids", "7"},
                 "memstats: error: --split-pids: no process with pid 7\n");
  ExpectBadInput({"--procfs-root", kProfile, "--threads", "1", "top", "bash",
                  "999"},
                 "memstats: error: top: no process with pid 999\n");
  ExpectBadInput({"--procfs-root", kProfile, "--threads", "1", "top", "-l",
                  "0.01", "--rounds", "2", "12345"},
                 "memstats: error: top: no process with pid 12345\n");
}

TEST(NamedPidsTest, FilterFunctionsStayPredicates) {
  RunResult r = RunMemstats({"--procfs-root", kFixture, "--threads", "1",
                             "--filter", "or(pid(999),descendants(999))",
                             "--json", "single"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(nlohmann::json::parse(r.out)["scan"]["processes_scanned"], 0);
}

}  // namespace
}  // namespace memstats::testing
