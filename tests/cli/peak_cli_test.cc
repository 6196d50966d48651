// memstats peak, the binary, on tests/fixtures/history/peak.sql (loaded
// into a temporary database): golden text and JSON, each measure, --pid,
// --recording, --files, and bad input. The fixture's comments derive every
// number below by hand.
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "cli/run_memstats.h"
#include "gtest/gtest.h"
#include "history/history_test_util.h"
#include "nlohmann/json.hpp"
#include "test_util.h"

namespace memstats::testing {
namespace {

class PeakCli : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("app.db");
    const std::string sql = ReadFixture("history/peak.sql");
    ASSERT_FALSE(sql.empty());
    RunSql(db_, sql);
  }

  // memstats peak DB `args`, with the temporary path shown as "app.db".
  RunResult Peak(std::vector<std::string> args) {
    args.insert(args.begin(), {"peak", db_});
    RunResult r = RunMemstats(args);
    r.out = absl::StrReplaceAll(r.out, {{db_, "app.db"}});
    r.err = absl::StrReplaceAll(r.err, {{db_, "app.db"}});
    return r;
  }

  TempDir dir_;
  std::string db_;
};

TEST_F(PeakCli, TextByRss) {
  RunResult r = Peak({});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
            R"txt(recording 2 of app.db: pid 100 and its descendants, on web1
3 samples from 2025-12-04 18:06:38.000 UTC
peak RSS 4,034,560 bytes at 2025-12-04 18:06:40.000 UTC (+2.000 s, sample 2), 2 processes

NAME                      RSS        PSS   SWAP
heap                  409,600    409,600      0
thread stacks          16,384     16,384      0
anonymous           1,241,088  1,241,088  8,192
shared memory         614,400    307,200      0
/usr/lib/libc.so.6  1,646,592    827,392      0
/usr/bin/app          102,400     61,440      0
other mappings          4,096          0      0
-----------------------------------------------
total               4,034,560  2,863,104  8,192
)txt");
}

