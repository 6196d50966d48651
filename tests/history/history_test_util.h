// Helpers of the history tests: a temporary directory, whole-file reads,
// SQL run straight on a file (the sqlite3 C library, not the Store), and
// samples made up for round trips.
#ifndef MEMSTATS_TESTS_HISTORY_HISTORY_TEST_UTIL_H_
#define MEMSTATS_TESTS_HISTORY_HISTORY_TEST_UTIL_H_

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "profile/sample.h"

namespace memstats::testing {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "memstats_hist.XXXXXX")
            .string();
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string ReadWhole(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

inline void WriteWhole(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
}

// Runs `sql` on the database file `path` (created when absent) and returns
// the first column of the last row any statement returned, "" for none.
// Fails the test on an SQL error.
inline std::string RunSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string last;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(
      db, sql.c_str(),
      [](void* out, int n, char** values, char**) {
        *static_cast<std::string*>(out) =
            n > 0 && values[0] != nullptr ? values[0] : "";
        return 0;
      },
      &last, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "") << "\n" << sql;
  sqlite3_free(err);
  sqlite3_close(db);
  return last;
}

inline profile::SampledMapping Row(profile::Series series, std::string path,
                                   uint8_t perms, uint64_t rss, uint64_t pss,
                                   uint64_t swap = 0) {
  profile::SampledMapping m;
  m.series = series;
  m.path = std::move(path);
  m.perms = perms;
  m.mappings = 1;
  m.size = rss * 2;
  m.rss = rss;
  m.pss = pss;
  m.swap = swap;
  m.swap_pss = swap / 2;
  return m;
}

// A process whose totals are the sums of its rows (USS: half the RSS).
inline profile::ProcessSample Process(
    int pid, std::string comm, std::vector<profile::SampledMapping> rows) {
  profile::ProcessSample p;
  p.pid = pid;
  p.ppid = 1;
  p.uid = 1000;
  p.comm = comm;
  p.cmd = "/usr/bin/" + comm + " --serve";
  for (const profile::SampledMapping& m : rows) {
    p.pss[static_cast<size_t>(m.series)] += m.pss;
    p.swap_pss += m.swap_pss;
    p.rss += m.rss;
    p.swap += m.swap;
    p.hugetlb += m.hugetlb;
  }
  p.uss = p.rss / 2;
  p.vm_hwm = p.rss + 4096;
  p.mappings = std::move(rows);
  return p;
}

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_HISTORY_HISTORY_TEST_UTIL_H_
