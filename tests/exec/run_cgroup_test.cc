// RunCgroup on fake cgroup trees in a temporary directory: v2 and v1
// creation, reading, removal with leftover processes, and every reason for
// running without a cgroup. FakeKernelFs does what the kernel would: it
// fills a new cgroup directory with its files and moves pids on a write to
// cgroup.procs.
#include "exec/run_cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "exec/exec_test_util.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace memstats::exec {
namespace {

using ::memstats::testing::ReadText;
using ::memstats::testing::TempDir;
using ::memstats::testing::WriteText;

class FakeKernelFs : public CgroupFs {
 public:
  FakeKernelFs(const std::string& root, CgroupVersion version)
      : CgroupFs(root), version_(version) {}

  // Knobs.
  bool has_peak = true;     // false: a v2 kernel before 5.19
  int exists_rounds = 0;    // MakeDir says EEXIST this many times
  int busy_rounds = 0;      // RemoveDir says EBUSY this many times
  absl::Status mkdir_error;  // MakeDir fails with this when not OK

  // What happened.
  std::vector<std::string> made;   // real paths of the directories made
  std::vector<std::string> moved;  // pids written to a cgroup.procs
  int mkdir_calls = 0;
  int rmdir_calls = 0;

  absl::Status MakeDir(int dir_fd, const std::string& name) override {
    ++mkdir_calls;
    if (!mkdir_error.ok()) return mkdir_error;
    if (exists_rounds > 0) {
      --exists_rounds;
      return absl::AlreadyExistsError("mkdir " + name + ": File exists");
    }
    absl::Status st = CgroupFs::MakeDir(dir_fd, name);
    if (!st.ok()) return st;
    const std::string dir = RealPath(dir_fd) + "/" + name;
    made.push_back(dir);
    std::vector<std::string> files = {"cgroup.procs"};
    if (version_ == CgroupVersion::kV2) {
      files.push_back("memory.current");
      if (has_peak) files.push_back("memory.peak");
    } else {
      files.insert(files.end(), {"memory.usage_in_bytes", "memory.max_usage_in_bytes"});
    }
    for (const std::string& f : files) WriteText(dir + "/" + f, f == "cgroup.procs" ? "" : "0\n");
    return absl::OkStatus();
  }

  absl::Status RemoveDir(int dir_fd, const std::string& name) override {
    ++rmdir_calls;
    const std::string dir = RealPath(dir_fd) + "/" + name;
    if (!ReadText(dir + "/cgroup.procs").empty() || busy_rounds > 0) {
      if (busy_rounds > 0) --busy_rounds;
      return absl::FailedPreconditionError("rmdir " + name + ": Device or resource busy");
    }
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      std::filesystem::remove(entry.path(), ec);
    }
    return CgroupFs::RemoveDir(dir_fd, name);
  }

  // A pid written to any cgroup.procs leaves the cgroups made here.
  absl::Status WriteFile(int dir_fd, const std::string& name, std::string_view data) override {
    if (name != "cgroup.procs") return CgroupFs::WriteFile(dir_fd, name, data);
    moved.emplace_back(data);
    for (const std::string& dir : made) {
      const std::string procs = dir + "/cgroup.procs";
      if (!std::filesystem::exists(procs)) continue;
      const std::string line = std::string(data) + "\n";
      WriteText(procs, absl::StrReplaceAll(ReadText(procs), {{line, ""}}));
    }
    return absl::OkStatus();
  }

 private:
  static std::string RealPath(int fd) {
    return std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd)).string();
  }
  CgroupVersion version_;
};

constexpr char kV2Mounts[] =
    "27 24 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
constexpr char kV1Mounts[] =
    "29 25 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

class RunCgroupTest : public ::testing::Test {
 protected:
  // A v2 tree: memstats in /run.slice, whose subtree_control is `control`.
  void MakeV2Tree(const std::string& control) {
    std::filesystem::create_directories(tmp_.Path("sys/fs/cgroup/run.slice"));
    WriteText(tmp_.Path("sys/fs/cgroup/run.slice/cgroup.subtree_control"), control);
    setup_.mountinfo = kV2Mounts;
    setup_.proc_cgroup = "0::/run.slice\n";
  }
  void MakeV1Tree() {
    std::filesystem::create_directories(tmp_.Path("sys/fs/cgroup/memory/process_api/x"));
    setup_.mountinfo = kV1Mounts;
    setup_.proc_cgroup = "4:memory:/process_api/x\n0::/\n";
  }
  std::unique_ptr<RunCgroup> Create(CgroupVersion v, FakeKernelFs** fake = nullptr) {
    auto fs = std::make_unique<FakeKernelFs>(tmp_.path(), v);
    if (fake != nullptr) *fake = fs.get();
    fs_ = fs.get();
    return RunCgroup::Create(setup_, std::move(fs));
  }
  // The real path of the run's cgroup directory.
  std::string Dir(const RunCgroup& cg) const { return tmp_.path() + cg.path(); }

