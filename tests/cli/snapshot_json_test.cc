// memstats --json snapshot on tests/fixtures/profile: every process's rows
// add up exactly to the Pss of its smaps_rollup (which the fixture writes as
// the sum of its smaps), SwapPss and hugetlb stay apart, and the numbers by
// kind are the hand-derived ones of make_profile_fixtures.py (kB):
//
//   pid   heap  stack  thread  anon   sysv  shmem  special  files   Pss
//   100   5000   132    40    20036   2048   512      2     2336  30106
//   200   2000   132     0        0      0  1280      2     1196   4610
//   201   3000   132     0     1000      0  1280      2     1192   6606
//   300   1200   124     0        0      0     0      2     1520   2846
//   400    800   132     0        0      0     0      2     2336   3270
//   all  12000   652    40    21036   2048  3072     10     8580  47438
//
//   SwapPss: 100 1000, 300 40 (heap) + 8 (stack) = 48; all 1048. Hugetlb:
//   300 4096 (Pss 0), in no row.
// Also -o: the file holds exactly what stdout would, mode 0600.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run_memstats.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "test_util.h"

namespace memstats::testing {
namespace {

using nlohmann::json;

constexpr char kProfile[] = MEMSTATS_FIXTURES_DIR "/profile";
constexpr uint64_t KB(uint64_t n) { return n * 1024; }

RunResult RunOnProfile(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--procfs-root", kProfile, "--threads", "1"};
  all.insert(all.end(), args.begin(), args.end());
  return RunMemstats(all);
}

json RunJson(const std::vector<std::string>& args) {
  RunResult r = RunOnProfile(args);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out.find("s3cret"), std::string::npos);
  return json::parse(r.out, nullptr, /*allow_exceptions=*/false);
}

// "Key: N kB" of a fixture's smaps_rollup, in bytes.
uint64_t Rollup(int pid, const std::string& key) {
  std::istringstream in(
      ReadFixture("profile/" + std::to_string(pid) + "/smaps_rollup"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      return std::stoull(line.substr(key.size() + 1)) * 1024;
    }
  }
  ADD_FAILURE() << "no " << key << " in the rollup of " << pid;
  return 0;
}

// category -> pss over rows and folded rows, with the sum of all of them.
std::map<std::string, uint64_t> ByCategory(const json& section, uint64_t* sum) {
  std::map<std::string, uint64_t> out;
  *sum = 0;
  for (const json* rows : {&section["rows"], &section["small"]["rows"]}) {
    for (const json& r : *rows) {
      out[r["category"].get<std::string>()] += r["pss"].get<uint64_t>();
      *sum += r["pss"].get<uint64_t>();
    }
  }
  return out;
}

TEST(SnapshotJson, RowsAddUpToEachProcesssRollupPss) {
  for (const char* mask : {"frwxsp", "", "b", "rx"}) {
    json doc = RunJson({"--json", "snapshot", "-m", mask});
    ASSERT_FALSE(doc.is_discarded()) << mask;
    ASSERT_EQ(doc["processes"].size(), 5u) << mask;
    for (const json& p : doc["processes"]) {
      const int pid = p["pid"].get<int>();
      uint64_t sum = 0;
      ByCategory(p, &sum);
      EXPECT_EQ(sum, Rollup(pid, "Pss")) << mask << " pid " << pid;
      EXPECT_EQ(p["pss"].get<uint64_t>(), Rollup(pid, "Pss")) << pid;
      EXPECT_EQ(p["swap_pss"].get<uint64_t>(), Rollup(pid, "SwapPss")) << pid;
      EXPECT_EQ(p["hugetlb"].get<uint64_t>(),
                Rollup(pid, "Private_Hugetlb") + Rollup(pid, "Shared_Hugetlb"))
          << pid;
    }
  }
}

TEST(SnapshotJson, NumbersByKind) {
  json doc = RunJson({"--json", "snapshot", "-m", ""});
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["schema_version"], 1);
  EXPECT_EQ(doc["command"], "snapshot");
  EXPECT_EQ(doc["file_key"], "");
  EXPECT_EQ(doc["small_percent"].get<double>(), 0.5);
  EXPECT_EQ(doc["scan"]["processes_scanned"], 5);
  EXPECT_EQ(doc["scan"]["kernel_threads"], 1);
  using Kinds = std::map<std::string, uint64_t>;
  const std::map<int, Kinds> want = {
      {100,
       {{"heap", KB(5000)},
        {"stack", KB(132)},
        {"thread_stack", KB(40)},
        {"anon", KB(20036)},
        {"sysv", KB(2048)},
        {"shmem", KB(512)},
        {"special", KB(2)},
        {"file", KB(2336)}}},
      {200,
       {{"heap", KB(2000)},
        {"stack", KB(132)},
        {"shmem", KB(1280)},
        {"special", KB(2)},
        {"file", KB(1196)}}},
      {201,
       {{"heap", KB(3000)},
        {"stack", KB(132)},
        {"anon", KB(1000)},
        {"shmem", KB(1280)},
        {"special", KB(2)},
        {"file", KB(1192)}}},
      {300,
       {{"heap", KB(1200)},
        {"stack", KB(124)},
        {"special", KB(2)},
        {"file", KB(1520)}}},
      {400,
       {{"heap", KB(800)},
        {"stack", KB(132)},
        {"special", KB(2)},
        {"file", KB(2336)}}},
  };
  for (const json& p : doc["processes"]) {
    uint64_t sum = 0;
    // The guard pages of 100 are anonymous with Pss 0: a row of 0 is fine,
    // a row missing or too large is not. Drop zero rows before comparing.
    Kinds got = ByCategory(p, &sum);
    std::erase_if(got, [](const auto& kv) { return kv.second == 0; });
    EXPECT_EQ(got, want.at(p["pid"].get<int>())) << p["pid"];
  }
  uint64_t sum = 0;
  EXPECT_EQ(ByCategory(doc["summary"], &sum), (Kinds{{"heap", KB(12000)},
                                                     {"stack", KB(652)},
                                                     {"thread_stack", KB(40)},
                                                     {"anon", KB(21036)},
                                                     {"sysv", KB(2048)},
                                                     {"shmem", KB(3072)},
                                                     {"special", KB(10)},
                                                     {"file", KB(8580)}}));
  EXPECT_EQ(sum, KB(47438));
  const json& s = doc["summary"];
  EXPECT_EQ(s["processes"], 5);
  EXPECT_EQ(s["pss"].get<uint64_t>(), KB(47438));
  EXPECT_EQ(s["swap_pss"].get<uint64_t>(), KB(1048));
  EXPECT_EQ(s["hugetlb"].get<uint64_t>(), KB(4096));
  EXPECT_EQ(s["hugetlb_mappings"], 1);
  // Largest first: anonymous 21036 of 47438.
  ASSERT_FALSE(s["rows"].empty());
  EXPECT_EQ(s["rows"][0]["label"], "Anonymous mappings");
  EXPECT_DOUBLE_EQ(s["rows"][0]["percent"].get<double>(),
                   100.0 * 21036 / 47438);
  // Folded (below 0.5% = 237.19 kB): thread stacks 40, special 10.
  EXPECT_EQ(s["small"]["pss"].get<uint64_t>(), KB(50));
  ASSERT_EQ(s["small"]["rows"].size(), 2u);
  EXPECT_EQ(s["small"]["rows"][0]["label"], "Thread stacks");
  EXPECT_EQ(s["small"]["rows"][1]["label"], "vdso/vvar/vsyscall");
  EXPECT_EQ(s["small"]["rows"][1]["mappings"], 10);  // [vvar] + [vdso] x 5
}

