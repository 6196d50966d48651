// Executables without a real file, through the binary, on
// tests/fixtures/exe_names (make_profile_fixtures.py): pids 500 and 501 run
// one program (argv[0] binary_backend) from two memfds, pid 502 a deleted
// /opt/app/bin/worker. Every view names them as scan/exe_name.h says.
// (groups needs pagemap files, which this tree has not: --split-exe is
// tested in tests/splitters/splitter_test.cc.)
#include <map>
#include <string>
#include <vector>

#include "cli/run_memstats.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace memstats::testing {
namespace {

using nlohmann::json;

constexpr char kTree[] = MEMSTATS_FIXTURES_DIR "/exe_names";

json RunJson(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--procfs-root", kTree, "--threads", "1",
                                  "--json"};
  all.insert(all.end(), args.begin(), args.end());
  RunResult r = RunMemstats(all);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  return json::parse(r.out, nullptr, false);
}

constexpr int64_t KB(int64_t kb) { return kb * 1024; }

TEST(ExeNamesTest, TopGroupsByExe) {
  json doc = RunJson({"top", "-g", "exe", "--sort", "name"});
  ASSERT_FALSE(doc.is_discarded());
  ASSERT_EQ(doc["groups"].size(), 2u) << doc.dump();
  EXPECT_EQ(doc["groups"][0]["key"], "binary_backend (memfd)");
  EXPECT_EQ(doc["groups"][0]["processes"], 2);
  // Pss 2096 + 1696 kB (the fixture's docstring).
  EXPECT_EQ(doc["groups"][0]["ptotal"], KB(2096 + 1696));
  EXPECT_EQ(doc["groups"][1]["key"], "worker (deleted)");
  EXPECT_EQ(doc["groups"][1]["processes"], 1);
  EXPECT_EQ(doc["groups"][1]["ptotal"], KB(1382));
  // The memfd binary's pages are its code and data, not shared memory.
  EXPECT_EQ(doc["groups"][0]["shOth"], 0);
  EXPECT_EQ(doc["processes"]["self_excluded"], false);
}

TEST(ExeNamesTest, TopSelectorsAndExeFilter) {
  for (const char* name : {"binary_backend", "binary_backend (memfd)"}) {
    json doc = RunJson({"top", name});
    ASSERT_FALSE(doc.is_discarded());
    EXPECT_EQ(doc["processes"]["contributing"], 2) << name;
  }
  for (const char* name : {"worker", "worker (deleted)"}) {
    json doc = RunJson({"top", name});
    ASSERT_FALSE(doc.is_discarded());
    EXPECT_EQ(doc["processes"]["contributing"], 1) << name;
  }
  json doc = RunJson({"--filter", "exe(binary_backend)", "top"});
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["processes"]["contributing"], 2);
  doc = RunJson({"--filter", "exe(/opt/app/bin/worker)", "top"});
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["processes"]["contributing"], 1);
}

TEST(ExeNamesTest, SnapshotBinaryRows) {
  // -m bf: the memfd's four mappings are the binary (100 + 400 + 50 + 32
  // kB), named as an operator knows it; libc (380) is a library.
  json doc = RunJson({"snapshot", "-p", "500,502", "-m", "bf", "--small", "0"});
  ASSERT_FALSE(doc.is_discarded());
  ASSERT_EQ(doc["processes"].size(), 2u);
  auto files = [](const json& p) {
    std::map<std::string, std::pair<bool, int64_t>> rows;
    for (const json& r : p["rows"]) {
      if (r["category"] == "file") {
        rows[r["path"]] = {r["binary"].get<bool>(), r["pss"].get<int64_t>()};
      }
    }
    return rows;
  };
  using Rows = std::map<std::string, std::pair<bool, int64_t>>;
  const std::string libc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
  EXPECT_EQ(files(doc["processes"][0]),
            (Rows{{"binary_backend (memfd)", {true, KB(582)}},
                  {libc, {false, KB(380)}}}));
  EXPECT_EQ(files(doc["processes"][1]),
            (Rows{{"/opt/app/bin/worker (deleted)", {true, KB(368)}},
                  {libc, {false, KB(380)}}}));
}

}  // namespace
}  // namespace memstats::testing
