// memstats top's rounds (cli/top_loop.h) over a FakeProcSource whose
// processes change between rounds: the injected sleep changes them, so a
// test runs three rounds without sleeping. Checks the -k rules, which
// processes' full smaps each round reads, and the whole printed text.
#include "cli/top_loop.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace memstats::cli {
namespace {

using testing::FakeProcSource;

// Sets pid's smaps to a [heap] of heap_kib and an anonymous mapping of
// anon_kib (both Rss = Pss: memory of its own), its rollup to their sum,
// SwapPss swap_kib.
void SetMemory(FakeProcSource::Process& p, uint64_t heap_kib, uint64_t anon_kib,
               uint64_t swap_kib = 0) {
  auto entry = [](const char* range, const char* path, uint64_t kib,
                  uint64_t swap) {
    return absl::StrFormat(
        "%s rw-p 00000000 00:00 0 %s\nSize:            %8d kB\n"
        "Rss:             %8d kB\nPss:             %8d kB\n"
        "Private_Dirty:   %8d kB\nSwap:            %8d kB\n"
        "SwapPss:         %8d kB\n",
        range, path, 65536, kib, kib, kib, swap, swap);
  };
  p.files["maps"] =
      "00400000-04400000 rw-p 00000000 00:00 0 [heap]\n"
      "7f0000000000-7f0004000000 rw-p 00000000 00:00 0 \n";
  p.files["smaps"] = entry("00400000-04400000", "[heap]", heap_kib, 0) +
                     entry("7f0000000000-7f0004000000", "", anon_kib, swap_kib);
  p.files["smaps_rollup"] = absl::StrFormat(
      "00400000-7f0004000000 ---p 00000000 00:00 0 [rollup]\n"
      "Rss:             %8d kB\nPss:             %8d kB\n"
      "Pss_Anon:        %8d kB\nSwap:            %8d kB\n"
      "SwapPss:         %8d kB\n",
      heap_kib + anon_kib, heap_kib + anon_kib, heap_kib + anon_kib, swap_kib,
      swap_kib);
}

FakeProcSource::Process& AddProc(FakeProcSource& src, int pid,
                                 const std::string& name, uint64_t heap_kib,
                                 uint64_t anon_kib = 0) {
  FakeProcSource::Process& p = src.Add(pid);
  p.files["stat"] = absl::StrCat(pid, " (", name, ") S 1 ", pid, " ", pid,
                                 " 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100");
  p.files["status"] = absl::StrCat("Name:\t", name, "\nPPid:\t1\nUid:\t1000\t",
                                   "1000\t1000\t1000\n");
  p.files["cmdline"] = absl::StrCat(name, std::string(1, '\0'));
  p.files["cgroup"] = "0::/user.slice\n";
  p.exe = "/usr/bin/" + name;
  SetMemory(p, heap_kib, anon_kib);
  return p;
}

// The pids whose full smaps were read, in order, from reads()[from] on.
std::vector<std::string> SmapsReads(const FakeProcSource& src, size_t from) {
  std::vector<std::string> out;
  std::vector<std::string> reads = src.reads();
  for (size_t i = from; i < reads.size(); ++i) {
    if (reads[i].ends_with("/smaps")) out.push_back(reads[i]);
  }
  // The scan runs on 2 threads: which processes were read, in pid order.
  std::sort(out.begin(), out.end());
  return out;
}

// Three processes; the sleep after round n calls changes[n - 1].
class TopLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto src = std::make_unique<FakeProcSource>();
    fake_ = src.get();
    fake_->SetSystemFile("meminfo",
                         "MemTotal: 1048576 kB\nMemAvailable: 524288 kB\n"
                         "Dirty: 4 kB\n");
    AddProc(*fake_, 10, "alpha", 1000);
    AddProc(*fake_, 20, "beta", 500);
    AddProc(*fake_, 30, "gamma", 200);
    ctx_.source = std::move(src);
    ctx_.threads = 2;  // the TSan run checks the parallel scan here
    ctx_.mem_limit_bytes = ~uint64_t{0};
    opts_.columns = {profile::TopColumn::kData, profile::TopColumn::kAnon,
                     profile::TopColumn::kPss, profile::TopColumn::kCount};
    opts_.loop_seconds = 5;
    opts_.rounds = 3;
  }

  // Runs the loop; smaps_reads_[n] are the full smaps reads of round n+1.
  int Run(std::vector<std::function<void()>> changes) {
    TopEnv env;
    env.out = &out_;
    int tick = 0;
    env.clock = [&tick] { return absl::StrFormat("00:00:%02d", ++tick); };
    size_t mark = 0;
    env.sleep = [&, changes](double seconds) {
      EXPECT_EQ(seconds, 5);
      smaps_reads_.push_back(SmapsReads(*fake_, mark));
      mark = fake_->reads().size();
      size_t n = smaps_reads_.size() - 1;
      if (n < changes.size()) changes[n]();
      return true;
    };
    env.stop_requested = [] { return false; };
    int code = RunTop(ctx_, opts_, env);
    smaps_reads_.push_back(SmapsReads(*fake_, mark));
    return code;
  }

  FakeProcSource* fake_ = nullptr;
  Context ctx_;
  TopOptions opts_;
  std::ostringstream out_;
  std::vector<std::vector<std::string>> smaps_reads_;
};

