// WriteOutputFile: whole file or nothing, never through a symbolic link.
#include "cli/output_file.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace memstats::cli {
namespace {

using ::testing::HasSubstr;

class OutputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/memstats_output_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::set<std::string> Entries() const {
    std::set<std::string> names;
    DIR* d = ::opendir(dir_.c_str());
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.insert(n);
    }
    ::closedir(d);
    return names;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static mode_t Mode(const std::string& path) {
    struct stat st;
    EXPECT_EQ(::lstat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  std::string dir_;
};

TEST_F(OutputFileTest, NewFileIsWholeAndPrivate) {
  ASSERT_OK(WriteOutputFile(Path("out.txt"), "hello\n"));
  EXPECT_EQ(Read(Path("out.txt")), "hello\n");
  EXPECT_EQ(Mode(Path("out.txt")), 0600u);
  EXPECT_EQ(Entries(), std::set<std::string>{"out.txt"});
}

TEST_F(OutputFileTest, ReplacingKeepsTheOldFilesMode) {
  {
    std::ofstream(Path("out.txt")) << "old content that is longer\n";
  }
  ASSERT_EQ(::chmod(Path("out.txt").c_str(), 0644), 0);
  ASSERT_OK(WriteOutputFile(Path("out.txt"), "new\n"));
  EXPECT_EQ(Read(Path("out.txt")), "new\n");
  EXPECT_EQ(Mode(Path("out.txt")), 0644u);
  EXPECT_EQ(Entries(), std::set<std::string>{"out.txt"});
}

TEST_F(OutputFileTest, RefusesASymlinkAndLeavesItsTargetAlone) {
  {
    std::ofstream(Path("target")) << "precious\n";
  }
  ASSERT_EQ(::symlink(Path("target").c_str(), Path("out.txt").c_str()), 0);
  for (auto s : {CheckOutputPath(Path("out.txt")),
                 WriteOutputFile(Path("out.txt"), "evil\n")}) {
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("symbolic link"));
  }
  EXPECT_EQ(Read(Path("target")), "precious\n");
  EXPECT_EQ(Entries(), (std::set<std::string>{"out.txt", "target"}));
}

TEST_F(OutputFileTest, DanglingSymlinkIsRefusedAndNothingIsCreated) {
  ASSERT_EQ(::symlink(Path("nowhere").c_str(), Path("out.txt").c_str()), 0);
  absl::Status s = WriteOutputFile(Path("out.txt"), "x");
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_EQ(Entries(), std::set<std::string>{"out.txt"});
}

TEST_F(OutputFileTest, MissingDirectoryIsNamed) {
  for (auto s : {CheckOutputPath(Path("no/such/out.txt")),
                 WriteOutputFile(Path("no/such/out.txt"), "x")}) {
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    EXPECT_THAT(std::string(s.message()),
                HasSubstr("directory '" + Path("no/such") +
                          "' does not exist"));
  }
  EXPECT_TRUE(Entries().empty());
}

TEST_F(OutputFileTest, DirectoriesFifosAndEmptyNamesAreRefused) {
  ASSERT_EQ(::mkdir(Path("sub").c_str(), 0700), 0);
  ASSERT_EQ(::mkfifo(Path("fifo").c_str(), 0600), 0);
  struct Case {
    std::string path, message;
  } cases[] = {
      {Path("sub"), "is a directory"},
      {Path("sub/"), "names a directory"},
      {Path("fifo"), "is not a regular file"},
      {"", "empty file name"},
  };
  for (const Case& c : cases) {
    absl::Status s = WriteOutputFile(c.path, "x");
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.path << ": " << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.message)) << c.path;
  }
  EXPECT_EQ(Entries(), (std::set<std::string>{"fifo", "sub"}));
}

// A SIGINT that arrives while a large file is written is held until the file
// is complete and renamed: afterwards the file is either absent or whole, and
// no temporary file is left, whenever the signal lands.
TEST_F(OutputFileTest, SigintNeverLeavesHalfAFile) {
  const std::string content(32 << 20, 'm');
  for (int delay_us : {0, 2000, 20000}) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int i = 0; i < 1000; ++i) {
        if (!WriteOutputFile(Path("big.out"), content).ok()) _exit(3);
      }
      _exit(0);
    }
    ::usleep(delay_us);
    ASSERT_EQ(::kill(child, SIGINT), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "delay " << delay_us;
    EXPECT_EQ(WTERMSIG(status), SIGINT);
    std::set<std::string> entries = Entries();
    for (const std::string& e : entries) {
      EXPECT_EQ(e, "big.out") << "stray file after SIGINT at " << delay_us;
    }
    if (entries.count("big.out")) {
      struct stat st;
      ASSERT_EQ(::stat(Path("big.out").c_str(), &st), 0);
      EXPECT_EQ(static_cast<size_t>(st.st_size), content.size());
      ASSERT_EQ(::unlink(Path("big.out").c_str()), 0);
    }
  }
}

}  // namespace
}  // namespace memstats::cli
