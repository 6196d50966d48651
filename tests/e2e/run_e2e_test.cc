// memstats run, live: the peak of a command with a known allocation
// (memstats_alloc_helper, static: besides the allocation it holds its
// binary, a stack and a few pages of libc data, under 4 MiB together), with
// the cgroup source and without; a peak shorter than the sampling interval;
// exit codes and signals; -r; the privilege drop; bad input.
//
// Expected numbers come from the layout each test asks the helper for
// (N MiB written, or populated, by each process), with a stated tolerance
// for the helper's own pages (kRuntime) and, for the cgroup, for what the
// kernel charges besides (page tables, kernel stack, the binary's page
// cache when not cached yet: kCgroupSlack).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "subprocess.h"

namespace memstats::testing {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kRuntime = 4 * kMiB;
constexpr uint64_t kCgroupSlack = 16 * kMiB;

void RequireRoot() {
  if (::geteuid() == 0) return;
  if (const char* ci = std::getenv("CI"); ci && std::string(ci) == "true") {
    FAIL() << "memstats run's live tests need root (CI runs as root)";
  }
  GTEST_SKIP() << "needs root";
}

class RunE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RequireRoot();
    char dir[] = "/tmp/memstats-run-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    report_ = dir_ + "/report.json";
  }
  void TearDown() override {
    if (dir_.empty()) return;
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  // memstats --json run -o report.json ARGS... -- helper HELPER_ARGS...
  RunResult Run(const std::vector<std::string>& args,
                const std::vector<std::string>& helper,
                const std::optional<std::vector<std::string>>& env =
                    std::nullopt) {
    std::vector<std::string> argv = {MemstatsBinary(), "--json", "run", "-o",
                                     report_};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--");
    argv.push_back(ALLOC_HELPER);
    argv.insert(argv.end(), helper.begin(), helper.end());
    return RunCommand(argv, env);
  }

  nlohmann::json Report() {
    std::ifstream f(report_);
    std::stringstream text;
    text << f.rdbuf();
    return nlohmann::json::parse(text.str());
  }

  std::string dir_;
  std::string report_;
};

