// RunCgroup and StartCommand together on this machine's cgroups, as root:
// the peak of a command that writes 64 MiB, the cgroup gone afterwards, and
// cgroup.procs keeping a grandchild that was reparented. The test machine
// has the v1 memory controller (hybrid hierarchy); a pure v2 machine with
// memory in the parent's subtree_control runs the same tests.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "exec/command.h"
#include "exec/exec_test_util.h"
#include "exec/run_cgroup.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace memstats::exec {
namespace {

using ::memstats::testing::ReadText;
using ::memstats::testing::TempDir;
using ::memstats::testing::WaitForFile;

constexpr uint64_t kMiB = 1 << 20;

class CgroupLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEMSTATS_REQUIRE_ROOT();
    absl::StatusOr<std::unique_ptr<scan::ProcSource>> proc = scan::NewLiveProcSource();
    ASSERT_OK(proc);
    absl::StatusOr<CgroupSetup> setup = LiveCgroupSetup(**proc);
    ASSERT_OK(setup);
    cg_ = RunCgroup::Create(*setup, std::make_unique<CgroupFs>());
    if (!cg_->active()) {
      // Root, but this machine gives no memory cgroup (e.g. pure v2 without
      // memory delegated to memstats's cgroup).
      if (::memstats::testing::UnderCi()) FAIL() << cg_->Source();
      GTEST_SKIP() << cg_->Source();
    }
  }

  // Runs argv in the cgroup to its end; returns its exit code.
  int RunInCgroup(const std::vector<std::string>& argv) {
    CommandSpec spec;
    spec.argv = argv;
    spec.cgroup_procs_fd = cg_->procs_fd();
    absl::StatusOr<RunningCommand> cmd = StartCommand(spec);
    EXPECT_OK(cmd);
    if (!cmd.ok()) return -1;
    EXPECT_OK(cmd->cgroup_status());
    absl::StatusOr<ExitInfo> exit = cmd->Wait();
    EXPECT_OK(exit);
    return exit.ok() ? exit->exit_code : -1;
  }

  std::unique_ptr<RunCgroup> cg_;
};

TEST_F(CgroupLiveTest, PeakOfA64MiBCommand) {
  const std::string dir = cg_->path();
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  ASSERT_EQ(RunInCgroup({MEMSTATS_TOUCH_HELPER, "64"}), 0);
  absl::StatusOr<uint64_t> peak = cg_->PeakBytes();
  ASSERT_OK(peak);
  // 64 MiB written; the rest is the static helper's runtime, its page
  // tables and the kernel's per-cpu charge batches.
  constexpr uint64_t kTolerance = 16 * kMiB;
  EXPECT_GE(*peak, 64 * kMiB);
  EXPECT_LT(*peak, 64 * kMiB + kTolerance);
  RecordProperty("peak_bytes", std::to_string(*peak));
  std::cout << cg_->Source() << ": peak " << *peak << " bytes (64 MiB + "
            << (*peak - std::min(*peak, 64 * kMiB)) / 1024 << " KiB)\n";
  // Everything has exited: nothing in it, nothing charged but caches.
  absl::StatusOr<std::vector<int>> pids = cg_->Pids();
  ASSERT_OK(pids);
  EXPECT_TRUE(pids->empty());
  absl::StatusOr<int> moved = cg_->Remove();
  ASSERT_OK(moved);
  EXPECT_EQ(*moved, 0);
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST_F(CgroupLiveTest, CommandIsInTheCgroupFromItsFirstInstruction) {
  TempDir tmp;
  const std::string out = tmp.Path("cgroup");
  ASSERT_EQ(RunInCgroup({"sh", "-c", "cat /proc/self/cgroup > \"$0\"", out}), 0);
  // The cgroup's name is the last component of every line that names it.
  const std::string name = std::filesystem::path(cg_->path()).filename().string();
  EXPECT_NE(ReadText(out).find("/" + name + "\n"), std::string::npos) << ReadText(out);
}

// A grandchild that outlives the command (a daemon): listed by Pids() after
// its parent exited, then moved to memstats's own cgroup on Remove.
TEST_F(CgroupLiveTest, PidsKeepsAReparentedGrandchildAndRemoveMovesIt) {
  TempDir tmp;
  const std::string pid_file = tmp.Path("pid");
  ASSERT_EQ(RunInCgroup({"sh", "-c", "sleep 60 & echo $! > \"$0\"", pid_file}), 0);
  ASSERT_TRUE(WaitForFile(pid_file, 5000));
  int grandchild = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadText(pid_file)), &grandchild));
  absl::StatusOr<std::vector<int>> pids = cg_->Pids();
  ASSERT_OK(pids);
  EXPECT_EQ(*pids, std::vector<int>{grandchild});

  const std::string dir = cg_->path();
  const std::string own = ReadText("/proc/self/cgroup");
  absl::StatusOr<int> moved = cg_->Remove();
  ASSERT_OK(moved);
  EXPECT_EQ(*moved, 1);
  EXPECT_FALSE(std::filesystem::exists(dir));
  // Now where memstats (this test) is.
  EXPECT_EQ(ReadText(absl::StrCat("/proc/", grandchild, "/cgroup")), own);
  kill(grandchild, SIGKILL);
}

}  // namespace
}  // namespace memstats::exec
