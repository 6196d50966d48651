// memstats snapshot on bad input: exit code 2, nothing on stdout, one
// message naming what was wrong, and no output file left behind (every case
// runs with -o into an empty directory that must stay empty).
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "cli/run_memstats.h"
#include "gtest/gtest.h"

namespace memstats::testing {
namespace {

constexpr char kProfile[] = MEMSTATS_FIXTURES_DIR "/profile";

class SnapshotBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/memstats_snapshot_bad_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    ASSERT_EQ(std::system(("rm -rf '" + dir_ + "'").c_str()), 0);
  }
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
  // Runs snapshot `args` with "-o <dir>/out.txt" unless `output` is given.
  void Expect(std::vector<std::string> args, const std::string& err,
              std::string output = "") {
    if (output.empty()) output = dir_ + "/out.txt";
    std::vector<std::string> all = {"--procfs-root", kProfile, "--threads", "1",
                                    "snapshot",      "-o",     output};
    all.insert(all.end(), args.begin(), args.end());
    RunResult r = RunMemstats(all);
    EXPECT_EQ(r.exit_code, 2) << r.Describe();
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, err);
  }
  std::string dir_;
};

TEST_F(SnapshotBadInput, InvalidRegex) {
  Expect({"nginx("},
         "memstats: error: invalid regex 'nginx(': Mismatched '(' and ')' in "
         "regular expression\n");
  EXPECT_TRUE(Entries().empty());
}

TEST_F(SnapshotBadInput, UnknownMaskLetter) {
  Expect({"-m", "frz"},
         "memstats: error: -m: unknown letter 'z' in 'frz' (expected letters "
         "from bfrwxsp)\n");
  EXPECT_TRUE(Entries().empty());
}

TEST_F(SnapshotBadInput, NonNumericPid) {
  Expect({"-p", "12x"},
         "memstats: error: -p: '12x' is not a process id (expected a positive "
         "number, or a comma-separated list of them)\n");
  Expect({"-p", "100", "-p", "100,-3"},
         "memstats: error: -p: '-3' is not a process id (expected a positive "
         "number, or a comma-separated list of them)\n");
  EXPECT_TRUE(Entries().empty());
}

// A pid named with -p that no process has; the filter's pid() would match
// nothing instead.
TEST_F(SnapshotBadInput, PidWithoutProcess) {
  Expect({"-p", "999"}, "memstats: error: -p: no process with pid 999\n");
  Expect({"-p", "100,201", "-p", "4242", "-c"},
         "memstats: error: -p: no process with pid 4242\n");
  Expect({"nginx", "-p", "99999999"},
         "memstats: error: -p: no process with pid 99999999\n");
  EXPECT_TRUE(Entries().empty());
}

TEST_F(SnapshotBadInput, SmallOutOfRange) {
  Expect({"--small", "101"},
         "memstats: error: --small: expected a percentage from 0 to 100, got "
         "101\n");
  Expect({"--small", "-1"},
         "memstats: error: --small: expected a percentage from 0 to 100, got "
         "-1\n");
  EXPECT_TRUE(Entries().empty());
}

TEST_F(SnapshotBadInput, OutputDirectoryMissing) {
  const std::string missing = dir_ + "/no/such";
  Expect({},
         "memstats: error: -o '" + missing + "/out.txt': directory '" +
             missing + "' does not exist\n",
         missing + "/out.txt");
  EXPECT_TRUE(Entries().empty());
}

TEST_F(SnapshotBadInput, OutputIsASymlink) {
  const std::string link = dir_ + "/out.txt";
  const std::string target = dir_ + "/target";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  Expect({},
         "memstats: error: -o '" + link +
             "': is a symbolic link; memstats does not write through links "
             "(remove it or name the target)\n",
         link);
  // The link is untouched and its target was not created.
  EXPECT_EQ(Entries(), std::set<std::string>{"out.txt"});
  struct stat st;
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

}  // namespace
}  // namespace memstats::testing
