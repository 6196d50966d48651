// memstats watch, the binary: on tests/fixtures/profile (numbers derived by
// hand from the fixture's smaps below), and live: a watched process that
// exits, and a signal.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "run_memstats.h"

namespace memstats::testing {
namespace {

constexpr char kProfile[] = MEMSTATS_FIXTURES_DIR "/profile";
constexpr uint64_t kKiB = 1024;

RunResult Watch(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--procfs-root", kProfile, "--threads", "1"};
  all.insert(all.end(), args.begin(), args.end());
  return RunMemstats(all);
}

std::vector<std::vector<std::string>> Rows(const std::string& tsv) {
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(tsv, '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, '\t'));
  }
  return rows;
}

std::vector<std::string> KiB(const std::vector<uint64_t>& kib) {
  std::vector<std::string> out;
  for (uint64_t k : kib) out.push_back(std::to_string(k * kKiB));
  return out;
}

// nginx 200 and its worker 201 (tests/fixtures/profile/20{0,1}/smaps, Pss
// in KiB per mapping):
//   stack        [stack] 132
//   heap         [heap] 2000 (200), 3000 (201)
//   bin_text     /usr/sbin/nginx r--p 128 + r-xp 500 + r--p 100 = 728
//   lib_text     libc r--p 40 + r-xp 300 + r--p 16 + r--p 16, and
//                old.log (deleted) r--p 20: 392; 200 also maps
//                anon_inode:[perf_event] r--s 4: 396
//   bin_data     /usr/sbin/nginx rw-p 64
//   lib_data     libc rw-p 8
//   anon_map     201's anonymous rw-p 1000 (one task: no thread stack)
//   shm          /dev/zero (deleted) rw-s 256 + /memfd:nginx-cache 1024
//   other        [vvar] 0 + [vdso] 2
// RSS and USS (Private_Clean + Private_Dirty) from smaps_rollup: 200: 7592
// and 4 + 2260; 201: 9588 and 4260. No swap.
TEST(WatchCliTest, RowsOfATreeAreItsSmapsBySeries) {
  RunResult r = Watch({"watch", "-n", "1", "-v", "-p", "200", "-c"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  auto rows = Rows(r.out);
  ASSERT_EQ(rows.size(), 4u) << r.out;
  EXPECT_EQ(rows[0],
            (std::vector<std::string>{
                "TIME", "PID", "STACK_PSS", "HEAP_PSS", "THREAD_STACK_PSS",
                "BIN_TEXT_PSS", "LIB_TEXT_PSS", "BIN_DATA_PSS",
                "LIB_DATA_PSS", "ANON_MAP_PSS", "SHM_PSS", "OTHER_PSS",
                "SWAP_PSS", "RSS", "USS", "SWAP", "CMD"}));
  auto row = [](std::string pid, std::vector<uint64_t> kib, std::string cmd) {
    std::vector<std::string> v = {"0.000", std::move(pid)};
    for (const std::string& s : KiB(kib)) v.push_back(s);
    v.push_back(std::move(cmd));
    return v;
  };
  EXPECT_EQ(rows[1], row("200",
                         {132, 2000, 0, 728, 396, 64, 8, 0, 1280, 2, 0, 7592,
                          2264, 0},
                         "nginx: master process /usr/sbin/nginx"));
  EXPECT_EQ(rows[2], row("201",
                         {132, 3000, 0, 728, 392, 64, 8, 1000, 1280, 2, 0,
                          9588, 4260, 0},
                         "nginx: worker process"));
  EXPECT_EQ(rows[3], row("total",
                         {264, 5000, 0, 1456, 788, 128, 16, 1000, 2560, 4, 0,
                          17180, 6524, 0},
                         "2 processes"));
}

TEST(WatchCliTest, WithoutChildrenOnlyThePid) {
  RunResult r = Watch({"watch", "-n", "1", "--total-only", "-p", "201"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  auto rows = Rows(r.out);
  ASSERT_EQ(rows.size(), 2u) << r.out;
  EXPECT_EQ(rows[1][1], "total");
  EXPECT_EQ(rows[1][3], std::to_string(3000 * kKiB));
  EXPECT_EQ(rows[1].back(), "1 process");
}

TEST(WatchCliTest, PatternsMatchTheCommandLineOrComm) {
  // "worker" is in 201's command line only; "^bash$" is 300's comm.
  RunResult r = Watch({"watch", "-n", "1", "worker", "^bash$"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  auto rows = Rows(r.out);
  ASSERT_EQ(rows.size(), 4u) << r.out;
  EXPECT_EQ(rows[1][1], "201");
  EXPECT_EQ(rows[2][1], "300");
}

TEST(WatchCliTest, JsonLinesOneObjectPerSample) {
  RunResult r = Watch({"--json", "watch", "-n", "3", "-i", "0.05", "-p",
                       "200", "-c"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::vector<std::string> lines =
      absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  double last = -1;
  for (const std::string& line : lines) {
    nlohmann::json j = nlohmann::json::parse(line);
    EXPECT_GT(j["seconds"].get<double>(), last);
    last = j["seconds"].get<double>();
    ASSERT_EQ(j["processes"].size(), 2u);
    EXPECT_EQ(j["processes"][1]["pss"]["anon_map"], 1000 * kKiB);
    EXPECT_EQ(j["total"]["pss"]["heap"], 5000 * kKiB);
    EXPECT_EQ(j["total"]["pss_total"],
              (264 + 5000 + 1456 + 788 + 128 + 16 + 1000 + 2560 + 4) * kKiB);
    EXPECT_EQ(j["total"]["uss_sum"], 6524 * kKiB);
  }
  EXPECT_EQ(nlohmann::json::parse(lines[0])["seconds"], 0.0);
}

TEST(WatchCliTest, GraphIsWrittenWithEverySeries) {
  char dir[] = "/tmp/memstats-watch-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string svg = std::string(dir) + "/w.svg";
  RunResult r = Watch({"watch", "-n", "3", "-i", "0.05", "-p", "200", "-c",
                       "-g", svg, "--graph-every", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::ifstream f(svg);
  std::stringstream text;
  text << f.rdbuf();
  for (const char* s : {"stack", "heap", "thread_stack", "bin_text",
                        "lib_text", "bin_data", "lib_data", "anon_map", "shm",
                        "other"}) {
    EXPECT_NE(text.str().find(std::string("data-series=\"") + s + "\""),
              std::string::npos)
        << s;
  }
  EXPECT_NE(text.str().find("memstats watch: process 200 and its descendants"),
            std::string::npos);
  struct stat st = {};
  ASSERT_EQ(::stat(svg.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ::unlink(svg.c_str());
  ::rmdir(dir);
}

TEST(WatchCliTest, BadInputIsRefusedWithExit2) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"watch", "-i", "0"}, "-i: expected a number of seconds above 0"},
      {{"watch", "-i", "nan"}, "-i"},
      {{"watch", "--duration", "-1"}, "--duration: expected a number"},
      {{"watch", "-p", "999999"}, "-p: no process with pid 999999"},
      {{"watch", "(x"}, "pattern '(x' is not a regular expression"},
      {{"watch", "-g", "/nonexistent-dir/w.svg"}, "-g: "},
  };
  for (const Case& c : cases) {
    RunResult r = Watch(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.Describe();
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.Describe();
    EXPECT_EQ(r.out, "");
  }
}

// Live: a watched process that exits ends the watch cleanly.
TEST(WatchLiveTest, AWatchedProcessThatExitsEndsTheWatch) {
  pid_t child = Spawn({"/bin/sleep", "2"}, std::nullopt, -1, -1, -1);
  ASSERT_GT(child, 0);
  RunResult r = RunMemstats(
      {"watch", "-i", "0.2", "--total-only", "-p", std::to_string(child)});
  WaitOrKill(child, 5000);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find("process " + std::to_string(child) + " exited"),
            std::string::npos)
      << r.Describe();
  // The header and at least one sample (a sanitizer-built memstats may
  // start too slowly for more within the child's 2 s).
  EXPECT_GE(Rows(r.out).size(), 2u) << r.out;
}

// Live: SIGTERM ends the watch after whole samples, with exit 0.
TEST(WatchLiveTest, SigtermEndsTheWatchCleanly) {
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  pid_t w = Spawn({MemstatsBinary(), "watch", "-i", "0.1", "--total-only", "-p",
                   std::to_string(::getpid())},
                  std::nullopt, -1, out[1], -1);
  ::close(out[1]);
  ASSERT_GT(w, 0);
  const std::string first = ReadFirstLine(out[0], 10000);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ::kill(w, SIGTERM);
  const int code = WaitOrKill(w, 10000);
  std::string rest = first;
  char buf[4096];
  ssize_t got;
  while ((got = ::read(out[0], buf, sizeof buf)) > 0) rest.append(buf, got);
  ::close(out[0]);
  EXPECT_EQ(code, 0);
  auto rows = Rows(rest);
  ASSERT_GE(rows.size(), 3u) << rest;
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].size(), 14u) << "a half row: " << rest;
  }
}

}  // namespace
}  // namespace memstats::testing