TEST_F(TopLoopTest, PositiveKShowsGroupsThatGrewAndNewOnes) {
  opts_.k_kib = 100;
  int code = Run({
      // Before round 2: alpha +200 KiB (anon), beta +50, gamma -150, and a
      // new process delta of 300.
      [this] {
        SetMemory(fake_->Add(10), 1000, 200);
        SetMemory(fake_->Add(20), 550, 0);
        SetMemory(fake_->Add(30), 50, 0);
        AddProc(*fake_, 40, "delta", 300);
      },
      // Before round 3: beta +60 more (+110 over two rounds, but +60 in
      // this one), delta +100 exactly (the boundary passes).
      [this] {
        SetMemory(fake_->Add(20), 610, 0);
        SetMemory(fake_->Add(40), 400, 0);
      },
  });
  EXPECT_EQ(code, kExitOk);
  // Round 1 reads everyone's smaps; later rounds only the shown groups'.
  ASSERT_EQ(smaps_reads_.size(), 3u);
  EXPECT_EQ(smaps_reads_[0],
            (std::vector<std::string>{"10/smaps", "20/smaps", "30/smaps"}));
  EXPECT_EQ(smaps_reads_[1],
            (std::vector<std::string>{"10/smaps", "40/smaps"}));
  EXPECT_EQ(smaps_reads_[2], (std::vector<std::string>{"40/smaps"}));
  // Round 2: alpha 1000 + 200 = 1200 KiB (+200K), delta 300 (new); TOTAL is
  // the rows shown. Round 3: delta 400 (+100K).
  EXPECT_EQ(
      out_.str(),
      R"(00:00:01  MemTotal 1.0G  MemAvailable 512.0M  Dirty 4.0K  3 of 3 processes
exe       data  anon      pss  procs  change
alpha  1000.0K    0B  1000.0K      1
beta    500.0K    0B   500.0K      1
gamma   200.0K    0B   200.0K      1
--------------------------------------------
TOTAL     1.7M    0B     1.7M      3

00:00:02  MemTotal 1.0G  MemAvailable 512.0M  Dirty 4.0K  4 of 4 processes
exe       data    anon     pss  procs  change
alpha  1000.0K  200.0K    1.2M      1   +200K
delta   300.0K      0B  300.0K      1     new
---------------------------------------------
TOTAL     1.3M  200.0K    1.5M      2   +500K

00:00:03  MemTotal 1.0G  MemAvailable 512.0M  Dirty 4.0K  4 of 4 processes
exe      data  anon     pss  procs  change
delta  400.0K    0B  400.0K      1   +100K
------------------------------------------
TOTAL  400.0K    0B  400.0K      1   +100K
)");
}

