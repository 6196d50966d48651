// ParseTmpfsMounts on mountinfo lines (proc(5)), and the live walk on a
// directory this test makes (any file system: the walk does not care).
#include "machine/tmpfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace memstats::machine {
namespace {

TEST(ParseTmpfsMountsTest, KeepsTmpfsDecodesEscapes) {
  auto m = ParseTmpfsMounts(
      "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "24 22 0:25 / /dev/shm rw shared:4 master:1 - tmpfs shm rw\n"
      "25 22 0:260 / /a\\040b\\134c rw - tmpfs my\\040src rw\n");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].major, 0u);
  EXPECT_EQ((*m)[0].minor, 25u);
  EXPECT_EQ((*m)[0].mount_point, "/dev/shm");
  EXPECT_EQ((*m)[0].source, "shm");
  EXPECT_EQ((*m)[1].minor, 260u);
  EXPECT_EQ((*m)[1].mount_point, "/a b\\c");
  EXPECT_EQ((*m)[1].source, "my src");
}

TEST(ParseTmpfsMountsTest, MalformedLineNamesIt) {
  auto m = ParseTmpfsMounts("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n24 22 0:25\n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("line 2"), std::string::npos);
  auto bad = ParseTmpfsMounts("24 22 x:y / /dev/shm rw - tmpfs shm rw\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("x:y"), std::string::npos);
}

TEST(LiveFsSourceTest, WalksFilesNeverSymlinks) {
  char tmpl[] = "/tmp/memstats_tmpfs_test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  auto write = [](const std::string& path, size_t bytes) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    ASSERT_GE(fd, 0) << path;
    std::string data(bytes, 'x');
    ASSERT_EQ(::write(fd, data.data(), data.size()),
              static_cast<ssize_t>(bytes));
    close(fd);
  };
  ASSERT_EQ(mkdir((dir + "/sub").c_str(), 0700), 0);
  write(dir + "/a", 8192);
  write(dir + "/sub/b", 100);
  ASSERT_EQ(symlink("/etc", (dir + "/link").c_str()), 0);
  ASSERT_EQ(symlink("/etc/passwd", (dir + "/flink").c_str()), 0);

  auto fs = NewLiveFsSource();
  auto listing = fs->ListFiles(dir);
  ASSERT_TRUE(listing.ok()) << listing.status();
  std::vector<TmpfsFile>* files = &listing->files;
  struct stat dst;
  ASSERT_EQ(stat(dir.c_str(), &dst), 0);
  EXPECT_EQ(listing->major, major(dst.st_dev));
  EXPECT_EQ(listing->minor, minor(dst.st_dev));
  std::sort(files->begin(), files->end(),
            [](const TmpfsFile& x, const TmpfsFile& y) { return x.path < y.path; });
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, dir + "/a");
  EXPECT_EQ((*files)[0].size, 8192u);
  struct stat st;
  ASSERT_EQ(stat((dir + "/a").c_str(), &st), 0);
  EXPECT_EQ((*files)[0].allocated, static_cast<uint64_t>(st.st_blocks) * 512);
  EXPECT_EQ((*files)[0].inode, st.st_ino);
  EXPECT_EQ((*files)[1].path, dir + "/sub/b");
  // A symlink as the mount point itself is refused.
  EXPECT_FALSE(fs->ListFiles(dir + "/link").ok());
  EXPECT_TRUE(fs->StatVfs(dir).ok());

  for (const char* f : {"/a", "/sub/b", "/link", "/flink"}) {
    unlink((dir + f).c_str());
  }
  rmdir((dir + "/sub").c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace memstats::machine
