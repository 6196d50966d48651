// memstats top, the binary, on tests/fixtures/profile: whole golden texts
// (numbers derived in make_profile_fixtures.py's docstring and, per column,
// in tests/profile/top_table_test.cc), JSON, TSV, selectors, loop mode, and
// bad input (exit 2, nothing on stdout, one message).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "cli/run_memstats.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace memstats::testing {
namespace {

constexpr char kProfile[] = MEMSTATS_FIXTURES_DIR "/profile";

RunResult RunOnProfile(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--procfs-root", kProfile, "--threads", "1"};
  all.insert(all.end(), args.begin(), args.end());
  RunResult r = RunMemstats(all);
  // Every environ of the fixture holds API_TOKEN=s3cret-token; no output
  // may show it.
  EXPECT_EQ(r.out.find("s3cret"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("s3cret"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("API_TOKEN"), std::string::npos) << r.out;
  return r;
}

// The wall clock at the start of each line ("17:43:18") -> "HH:MM:SS".
std::string MaskClock(const std::string& text) {
  static const std::regex kClock("(^|\n)[0-9]{2}:[0-9]{2}:[0-9]{2}");
  return std::regex_replace(text, kClock, "$1HH:MM:SS");
}

TEST(TopCliTest, DefaultGroupsByExeKey) {
  RunResult r = RunOnProfile({"top"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.err, "");
  // python3->backup.py is pid 100 (a script); python3 is pid 400 (-c);
  // nginx is 200 + 201. meminfo: MemTotal 16384000 kB = 15.6G,
  // MemAvailable 12000000 kB = 11.4G, Dirty 2048 kB. Kernel thread 2 is
  // not counted among the 5.
  EXPECT_EQ(
      MaskClock(r.out),
      R"(HH:MM:SS  MemTotal 15.6G  MemAvailable 11.4G  Dirty 2.0M  5 of 5 processes
exe                   pswap  shSYSV   shOth   stack  text   data     anon  ptotal  procs
python3->backup.py  1000.0K    2.0M  512.0K  172.0K  2.0M   5.1M    19.6M   29.4M      1
nginx                    0B      0B    2.5M  264.0K  2.2M   5.0M  1000.0K   11.0M      2
python3                  0B      0B      0B  132.0K  2.0M   1.0M       0B    3.2M      1
bash                  48.0K      0B      0B  124.0K  1.4M   1.2M       0B    2.8M      1
----------------------------------------------------------------------------------------
TOTAL                  1.0M    2.0M    3.0M  692.0K  7.7M  12.4M    20.5M   46.3M      5
)");
}

TEST(TopCliTest, TopPctFoldsTheSmallestGroupsInKiB) {
  RunResult r = RunOnProfile({"top", "-t", "90", "-u", "KiB"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // 90% of 47438 is 42694.2: 30106, then 30106 + 11216 = 41322 are below
  // it, so python3 (3270) is kept too; bash (2846) folds.
  EXPECT_EQ(
      MaskClock(r.out),
      R"(HH:MM:SS  MemTotal 16384000 KiB  MemAvailable 12000000 KiB  Dirty 2048 KiB  5 of 5 processes
exe                 pswap  shSYSV  shOth  stack  text   data   anon  ptotal  procs
python3->backup.py   1000    2048    512    172  2074   5264  20036   30106      1
nginx                   0       0   2560    264  2248   5144   1000   11216      2
python3                 0       0      0    132  2074   1064      0    3270      1
others (1 group)       48       0      0    124  1466   1256      0    2846      1
----------------------------------------------------------------------------------
TOTAL                1048    2048   3072    692  7862  12728  21036   47438      5
)");
}

TEST(TopCliTest, ByPidWithSelectors) {
  RunResult r = RunOnProfile({"top", "-g", "pid", "-u", "KiB", "nginx", "400"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(
      MaskClock(r.out),
      R"(HH:MM:SS  MemTotal 16384000 KiB  MemAvailable 12000000 KiB  Dirty 2048 KiB  3 of 5 processes
command  pswap  shSYSV  shOth  stack  text  data  anon  ptotal  pid
nginx        0       0   1280    132  1122  3072  1000    6606  201
nginx        0       0   1280    132  1126  2072     0    4610  200
python3      0       0      0    132  2074  1064     0    3270  400
-------------------------------------------------------------------
TOTAL        0       0   2560    396  4322  6208  1000   14486    3
)");
}

TEST(TopCliTest, GlobalFilterAndColumnsWithHugetlb) {
  RunResult r = RunOnProfile({"--filter", "uid(0)", "top", "-g", "cgroup",
                              "--columns", "ptotal,pss,hugetlb,count"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // uid 0: 200, 300, 400. bash's 4096 kB of hugetlb are apart from Pss.
  EXPECT_EQ(
      MaskClock(r.out),
      R"(HH:MM:SS  MemTotal 15.6G  MemAvailable 11.4G  Dirty 2.0M  3 of 5 processes
cgroup                                    ptotal    pss  hugetlb  procs
/system.slice/nginx.service                 4.5M   4.5M       0B      1
/system.slice/cron.service                  3.2M   3.2M       0B      1
/user.slice/user-0.slice/session-1.scope    2.8M   2.8M     4.0M      1
-----------------------------------------------------------------------
TOTAL                                      10.5M  10.5M     4.0M      3
)");
}

TEST(TopCliTest, TsvOfCutCommandLinesSortedByName) {
  RunResult r =
      RunOnProfile({"top", "-g", "cmd", "-L", "24", "--sort", "name", "--tsv",
                    "--columns", "text,data,ptotal,pss,count"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(MaskClock(r.out),
            "time\tcmd\ttext\tdata\tptotal\tpss\tprocs\n"
            "HH:MM:SS\t-bash\t1501184\t1286144\t2914304\t2914304\t1\n"
            "HH:MM:SS\t/usr/bin/python3 -c impo\t2123776\t1089536\t3348480\t"
            "3348480\t1\n"
            "HH:MM:SS\tnginx: master process /u\t1153024\t2121728\t4720640\t"
            "4720640\t1\n"
            "HH:MM:SS\tnginx: worker process\t1148928\t3145728\t6764544\t"
            "6764544\t1\n"
            "HH:MM:SS\tpython3 /opt/app/backup.\t2123776\t5390336\t30828544\t"
            "30828544\t1\n"
            "HH:MM:SS\tTOTAL\t8050688\t13033472\t48576512\t48576512\t5\n");
}

TEST(TopCliTest, JsonInBytes) {
  RunResult r = RunOnProfile({"--json", "top", "-g", "uid"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["command"], "top");
  EXPECT_EQ(j["round"], 1);
  EXPECT_EQ(j["group_by"], "uid");
  EXPECT_EQ(j["meminfo"]["MemTotal"], uint64_t{16384000} * 1024);
  EXPECT_EQ(j["processes"]["contributing"], 5);
  EXPECT_EQ(j["processes"]["existing"], 5);
  ASSERT_EQ(j["groups"].size(), 3u);
  // uid 0 = 200 + 300 + 400: Pss 4610 + 2846 + 3270 = 10726 kB; SwapPss 48;
  // hugetlb 4096; text 1126 + 1466 + 2074 = 4666.
  const auto& root = j["groups"][1];
  EXPECT_EQ(root["key"], "0");
  EXPECT_EQ(root["processes"], 3);
  EXPECT_EQ(root["ptotal"], 10726 * 1024);
  // smaps_rollup is read only for the pss column (or -k).
  EXPECT_EQ(root["pss"], nullptr);
  EXPECT_EQ(root["pswap"], 48 * 1024);
  EXPECT_EQ(root["hugetlb"], 4096 * 1024);
  EXPECT_EQ(root["text"], 4666 * 1024);
  EXPECT_EQ(root["change"], nullptr);
  EXPECT_EQ(j["total"]["ptotal"], 47438 * 1024);
  EXPECT_EQ(j["total"]["pswap"], 1048 * 1024);
  EXPECT_EQ(j["others"], nullptr);

  RunResult with_pss =
      RunOnProfile({"--json", "top", "-g", "uid", "--columns", "ptotal,pss"});
  ASSERT_EQ(with_pss.exit_code, 0) << with_pss.Describe();
  auto k = nlohmann::json::parse(with_pss.out);
  EXPECT_EQ(k["groups"][1]["pss"], 10726 * 1024);
  EXPECT_EQ(k["total"]["pss"], 47438 * 1024);
}

// top (without the pss column) and snapshot need one walk of each
// process's page tables: the sum of its smaps stands for smaps_rollup. On
// a copy of the fixture without any smaps_rollup (a read of it would fail
// and count the process vanished), both print what they print on the
// fixture itself.
TEST(TopCliTest, TopAndSnapshotReadNoSmapsRollup) {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/memstats_no_rollup.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path copy = fs::path(tmpl) / "profile";
  fs::copy(kProfile, copy,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  int removed = 0;
  for (const auto& e : fs::recursive_directory_iterator(copy)) {
    if (e.path().filename() == "smaps_rollup") {
      fs::remove(e.path());
      ++removed;
    }
  }
  EXPECT_EQ(removed, 6);  // the five processes' and kernel thread 2's
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"top", "-g", "pid"}, {"--json", "top"}, {"--json", "snapshot"}}) {
    std::vector<std::string> on_copy = {"--procfs-root", copy.string(),
                                        "--threads", "1"};
    on_copy.insert(on_copy.end(), args.begin(), args.end());
    RunResult a = RunOnProfile(args);
    RunResult b = RunMemstats(on_copy);
    ASSERT_EQ(b.exit_code, 0) << b.Describe();
    EXPECT_EQ(b.err, "");
    auto masked = [](const std::string& out) {
      // The clock (text and JSON: the two runs may straddle a second), and
      // snapshot's scan time.
      static const std::regex kSeconds("\"seconds\": *[0-9.e-]+");
      static const std::regex kTime("\"time\": *\"[^\"]*\"");
      std::string text =
          std::regex_replace(MaskClock(out), kSeconds, "\"seconds\": 0");
      return std::regex_replace(text, kTime, "\"time\": \"\"");
    };
    EXPECT_EQ(masked(b.out), masked(a.out)) << args.back();
  }
  fs::remove_all(tmpl);
}

// Scanning on two threads changes nothing but the time of the round (the
// TSan run checks the parallel scan here). Nothing on stderr: memstats
// raises oneTBB's limit when there are fewer cores than threads, so oneTBB
// does not warn.
TEST(TopCliTest, TwoScanThreadsGiveTheSameRound) {
  RunResult one = RunOnProfile({"--json", "top", "-g", "pid"});
  RunResult r = RunMemstats({"--procfs-root", kProfile, "--threads", "2",
                             "--json", "top", "-g", "pid"});
  ASSERT_EQ(one.exit_code, 0) << one.Describe();
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.err, "");
  auto a = nlohmann::json::parse(one.out);
  auto b = nlohmann::json::parse(r.out);
  ASSERT_EQ(b["groups"].size(), 5u) << r.out;
  a.erase("time");
  b.erase("time");
  EXPECT_EQ(a, b);
}

TEST(TopCliTest, LoopRoundTwoShowsOnlyChangedGroups) {
  // The fixture does not change: with -k -1 round 2 reads only rollups and
  // shows no group.
  RunResult r = RunOnProfile({"top", "-g", "uid", "-l", "0.01", "--rounds", "2",
                              "-k", "-1", "--columns", "pss,count"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(
      MaskClock(r.out),
      R"(HH:MM:SS  MemTotal 15.6G  MemAvailable 11.4G  Dirty 2.0M  5 of 5 processes
uid      pss  procs  change
65534  29.4M      1
0      10.5M      3
33      6.5M      1
---------------------------
TOTAL  46.3M      5

HH:MM:SS  MemTotal 15.6G  MemAvailable 11.4G  Dirty 2.0M  5 of 5 processes
uid    pss  procs  change
-------------------------
TOTAL   0B      0
)");
}

TEST(TopCliTest, JsonLinesInLoopMode) {
  RunResult r =
      RunOnProfile({"--json", "top", "-l", "0.01", "--rounds", "3", "-k", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::vector<nlohmann::json> docs;
  size_t start = 0;
  for (size_t nl; (nl = r.out.find('\n', start)) != std::string::npos;
       start = nl + 1) {
    docs.push_back(nlohmann::json::parse(r.out.substr(start, nl - start)));
  }
  EXPECT_EQ(start, r.out.size());
  ASSERT_EQ(docs.size(), 3u);
  // -k 0: every group every round, each with a change of 0 after round 1.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(docs[i]["round"], i + 1);
    ASSERT_EQ(docs[i]["groups"].size(), 4u);
    EXPECT_EQ(docs[i]["total"]["ptotal"], 47438 * 1024);
  }
  EXPECT_EQ(docs[0]["groups"][0]["change"], nullptr);
  EXPECT_EQ(docs[2]["groups"][0]["change"], 0);
}

// SIGINT in loop mode: exit 0 after a whole round; every round printed is
// whole (round 1 with every group, later rounds with none: nothing changes).
TEST(TopCliTest, SigintEndsTheLoopAfterAWholeRound) {
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  pid_t pid = Spawn(
      {MemstatsBinary(), "--procfs-root", kProfile, "--threads", "1", "top",
       "-g", "uid", "-l", "0.05", "-k", "-1", "--columns", "pss,count"},
      std::nullopt, -1, out[1], -1);
  close(out[1]);
  ASSERT_GT(pid, 0);
  std::string text;
  bool signalled = false;
  pollfd pfd = {out[0], POLLIN, 0};
  // A memstats that never stops prints rounds forever: give up after 60 s
  // (WaitOrKill below then fails the test).
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline &&
         poll(&pfd, 1, 30000) > 0) {
    char buf[4096];
    ssize_t got = read(out[0], buf, sizeof buf);
    if (got <= 0) break;
    text.append(buf, static_cast<size_t>(got));
    // Signal once round 2 has started printing.
    if (!signalled && text.find("\n\n") != std::string::npos) {
      kill(pid, SIGINT);
      signalled = true;
    }
  }
  close(out[0]);
  EXPECT_TRUE(signalled) << text;
  EXPECT_EQ(WaitOrKill(pid, 10000), 0);
  const std::string first =
      R"(HH:MM:SS  MemTotal 15.6G  MemAvailable 11.4G  Dirty 2.0M  5 of 5 processes
uid      pss  procs  change
65534  29.4M      1
0      10.5M      3
33      6.5M      1
---------------------------
TOTAL  46.3M      5
)";
  const std::string later = R"(
HH:MM:SS  MemTotal 15.6G  MemAvailable 11.4G  Dirty 2.0M  5 of 5 processes
uid    pss  procs  change
-------------------------
TOTAL   0B      0
)";
  std::string masked = MaskClock(text);
  ASSERT_EQ(masked.substr(0, first.size()), first);
  masked.erase(0, first.size());
  ASSERT_FALSE(masked.empty());  // round 2 at least
  while (!masked.empty()) {
    ASSERT_EQ(masked.substr(0, later.size()), later) << masked;
    masked.erase(0, later.size());
  }
}

TEST(TopCliTest, BadInputExitsTwoWithOneMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::string hint = "Run 'memstats --help' for usage.\n";
  const Case cases[] = {
      {{"top", "-g", "bogus"},
       "memstats: error: -g: expected exe, cmd, pid, comm, user, uid or "
       "cgroup, got 'bogus'\n"},
      {{"top", "-u", "MB"},
       "memstats: error: --units: expected B, KiB, MiB, GiB or auto, got "
       "'MB'\n"},
      {{"top", "--columns", "pss,bogus"},
       "memstats: error: --columns: unknown column 'bogus' (expected pswap, "
       "shSYSV, shOth, stack, text, data, anon, hugetlb, ptotal, pss, "
       "count)\n"},
      {{"top", "--sort", "size"},
       "memstats: error: --sort: unknown column 'size' (expected name, "
       "pswap, shSYSV, shOth, stack, text, data, anon, hugetlb, ptotal, pss, "
       "count)\n"},
      {{"top", "-l", "-1"},
       "memstats: error: -l/--loop: expected a positive number of seconds, "
       "got -1\n"},
      {{"top", "-l", "0"},
       "memstats: error: -l/--loop: expected a positive number of seconds, "
       "got 0\n"},
      {{"top", "-k", "100"},
       "memstats: error: -k/--min-change needs -l/--loop\n"},
      {{"top", "-t", "0"},
       "memstats: error: -t/--top-pct: expected a percentage above 0 and at "
       "most 100, got 0\n"},
      {{"top", "-t", "150"},
       "memstats: error: -t/--top-pct: expected a percentage above 0 and at "
       "most 100, got 150\n"},
      {{"top", "-L", "0"},
       "memstats: error: -L/--cmd-length: expected at least 1 character, "
       "got 0\n"},
      {{"top", "-l", "1", "--rounds", "0"},
       "memstats: error: --rounds: expected at least 1, got 0\n"},
      {{"--json", "top", "--tsv"},
       "memstats: error: --json and --tsv exclude each other\n"},
      {{"--filter", "cmdline([)", "top"},
       "memstats: error: invalid filter: invalid regular expression: "
       "Unexpected character within '[...]' in regular expression\n"
       "  cmdline([)\n"
       "          ^\n"},
      {{"top", "-l", "abc"},
       "memstats: error: Could not convert: --loop = abc\n" + hint},
  };
  for (const Case& c : cases) {
    RunResult r = RunOnProfile(c.args);
    std::string joined;
    for (const auto& a : c.args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined;
    EXPECT_EQ(r.out, "") << joined;
    EXPECT_EQ(r.err, c.err) << joined;
  }
}

}  // namespace
}  // namespace memstats::testing
