// Churn test: memstats scans the live system while memstats_churn_helper
// (churn_helper.cc) starts and ends hundreds of processes a second, most of
// them alive for a few milliseconds. Processes that exit between the pid
// listing and the reads of their files must be counted as vanished, and every
// report must still be one consistent JSON document.
//
// Needs root (page-level numbers). Labelled "live" with the other e2e tests.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "subprocess.h"

namespace memstats::testing {
namespace {

using nlohmann::json;

// For scripts/sanitize.sh, where a TSan-built memstats takes over 15 s to
// account the whole machine: MEMSTATS_CHURN_RUNS=N runs N scans instead,
// and MEMSTATS_CHURN_SCOPE=helper has memstats read in full only the helper
// and its descendants (--filter descendants(PID)). Every listed process is
// still read in parallel up to the filter, so processes still vanish
// before, during and after it.
// 100 scans of the whole machine, about 40 s (200 before): each of them
// saw 46 to 195 processes vanish on the 2-core machine CI runs on.
constexpr int kDefaultRuns = 100;
int Runs() {
  const char* v = std::getenv("MEMSTATS_CHURN_RUNS");
  const int n = v != nullptr ? std::atoi(v) : 0;
  return n > 0 ? n : kDefaultRuns;
}
bool HelperScopeOnly() {
  const char* v = std::getenv("MEMSTATS_CHURN_SCOPE");
  return v != nullptr && std::string(v) == "helper";
}
constexpr int kMaxLiveChurn = 200;
// The helper's own time limit; the runs take far less.
constexpr int kChurnSeconds = 150;

// MemTotal from /proc/meminfo, in bytes (0 when it cannot be read).
int64_t MemTotalBytes() {
  std::ifstream f("/proc/meminfo");
  std::string key, unit;
  int64_t kib = 0;
  while (f >> key >> kib) {
    std::getline(f, unit);
    if (key == "MemTotal:") return kib * 1024;
  }
  return 0;
}

// Pids of the processes whose process group is `pgid` (field 5 of stat,
// after the parenthesised comm, which may hold spaces).
std::vector<pid_t> ProcessesInGroup(pid_t pgid) {
  std::vector<pid_t> found;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return found;
  while (dirent* e = readdir(dir)) {
    const pid_t pid = static_cast<pid_t>(std::atol(e->d_name));
    if (pid <= 0) continue;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)),
                     std::istreambuf_iterator<char>());
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(stat.substr(paren + 1));
    std::string state;
    long ppid = 0, pgrp = 0;
    if (rest >> state >> ppid >> pgrp && pgrp == pgid) found.push_back(pid);
  }
  closedir(dir);
  return found;
}

// Checks one group (or a split's totals) of a report; `where` names it in
// failure messages.
void CheckGroup(const json& g, int64_t mem_total, const std::string& where) {
  for (const char* field : {"rss", "uss", "pss", "anon_rss", "shmem_rss",
                            "file_rss"}) {
    ASSERT_TRUE(g.contains(field) && g[field].is_number())
        << where << ": no numeric " << field << ": " << g.dump();
  }
  const int64_t rss = g["rss"].get<int64_t>();
  const int64_t uss = g["uss"].get<int64_t>();
  const int64_t pss = g["pss"].get<int64_t>();
  for (auto [name, value] : {std::pair{"rss", rss}, std::pair{"uss", uss},
                             std::pair{"pss", pss}}) {
    EXPECT_GE(value, 0) << where << ": " << name << "\n" << g.dump();
    EXPECT_LE(value, mem_total)
        << where << ": " << name << " above MemTotal\n" << g.dump();
  }
  EXPECT_LE(uss, rss) << where << "\n" << g.dump();
  EXPECT_EQ(g["anon_rss"].get<int64_t>() + g["shmem_rss"].get<int64_t>() +
                g["file_rss"].get<int64_t>(),
            rss)
      << where << ": anon_rss + shmem_rss + file_rss != rss\n"
      << g.dump();
}

