// memstats record and plot, the binary. record, live: a recording stopped
// by SIGINT, SIGTERM, SIGHUP or SIGQUIT opens, passes integrity_check and
// holds every sample taken (as many as memstats said it recorded); two
// recordings in one file; a recorded process that exits ends the recording;
// bad input leaves no file and foreign files untouched. plot, on
// tests/fixtures/history/peak.sql: the SVG is well-formed XML with every
// series (python3's xml.etree), the HTML page holds the peak table.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "cli/run_memstats.h"
#include "gtest/gtest.h"
#include "history/history_test_util.h"
#include "nlohmann/json.hpp"
#include "test_util.h"

namespace memstats::testing {
namespace {

// "memstats: recorded N samples in ..." -> N; -1 when absent.
int RecordedSamples(const std::string& err) {
  const std::string key = "memstats: recorded ";
  size_t at = err.find(key);
  if (at == std::string::npos) return -1;
  int n = -1;
  std::string digits;
  for (size_t i = at + key.size(); i < err.size() && isdigit(err[i]); ++i) {
    digits += err[i];
  }
  return absl::SimpleAtoi(digits, &n) ? n : -1;
}

class RecordCli : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(RecordCli, EveryStopSignalLeavesAWholeDatabase) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
    const std::string db = dir_.File("sig" + std::to_string(sig) + ".db");
    int err[2];
    ASSERT_EQ(::pipe2(err, O_CLOEXEC), 0);
    pid_t m = Spawn({MemstatsBinary(), "record", "--db", db, "--period-ms",
                     "100", std::to_string(::getpid())},
                    std::nullopt, -1, -1, err[1]);
    ::close(err[1]);
    ASSERT_GT(m, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    ::kill(m, sig);
    EXPECT_EQ(WaitOrKill(m, 20000), 0) << "signal " << sig;
    std::string text;
    char buf[4096];
    ssize_t got;
    while ((got = ::read(err[0], buf, sizeof buf)) > 0) text.append(buf, got);
    ::close(err[0]);
    const int n = RecordedSamples(text);
    EXPECT_GE(n, 2) << text;
    EXPECT_EQ(RunSql(db, "PRAGMA integrity_check;"), "ok");
    EXPECT_EQ(RunSql(db, "SELECT COUNT(*) FROM samples;"), std::to_string(n))
        << text;
    // Each sample holds this test process.
    EXPECT_EQ(RunSql(db, "SELECT COUNT(DISTINCT seq) FROM process_samples;"),
              std::to_string(n));
    struct stat st = {};
    ASSERT_EQ(::stat(db.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
}

TEST_F(RecordCli, TwoRecordingsInOneFileAndAnExitingPidEndsIt) {
  const std::string db = dir_.File("two.db");
  for (int i = 0; i < 2; ++i) {
    pid_t child = Spawn({"/bin/sleep", "0.6"}, std::nullopt, -1, -1, -1);
    ASSERT_GT(child, 0);
    RunResult r = RunMemstats({"record", "--db", db, "--period-ms", "100",
                               std::to_string(child)});
    WaitOrKill(child, 5000);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_NE(r.err.find("exited; stopped"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("(recording " + std::to_string(i + 1) + ")"),
              std::string::npos)
        << r.err;
  }
  EXPECT_EQ(RunSql(db, "SELECT COUNT(*) FROM recordings;"), "2");
  RunResult peak = RunMemstats({"peak", db, "--recording", "1"});
  EXPECT_EQ(peak.exit_code, 0) << peak.Describe();
}

TEST_F(RecordCli, BadInputIsRefusedAndLeavesFilesAlone) {
  const std::string foreign = dir_.File("notes.txt");
  WriteWhole(foreign, "not a database\n");
  const std::string target = dir_.File("target.db");
  const std::string link = dir_.File("link.db");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  const std::string self = std::to_string(::getpid());
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"record", "--db", dir_.File("x.db"), "--period-ms", "0", self},
       "--period-ms"},
      {{"record", "--db", dir_.File("x.db"), "999999"}, "no process with pid"},
      {{"record", "--db", dir_.File("missing/x.db"), self}, "missing"},
      {{"record", "--db", foreign, self}, "not a memstats database"},
      {{"record", "--db", link, self}, "symbolic link"},
      {{"record", "--db", dir_.File("x.db"), "--duration", "soon", self},
       "--duration"},
  };
  for (const Case& c : cases) {
    RunResult r = RunMemstats(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.Describe();
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.Describe();
  }
  EXPECT_EQ(ReadWhole(foreign), "not a database\n");
  struct stat st = {};
  EXPECT_NE(::stat(target.c_str(), &st), 0);  // the link was not followed
  EXPECT_NE(::stat(dir_.File("x.db").c_str(), &st), 0);
}

class PlotCli : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("app.db");
    const std::string sql = ReadFixture("history/peak.sql");
    ASSERT_FALSE(sql.empty());
    RunSql(db_, sql);
  }
  TempDir dir_;
  std::string db_;
};

TEST_F(PlotCli, SvgIsWellFormedWithEverySeries) {
  const std::string svg = dir_.File("app.svg");
  RunResult r = RunMemstats({"plot", db_, "-o", svg});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string script =
      "import sys, xml.etree.ElementTree as ET\n"
      "root = ET.parse(sys.argv[1]).getroot()\n"
      "ns = '{http://www.w3.org/2000/svg}'\n"
      "print(' '.join(p.get('data-series') for p in root.iter(ns + "
      "'polygon') if p.get('class') == 'series'))\n";
  RunResult py = RunCommand({"/usr/bin/python3", "-c", script, svg});
  ASSERT_EQ(py.exit_code, 0) << py.Describe();
  // Bottom to top, in the order of profile::Series.
  EXPECT_EQ(py.out,
            "stack heap thread_stack bin_text lib_text bin_data lib_data "
            "anon_map shm other\n");
}

TEST_F(PlotCli, HtmlHoldsEachSamplesPeakTable) {
  const std::string html = dir_.File("app.html");
  RunResult r = RunMemstats({"plot", db_, "-o", html, "--by", "pss"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string page = ReadWhole(html);
  // The peak table (memstats peak --by pss, peak_cli_test's golden) is in
  // the page's data: its top rows and total.
  RunResult peak = RunMemstats({"--json", "peak", db_, "--by", "pss"});
  ASSERT_EQ(peak.exit_code, 0) << peak.Describe();
  nlohmann::json table = nlohmann::json::parse(peak.out)["table"];
  const std::string top = table["rows"][0][0].get<std::string>();
  const std::string total = std::to_string(table["footer"][2].get<uint64_t>());
  EXPECT_NE(page.find("\"" + top + "\""), std::string::npos) << top;
  EXPECT_NE(page.find("\"total\"," + std::string(table["footer"][1].dump()) +
                      "," + total),
            std::string::npos)
      << total;
  EXPECT_EQ(page.find("http://"), page.find("http://www.w3.org"));
}

TEST_F(PlotCli, BadInput) {
  RunResult r = RunMemstats({"plot", db_, "-o", dir_.File("x.png")});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  r = RunMemstats({"plot", db_, "-o", dir_.File("missing/x.svg")});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  r = RunMemstats({"plot", dir_.File("none.db"), "-o", dir_.File("x.svg")});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  r = RunMemstats({"plot", db_, "-o", dir_.File("x.svg"), "--pid", "31337"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  struct stat st = {};
  EXPECT_NE(::stat(dir_.File("x.svg").c_str(), &st), 0);
}

}  // namespace
}  // namespace memstats::testing
