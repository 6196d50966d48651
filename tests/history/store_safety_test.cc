// What Store::Create and Store::OpenReadOnly refuse, and that a refused
// file is left byte for byte as it was (memstats runs as root; the path is
// the user's).
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "history/store.h"
#include "history_test_util.h"
#include "test_util.h"

namespace memstats::history {
namespace {

using memstats::testing::ReadWhole;
using memstats::testing::RunSql;
using memstats::testing::TempDir;
using memstats::testing::WriteWhole;
using ::testing::HasSubstr;

RecordingInfo Info() {
  RecordingInfo info;
  info.host = "web1";
  info.target = "pid 1";
  return info;
}

// Both ways of opening refuse `path` with InvalidArgumentError, naming it
// and saying `what`; the file (if any) and its directory are unchanged.
void ExpectRefused(const TempDir& dir, const std::string& path,
                   const std::string& what) {
  const std::string before = ReadWhole(path);
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  auto created = Store::Create(path, Info());
  EXPECT_TRUE(absl::IsInvalidArgument(created.status())) << created.status();
  EXPECT_THAT(created.status().message(),
              HasSubstr("database '" + path + "': "));
  EXPECT_THAT(created.status().message(), HasSubstr(what));
  auto opened = Store::OpenReadOnly(path);
  EXPECT_TRUE(absl::IsInvalidArgument(opened.status())) << opened.status();
  EXPECT_THAT(opened.status().message(), HasSubstr(what));
  EXPECT_EQ(ReadWhole(path), before);
  size_t after = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++after;
  }
  EXPECT_EQ(after, entries) << "no -wal, -shm or journal left behind";
}

TEST(StoreSafety, NotSqliteIsRefusedUntouched) {
  TempDir dir;
  const std::string path = dir.File("notes.txt");
  std::string text = "precious notes, not a database\n";
  for (int i = 0; i < 200; ++i) text += "line " + std::to_string(i) + "\n";
  WriteWhole(path, text);
  ExpectRefused(dir, path, "is not a memstats database (not an SQLite file)");
  EXPECT_EQ(ReadWhole(path), text);
}

// The 16-byte header of SQLite, then garbage: SQLite itself refuses it.
TEST(StoreSafety, BrokenSqliteIsRefusedUntouched) {
  TempDir dir;
  const std::string path = dir.File("broken.db");
  std::string bytes("SQLite format 3", 16);
  for (int i = 0; i < 4096; ++i) bytes += static_cast<char>(i * 7 + 3);
  WriteWhole(path, bytes);
  ExpectRefused(dir, path, "is not a memstats database (");
  EXPECT_EQ(ReadWhole(path), bytes);
}

TEST(StoreSafety, ForeignSqliteIsRefusedUntouched) {
  TempDir dir;
  const std::string path = dir.File("other.db");
  RunSql(path,
         "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);"
         "INSERT INTO accounts (name) VALUES ('alice'), ('bob');");
  ExpectRefused(dir, path, "is an SQLite database but not a memstats one");
}

TEST(StoreSafety, ForeignSqliteInWalModeIsRefusedUntouched) {
  TempDir dir;
  const std::string path = dir.File("other.db");
  RunSql(path,
         "PRAGMA journal_mode = WAL;"
         "CREATE TABLE meta (key TEXT, value TEXT);"
         "INSERT INTO meta VALUES ('format', 'somebody-else');");
  ExpectRefused(dir, path, "meta format 'somebody-else'");
}

TEST(StoreSafety, NewerVersionIsRefusedUntouched) {
  TempDir dir;
  const std::string path = dir.File("app.db");
  ASSERT_OK(Store::Create(path, Info()));
  RunSql(path, "UPDATE meta SET value = '2' WHERE key = 'version'");
  ExpectRefused(dir, path,
                "was written by a newer memstats (history format version 2; "
                "this memstats reads version 1 and older)");
}

TEST(StoreSafety, SymbolicLinkIsRefusedAndItsTargetUntouched) {
  TempDir dir;
  // The target is a memstats database: still not opened through a link.
  const std::string target = dir.File("real.db");
  ASSERT_OK(Store::Create(target, Info()));
  const std::string link = dir.File("link.db");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  const std::string before = ReadWhole(target);
  ExpectRefused(dir, link, "is a symbolic link");
  EXPECT_EQ(ReadWhole(target), before);
}

TEST(StoreSafety, DanglingLinkCreatesNothing) {
  TempDir dir;
  const std::string target = dir.File("planted");
  const std::string link = dir.File("app.db");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  ExpectRefused(dir, link, "is a symbolic link");
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST(StoreSafety, NewFileHasMode0600WhateverTheUmask) {
  TempDir dir;
  const std::string path = dir.File("app.db");
  const mode_t old = ::umask(0);
  auto store = Store::Create(path, Info());
  ::umask(old);
  ASSERT_OK(store);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // SQLite gives its -wal and -shm files the database's mode.
  ASSERT_EQ(::stat((path + "-wal").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(StoreSafety, MissingDirectoryIsAClearError) {
  TempDir dir;
  const std::string path = dir.File("no/such/dir/app.db");
  auto store = Store::Create(path, Info());
  EXPECT_TRUE(absl::IsInvalidArgument(store.status()));
  EXPECT_EQ(store.status().message(), "database '" + path + "': directory '" +
                                          dir.File("no/such/dir") +
                                          "' does not exist");
  EXPECT_FALSE(std::filesystem::exists(dir.File("no")));
}

TEST(StoreSafety, MissingFileIsAClearErrorForReaders) {
  TempDir dir;
  const std::string path = dir.File("absent.db");
  auto store = Store::OpenReadOnly(path);
  EXPECT_TRUE(absl::IsInvalidArgument(store.status()));
  EXPECT_EQ(store.status().message(), "database '" + path + "': no such file");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(StoreSafety, DirectoryAndFifoAreRefused) {
  TempDir dir;
  const std::string sub = dir.File("sub");
  ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
  ExpectRefused(dir, sub, "is a directory");
  const std::string fifo = dir.File("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Opening must not block waiting for a writer.
  auto store = Store::Create(fifo, Info());
  EXPECT_THAT(store.status().message(), HasSubstr("is not a regular file"));
}

TEST(StoreSafety, EmptyFileIsRefusedUnlessItLooksNew) {
  TempDir dir;
  const std::string shared = dir.File("shared.db");
  WriteWhole(shared, "");
  ASSERT_EQ(::chmod(shared.c_str(), 0644), 0);
  ExpectRefused(dir, shared, "is an empty file, not a memstats database");

  // Mode 0600 and ours: what mktemp, or a Create killed before its first
  // commit, leaves. Taken as a new database.
  const std::string fresh = dir.File("fresh.db");
  WriteWhole(fresh, "");
  ASSERT_EQ(::chmod(fresh.c_str(), 0600), 0);
  auto store = Store::Create(fresh, Info());
  ASSERT_OK(store);
  EXPECT_EQ((*store)->recording(), 1);
}

}  // namespace
}  // namespace memstats::history
