// The capture reader on bad bytes: truncated, corrupted, newer versions,
// files that are not captures. Each gets an error naming the file; none
// crashes or reads as a different capture.
#include "capture/capture_file.h"

#include <sqlite3.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace memstats::capture {
namespace {

CaptureData Sample() {
  CaptureData d;
  d.info.host = "db01";
  d.info.kernel = "6.1.0";
  d.info.self_pid = 9;
  d.info.env_values = {"ORACLE_SID"};
  d.pids.data = "1 9 10";
  d.system["meminfo"].data = "MemTotal: 1000 kB\n";
  d.users[0] = "root";
  CapturedProcess& p = d.processes[10];
  p.answers["f:status"].data = "Name:\tora\n";
  p.answers["f:smaps"] = Answer{absl::StatusCode::kPermissionDenied, "no"};
  p.answers["tasks"].data = "10 11";
  p.covered = {{0x400, 0x500}};
  for (uint64_t i = 0; i < 40; ++i) {
    p.pagemap.push_back({0x400 + 2 * i, 1, (uint64_t{1} << 63) | (7 * i + 3)});
  }
  d.kpages = {{3, 1, 32, 1}, {10, 5, 2048, 2}};
  return d;
}

// A process's runs as read back (decoded from its windows).
std::vector<PagemapRun> RunsOf(const CapturedProcess& p) {
  std::vector<PagemapRun> runs;
  EXPECT_TRUE(DecodeAllRuns(p.page_windows, runs));
  return runs;
}

// Runs SQL on a capture's bytes and returns the changed bytes.
std::string Edit(const std::string& bytes, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  auto* buf = static_cast<unsigned char*>(sqlite3_malloc64(bytes.size()));
  memcpy(buf, bytes.data(), bytes.size());
  EXPECT_EQ(sqlite3_deserialize(
                db, "main", buf, bytes.size(), bytes.size(),
                SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_int64 size = 0;
  unsigned char* out = sqlite3_serialize(db, "main", &size, 0);
  std::string edited(reinterpret_cast<char*>(out), size);
  sqlite3_free(out);
  sqlite3_close(db);
  return edited;
}

TEST(CaptureFile, RoundTripIsExact) {
  const CaptureData d = Sample();
  auto bytes = SerializeCapture(d);
  ASSERT_OK(bytes);
  auto back = ParseCapture(*bytes, "x");
  ASSERT_OK(back);
  EXPECT_EQ(back->info.host, "db01");
  EXPECT_EQ(back->info.env_values, d.info.env_values);
  EXPECT_EQ(back->pids, d.pids);
  EXPECT_EQ(back->system, d.system);
  EXPECT_EQ(back->users, d.users);
  EXPECT_EQ(back->kpages, d.kpages);
  EXPECT_EQ(back->processes.at(10).answers, d.processes.at(10).answers);
  EXPECT_EQ(back->processes.at(10).covered, d.processes.at(10).covered);
  EXPECT_EQ(RunsOf(back->processes.at(10)), d.processes.at(10).pagemap);
  // Written twice, the same bytes.
  EXPECT_TRUE(*SerializeCapture(*back) == *bytes);
}

TEST(CaptureFile, NotACapture) {
  auto s = ParseCapture("hello, world\n", "notes.txt").status();
  EXPECT_TRUE(absl::IsDataLoss(s));
  EXPECT_EQ(s.message(),
            "notes.txt: not a memstats capture (not an SQLite database)");
  // An SQLite database of something else (a recording, say).
  const std::string other = Edit(
      *SerializeCapture(Sample()),
      "DROP TABLE meta; DROP TABLE blobs; CREATE TABLE samples(x); VACUUM;");
  s = ParseCapture(other, "rec.db").status();
  EXPECT_TRUE(absl::IsDataLoss(s));
  EXPECT_EQ(std::string(s.message()),
            "rec.db: not a memstats capture (no meta table)");
}

// Version 1 laid out page runs and the checksum otherwise; version 2 did
// not cut them into windows.
TEST(CaptureFile, OtherVersionsAreRefusedByName) {
  const std::string bytes = *SerializeCapture(Sample());
  for (const auto& [version, by] :
       {std::pair{4, "a newer"}, std::pair{2, "an older"}}) {
    const std::string other =
        Edit(bytes, absl::StrCat("UPDATE meta SET value = '", version,
                                 "' WHERE key = 'version'")
                        .c_str());
    auto s = ParseCapture(other, "db01.msnap").status();
    EXPECT_TRUE(absl::IsFailedPrecondition(s));
    EXPECT_EQ(s.message(),
              absl::StrCat("db01.msnap: written by ", by,
                           " memstats (capture format version ", version,
                           "; this one reads version 3)"));
  }
}

TEST(CaptureFile, ManyProcessesDecodeSideBySide) {
  CaptureData d = Sample();
  for (int pid = 100; pid < 164; ++pid) {
    CapturedProcess& p = d.processes[pid];
    p.covered = {{0, 4096}};
    for (uint64_t i = 0; i < 100; ++i) {
      p.pagemap.push_back(
          {3 * i, 2, (uint64_t{1} << 63) | (1000 * pid + 5 * i)});
    }
  }
  auto bytes = SerializeCapture(d);
  ASSERT_OK(bytes);
  auto back = ParseCapture(*bytes, "x", ParseOptions{.threads = 4});
  ASSERT_OK(back);
  for (const auto& [pid, p] : d.processes) {
    EXPECT_EQ(back->processes.at(pid).covered, p.covered) << pid;
    EXPECT_EQ(RunsOf(back->processes.at(pid)), p.pagemap) << pid;
  }
}

TEST(CaptureFile, ChangedContentFailsTheChecksum) {
  const std::string changed =
      Edit(*SerializeCapture(Sample()),
           "UPDATE meta SET value = '0000000000000000' WHERE key = 'checksum'");
  auto s = ParseCapture(changed, "c").status();
  EXPECT_EQ(s, absl::DataLossError("c: corrupted (checksum mismatch)"));
}

// Every truncation is an error; every single-byte change is an error or
// (a byte SQLite never reads, such as free space) the same capture.
TEST(CaptureFile, TruncatedAndCorruptedBytesNeverReadAsAnotherCapture) {
  const std::string bytes = *SerializeCapture(Sample());
  for (size_t n = 0; n < bytes.size(); n += 97) {
    EXPECT_FALSE(ParseCapture(bytes.substr(0, n), "t").ok()) << n;
  }
  const std::string expect = bytes;
  for (size_t i = 0; i < bytes.size(); i += 13) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    auto d = ParseCapture(bad, "t");
    if (d.ok()) {
      EXPECT_TRUE(*SerializeCapture(*d) == expect) << "byte " << i;
    } else {
      EXPECT_TRUE(absl::IsDataLoss(d.status()) ||
                  absl::IsFailedPrecondition(d.status()))
          << d.status();
      EXPECT_TRUE(absl::StartsWith(d.status().message(), "t: ")) << d.status();
    }
  }
}

}  // namespace
}  // namespace memstats::capture