TEST(SnapshotJson, FileRowKeys) {
  json doc = RunJson(
      {"--json", "snapshot", "-p", "300", "-m", "bfrx", "--small", "0"});
  ASSERT_FALSE(doc.is_discarded());
  // bash: r--p 192 + r--p 100 + rw-p 48 = 340 as "r---"; libc r--p
  // 40+16+16 + rw-p 8 = 80 as "r---".
  std::vector<json> files;
  for (const json& r : doc["processes"][0]["rows"]) {
    if (r["category"] == "file") files.push_back(r);
  }
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files[0], (json{{"category", "file"},
                            {"label", "binary /usr/bin/bash r-x-"},
                            {"binary", true},
                            {"path", "/usr/bin/bash"},
                            {"perms", "r-x-"},
                            {"pss", KB(800)},
                            {"percent", 100.0 * 800 / 2846},
                            {"rss", files[0]["rss"]},
                            {"size", files[0]["size"]},
                            {"swap_pss", 0},
                            {"mappings", 1}}));
  EXPECT_EQ(files[1]["label"], "binary /usr/bin/bash r---");
  EXPECT_EQ(files[1]["pss"].get<uint64_t>(), KB(340));
  EXPECT_EQ(files[1]["mappings"], 3);
  EXPECT_EQ(files[2]["label"],
            "library /usr/lib/x86_64-linux-gnu/libc.so.6 r-x-");
  EXPECT_EQ(files[2]["pss"].get<uint64_t>(), KB(300));
  EXPECT_EQ(files[3]["label"],
            "library /usr/lib/x86_64-linux-gnu/libc.so.6 r---");
  EXPECT_EQ(files[3]["pss"].get<uint64_t>(), KB(80));
  EXPECT_EQ(files[3]["binary"], false);
}