  TempDir tmp_;
  CgroupSetup setup_{.mountinfo = "", .proc_cgroup = "", .is_root = true, .pid = 4242};
  FakeKernelFs* fs_ = nullptr;
};

TEST_F(RunCgroupTest, V2CreatesReadsAndRemoves) {
  MakeV2Tree("cpu memory pids\n");
  std::unique_ptr<RunCgroup> cg = Create(CgroupVersion::kV2);
  ASSERT_TRUE(cg->active()) << cg->Source();
  EXPECT_EQ(cg->version(), CgroupVersion::kV2);
  EXPECT_EQ(cg->Source(), "cgroup v2 memory.peak");
  EXPECT_TRUE(cg->path().starts_with("/sys/fs/cgroup/run.slice/memstats-run-4242-")) << cg->path();
  EXPECT_GE(cg->procs_fd(), 0);
  ASSERT_TRUE(std::filesystem::is_directory(Dir(*cg)));

  WriteText(Dir(*cg) + "/cgroup.procs", "70\n3\n70\n");
  WriteText(Dir(*cg) + "/memory.peak", "123456789\n");
  WriteText(Dir(*cg) + "/memory.current", "4096\n");
  absl::StatusOr<std::vector<int>> pids = cg->Pids();
  ASSERT_OK(pids);
  EXPECT_EQ(*pids, (std::vector<int>{3, 70}));
  absl::StatusOr<uint64_t> peak = cg->PeakBytes();
  ASSERT_OK(peak);
  EXPECT_EQ(*peak, 123456789u);
  absl::StatusOr<uint64_t> current = cg->CurrentBytes();
  ASSERT_OK(current);
  EXPECT_EQ(*current, 4096u);

  // Two processes left behind (a daemon and its child): moved to the
  // parent, then the directory goes.
  WriteText(Dir(*cg) + "/cgroup.procs", "70\n3\n");
  absl::StatusOr<int> moved = cg->Remove();
  ASSERT_OK(moved);
  EXPECT_EQ(*moved, 2);
  EXPECT_EQ(fs_->moved, (std::vector<std::string>{"70", "3"}));
  EXPECT_FALSE(std::filesystem::exists(Dir(*cg)));
  EXPECT_FALSE(cg->active());
  absl::StatusOr<int> again = cg->Remove();
  ASSERT_OK(again);
  EXPECT_EQ(*again, 0);
}

