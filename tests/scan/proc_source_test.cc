// The live ProcSource's task list, on a directory tree shaped like /proc
// that the test writes (the same code reads /proc itself).
#include "scan/proc_source.h"

#include <filesystem>
#include <fstream>
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

}  // namespace
}  // namespace memstats::scan
