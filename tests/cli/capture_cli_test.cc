// memstats capture and --from, the binary: on the fixture trees, every
// analysis of a capture prints exactly what the same analysis of the tree
// prints (JSON, the scan time aside); and bad input, each with a message
// naming what was wrong, exit 2 and nothing left behind.
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <ostream>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "capture/capture_file.h"
#include "cli/run_memstats.h"
#include "gtest/gtest.h"
#include "history/history_test_util.h"

namespace memstats::testing {
namespace {

// Masks what depends on the clock: the scan's duration, and top's "time"
// (the capture's wall clock in a replay, the time of the run live: the two
// runs can fall in different seconds).
// Also how the pages were read, not what they are: a fixture tree has no
// PAGEMAP_SCAN, so no shared object's window is taken from another read,
// and the replay of its capture has it.
std::string MaskSeconds(const std::string& json) {
  static const std::regex kSeconds("\"seconds\": ?[0-9.e+-]+");
  static const std::regex kTime("\"time\": ?\"[0-9]{2}:[0-9]{2}:[0-9]{2}\"");
  static const std::regex kReused("\"shared_windows_reused\": ?[0-9]+");
  std::string out = std::regex_replace(
      std::regex_replace(json, kSeconds, "\"seconds\":X"), kTime, "\"time\":X");
  return std::regex_replace(out, kReused, "\"shared_windows_reused\":X");
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Captures tests/fixtures/<tree> into `file` (keeping APP's values).
void Capture(const std::string& tree, const std::string& file) {
  RunResult r = RunMemstats({"--procfs-root",
                             std::string(MEMSTATS_FIXTURES_DIR "/") + tree,
                             "capture", "-o", file, "--env", "APP"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "");
}

struct Case {
  const char* tree;
  std::vector<std::string> args;
};
// The test's name in ctest (gtest_discover_tests appends the parameter as
// printed): the tree and the arguments, never the bytes of the struct,
// which hold pointers and change from run to run.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.tree;
  for (const std::string& a : c.args) *os << ' ' << a;
}

class SameAnswer : public ::testing::TestWithParam<Case> {};

TEST_P(SameAnswer, FromTheCaptureAsFromTheTree) {
  const Case& c = GetParam();
  TempDir dir;
  const std::string file = dir.File("c.msnap");
  Capture(c.tree, file);
  std::vector<std::string> live = {
      "--procfs-root", std::string(MEMSTATS_FIXTURES_DIR "/") + c.tree};
  std::vector<std::string> replay = {"--from", file};
  live.insert(live.end(), c.args.begin(), c.args.end());
  replay.insert(replay.end(), c.args.begin(), c.args.end());
  RunResult a = RunMemstats(live);
  RunResult b = RunMemstats(replay);
  ASSERT_EQ(a.exit_code, 0) << a.Describe();
  ASSERT_EQ(b.exit_code, 0) << b.Describe();
  EXPECT_EQ(MaskSeconds(b.out), MaskSeconds(a.out));
  EXPECT_EQ(b.err, a.err);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, SameAnswer,
    ::testing::Values(
        Case{"basic",
             {"--threads", "1", "groups", "--json", "--split-uid",
              "--split-comm", "--split-env", "APP", "--split-user"}},
        Case{"basic",
             {"--threads", "1", "--filter", "env_kv(APP,web)", "single",
              "--json"}},
        Case{"basic",
             {"--threads", "1", "--list-processes", "groups", "--json"}},
        Case{"basic", {"--threads", "1", "snapshot", "--json"}},
        Case{"profile", {"--threads", "1", "top", "--json"}},
        Case{"profile", {"--threads", "1", "top", "-g", "user", "--json"}},
        Case{"profile", {"--threads", "1", "snapshot", "--json"}},
        Case{"profile", {"--threads", "1", "snapshot", "-p", "200", "--json"}},
        Case{"profile",
             {"--threads", "1", "groups", "--json", "--split-cgroup"}},
        Case{"exe_names", {"--threads", "1", "top", "--json"}},
        Case{"exe_names", {"--threads", "1", "snapshot", "--json"}},
        Case{"procinfo", {"procinfo", "400", "--json"}},
        Case{"procinfo", {"procinfo", "403"}}));

TEST(CaptureCli, FileIsPrivateAndNothingElseIsLeft) {
  TempDir dir;
  const std::string file = dir.File("c.msnap");
  Capture("basic", file);
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(Files(dir.path()), std::vector<std::string>{"c.msnap"});
}

TEST(CaptureCli, EnvironmentValuesNotKeptAreRefused) {
  TempDir dir;
  const std::string file = dir.File("c.msnap");
  Capture("basic", file);
  RunResult r = RunMemstats({"--from", file, "groups", "--split-env", "HOME"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "memstats: error: " + file +
                       ": the capture holds values of APP only; capture with "
                       "--env HOME\n");
  r = RunMemstats({"--from", file, "--filter", "env_kv(PATH,/bin)", "single"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find("capture with --env PATH"), std::string::npos) << r.err;
  // The values not asked for are not in the file.
  const std::string bytes = ReadWhole(file);
  EXPECT_EQ(bytes.find("/usr/bin:/bin"), std::string::npos);
}

// Runs SQL on the capture file in place.
void EditFile(const std::string& file, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(CaptureCli, BadCapturesAreRefusedByName) {
  TempDir dir;
  const std::string good = dir.File("good.msnap");
  Capture("basic", good);
  const std::string bytes = ReadWhole(good);

  struct Bad {
    std::string name;
    std::string message;  // after "memstats: error: <path>: "
  };
  std::vector<Bad> cases;
  WriteFile(dir.File("truncated"), bytes.substr(0, bytes.size() / 2));
  cases.push_back(
      {"truncated", absl::StrFormat("truncated or corrupted (%d bytes; its "
                                    "header says %d pages of 4096)",
                                    bytes.size() / 2, bytes.size() / 4096)});
  // Bytes inside a zstd frame (its magic number 28 b5 2f fd).
  std::string flipped = bytes;
  const size_t frame = bytes.find("\x28\xb5\x2f\xfd");
  ASSERT_NE(frame, std::string::npos);
  for (size_t i = frame + 8; i < frame + 12; ++i) {
    flipped[i] = static_cast<char>(flipped[i] ^ 0xff);
  }
  WriteFile(dir.File("corrupted"), flipped);
  cases.push_back({"corrupted", ""});  // any message naming the file
  WriteFile(dir.File("notes.txt"), "not a capture\n");
  cases.push_back(
      {"notes.txt", "not a memstats capture (not an SQLite database)"});
  for (const auto& [name, version, by] : {std::tuple{"newer", 7, "a newer"},
                                          std::tuple{"older", 1, "an older"}}) {
    WriteFile(dir.File(name), bytes);
    EditFile(dir.File(name), absl::StrCat("UPDATE meta SET value = '", version,
                                          "' WHERE key = 'version'")
                                 .c_str());
    cases.push_back(
        {name,
         absl::StrCat("written by ", by, " memstats (capture format version ",
                      version, "; this one reads version 3)")});
  }
  WriteFile(dir.File("empty"), "");
  cases.push_back({"empty", "not a memstats capture (not an SQLite database)"});

  for (const Bad& c : cases) {
    const std::string path = dir.File(c.name);
    for (const char* cmd : {"groups", "top", "snapshot"}) {
      RunResult r = RunMemstats({"--from", path, cmd, "--json"});
      EXPECT_EQ(r.exit_code, 2) << c.name << " " << r.Describe();
      EXPECT_EQ(r.out, "") << c.name;
      const std::string prefix = "memstats: error: " + path + ": ";
      EXPECT_EQ(r.err.substr(0, prefix.size()), prefix) << r.err;
      if (!c.message.empty()) {
        EXPECT_EQ(r.err, prefix + c.message + "\n") << c.name;
      }
    }
  }
  RunResult r = RunMemstats({"--from", dir.File("absent"), "groups"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "memstats: error: " + dir.File("absent") +
                       ": No such file or directory\n");
  // --from never follows a symbolic link.
  std::filesystem::create_symlink(good, dir.File("link"));
  r = RunMemstats({"--from", dir.File("link"), "groups"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "memstats: error: " + dir.File("link") +
                       ": is a symbolic link; not followed\n");
}

// A window of page runs is decoded only when a read reaches it: one whose
// bytes were changed before the file was written (so its checksum holds)
// fails the analysis that reads it, by name, with nothing printed.
TEST(CaptureCli, ACorruptedWindowOfPageRunsFailsTheScanThatReadsIt) {
  TempDir dir;
  const std::string good = dir.File("good.msnap");
  Capture("basic", good);
  auto data = capture::ParseCapture(ReadWhole(good), good);
  ASSERT_TRUE(data.ok()) << data.status();
  int pid = 0;
  for (auto& [p, process] : data->processes) {
    capture::PageWindows& w = process.page_windows;
    if (w.windows.empty()) continue;
    std::string bytes(w.bytes);
    bytes[w.windows[0].offset] = 0x7f;  // more runs than the window holds
    w.SetBytes(std::move(bytes));
    pid = p;
    break;
  }
  ASSERT_NE(pid, 0);
  auto written = capture::SerializeCapture(*data);
  ASSERT_TRUE(written.ok()) << written.status();
  const std::string bad = dir.File("bad.msnap");
  WriteFile(bad, *written);
  for (bool json : {false, true}) {
    std::vector<std::string> args = {"--from", bad, "groups", "--split-uid"};
    if (json) args.push_back("--json");
    RunResult r = RunMemstats(args);
    EXPECT_EQ(r.exit_code, 2) << r.Describe();
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, absl::StrCat("memstats: error: ", bad,
                                  ": corrupted (page runs of process ", pid,
                                  ")\n"));
  }
  // The same capture unchanged reads.
  RunResult r = RunMemstats({"--from", good, "groups", "--split-uid"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
}

TEST(CaptureCli, BadOutputPathsLeaveNothingBehind) {
  TempDir dir;
  const std::string target = dir.File("target");
  WriteFile(target, "keep me");
  std::filesystem::create_symlink(target, dir.File("link.msnap"));
  RunResult r = RunOnFixture({"capture", "-o", dir.File("link.msnap")});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find("link.msnap"), std::string::npos) << r.err;
  EXPECT_EQ(ReadWhole(target), "keep me");

  r = RunOnFixture({"capture", "-o", dir.File("missing/c.msnap")});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find("missing"), std::string::npos) << r.err;
  EXPECT_EQ(Files(dir.path()),
            (std::vector<std::string>{"link.msnap", "target"}));

  r = RunOnFixture({"capture", "-o", dir.File("c.msnap"), "--env", "A=B"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "memstats: error: --env: 'A=B' is not a variable name\n");
  r = RunOnFixture({"capture"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Files(dir.path()),
            (std::vector<std::string>{"link.msnap", "target"}));
}

TEST(CaptureCli, CommandsThatSampleOrRunRefuseACapture) {
  TempDir dir;
  const std::string file = dir.File("c.msnap");
  Capture("basic", file);
  const std::vector<std::vector<std::string>> refused = {
      {"watch"},
      {"run", "true"},
      {"record", "--db", "x.db"},
      {"top", "-l", "1"},
      {"system"},
      {"map", "-o", "x.png"},
      {"shm"},
      {"capture", "-o", "y"},
      {"serve", "--listen", "127.0.0.1:0"},
      {"peak", "x.db"},
      {"plot", "x.db", "-o", "x.svg"}};
  for (const auto& args : refused) {
    std::vector<std::string> argv = {"--from", file};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = RunMemstats(argv);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << r.Describe();
    EXPECT_EQ(r.out, "") << args[0];
    EXPECT_NE(r.err.find(args[0] == "top" ? "-l/--loop" : "--from"),
              std::string::npos)
        << r.err;
  }
  EXPECT_EQ(Files(dir.path()), std::vector<std::string>{"c.msnap"});
}

}  // namespace
}  // namespace memstats::testing
