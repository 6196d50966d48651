// Faults injected through the fake ProcSource, carried through the scanner,
// a splitter, the report and both renderers: an empty cmdline, a comm and
// an environment value that are not UTF-8 (and hold a terminal escape),
// garbage numbers in status and smaps_rollup, a process that vanishes
// mid-read. Each is a counted, reported outcome; the totals are those of
// the processes read whole.
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "render/groups.h"
#include "scan/scanner.h"
#include "scan/scanner_fault_util.h"
#include "sets/report.h"
#include "splitters/splitter.h"
#include "test_util.h"

namespace memstats::render {
namespace {

using scan::AddProcess;
using std::string_literals::operator""s;
using testing::FakeProcSource;
constexpr uint64_t kAnon = uint64_t{1} << scan::kKpfAnon;

// pid 10: APP=web, two pages of its own (PFNs 100, 101).
// pid 11: empty cmdline (its argv cleared), APP unset, PFN 200.
// pid 12: comm "bad\xff\x1b[2J" (not UTF-8, a clear-screen escape), APP a
//         non-UTF-8 value with an escape, PFN 300 shared with pid 10's
//         kpagecount of 2 counted by no one else: mapped outside.
// pid 13: "VmPTE: lots kB" in status: unreadable.
// pid 14: a swap entry, so smaps_rollup is read, and "Pss: 12x kB" in it:
//         unreadable.
// pid 15: vanishes after stat and status (ESRCH at cmdline).
void MakeSource(FakeProcSource& src) {
  AddProcess(src, 10, {100, 101}).files["environ"] =
      "HOME=/root\0APP=web\0"s;
  AddProcess(src, 11, {200}, "ghost").files["cmdline"] = "";
  FakeProcSource::Process& bad = AddProcess(src, 12, {300}, "bad\xff\x1b[2J");
  bad.files["environ"] = "APP=\xfe\x1b]0;pwned\x07\0"s;
  AddProcess(src, 13, {400}).files["status"] =
      "Name:\tw\nPPid:\t1\nUid:\t0\t0\t0\t0\nVmPTE:\t lots kB\n";
  FakeProcSource::Process& swapped = AddProcess(src, 14, {});
  swapped.pagemap[scan::kBaseVpn] = scan::kPmSwapped | (uint64_t{7} << 5);
  swapped.files["smaps_rollup"] = "Rss:  4 kB\nPss:  12x kB\n";
  AddProcess(src, 15, {500}).vanish_after_reads = 2;
  for (uint64_t pfn : {100, 101, 200}) src.SetKpage(pfn, kAnon, 1);
  src.SetKpage(300, kAnon, 2);
}

sets::Report BuildEnvReport(FakeProcSource& src) {
  scan::ScanOptions o = scan::Options();
  o.read_smaps = false;
  o.env_keys = {"APP"};
  auto scan = scan::Scan(src, o, scan::KeepAll());
  EXPECT_OK(scan);
  auto splitter = splitters::NewEnvSplitter("APP");
  std::vector<sets::Grouping> g = {
      splitters::Split(*splitter, scan->processes, scan->parents)};
  auto report = sets::BuildReport(*scan, g, /*list_processes=*/true, src,
                                  /*budget=*/nullptr, 2);
  EXPECT_OK(report);
  report->scan.seconds = 0;
  return *report;
}

// By hand: web = PFNs 100, 101, each mapped once: RSS = USS = PSS = 8 KiB.
// (unset) = PFN 200: 4 KiB each. pid 12's PFN 300 has kpagecount 2 but one
// reference in the scan: mapped outside, so USS 0 and PSS 4096 / 2 = 2 KiB.
// TOTAL: RSS 16, USS 12, PSS 14 KiB. FREED: anon USS + 48 KiB of page
// tables (VmPTE) per process. pids 13 and 14 unreadable, 15
// vanished: 3 scanned. Control bytes and invalid UTF-8 print as \xNN.
TEST(FaultRenderTest, TextIsEscapedAndFaultsAreCounted) {
  FakeProcSource src;
  MakeSource(src);
  sets::Report report = BuildEnvReport(src);
  std::ostringstream out;
  RenderGroupsText(report, Unit::kKiB, out);
  EXPECT_EQ(out.str(), R"(memstats: 3 processes scanned, 0 filtered out, 0 kernel threads (excluded), 1 vanished, 2 unreadable; 0.00 s with 2 threads

split by env:APP
GROUP                 PROCS  RSS  ANON  SHMEM  FILE  USS  ANON_USS  PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP  FREED  FILE_USS
web                       1    8     8      0     0    8         8    8     0         0         0         0     56         0
(unset)                   1    4     4      0     0    4         4    4     0         0         0         0     52         0
\xfe\x1b]0;pwned\x07      1    4     4      0     0    0         0    2     0         0         0         0     48         0
----------------------------------------------------------------------------------------------------------------------------
TOTAL                     3   16    16      0     0   12        12   14     0         0         0         0    156         0

processes
PID  PPID   UID  COMM            RSS  ANON  SHMEM  FILE  USS  ANON_USS  PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP  FREED  FILE_USS  COMMAND
 10     1  1000  worker            8     8      0     0    8         8    8     0         0         0         0     56         0  worker --flag
 11     1  1000  ghost             4     4      0     0    4         4    4     0         0         0         0     52         0
 12     1  1000  bad\xff\x1b[2J    4     4      0     0    0         0    2     0         0         0         0     48         0  bad\xff\x1b[2J --flag
)");
  for (char c : out.str()) {
    EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << int(c);
  }
}

// The same numbers in bytes. Invalid UTF-8 becomes U+FFFD and control
// bytes \u00NN, so the document is valid JSON (nlohmann's parser checks
// UTF-8).
TEST(FaultRenderTest, JsonIsValidAndFaultsAreCounted) {
  FakeProcSource src;
  MakeSource(src);
  sets::Report report = BuildEnvReport(src);
  std::ostringstream out;
  RenderGroupsJson(report, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("\"name\": \"\xEF\xBF\xBD\\u001b]0;pwned\\u0007\""),
            std::string::npos);
  EXPECT_NE(text.find("\"comm\": \"bad\xEF\xBF\xBD\\u001b[2J\""),
            std::string::npos);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\xfe'), std::string::npos);
  nlohmann::json doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc["scan"], nlohmann::json::parse(R"({
      "beyond_ram_entries_excluded": 0, "filtered_out": 0,
      "invalid_pfns_excluded": 0, "kernel_threads": 0,
      "migration_entries_as_pages": 0, "pages_kind_from_pagemap": 0,
      "pte_markers_excluded": 0, "processes_scanned": 3, "seconds": 0.0, "self_excluded": false,
      "shmem_swap_unknown_objects": 0, "shared_windows_reused": 0,
      "threads": 2,
      "unreadable": 2, "unreadable_pids": [13, 14], "vanished": 1,
      "zero_pages_excluded": 0})"));
  const nlohmann::json& split = doc["splits"][0];
  EXPECT_EQ(split["splitter"], "env:APP");
  std::vector<std::tuple<std::string, int, int, int, int>> groups;
  for (const auto& g : split["groups"]) {
    groups.emplace_back(g["name"], g["processes"], g["rss"], g["uss"],
                        g["pss"]);
  }
  EXPECT_EQ(groups, (decltype(groups){
                        {"web", 1, 8192, 8192, 8192},
                        {"(unset)", 1, 4096, 4096, 4096},
                        {"\xEF\xBF\xBD\x1b]0;pwned\x07", 1, 4096, 0, 2048}}));
  EXPECT_EQ(split["totals"]["rss"], 16384);
  EXPECT_EQ(split["totals"]["uss"], 12288);
  EXPECT_EQ(split["totals"]["pss"], 14336);
  std::vector<std::tuple<int, std::string, std::string>> procs;
  for (const auto& p : doc["processes"]) {
    procs.emplace_back(p["pid"], p["comm"], p["cmdline"]);
  }
  EXPECT_EQ(procs, (decltype(procs){
                       {10, "worker", "worker --flag"},
                       {11, "ghost", ""},
                       {12, "bad\xEF\xBF\xBD\x1b[2J", "bad\xEF\xBF\xBD\x1b[2J --flag"}}));
}

}  // namespace
}  // namespace memstats::render