TEST_F(RunE2eTest, PeakOfAKnownAllocationWithTheCgroup) {
  RunResult r = Run({}, {"--mib", "300", "--hold-ms", SlowedMs(1500)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  nlohmann::json j = Report();
  for (const char* what : {"rss", "pss", "uss"}) {
    const uint64_t b = j["peak"][what]["bytes"];
    EXPECT_GE(b, 300 * kMiB) << what << "\n" << j.dump(2);
    EXPECT_LE(b, 300 * kMiB + kRuntime) << what << "\n" << j.dump(2);
  }
  EXPECT_EQ(j["sources"]["sampled"], "page tables (pagemap, kpagecount)");
  EXPECT_NE(j["sources"]["cgroup"].get<std::string>().find("cgroup v"),
            std::string::npos);
  ASSERT_FALSE(j["peak"]["cgroup_bytes"].is_null()) << j.dump(2);
  const uint64_t cg = j["peak"]["cgroup_bytes"];
  EXPECT_GE(cg, 300 * kMiB);
  EXPECT_LE(cg, 300 * kMiB + kCgroupSlack);
  EXPECT_GE(j["peak"]["vm_hwm_bytes"].get<uint64_t>(), 300 * kMiB);
  // Sampled more than once while the command ran: at -i 100 ms a normal
  // build takes about 15 samples in these 1.5 s, a TSan-built memstats
  // (scripts/sanitize.sh), at about half a second a sample, 3.
  EXPECT_GE(j["samples"].get<int>(), 2);
  EXPECT_EQ(j["exit_code"], 0);
  struct stat st = {};
  ASSERT_EQ(::stat(report_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(RunE2eTest, PeakOfAKnownAllocationWithoutTheCgroup) {
  RunResult r =
      Run({"--no-cgroup"}, {"--mib", "300", "--hold-ms", SlowedMs(1500)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  nlohmann::json j = Report();
  const uint64_t rss = j["peak"]["rss"]["bytes"];
  EXPECT_GE(rss, 300 * kMiB);
  EXPECT_LE(rss, 300 * kMiB + kRuntime);
  EXPECT_TRUE(j["peak"]["cgroup_bytes"].is_null());
  EXPECT_EQ(j["sources"]["cgroup"], "no cgroup: --no-cgroup");
}

// 200 MiB that live about 20 ms (populated at once), 1.5 s after the
// start, sampled every second: the samples at 1 s and 2 s miss it, the
// cgroup does not, and VmHWM keeps it.
TEST_F(RunE2eTest, AShortPeakIsCaughtByTheCgroupNotBySampling) {
  RunResult r = Run({"-i", "1000"}, {"--delay-ms", "1500", "--mib", "200",
                                     "--populate", "--hold-ms", "20",
                                     "--children", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  nlohmann::json j = Report();
  ASSERT_FALSE(j["peak"]["cgroup_bytes"].is_null()) << j.dump(2);
  EXPECT_GE(j["peak"]["cgroup_bytes"].get<uint64_t>(), 200 * kMiB);
  EXPECT_LT(j["peak"]["rss"]["bytes"].get<uint64_t>(), kRuntime) << j.dump(2);
  // The text report says the samples missed it.
  std::vector<std::string> argv = {MemstatsBinary(), "run",   "-i",
                                   "1000",          "--",    ALLOC_HELPER,
                                   "--delay-ms",    "1500",  "--mib",
                                   "200",           "--populate", "--hold-ms",
                                   "20"};
  RunResult text = RunCommand(argv);
  EXPECT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_NE(text.err.find("was missed by the samples"), std::string::npos)
      << text.Describe();
}

TEST_F(RunE2eTest, TheWholeTreeWithR) {
  // Three processes (the command and two children) of 50 MiB each.
  const std::vector<std::string> helper = {"--mib", "50", "--hold-ms",
                                           SlowedMs(1500), "--children", "2"};
  ASSERT_EQ(Run({"-r"}, helper).exit_code, 0);
  nlohmann::json tree = Report();
  const uint64_t rss = tree["peak"]["rss"]["bytes"];
  EXPECT_GE(rss, 150 * kMiB) << tree.dump(2);
  EXPECT_LE(rss, 150 * kMiB + kRuntime) << tree.dump(2);
  EXPECT_EQ(tree["most_processes"], 3);
  ASSERT_EQ(Run({}, helper).exit_code, 0);
  nlohmann::json alone = Report();
  EXPECT_LE(alone["peak"]["rss"]["bytes"].get<uint64_t>(), 50 * kMiB + kRuntime);
  EXPECT_EQ(alone["most_processes"], 1);
  // The cgroup counts the children with or without -r.
  if (!alone["peak"]["cgroup_bytes"].is_null()) {
    EXPECT_GE(alone["peak"]["cgroup_bytes"].get<uint64_t>(), 150 * kMiB);
  }
}

TEST_F(RunE2eTest, ExitCodesAreTheCommands) {
  EXPECT_EQ(Run({}, {"--exit", "7"}).exit_code, 7);
  RunResult killed = RunCommand(
      {MemstatsBinary(), "--json", "run", "-o", report_, "--", "/bin/sh", "-c",
       "kill -KILL $$"});
  EXPECT_EQ(killed.exit_code, 128 + SIGKILL) << killed.Describe();
  nlohmann::json j = Report();
  EXPECT_EQ(j["signaled"], true);
  EXPECT_EQ(j["signal"], SIGKILL);
  RunResult missing = RunCommand(
      {MemstatsBinary(), "run", "--", "/nonexistent/memstats-no-such-command"});
  EXPECT_EQ(missing.exit_code, 127) << missing.Describe();
  EXPECT_NE(missing.err.find("memstats-no-such-command"), std::string::npos);
  const std::string plain = dir_ + "/not-executable";
  std::ofstream(plain) << "data\n";
  RunResult denied = RunCommand({MemstatsBinary(), "run", "--", plain});
  EXPECT_EQ(denied.exit_code, 126) << denied.Describe();
}

TEST_F(RunE2eTest, SigtermIsForwardedToTheCommand) {
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  pid_t m = Spawn({MemstatsBinary(), "run", "-v", "--", ALLOC_HELPER,
                   "--wait-signal"},
                  std::nullopt, -1, -1, out[1]);
  ::close(out[1]);
  ASSERT_GT(m, 0);
  // The first sample line means the command runs.
  EXPECT_NE(ReadFirstLine(out[0], 10000).find("memstats:"), std::string::npos);
  ::kill(m, SIGTERM);
  // The helper exits 100 + the signal it got.
  EXPECT_EQ(WaitOrKill(m, 10000), 100 + SIGTERM);
  ::close(out[0]);
}

TEST_F(RunE2eTest, UnderSudoTheCommandRunsAsTheUser) {
  ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
  const std::string id_file = dir_ + "/id";
  std::vector<std::string> env = CurrentEnvironment();
  env.push_back("SUDO_UID=65534");
  env.push_back("SUDO_GID=65534");
  env.push_back("SUDO_USER=nobody");
  RunResult r = RunCommand({MemstatsBinary(), "run", "--", "/bin/sh", "-c",
                            "id -u > " + id_file},
                           env);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::ifstream f(id_file);
  std::string uid;
  f >> uid;
  EXPECT_EQ(uid, "65534");
  ::unlink(id_file.c_str());
  r = RunCommand({MemstatsBinary(), "run", "--as-root", "--", "/bin/sh", "-c",
                  "id -u > " + id_file},
                 env);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::ifstream g(id_file);
  g >> uid;
  EXPECT_EQ(uid, "0");
}

TEST_F(RunE2eTest, BadInputIsRefusedWithExit2AndNoFile) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::string missing_dir = dir_ + "/missing/report.json";
  const std::vector<Case> cases = {
      {{"run", "-i", "0", "--", "/bin/true"}, "-i: expected a number"},
      {{"run"}, "COMMAND"},
      {{"run", "-o", missing_dir, "--", "/bin/true"}, "-o: "},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {MemstatsBinary()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    RunResult r = RunCommand(argv);
    EXPECT_EQ(r.exit_code, 2) << r.Describe();
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.Describe();
  }
  struct stat st = {};
  EXPECT_NE(::stat(missing_dir.c_str(), &st), 0);
  // A symlink planted at -o's path is not followed.
  const std::string target = dir_ + "/target";
  std::ofstream(target) << "keep\n";
  const std::string link = dir_ + "/link.json";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  RunResult r = RunCommand({MemstatsBinary(), "run", "-o", link, "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  std::ifstream t(target);
  std::string kept;
  t >> kept;
  EXPECT_EQ(kept, "keep");
}

}  // namespace
}  // namespace memstats::testing
