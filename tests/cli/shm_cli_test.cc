// memstats shm on tests/fixtures/basic (one SysV segment, key 0, shmid
// 32769, 12288 bytes, rss 8192, swap 4096, nattch 1, attached by pid 300
// "bash" (uid 1000) without touching it: no pagemap entries), and its bad
// input: exit 2, nothing on stdout, one clear message.
#include <string>
#include <vector>

#include "cli/run_memstats.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace memstats::testing {
namespace {

using nlohmann::json;

TEST(ShmCli, FixtureSegmentTable) {
  RunResult r = RunOnFixture({"--json", "shm", "--split-uid"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  json doc = json::parse(r.out);
  EXPECT_EQ(doc["splits"], json::array({"uid"}));
  ASSERT_EQ(doc["sysv"].size(), 1u);
  const json& s = doc["sysv"][0];
  EXPECT_EQ(s["key"], 0);
  EXPECT_EQ(s["shmid"], 32769);
  EXPECT_EQ(s["uid"], 1000);
  EXPECT_EQ(s["size"], 12288);
  EXPECT_EQ(s["rss"], 8192);
  EXPECT_EQ(s["swap"], 4096);
  EXPECT_EQ(s["nattch"], 1);
  // 300 maps 0x60000-0x62000 and has nothing present there: 0 pages mapped,
  // although the kernel says 2 pages are resident (8192 / 12288 = 66.67%).
  EXPECT_EQ(s["mapped"]["bytes"], 0);
  EXPECT_DOUBLE_EQ(s["mapped_percent"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(s["rss_percent"].get<double>(), 100.0 * 8192 / 12288);
  ASSERT_EQ(s["attached_by"].size(), 1u);
  EXPECT_EQ(s["attached_by"][0]["pid"], 300);
  EXPECT_EQ(s["attached_by"][0]["comm"], "bash");
  EXPECT_EQ(s["attached_by"][0]["resident"], 0);
  EXPECT_EQ(s["groups"]["uid"], json::array({"1000"}));
  // nattch 1: held by a process. No mountinfo in the fixture: no tmpfs.
  EXPECT_EQ(doc["nobody"]["count"], 0);
  EXPECT_EQ(doc["nobody"]["bytes"], 0);
  EXPECT_EQ(doc["tmpfs_mounts"].size(), 0u);
  EXPECT_EQ(doc["memfds"].size(), 0u);
  // Swapped shared memory: the segment's 4096 bytes only.
  EXPECT_EQ(doc["nobody"]["swap"], 0);
  EXPECT_EQ(doc["swap"], json({{"sysv", 4096},
                               {"tmpfs", 0},
                               {"memfd", 0},
                               {"total", 4096},
                               {"unknown_objects", 0}}));
}

TEST(ShmCli, FixtureText) {
  RunResult r = RunOnFixture({"--units", "B", "shm"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("0x00000000  32769"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("300 bash"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total held by no process: 0 in 0 objects, 0 of it in "
                       "swap\n"),
            std::string::npos)
      << r.out;
  // The segment's swap (/proc/sysvipc/shm); no tmpfs or memfd here.
  EXPECT_NE(r.out.find("shared memory in swap: 4096 (SysV 4096, tmpfs 0, "
                       "memfd 0)\n"),
            std::string::npos)
      << r.out;
}

void ExpectBadInput(const std::vector<std::string>& args,
                    const std::string& err) {
  RunResult r = RunOnFixture(args);
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, err);
}

TEST(ShmCli, BadTop) {
  for (const char* v : {"0", "-3", "x", "1000001", "99999999999999999999"}) {
    ExpectBadInput({"shm", "--top", v},
                   std::string("memstats: error: --top: '") + v +
                       "' is not a number of rows from 1 to 1000000\n");
  }
}

TEST(ShmCli, BadSplitters) {
  ExpectBadInput({"shm", "--split-env", "A=B"},
                 "memstats: error: --split-env: 'A=B' is not a variable "
                 "name\n");
  ExpectBadInput({"shm", "--split-pids", "12,x"},
                 "memstats: error: --split-pids: 'x' is not a process id "
                 "(expected a comma-separated list of positive numbers)\n");
  ExpectBadInput({"shm", "--split-pids", "4242"},
                 "memstats: error: --split-pids: no process with pid 4242\n");
}

TEST(ShmCli, IgnoredGlobalOptions) {
  ExpectBadInput({"--list-processes", "shm"},
                 "memstats: error: --list-processes does nothing for shm: shm "
                 "lists the processes attaching each object\n");
  ExpectBadInput({"shm", "--bogus"},
                 "memstats: error: The following argument was not expected: "
                 "--bogus\nRun 'memstats --help' for usage.\n");
}

}  // namespace
}  // namespace memstats::testing
