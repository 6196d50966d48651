// history::Store: samples come back exactly as added, unchanged mapping
// rows are stored once, recordings add up in one file, and a kill leaves
// every committed sample.
#include "history/store.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "history_test_util.h"
#include "scan/mapping_category.h"
#include "test_util.h"

namespace memstats::history {
namespace {

using memstats::testing::Process;
using memstats::testing::ReadWhole;
using memstats::testing::Row;
using memstats::testing::RunSql;
using memstats::testing::TempDir;
using profile::Sample;
using profile::Series;

constexpr uint8_t kRX = scan::kPermRead | scan::kPermExec;
constexpr uint8_t kRW = scan::kPermRead | scan::kPermWrite;
constexpr uint8_t kRWS = kRW | scan::kPermShared;

RecordingInfo Info(const std::string& target = "pid 100 and descendants") {
  RecordingInfo info;
  info.host = "web1";
  info.kernel = "6.1.0-18-amd64";
  info.start_unix_ms = 1764871598000;
  info.page_size = 4096;
  info.command_line = "memstats record --db app.db 100";
  info.target = target;
  return info;
}

// Five samples that exercise every field and every way rows change: a new
// process, one that leaves and comes back, an exec (comm and cmd change),
// a reparent, mapping lists that grow and shrink, rows back to an earlier
// value, text that is not UTF-8, sizes of 2^63 and more, set pages on some
// samples only.
std::vector<Sample> Samples() {
  std::vector<Sample> out;
  Sample s;
  s.unix_ms = 1764871598000;
  s.seconds = 0;
  s.processes = {
      Process(100, "app",
              {Row(Series::kHeap, "", kRW, 409600, 409600),
               Row(Series::kBinText, "/usr/bin/app", kRX, 102400, 61440),
               Row(Series::kLibText, "/usr/lib/libc.so.6", kRX, 819200, 204800),
               Row(Series::kShm, "", kRWS, 307200, 153600, 8192)}),
      Process(
          101, "worker",
          {Row(Series::kThreadStack, "", kRW, 16384, 16384),
           Row(Series::kLibText, "/usr/lib/libc.so.6", kRX, 819200, 204800)}),
  };
  out.push_back(s);

  // 1: the heap grows; pid 102 starts; set pages appear.
  s.unix_ms += 200;
  s.seconds = 0.2;
  s.processes[0].mappings[0].rss += 4096;
  s.processes[0].rss += 4096;
  s.processes.push_back(
      Process(102, "\xff\xfe bad utf8",
              {Row(Series::kAnonMap, "", kRW, 8192, 8192),
               Row(Series::kLibData, "/tmp/gone (deleted)", kRW, 4096, 4096)}));
  s.pages = profile::SetPages{1 << 20, 1 << 19, 900000, 8192};
  s.vanished = 2;
  out.push_back(s);

  // 2: 101 is gone; 100 loads a library (its list grows) and 102 execs.
  s.unix_ms += 200;
  s.seconds = 0.4;
  s.processes.erase(s.processes.begin() + 1);
  s.processes[0].mappings.push_back(
      Row(Series::kLibText, "/usr/lib/libm.so.6", kRX, 40960, 20480));
  s.processes[1].comm = "exec'd";
  s.processes[1].cmd = "/bin/sh -c 'x'";
  s.pages.reset();
  s.vanished = 0;
  out.push_back(s);

  // 3: 101 is back with other rows (pid reused); 100's list shrinks and
  // its heap goes back to the first value; 102 is reparented; sizes past
  // 2^63.
  s.unix_ms += 200;
  s.seconds = 0.6000000000000001;
  s.processes[0].mappings.resize(2);
  s.processes[0].mappings[0].rss -= 4096;
  s.processes.insert(
      s.processes.begin() + 1,
      Process(101, "reused", {Row(Series::kStack, "", kRW, 12288, 12288)}));
  s.processes[2].ppid = 100;
  s.processes[2].mappings[0].size = std::numeric_limits<uint64_t>::max();
  s.processes[2].vm_hwm = (uint64_t{1} << 63) + 5;
  out.push_back(s);

  // 4: 100's list grows back to its old length with the old rows; a
  // process with no rows at all.
  s.unix_ms += 200;
  s.seconds = 0.8;
  s.processes[0].mappings = out[2].processes[0].mappings;
  s.processes.push_back(Process(103, "kthread", {}));
  s.processes.back().cmd = "[kthread]";
  out.push_back(s);
  return out;
}

TEST(Store, RoundTripIsExact) {
  TempDir dir;
  const std::string db = dir.File("app.db");
  const std::vector<Sample> added = Samples();
  {
    auto store = Store::Create(db, Info());
    ASSERT_OK(store);
    EXPECT_EQ((*store)->recording(), 1);
    for (const Sample& s : added) ASSERT_OK((*store)->AddSample(s));
    // The writer reads too.
    auto back = (*store)->LoadSamples(1);
    ASSERT_OK(back);
    EXPECT_EQ(*back, added);
  }
  auto store = Store::OpenReadOnly(db);
  ASSERT_OK(store);
  auto back = (*store)->LoadSamples(1);
  ASSERT_OK(back);
  ASSERT_EQ(back->size(), added.size());
  for (size_t i = 0; i < added.size(); ++i) {
    EXPECT_EQ((*back)[i], added[i]) << "sample " << i;
    auto one = (*store)->LoadSample(1, static_cast<int64_t>(i));
    ASSERT_OK(one);
    EXPECT_EQ(*one, added[i]) << "sample " << i << " alone";
  }
  EXPECT_EQ(RunSql(db, "PRAGMA integrity_check"), "ok");
}

TEST(Store, LoadOptionsSelectOneProcessOrNoRows) {
  TempDir dir;
  const std::string db = dir.File("app.db");
  const std::vector<Sample> added = Samples();
  auto store = Store::Create(db, Info());
  ASSERT_OK(store);
  for (const Sample& s : added) ASSERT_OK((*store)->AddSample(s));

  LoadOptions one;
  one.pid = 101;
  auto back = (*store)->LoadSamples(1, one);
  ASSERT_OK(back);
  ASSERT_EQ(back->size(), added.size());
  for (size_t i = 0; i < added.size(); ++i) {
    Sample want = added[i];
    std::erase_if(want.processes,
                  [](const profile::ProcessSample& p) { return p.pid != 101; });
    EXPECT_EQ((*back)[i], want) << "sample " << i;
    auto alone = (*store)->LoadSample(1, static_cast<int64_t>(i), one);
    ASSERT_OK(alone);
    EXPECT_EQ(*alone, want) << "sample " << i << " alone";
  }

  LoadOptions totals;
  totals.mappings = false;
  back = (*store)->LoadSamples(1, totals);
  ASSERT_OK(back);
  for (size_t i = 0; i < added.size(); ++i) {
    Sample want = added[i];
    for (auto& p : want.processes) p.mappings.clear();
    EXPECT_EQ((*back)[i], want) << "sample " << i;
  }
}

int64_t Count(const std::string& db, const std::string& table) {
  return std::stoll(RunSql(db, "SELECT count(*) FROM " + table));
}

// 3 processes of 5 rows, 10 samples; from the second sample on, exactly
// one row of one process changes each time: 15 + 9 rows in all.
TEST(Store, UnchangedRowsAreStoredOnce) {
  TempDir dir;
  const std::string db = dir.File("app.db");
  auto store = Store::Create(db, Info());
  ASSERT_OK(store);
  Sample s;
  for (int pid : {10, 20, 30}) {
    std::vector<profile::SampledMapping> rows;
    for (int i = 0; i < 5; ++i) {
      rows.push_back(Row(Series::kLibText, "/lib/" + std::to_string(i) + ".so",
                         kRX, 4096 * (i + 1), 4096));
    }
    s.processes.push_back(Process(pid, "p" + std::to_string(pid), rows));
  }
  std::vector<Sample> added;
  for (int n = 0; n < 10; ++n) {
    if (n > 0) {
      profile::ProcessSample& p = s.processes[n % 3];
      p.mappings[n % 5].rss += 4096;
      p.rss += 4096;
    }
    s.unix_ms = 1000 * n;
    s.seconds = n;
    ASSERT_OK((*store)->AddSample(s));
    added.push_back(s);
  }
  EXPECT_EQ(Count(db, "mappings"), 15 + 9);
  EXPECT_EQ(Count(db, "process_samples"), 30);
  EXPECT_EQ(Count(db, "processes"), 3);  // identities, once each
  EXPECT_EQ(Count(db, "paths"), 5);
  EXPECT_EQ(Count(db, "samples"), 10);
  auto back = (*store)->LoadSamples(1);
  ASSERT_OK(back);
  EXPECT_EQ(*back, added);
  auto last = (*store)->LoadSample(1, 9);
  ASSERT_OK(last);
  EXPECT_EQ(*last, added[9]);
}

TEST(Store, SecondCreateAddsARecording) {
  TempDir dir;
  const std::string db = dir.File("app.db");
  const std::vector<Sample> added = Samples();
  {
    auto first = Store::Create(db, Info("first"));
    ASSERT_OK(first);
    ASSERT_OK((*first)->AddSample(added[0]));
    ASSERT_OK((*first)->AddSample(added[1]));
  }
  auto second = Store::Create(db, Info("second"));
  ASSERT_OK(second);
  EXPECT_EQ((*second)->recording(), 2);
  // The second recording starts afresh: its first sample holds every row
  // again, though the first recording ended with the same rows.
  for (size_t i = 1; i < added.size(); ++i) {
    ASSERT_OK((*second)->AddSample(added[i]));
  }

  auto reader = Store::OpenReadOnly(db);
  ASSERT_OK(reader);
  auto list = (*reader)->ListRecordings();
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, 1);
  EXPECT_EQ((*list)[0].info, Info("first"));
  EXPECT_EQ((*list)[0].samples, 2);
  EXPECT_EQ((*list)[1].id, 2);
  EXPECT_EQ((*list)[1].info, Info("second"));
  EXPECT_EQ((*list)[1].samples, 4);
  auto one = (*reader)->LoadSamples(1);
  ASSERT_OK(one);
  EXPECT_EQ(*one, std::vector<Sample>(added.begin(), added.begin() + 2));
  auto two = (*reader)->LoadSamples(2);
  ASSERT_OK(two);
  EXPECT_EQ(*two, std::vector<Sample>(added.begin() + 1, added.end()));
  EXPECT_EQ(RunSql(db, "PRAGMA integrity_check"), "ok");
}

TEST(Store, MissingRecordingOrSampleIsNotFound) {
  TempDir dir;
  const std::string db = dir.File("app.db");
  auto store = Store::Create(db, Info());
  ASSERT_OK(store);
  ASSERT_OK((*store)->AddSample(Samples()[0]));
  EXPECT_TRUE(absl::IsNotFound((*store)->LoadSamples(7).status()));
  auto none = (*store)->LoadSample(1, 1);
  EXPECT_TRUE(absl::IsNotFound(none.status())) << none.status();
  EXPECT_NE(none.status().message().find(db), std::string::npos);
}

// Checking an existing file goes through an SQLite URI: characters that
// mean something there stay in the path.
TEST(Store, PathsWithUriCharacters) {
  TempDir dir;
  const std::string sub = dir.File("we?ird #dir %41 é");
  ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
  const std::string db = sub + "/app?.db";
  const std::vector<Sample> added = Samples();
  for (int recording = 1; recording <= 2; ++recording) {
    auto store = Store::Create(db, Info());
    ASSERT_OK(store);
    EXPECT_EQ((*store)->recording(), recording);
    ASSERT_OK((*store)->AddSample(added[0]));
  }
  auto store = Store::OpenReadOnly(db);
  ASSERT_OK(store);
  auto back = (*store)->LoadSamples(2);
  ASSERT_OK(back);
  EXPECT_EQ(*back, std::vector<Sample>{added[0]});
}

TEST(Store, ReadOnlyStoreDoesNotWrite) {
  TempDir dir;
  const std::string db = dir.File("app.db");
  ASSERT_OK(Store::Create(db, Info()));
  auto store = Store::OpenReadOnly(db);
  ASSERT_OK(store);
  EXPECT_EQ((*store)->recording(), 0);
  EXPECT_TRUE(absl::IsFailedPrecondition((*store)->AddSample(Samples()[0])));
}

TEST(Store, SchemaHasTheDocumentedMeta) {
  TempDir dir;
  const std::string db = dir.File("app.db");
  ASSERT_OK(Store::Create(db, Info()));
  EXPECT_EQ(RunSql(db, "SELECT value FROM meta WHERE key = 'format'"),
            "memstats-history");
  EXPECT_EQ(RunSql(db, "SELECT value FROM meta WHERE key = 'version'"), "1");
  EXPECT_EQ(RunSql(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RunSql(db, "PRAGMA application_id"), "1296387411");
}

// A recorder killed with SIGKILL after three samples: all three are in the
// file, which is sound.
TEST(Store, KillLeavesEveryCommittedSample) {
  TempDir dir;
  const std::string db = dir.File("app.db");
  const std::vector<Sample> added = Samples();
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = Store::Create(db, Info());
    if (!store.ok()) ::_exit(1);
    for (int i = 0; i < 3; ++i) {
      if (!(*store)->AddSample(added[i]).ok()) ::_exit(2);
    }
    ::raise(SIGKILL);
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exit " << WEXITSTATUS(status);
  auto store = Store::OpenReadOnly(db);
  ASSERT_OK(store);
  auto back = (*store)->LoadSamples(1);
  ASSERT_OK(back);
  EXPECT_EQ(*back, std::vector<Sample>(added.begin(), added.begin() + 3));
  EXPECT_EQ(RunSql(db, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace memstats::history