TEST_F(RunCgroupTest, V1ReadsMaxUsageInBytes) {
  MakeV1Tree();
  std::unique_ptr<RunCgroup> cg = Create(CgroupVersion::kV1);
  ASSERT_TRUE(cg->active()) << cg->Source();
  EXPECT_EQ(cg->Source(), "cgroup v1 memory.max_usage_in_bytes");
  EXPECT_TRUE(cg->path().starts_with("/sys/fs/cgroup/memory/process_api/x/memstats-run-4242-"));
  WriteText(Dir(*cg) + "/memory.max_usage_in_bytes", "67108864\n");
  WriteText(Dir(*cg) + "/memory.usage_in_bytes", "8192\n");
  EXPECT_EQ(cg->PeakBytes().value_or(0), 67108864u);
  EXPECT_EQ(cg->CurrentBytes().value_or(0), 8192u);
  const std::string dir = Dir(*cg);
  cg.reset();  // the destructor removes it
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST_F(RunCgroupTest, ReasonsForNoCgroup) {
  MakeV2Tree("cpu pids\n");
  {
    std::unique_ptr<RunCgroup> cg = Create(CgroupVersion::kV2);
    EXPECT_FALSE(cg->active());
    EXPECT_EQ(cg->Source(),
              "no cgroup: no memory controller (not in /sys/fs/cgroup/run.slice/cgroup.subtree_control)");
    EXPECT_TRUE(fs_->made.empty());
    EXPECT_EQ(cg->procs_fd(), -1);
    EXPECT_FALSE(cg->PeakBytes().ok());
    EXPECT_FALSE(cg->Pids().ok());
  }
  MakeV2Tree("memory\n");
  setup_.is_root = false;
  {
    std::unique_ptr<RunCgroup> cg = Create(CgroupVersion::kV2);
    EXPECT_EQ(cg->Source(), "no cgroup: not root");
    EXPECT_TRUE(fs_->made.empty());
  }
  setup_.is_root = true;
  setup_.proc_cgroup = "0::/elsewhere\n";  // its directory does not exist
  {
    std::unique_ptr<RunCgroup> cg = Create(CgroupVersion::kV2);
    EXPECT_FALSE(cg->active());
    EXPECT_NE(cg->Source().find("no cgroup: /sys/fs/cgroup/elsewhere: "), std::string::npos) << cg->Source();
  }
  setup_.proc_cgroup = "garbage\n";
  {
    std::unique_ptr<RunCgroup> cg = Create(CgroupVersion::kV2);
    EXPECT_NE(cg->Source().find("malformed line"), std::string::npos) << cg->Source();
  }
}

TEST_F(RunCgroupTest, V2KernelWithoutMemoryPeak) {
  MakeV2Tree("memory\n");
  auto fs = std::make_unique<FakeKernelFs>(tmp_.path(), CgroupVersion::kV2);
  fs->has_peak = false;
  FakeKernelFs* fake = fs.get();
  std::unique_ptr<RunCgroup> cg = RunCgroup::Create(setup_, std::move(fs));
  EXPECT_FALSE(cg->active());
  EXPECT_NE(cg->Source().find("has no memory.peak (Linux before 5.19)"), std::string::npos)
      << cg->Source();
  ASSERT_EQ(fake->made.size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(fake->made[0]));  // made, then removed
}

TEST_F(RunCgroupTest, MkdirFailureAndNameTaken) {
  MakeV2Tree("memory\n");
  auto fs = std::make_unique<FakeKernelFs>(tmp_.path(), CgroupVersion::kV2);
  fs->mkdir_error = absl::PermissionDeniedError("mkdir x: Permission denied");
  std::unique_ptr<RunCgroup> cg = RunCgroup::Create(setup_, std::move(fs));
  EXPECT_FALSE(cg->active());
  EXPECT_NE(cg->Source().find("no cgroup: mkdir /sys/fs/cgroup/run.slice/memstats-run-4242-"),
            std::string::npos)
      << cg->Source();

  // A name that exists (another run's, or planted) is never reused: the
  // next one is tried.
  auto fs2 = std::make_unique<FakeKernelFs>(tmp_.path(), CgroupVersion::kV2);
  fs2->exists_rounds = 1;
  FakeKernelFs* fake = fs2.get();
  std::unique_ptr<RunCgroup> second = RunCgroup::Create(setup_, std::move(fs2));
  ASSERT_TRUE(second->active()) << second->Source();
  EXPECT_EQ(fake->mkdir_calls, 2);
  ASSERT_EQ(fake->made.size(), 1u);
  EXPECT_EQ(fake->made[0], Dir(*second));
}

TEST_F(RunCgroupTest, SymlinkToTheCgroupIsNotFollowed) {
  std::filesystem::create_directories(tmp_.Path("real/run.slice"));
  WriteText(tmp_.Path("real/run.slice/cgroup.subtree_control"), "memory\n");
  std::filesystem::create_directories(tmp_.Path("sys/fs"));
  std::filesystem::create_directory_symlink(tmp_.Path("real"), tmp_.Path("sys/fs/cgroup"));
  setup_.mountinfo = kV2Mounts;
  setup_.proc_cgroup = "0::/run.slice\n";
  FakeKernelFs* fake = nullptr;
  std::unique_ptr<RunCgroup> cg = Create(CgroupVersion::kV2, &fake);
  EXPECT_FALSE(cg->active());
  EXPECT_TRUE(fake->made.empty());
  EXPECT_TRUE(cg->Source().starts_with("no cgroup: /sys/fs/cgroup/run.slice: ")) << cg->Source();
}

TEST_F(RunCgroupTest, RemoveRetriesWhileBusyThenReports) {
  MakeV2Tree("memory\n");
  FakeKernelFs* fake = nullptr;
  std::unique_ptr<RunCgroup> cg = Create(CgroupVersion::kV2, &fake);
  ASSERT_TRUE(cg->active());
  fake->busy_rounds = 2;  // a process forked while the others were moved
  absl::StatusOr<int> moved = cg->Remove();
  ASSERT_OK(moved);
  EXPECT_EQ(fake->rmdir_calls, 3);
  EXPECT_FALSE(std::filesystem::exists(fake->made[0]));

  std::unique_ptr<RunCgroup> stuck = Create(CgroupVersion::kV2, &fake);
  ASSERT_TRUE(stuck->active());
  fake->busy_rounds = 100;
  fake->rmdir_calls = 0;
  moved = stuck->Remove();
  EXPECT_TRUE(absl::IsFailedPrecondition(moved.status())) << moved.status();
  EXPECT_NE(moved.status().message().find("the cgroup " + stuck->path() + " was left behind"),
            std::string::npos)
      << moved.status();
  EXPECT_EQ(fake->rmdir_calls, 5);
  fake->busy_rounds = 0;
}

TEST_F(RunCgroupTest, AbandonRemovesAndSaysWhy) {
  MakeV2Tree("memory\n");
  FakeKernelFs* fake = nullptr;
  std::unique_ptr<RunCgroup> cg = Create(CgroupVersion::kV2, &fake);
  ASSERT_TRUE(cg->active());
  cg->Abandon("the command could not join its cgroup: Permission denied");
  EXPECT_FALSE(cg->active());
  EXPECT_EQ(cg->Source(), "no cgroup: the command could not join its cgroup: Permission denied");
  EXPECT_FALSE(std::filesystem::exists(fake->made[0]));
}

}  // namespace
}  // namespace memstats::exec