// The whole document for one process, -m '' --small 1. pid 400's smaps
// (kB, Size/Rss/Pss): python3.11 512/400/200, 2560/2400/1200, 1024/600/300,
// 256/256/256; libc 160/40/40, 1364/1200/300, 352/64/16, 16/16/16, 8/8/8:
// files 6252/4984/2336 in 9 mappings. [heap] 804/800/800, [stack]
// 132/132/132, [vvar] 16/0/0 + [vdso] 8/8/2. Pss 3270; 2 kB is 0.06% of
// it, below 1%.
TEST(SnapshotJson, WholeDocumentOfOneProcess) {
  json doc =
      RunJson({"--json", "snapshot", "-p", "400", "-m", "", "--small", "1"});
  ASSERT_FALSE(doc.is_discarded());
  doc["scan"]["seconds"] = 0;
  auto row = [](const char* category, const char* label, uint64_t mappings,
                uint64_t size, uint64_t rss, uint64_t pss) {
    return json{{"category", category}, {"label", label},
                {"mappings", mappings}, {"percent", 100.0 * pss / 3270},
                {"pss", KB(pss)},       {"rss", KB(rss)},
                {"size", KB(size)},     {"swap_pss", 0}};
  };
  json section = {
      {"hugetlb", 0},
      {"hugetlb_mappings", 0},
      {"pss", KB(3270)},
      {"rows",
       {row("file", "file-backed mappings", 9, 6252, 4984, 2336),
        row("heap", "Heap", 1, 804, 800, 800),
        row("stack", "Stack", 1, 132, 132, 132)}},
      {"small",
       {{"percent", 100.0 * 2 / 3270},
        {"pss", KB(2)},
        {"rows", {row("special", "vdso/vvar/vsyscall", 2, 24, 8, 2)}}}},
      {"swap_pss", 0},
  };
  json process = section;
  process.update(json{{"cmdline",
                       "/usr/bin/python3 -c import time; "
                       "time.sleep(9)"},
                      {"comm", "python3"},
                      {"pid", 400},
                      {"ppid", 1},
                      {"threads", 1},
                      {"uid", 0},
                      {"unknown_thread_stacks", 0}});
  json summary = section;
  summary["processes"] = 1;
  const json want = {
      {"command", "snapshot"},
      {"file_key", ""},
      {"processes", {process}},
      {"scan",
       {{"filtered_out", 4},
        {"kernel_threads", 1},
        {"processes_scanned", 1},
        {"seconds", 0},
        {"self_excluded", false},
        {"threads", 1},
        {"unreadable", 0},
        {"unreadable_pids", json::array()},
        {"vanished", 0}}},
      {"schema_version", 1},
      {"small_percent", 1.0},
      {"summary", summary},
  };
  EXPECT_EQ(doc, want) << doc.dump(1);
}