TEST_F(PeakCli, JsonByRss) {
  RunResult r = Peak({"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, R"json({
  "by": "rss",
  "comm": null,
  "database": "app.db",
  "host": "web1",
  "measured": 3,
  "peak": {
    "processes": 2,
    "seconds": 2.0,
    "seq": 2,
    "source": "smaps",
    "unix_ms": 1764871600000,
    "value": 4034560
  },
  "pid": null,
  "recording": 2,
  "samples": 3,
  "schema_version": 1,
  "start_unix_ms": 1764871598000,
  "table": {
    "by": "rss",
    "columns": [
      "name",
      "rss",
      "pss",
      "swap"
    ],
    "footer": [
      "total",
      4034560,
      2863104,
      8192
    ],
    "other_files": 0,
    "pid": null,
    "rows": [
      [
        "heap",
        409600,
        409600,
        0
      ],
      [
        "thread stacks",
        16384,
        16384,
        0
      ],
      [
        "anonymous",
        1241088,
        1241088,
        8192
      ],
      [
        "shared memory",
        614400,
        307200,
        0
      ],
      [
        "/usr/lib/libc.so.6",
        1646592,
        827392,
        0
      ],
      [
        "/usr/bin/app",
        102400,
        61440,
        0
      ],
      [
        "other mappings",
        4096,
        0,
        0
      ]
    ],
    "seconds": 2.0,
    "time": "2025-12-04 18:06:40.000 UTC (+2.000 s)",
    "unix_ms": 1764871600000
  },
  "target": "pid 100 and its descendants"
}
)json");
}

// Sample 1: PSS 3396K, the heap at 2000K.
TEST_F(PeakCli, TextByPss) {
  RunResult r = Peak({"--by", "pss"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out,
            R"txt(recording 2 of app.db: pid 100 and its descendants, on web1
3 samples from 2025-12-04 18:06:38.000 UTC
peak PSS 3,477,504 bytes at 2025-12-04 18:06:39.000 UTC (+1.000 s, sample 1), 2 processes

NAME                      RSS        PSS   SWAP
heap                2,048,000  2,048,000      0
thread stacks          16,384     16,384      0
anonymous             217,088    217,088  8,192
shared memory         614,400    307,200      0
/usr/lib/libc.so.6  1,646,592    827,392      0
/usr/bin/app          102,400     61,440      0
other mappings          4,096          0      0
-----------------------------------------------
total               4,648,960  3,477,504  8,192
)txt");
}

// Sample 1 by its page-level USS (2400K); the table is the same as for
// pss.
TEST_F(PeakCli, UssFromPages) {
  RunResult r = Peak({"--by", "uss", "--files", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out,
            R"txt(recording 2 of app.db: pid 100 and its descendants, on web1
3 samples from 2025-12-04 18:06:38.000 UTC
peak USS 2,457,600 bytes at 2025-12-04 18:06:39.000 UTC (+1.000 s, sample 1), 2 processes
USS from page tables; smaps keeps no USS per mapping: the table shows RSS, PSS and swap, files by PSS

NAME                      RSS        PSS   SWAP
heap                2,048,000  2,048,000      0
thread stacks          16,384     16,384      0
anonymous             217,088    217,088  8,192
shared memory         614,400    307,200      0
/usr/lib/libc.so.6  1,646,592    827,392      0
other mappings        106,496     61,440      0
-----------------------------------------------
total               4,648,960  3,477,504  8,192
other mappings include 1 more file
)txt");
}

// Sample 2 of pid 101: 1000K of new anonymous memory.
TEST_F(PeakCli, OneProcess) {
  RunResult r = Peak({"--pid", "101", "--files", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out,
            R"txt(recording 2 of app.db: pid 100 and its descendants, on web1
3 samples from 2025-12-04 18:06:38.000 UTC, 3 with pid 101
peak RSS of pid 101 (worker) 2,174,976 bytes at 2025-12-04 18:06:40.000 UTC (+2.000 s, sample 2)

NAME                  RSS        PSS  SWAP
heap                    0          0     0
thread stacks      16,384     16,384     0
anonymous       1,024,000  1,024,000     0
shared memory     307,200    153,600     0
other mappings    827,392    417,792     0
------------------------------------------
total           2,174,976  1,611,776     0
other mappings include 1 more file
)txt");
}

TEST_F(PeakCli, EarlierRecording) {
  RunResult r = Peak({"--recording", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["recording"], 1);
  EXPECT_EQ(j["target"], "pid 50");
  EXPECT_EQ(j["peak"]["value"], 65536);
  EXPECT_EQ(j["table"]["rows"][0], nlohmann::json({"heap", 65536, 65536, 0}));
  EXPECT_EQ(j["table"]["footer"], nlohmann::json({"total", 65536, 65536, 0}));
}

struct BadCase {
  std::vector<std::string> args;
  std::string err;
};

TEST_F(PeakCli, BadInput) {
  const std::string text = dir_.File("notes.txt");
  WriteWhole(text, "not a database\n");
  const std::string foreign = dir_.File("other.db");
  RunSql(foreign, "CREATE TABLE t (x)");
  const std::string foreign_bytes = ReadWhole(foreign);
  const std::vector<BadCase> cases = {
      {{"peak", dir_.File("absent.db")},
       "memstats: error: database '" + dir_.File("absent.db") +
           "': no such file\n"},
      {{"peak", dir_.File("no/dir/app.db")},
       "memstats: error: database '" + dir_.File("no/dir/app.db") +
           "': directory '" + dir_.File("no/dir") + "' does not exist\n"},
      {{"peak", text},
       "memstats: error: database '" + text +
           "': is not a memstats database (not an SQLite file); left "
           "untouched\n"},
      {{"peak", foreign},
       "memstats: error: database '" + foreign +
           "': is an SQLite database but not a memstats one (no meta "
           "table); left untouched\n"},
      {{"peak", db_, "--by", "vss"},
       "memstats: error: --by: expected rss, pss or uss, got 'vss'\n"},
      {{"peak", db_, "--pid", "0"},
       "memstats: error: --pid: '0' is not a process id (expected a "
       "positive number)\n"},
      {{"peak", db_, "--recording", "9"},
       "memstats: error: --recording: database '" + db_ +
           "' has no recording 9 (it has 1 to 2)\n"},
      {{"peak", db_, "--pid", "4242"},
       "memstats: error: database '" + db_ +
           "': pid 4242 is in no sample of recording 2\n"},
      {{"peak", db_, "--files", "many"},
       "memstats: error: --files: 'many' is not a number of files "
       "(expected 0 or more)\n"},
      {{"peak", db_, "--units", "MiB"},
       "memstats: error: --units does nothing for peak: peak prints bytes "
       "with thousands separators\n"},
      {{"--filter", "uid(0)", "peak", db_},
       "memstats: error: --filter does nothing for peak: peak reads a "
       "recording (--pid selects one process of it)\n"},
  };
  for (const BadCase& c : cases) {
    RunResult r = RunMemstats(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.Describe();
    EXPECT_EQ(r.err, c.err);
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(ReadWhole(text), "not a database\n");
  EXPECT_EQ(ReadWhole(foreign), foreign_bytes);

  // A recording without samples (a recorder stopped before its first).
  RunSql(db_,
         "INSERT INTO recordings VALUES (3, 'web1', '6.1', 0, 4096, 'x', "
         "'pid 7')");
  RunResult empty = RunMemstats({"peak", db_});
  EXPECT_EQ(empty.exit_code, 2) << empty.Describe();
  EXPECT_EQ(empty.err, "memstats: error: database '" + db_ +
                           "': no samples in recording 3\n");

  RunResult r = RunMemstats({"peak"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find("database is required"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace memstats::testing
