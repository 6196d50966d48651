// The live ProcSource's task list, on a directory tree shaped like /proc
// that the test writes (the same code reads /proc itself), and its reads
// of a real process's files, which stop at the first short read for the
// files the kernel makes in one go.
#include "scan/proc_source.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "test_util.h"

namespace memstats::scan {
namespace {

namespace fs = std::filesystem;

class ProcTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "memstats_proc_XXXXXX");
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const fs::path& relative, const std::string& text) {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative) << text;
  }

  fs::path root_;
};

TEST_F(ProcTreeTest, ListsNumericTasksAscending) {
  Write("123/task/1000/syscall", "running\n");
  Write("123/task/124/syscall", "-1 0x7ffc2b3e1a48 0x7f1d5b2e7d36\n");
  Write("123/task/123/syscall", "running\n");
  Write("123/task/attr/current", "");  // not a task
  Write("123/task/0123/stat", "");     // not a kernel tid either
  auto source = NewLiveProcSource(root_.string());
  ASSERT_OK(source);
  auto handle = (*source)->OpenProcess(123);
  ASSERT_OK(handle);
  auto tasks = (*handle)->ListTasks();
  ASSERT_OK(tasks);
  EXPECT_EQ(*tasks, (std::vector<int>{123, 124, 1000}));
  auto syscall = (*handle)->ReadFile("task/124/syscall");
  ASSERT_OK(syscall);
  EXPECT_EQ(*syscall, "-1 0x7ffc2b3e1a48 0x7f1d5b2e7d36\n");
  EXPECT_TRUE(
      absl::IsNotFound((*handle)->ReadFile("task/125/syscall").status()));
}

TEST_F(ProcTreeTest, MissingTaskDirectoryIsNotFound) {
  Write("7/stat", "");
  auto source = NewLiveProcSource(root_.string());
  ASSERT_OK(source);
  auto handle = (*source)->OpenProcess(7);
  ASSERT_OK(handle);
  EXPECT_TRUE(absl::IsNotFound((*handle)->ListTasks().status()));
}

TEST_F(ProcTreeTest, TaskSymlinkIsNotFollowed) {
  Write("8/elsewhere/9/syscall", "running\n");
  fs::create_directory_symlink("elsewhere", root_ / "8" / "task");
  auto source = NewLiveProcSource(root_.string());
  ASSERT_OK(source);
  auto handle = (*source)->OpenProcess(8);
  ASSERT_OK(handle);
  // ELOOP: neither vanished nor denied.
  EXPECT_EQ((*handle)->ListTasks().status().code(),
            absl::StatusCode::kInternal);
}

// ReadProcessFile reads PID/NAME beneath the root without a directory
// handle, and through no symbolic link: neither at the file, nor at the
// process directory (a tree others can write could plant either), as
// OpenProcess's O_NOFOLLOW refuses them.
TEST_F(ProcTreeTest, ReadProcessFileFollowsNoSymlink) {
  Write("5/stat", "5 (five) S 1 5 5 0 -1 4194560\n");
  Write("elsewhere/stat", "6 (planted) S 1\n");
  fs::create_directory_symlink("elsewhere", root_ / "6");
  Write("7/real", "7 (planted) S 1\n");
  fs::create_symlink("real", root_ / "7" / "stat");
  auto source = NewLiveProcSource(root_.string());
  ASSERT_OK(source);
  auto five = (*source)->ReadProcessFile(5, "stat");
  ASSERT_OK(five);
  EXPECT_EQ(*five, "5 (five) S 1 5 5 0 -1 4194560\n");
  EXPECT_TRUE(absl::IsNotFound((*source)->ReadProcessFile(9, "stat").status()));
  for (int pid : {6, 7}) {
    SCOPED_TRACE(pid);
    auto planted = (*source)->ReadProcessFile(pid, "stat");
    EXPECT_FALSE(planted.ok());
    // ELOOP: neither vanished nor denied.
    EXPECT_EQ(planted.status().code(), absl::StatusCode::kInternal);
  }
  EXPECT_FALSE((*source)->OpenProcess(6).ok());
}

// A child with a 20,000-byte argument and a 10,000-byte environment
// variable: its cmdline and environ take several reads of 4 KiB and more,
// each full until the last; what the source reads equals what a plain read
// to the end gives, for these and for stat, status and cgroup.
TEST(LiveProcFilesTest, FilesEndingAtAShortReadAreReadWhole) {
  // sleep adds up its operands: 30 seconds plus 20,000 zeros.
  const std::string arg(20000, '0');
  const std::string var = "MEMSTATS_BIG=" + std::string(10000, 'e');
  const char* argv[] = {"/bin/sleep", "30", arg.c_str(), nullptr};
  const char* envp[] = {var.c_str(), nullptr};
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, "/bin/sleep", nullptr, nullptr,
                          const_cast<char* const*>(argv),
                          const_cast<char* const*>(envp)),
            0);
  auto source = NewLiveProcSource("/proc");
  ASSERT_OK(source);
  auto handle = (*source)->OpenProcess(pid);
  ASSERT_OK(handle);
  // The exec is done once the cmdline shows the argument.
  for (int i = 0; i < 200; ++i) {
    auto c = (*handle)->ReadFile("cmdline");
    if (c.ok() && c->size() > 20000) break;
    ::usleep(10 * 1000);
  }
  for (const char* name : {"cmdline", "environ", "stat", "status", "cgroup"}) {
    SCOPED_TRACE(name);
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + name);
    std::ostringstream whole;
    whole << in.rdbuf();
    auto got = (*handle)->ReadFile(name);
    ASSERT_OK(got);
    if (std::string(name) == "stat" || std::string(name) == "status") {
      // Their times and counters move between two reads; the size of
      // their text stays within a few bytes.
      EXPECT_NEAR(static_cast<double>(got->size()),
                  static_cast<double>(whole.str().size()), 16.0);
      EXPECT_EQ(got->back(), '\n');
    } else {
      EXPECT_EQ(*got, whole.str());
    }
  }
  EXPECT_GT((*handle)->ReadFile("cmdline")->size(), 20000u);
  EXPECT_GT((*handle)->ReadFile("environ")->size(), 10000u);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

}  // namespace
}  // namespace memstats::scan