std::vector<int> Pids(const json& doc) {
  std::vector<int> pids;
  for (const json& p : doc["processes"]) pids.push_back(p["pid"].get<int>());
  return pids;
}

// Scanning on two threads changes nothing but the scan's time and thread
// count (the TSan run checks the parallel scan here). stderr is not
// compared: oneTBB warns there when the machine has fewer cores than threads
// asked for.
TEST(SnapshotJson, TwoScanThreadsGiveTheSameDocument) {
  json one = RunJson({"--json", "snapshot", "--small", "0"});
  RunResult r = RunMemstats({"--procfs-root", kProfile, "--threads", "2",
                             "--json", "snapshot", "--small", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  json two = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_EQ(two["processes"].size(), 5u) << r.out;
  EXPECT_EQ(one["scan"]["threads"], 1);
  EXPECT_EQ(two["scan"]["threads"], 2);
  for (json* doc : {&one, &two}) {
    (*doc)["scan"].erase("threads");
    (*doc)["scan"].erase("seconds");
  }
  EXPECT_EQ(one, two);
}

// -c adds descendants (201 is 200's child); without it, only what matched.
TEST(SnapshotJson, ChildrenOfPids) {
  EXPECT_EQ(Pids(RunJson({"--json", "snapshot", "-p", "200", "-c"})),
            (std::vector<int>{200, 201}));
  EXPECT_EQ(Pids(RunJson({"--json", "snapshot", "-p", "201", "-c"})),
            (std::vector<int>{201}));
  EXPECT_EQ(Pids(RunJson({"--json", "snapshot", "-p", "300", "-p", "100,201"})),
            (std::vector<int>{100, 201, 300}));
  // The regex and -p add up; --filter applies to both, and to children.
  EXPECT_EQ(Pids(RunJson({"--json", "snapshot", "bash", "-p", "400"})),
            (std::vector<int>{300, 400}));
  EXPECT_EQ(Pids(RunJson({"--json", "--filter", "not(uid(33))", "snapshot",
                          "-c", "master"})),
            (std::vector<int>{200}));
  // Both nginx processes match; 201 lies below 200, so one root is enough.
  EXPECT_EQ(Pids(RunJson({"--json", "snapshot", "-c", "nginx"})),
            (std::vector<int>{200, 201}));
  // No regex and no -p: every process but the kernel thread.
  EXPECT_EQ(Pids(RunJson({"--json", "snapshot", "-c"})),
            (std::vector<int>{100, 200, 201, 300, 400}));
}

TEST(SnapshotJson, OutputFileHoldsTheReport) {
  char tmpl[] = "/tmp/memstats_snapshot_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string path = dir + "/out.txt";
  RunResult to_file = RunOnProfile({"snapshot", "-p", "200", "-o", path});
  RunResult to_stdout = RunOnProfile({"snapshot", "-p", "200"});
  EXPECT_EQ(to_file.exit_code, 0) << to_file.Describe();
  EXPECT_EQ(to_file.out, "");
  EXPECT_EQ(to_file.err, "");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(MaskTiming(text.str()), MaskTiming(to_stdout.out));
  EXPECT_NE(text.str().find("pid 200 nginx"), std::string::npos);
  struct stat st;
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(std::system(("rm -rf '" + dir + "'").c_str()), 0);
}

}  // namespace
}  // namespace memstats::testing
