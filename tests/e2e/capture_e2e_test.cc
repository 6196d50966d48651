// memstats capture and --from on live processes (the layout helper: a
// parent and 3 children sharing anonymous, SysV and copy-on-write memory),
// label "live". `groups --json`, `top --json` and `snapshot --json` of the
// helper's processes, run live, then a capture, then live again: when the
// two live runs agree (nothing moved meanwhile), the same commands on the
// capture must print exactly the same JSON (but for the scan time, top's
// clock and meminfo line, and the counts of other processes on the
// machine, which move between any two runs). The machine moves (other builds start and end, which changes the
// sharing of libc's pages), so the test tries up to 8 times and fails when
// the two live runs never agree.
//
// Independently of memstats: top's SysV column summed over the helper's
// processes, from the capture, is the segment's resident size in
// /proc/sysvipc/shm (its PSS over all its attachers, all of them in the
// helper), exactly.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/layout_process.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "subprocess.h"

namespace memstats::testing {
namespace {

using nlohmann::json;

RunResult Memstats(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {MemstatsBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

// What the comparison leaves out: the time the command took, top's clock
// and meminfo line (the machine's free memory moves all the time), the
// counts of the other processes on the machine (other builds start and
// end), and the figures that hold the shared libraries' pages, which
// every process on the machine maps, memstats itself included (it leaves
// itself out of the groups, so its mappings are "outside"): their PSS moves
// whenever a process starts or ends, and a library page only the helper's
// parent maps leaves the parent's USS while `memstats capture`, whose code
// touches other library pages than `memstats groups`, maps it too (seen:
// the parent's file_uss 8 KiB live, 4 KiB in the capture). So file USS and
// smaps' Private sum are left out, and `uss` is compared without its file
// part; everything else about the helper's processes stays, RSS, anon and
// shmem USS, SysV and swap to the byte. Snapshot's rows are ordered by
// their PSS, which is left out, so they are compared in label order.
void Erase(json& j) {
  static const char* const kMoving[] = {
      "seconds",  "time",           "meminfo",       "filtered_out",
      "kernel_threads", "existing", "vanished",      "vanished_pids",
      "unreadable", "unreadable_pids",
      // Which process read a shared object first depends on the threads.
      "shared_windows_reused",
      // A capture cannot tell that the machine had no KSM page: its
      // replay takes every kind from the captured kpageflags.
      "pages_kind_from_pagemap",
      // The PSS of the libraries' page cache, which every process on the
      // machine that maps libc shares: it moves with the other builds.
      "pss", "pss_file", "text", "ptotal", "percent",
      // Library pages only the helper maps, unless memstats maps them too.
      "file_uss", "file_uss_kept", "private_sum"};
  if (j.is_object()) {
    if (j.contains("uss") && j.contains("file_uss")) {
      j["uss"] = j["uss"].get<uint64_t>() - j["file_uss"].get<uint64_t>();
    }
    for (const char* k : kMoving) j.erase(k);
    for (auto& [k, v] : j.items()) Erase(v);
  } else if (j.is_array()) {
    for (json& v : j) Erase(v);
    std::stable_sort(j.begin(), j.end(), [](const json& a, const json& b) {
      return a.is_object() && b.is_object() && a.contains("label") &&
             b.contains("label") && a["label"] < b["label"];
    });
  }
}

std::string Mask(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return "not JSON: " + text;
  Erase(j);
  return j.dump(1);
}

// The three reports of the helper's processes from `source` ("--from
// FILE" or nothing for the live system), masked; empty on a failure.
std::vector<std::string> Reports(const std::vector<std::string>& source,
                                 pid_t parent) {
  const std::string filter = "descendants(" + std::to_string(parent) + ")";
  const std::vector<std::vector<std::string>> commands = {
      {"--filter", filter, "groups", "--json", "--split-env", kEnvKey,
       "--split-uid"},
      {"--filter", filter, "top", "--json", "-g", "pid", "--sort", "name"},
      {"--filter", filter, "snapshot", "--json"}};
  std::vector<std::string> out;
  for (const auto& c : commands) {
    std::vector<std::string> argv = source;
    argv.insert(argv.end(), c.begin(), c.end());
    RunResult r = Memstats(argv);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    if (r.exit_code != 0) return {};
    out.push_back(Mask(r.out));
  }
  return out;
}

// The first line where `a` and `b` differ, from both.
std::string FirstDifference(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string l, m;
  while (std::getline(x, l) && std::getline(y, m)) {
    if (l != m) return "  " + l + "\n  " + m + "\n";
  }
  return "  (lengths differ)\n";
}

// The rss column (bytes) of the segment `shmid` in /proc/sysvipc/shm.
uint64_t SysvRss(int shmid) {
  std::ifstream in("/proc/sysvipc/shm");
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::string> names;
  {
    std::istringstream h(line);
    for (std::string w; h >> w;) names.push_back(w);
  }
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::vector<std::string> v;
    for (std::string w; f >> w;) v.push_back(w);
    for (size_t i = 0; i < names.size() && i < v.size(); ++i) {
      if (names[i] == "shmid" && v[i] != std::to_string(shmid)) break;
      if (names[i] == "rss") return std::stoull(v[i]);
    }
  }
  return 0;
}

TEST(CaptureE2e, CaptureGivesTheLiveAnswers) {
  LiveTestLock lock;
  LayoutHelper helper;
  ASSERT_TRUE(helper.ok()) << helper.error();
  char tmpl[] = "/tmp/memstats_capture_e2e.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string file = dir + "/live.msnap";

  bool settled = false;
  for (int attempt = 0; attempt < 8 && !settled; ++attempt) {
    const std::vector<std::string> before = Reports({}, helper.parent());
    RunResult cap =
        Memstats({"capture", "-o", file, "--env", kEnvKey});
    ASSERT_EQ(cap.exit_code, 0) << cap.Describe();
    const std::vector<std::string> after = Reports({}, helper.parent());
    if (before.empty() || before != after) {  // the machine moved
      for (size_t i = 0; i < before.size() && i < after.size(); ++i) {
        if (before[i] != after[i]) {
          std::cerr << "attempt " << attempt << ": report " << i
                    << " moved:\n" << FirstDifference(before[i], after[i]);
        }
      }
      continue;
    }
    settled = true;
    const std::vector<std::string> replay =
        Reports({"--from", file}, helper.parent());
    ASSERT_EQ(replay.size(), 3u);
    EXPECT_EQ(replay[0], before[0]) << "groups";
    EXPECT_EQ(replay[1], before[1]) << "top";
    EXPECT_EQ(replay[2], before[2]) << "snapshot";

    // Independent of memstats: the SysV segment's resident bytes.
    json top = json::parse(replay[1]);
    uint64_t sysv = 0;
    for (const json& g : top["groups"]) sysv += g["shSYSV"].get<uint64_t>();
    EXPECT_EQ(sysv, SysvRss(helper.shmid()));
    EXPECT_EQ(sysv, static_cast<uint64_t>(kSysv) << 20);
  }
  EXPECT_TRUE(settled) << "the two live runs around the capture never "
                          "agreed in 8 attempts";
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ::unlink(file.c_str());
  ::rmdir(dir.c_str());
  EXPECT_EQ(helper.Stop(), 0);
}

}  // namespace
}  // namespace memstats::testing