// Checks one memstats run; on success stores scan.vanished in *vanished and
// adds scan.seconds to *scan_seconds.
void CheckRun(const RunResult& r, int64_t mem_total, int64_t* vanished,
              double* scan_seconds) {
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const json j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << "not one JSON document\n" << r.Describe();
  ASSERT_TRUE(j.is_object()) << r.Describe();
  ASSERT_TRUE(j.value("page_level", false))
      << "no page-level numbers while running as root\n" << r.Describe();
  ASSERT_TRUE(j.contains("scan") && j["scan"].is_object()) << r.Describe();
  const json& scan = j["scan"];
  ASSERT_TRUE(scan.contains("vanished") && scan["vanished"].is_number_integer())
      << scan.dump();
  ASSERT_TRUE(scan.contains("processes_scanned") &&
              scan["processes_scanned"].is_number_integer())
      << scan.dump();
  *vanished = scan["vanished"].get<int64_t>();
  *scan_seconds += scan.value("seconds", 0.0);
  EXPECT_GE(*vanished, 0) << scan.dump();
  const int64_t scanned = scan["processes_scanned"].get<int64_t>();
  EXPECT_GT(scanned, 0) << scan.dump();

  ASSERT_TRUE(j.contains("splits") && j["splits"].is_array()) << r.Describe();
  ASSERT_EQ(j["splits"].size(), 2u) << r.Describe();
  const char* const kSplitters[] = {"uid", "comm"};
  for (size_t s = 0; s < 2; ++s) {
    const json& split = j["splits"][s];
    EXPECT_EQ(split.value("splitter", ""), kSplitters[s]);
    ASSERT_TRUE(split.contains("groups") && split["groups"].is_array())
        << split.dump();
    int64_t members = 0;
    for (const json& g : split["groups"]) {
      const std::string where = std::string(kSplitters[s]) + " group " +
                                g.value("name", std::string("?"));
      ASSERT_TRUE(g.contains("processes") && g["processes"].is_number_integer())
          << where << ": " << g.dump();
      EXPECT_GT(g["processes"].get<int64_t>(), 0) << where << ": " << g.dump();
      members += g["processes"].get<int64_t>();
      CheckGroup(g, mem_total, where);
    }
    EXPECT_EQ(members, scanned)
        << "split " << kSplitters[s]
        << ": processes over groups != processes_scanned\n" << scan.dump();
    ASSERT_TRUE(split.contains("totals")) << split.dump();
    EXPECT_EQ(split["totals"].value("processes", int64_t{-1}), scanned)
        << split["totals"].dump();
    CheckGroup(split["totals"], mem_total,
               std::string(kSplitters[s]) + " totals");
  }
}

TEST(ChurnTest, GroupsStayConsistentWhileProcessesComeAndGo) {
  if (geteuid() != 0)
    GTEST_SKIP() << "needs root: pagemap shows PFNs only with CAP_SYS_ADMIN";
  const int64_t mem_total = MemTotalBytes();
  ASSERT_GT(mem_total, 0) << "no MemTotal in /proc/meminfo";

  const auto t0 = std::chrono::steady_clock::now();
  const pid_t churn = Spawn({CHURN_HELPER, std::to_string(getpid()),
                             std::to_string(kChurnSeconds),
                             std::to_string(kMaxLiveChurn)},
                            std::nullopt, -1, -1, STDERR_FILENO);
  ASSERT_GT(churn, 0);
  // Let the churn reach its steady state before the first scan.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  const int want_runs = Runs();
  int runs = 0, runs_with_vanished = 0;
  int64_t vanished_min = INT64_MAX, vanished_max = 0, vanished_total = 0;
  double scan_seconds = 0;
  for (int i = 0; i < want_runs; ++i) {
    std::vector<std::string> argv = {MemstatsBinary(), "groups", "--split-uid",
                                     "--split-comm", "--json", "--threads",
                                     "2"};
    if (HelperScopeOnly()) {
      argv.insert(argv.end(),
                  {"--filter", "descendants(" + std::to_string(churn) + ")"});
    }
    const RunResult r = RunCommand(argv, std::nullopt, /*timeout_s=*/30);
    int64_t vanished = -1;
    SCOPED_TRACE("run " + std::to_string(i));
    CheckRun(r, mem_total, &vanished, &scan_seconds);
    // Stop at the first bad run: its output is in the failure message, and
    // the copies of it after it would bury it.
    if (::testing::Test::HasFailure()) break;
    ++runs;
    vanished_min = std::min(vanished_min, vanished);
    vanished_max = std::max(vanished_max, vanished);
    vanished_total += vanished;
    if (vanished > 0) ++runs_with_vanished;
  }

  ::kill(churn, SIGTERM);
  EXPECT_EQ(WaitOrKill(churn, /*timeout_ms=*/10000), 0)
      << "the churn helper did not stop cleanly on SIGTERM";
  EXPECT_EQ(ProcessesInGroup(churn), std::vector<pid_t>{})
      << "the churn helper left processes behind";
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - t0)
                             .count();

  std::printf(
      "churn: %d runs in %.1f s (scans %.1f s); vanished per run min %lld "
      "max %lld total %lld; %d runs saw a process vanish\n",
      runs, seconds, scan_seconds, static_cast<long long>(runs ? vanished_min : 0),
      static_cast<long long>(vanished_max),
      static_cast<long long>(vanished_total), runs_with_vanished);
  RecordProperty("runs", runs);
  RecordProperty("vanished_total", std::to_string(vanished_total));
  RecordProperty("vanished_max", std::to_string(vanished_max));
  if (runs == want_runs) {
    EXPECT_GT(vanished_max, 0)
        << "no process vanished mid-scan in " << runs
        << " runs: the churn is too slow to exercise the vanished path";
  }
}

}  // namespace
}  // namespace memstats::testing