TEST_F(TopLoopTest, NegativeKShowsChangesEitherWayAndGoneGroups) {
  opts_.k_kib = -100;
  ctx_.opts.json = true;
  int code = Run({
      // alpha -100 (passes), beta -99 (does not), gamma exits.
      [this] {
        SetMemory(fake_->Add(10), 900, 0);
        SetMemory(fake_->Add(20), 401, 0);
        fake_->Add(30).vanish_after_reads = 0;
      },
      // alpha +150 KiB of it in swap: Pss + SwapPss grew by 150.
      [this] { SetMemory(fake_->Add(10), 900, 0, 150); },
  });
  EXPECT_EQ(code, kExitOk);
  EXPECT_EQ(smaps_reads_[1], (std::vector<std::string>{"10/smaps"}));
  EXPECT_EQ(smaps_reads_[2], (std::vector<std::string>{"10/smaps"}));
  // One JSON document per line, one line per round.
  std::istringstream lines(out_.str());
  std::vector<nlohmann::json> docs;
  for (std::string line; std::getline(lines, line);) {
    docs.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(docs.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(docs[i]["round"], i + 1);
  EXPECT_EQ(docs[0]["groups"].size(), 3u);
  // Round 2: alpha -100 KiB, gamma gone (-200 KiB); gamma's process
  // vanished, so 2 of 3 contribute.
  const nlohmann::json& r2 = docs[1];
  EXPECT_EQ(r2["processes"]["contributing"], 2);
  EXPECT_EQ(r2["processes"]["existing"], 3);
  EXPECT_EQ(r2["processes"]["vanished"], 1);
  ASSERT_EQ(r2["groups"].size(), 2u);
  EXPECT_EQ(r2["groups"][0]["key"], "alpha");
  EXPECT_EQ(r2["groups"][0]["change"], -100 * 1024);
  EXPECT_EQ(r2["groups"][0]["pss"], 900 * 1024);
  EXPECT_EQ(r2["groups"][1]["key"], "gamma");
  EXPECT_EQ(r2["groups"][1]["gone"], true);
  EXPECT_EQ(r2["groups"][1]["change"], -200 * 1024);
  EXPECT_EQ(r2["groups"][1]["processes"], 0);
  // Round 3: alpha +150 KiB (SwapPss), shown apart from Pss.
  const nlohmann::json& r3 = docs[2];
  ASSERT_EQ(r3["groups"].size(), 1u);
  EXPECT_EQ(r3["groups"][0]["change"], 150 * 1024);
  EXPECT_EQ(r3["groups"][0]["pss"], 900 * 1024);
  EXPECT_EQ(r3["groups"][0]["ptotal"], 900 * 1024);
  EXPECT_EQ(r3["groups"][0]["pswap"], 150 * 1024);
}

TEST_F(TopLoopTest, WithoutKEveryRoundShowsEveryGroup) {
  opts_.rounds = 2;
  opts_.tsv = true;
  int code = Run({[this] { SetMemory(fake_->Add(30), 204, 0); }});
  EXPECT_EQ(code, kExitOk);
  EXPECT_EQ(smaps_reads_[1],
            (std::vector<std::string>{"10/smaps", "20/smaps", "30/smaps"}));
  // One header; changes in bytes (gamma +4 KiB).
  EXPECT_EQ(out_.str(),
            "time\texe\tdata\tanon\tpss\tprocs\tchange\n"
            "00:00:01\talpha\t1024000\t0\t1024000\t1\t\n"
            "00:00:01\tbeta\t512000\t0\t512000\t1\t\n"
            "00:00:01\tgamma\t204800\t0\t204800\t1\t\n"
            "00:00:01\tTOTAL\t1740800\t0\t1740800\t3\t\n"
            "00:00:02\talpha\t1024000\t0\t1024000\t1\t+0\n"
            "00:00:02\tbeta\t512000\t0\t512000\t1\t+0\n"
            "00:00:02\tgamma\t208896\t0\t208896\t1\t+4096\n"
            "00:00:02\tTOTAL\t1744896\t0\t1744896\t3\t+4096\n");
}

// The rollup Pss of pid 10 raised by 1 KiB over its mappings' sum: the
// kernel rounds each mapping's Pss down to a KiB in smaps and only the
// total in smaps_rollup, so the two may differ by up to a KiB a mapping.
void RaiseRollupPss(FakeProcSource::Process& p, uint64_t kib) {
  p.files["smaps_rollup"] = absl::StrFormat(
      "00400000-7f0004000000 ---p 00000000 00:00 0 [rollup]\n"
      "Rss:             %8d kB\nPss:             %8d kB\n", kib, kib + 1);
}

// Without the pss column and without -k, a round reads each process's
// smaps once and no smaps_rollup (one walk of its page tables, not two),
// and JSON's pss is null. Grouped by exe, no cgroup file is read.
TEST_F(TopLoopTest, WithoutThePssColumnNoRollupIsRead) {
  opts_.columns = profile::DefaultTopColumns();
  opts_.loop_seconds.reset();
  opts_.rounds.reset();
  ctx_.opts.json = true;
  RaiseRollupPss(fake_->Add(10), 1000);
  ASSERT_EQ(Run({}), kExitOk);
  EXPECT_EQ(smaps_reads_[0],
            (std::vector<std::string>{"10/smaps", "20/smaps", "30/smaps"}));
  // Nor the cgroup, which grouping by exe does not look at.
  for (const std::string& r : fake_->reads()) {
    EXPECT_FALSE(r.ends_with("smaps_rollup")) << r;
    EXPECT_FALSE(r.ends_with("/cgroup")) << r;
  }
  auto j = nlohmann::json::parse(out_.str());
  ASSERT_EQ(j["groups"].size(), 3u);
  EXPECT_EQ(j["groups"][0]["key"], "alpha");
  EXPECT_EQ(j["groups"][0]["ptotal"], 1000 * 1024);
  EXPECT_EQ(j["groups"][0]["pss"], nullptr);
  EXPECT_EQ(j["total"]["pss"], nullptr);
}

// With the pss column the rollup is read beside smaps and pss is its Pss,
// also in a -k round, where the shown groups' smaps is read again after
// the rollups that decided the change: pss stays that rollup's.
TEST_F(TopLoopTest, ThePssColumnIsTheRollupsAlsoInKRounds) {
  opts_.k_kib = 0;
  opts_.rounds = 2;
  ctx_.opts.json = true;
  RaiseRollupPss(fake_->Add(10), 1000);
  ASSERT_EQ(Run({[this] {
              SetMemory(fake_->Add(10), 1100, 0);
              RaiseRollupPss(fake_->Add(10), 1100);
            }}),
            kExitOk);
  std::istringstream lines(out_.str());
  std::vector<nlohmann::json> docs;
  for (std::string line; std::getline(lines, line);) {
    docs.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0]["groups"][0]["key"], "alpha");
  EXPECT_EQ(docs[0]["groups"][0]["ptotal"], 1000 * 1024);
  EXPECT_EQ(docs[0]["groups"][0]["pss"], 1001 * 1024);
  // Round 2 (-k 0 shows every group): alpha's smaps read again.
  EXPECT_EQ(smaps_reads_[1],
            (std::vector<std::string>{"10/smaps", "20/smaps", "30/smaps"}));
  EXPECT_EQ(docs[1]["groups"][0]["key"], "alpha");
  EXPECT_EQ(docs[1]["groups"][0]["ptotal"], 1100 * 1024);
  EXPECT_EQ(docs[1]["groups"][0]["pss"], 1101 * 1024);
  EXPECT_EQ(docs[1]["groups"][0]["change"], 100 * 1024);
}

TEST_F(TopLoopTest, StopRequestEndsAfterAWholeRound) {
  TopEnv env;
  env.out = &out_;
  env.clock = [] { return std::string("00:00:00"); };
  int sleeps = 0;
  env.sleep = [&sleeps](double) {
    ++sleeps;
    return true;
  };
  env.stop_requested = [] { return true; };  // SIGINT during round 1
  opts_.rounds.reset();
  EXPECT_EQ(RunTop(ctx_, opts_, env), kExitOk);
  EXPECT_EQ(sleeps, 0);
  EXPECT_EQ(
      out_.str(),
      R"(00:00:00  MemTotal 1.0G  MemAvailable 512.0M  Dirty 4.0K  3 of 3 processes
exe       data  anon      pss  procs  change
alpha  1000.0K    0B  1000.0K      1
beta    500.0K    0B   500.0K      1
gamma   200.0K    0B   200.0K      1
--------------------------------------------
TOTAL     1.7M    0B     1.7M      3
)");
}

TEST_F(TopLoopTest, InterruptedSleepEndsTheLoop) {
  TopEnv env;
  env.out = &out_;
  env.clock = [] { return std::string("00:00:00"); };
  env.sleep = [](double) { return false; };  // SIGINT while sleeping
  env.stop_requested = [] { return false; };
  opts_.rounds.reset();
  ctx_.opts.json = true;
  EXPECT_EQ(RunTop(ctx_, opts_, env), kExitOk);
  const std::string text = out_.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

// Pids named as selectors: one the process list does not have is bad
// input (before anything is printed); one that was listed and exited
// during the scan is a warning and no row.
class TopNamedPidsTest : public TopLoopTest {
 protected:
  void SetUp() override {
    TopLoopTest::SetUp();
    opts_.loop_seconds.reset();
    opts_.rounds.reset();
    old_cerr_ = std::cerr.rdbuf(err_.rdbuf());
  }
  void TearDown() override { std::cerr.rdbuf(old_cerr_); }
  std::ostringstream err_;
  std::streambuf* old_cerr_ = nullptr;
};

TEST_F(TopNamedPidsTest, APidNeverListedIsBadInput) {
  opts_.selectors = {"10", "99"};
  try {
    Run({});
    ADD_FAILURE() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "top: no process with pid 99");
  }
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(TopNamedPidsTest, APidThatVanishedDuringTheScanWarns) {
  // Listed, its stat read for the parent map, then gone.
  fake_->Add(20).vanish_after_reads = 1;
  opts_.selectors = {"10", "20", "alpha"};
  ctx_.opts.json = true;
  EXPECT_EQ(Run({}), kExitOk);
  EXPECT_EQ(err_.str(),
            "memstats: warning: process 20 exited during the scan\n");
  auto j = nlohmann::json::parse(out_.str());
  ASSERT_EQ(j["groups"].size(), 1u) << out_.str();
  EXPECT_EQ(j["processes"]["vanished"], 1);
}

TEST(TopSelectorsTest, PidsAndNames) {
  scan::ProcessIdentity p;
  p.pid = 1234;
  p.comm = "python3";
  p.exe = "/usr/bin/python3.11";
  p.cmdline = {"python3", "/opt/backup.py"};
  EXPECT_TRUE(MatchesSelectors({}, p));
  EXPECT_TRUE(MatchesSelectors({"1234"}, p));
  EXPECT_FALSE(MatchesSelectors({"123"}, p));
  EXPECT_TRUE(MatchesSelectors({"python3->backup.py"}, p));
  EXPECT_TRUE(MatchesSelectors({"backup.py"}, p));
  EXPECT_TRUE(MatchesSelectors({"python3.11"}, p));
  EXPECT_TRUE(MatchesSelectors({"python3"}, p));
  EXPECT_TRUE(MatchesSelectors({"postgres", "1234"}, p));
  EXPECT_FALSE(MatchesSelectors({"postgres", "99"}, p));
  EXPECT_FALSE(MatchesSelectors({"python"}, p));
}

}  // namespace
}  // namespace memstats::cli
