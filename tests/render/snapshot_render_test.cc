// The snapshot renderers on a hand-made Snapshot: the whole text compared,
// untrusted text escaped, hugetlb and SwapPss apart, the JSON fields.
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "profile/snapshot.h"
#include "render/scan_stats.h"
#include "render/snapshot.h"

namespace memstats::render {
namespace {

using enum scan::MappingCategory;
using profile::FileRole;
using profile::SnapshotRow;

SnapshotRow Row(scan::MappingCategory c, uint64_t pss, double percent,
                std::string path = "", std::string perms = "",
                FileRole role = FileRole::kNone) {
  SnapshotRow r;
  r.category = c;
  r.pss = pss;
  r.rss = pss;
  r.size = 2 * pss;
  r.mappings = 1;
  r.percent = percent;
  r.path = std::move(path);
  r.perms = std::move(perms);
  r.role = role;
  return r;
}

// One process of 1 MiB PSS: heap 768 KiB (75%), a file whose name holds an
// escape sequence 250 KiB (24.4%), stack 6 KiB (0.6%, below 1%: folded).
// 2 MiB of hugetlb and 12 KiB of SwapPss beside it.
profile::Snapshot OneProcess() {
  profile::Snapshot snap;
  snap.scan.scanned = 1;
  snap.scan.filtered_out = 7;
  snap.scan.kernel_threads = 2;
  snap.scan.seconds = 0.25;
  snap.scan.threads = 2;
  snap.mask_text = "bfx";
  snap.small_percent = 1;
  profile::SnapshotSection s;
  s.pss_total = 1024 * 1024;
  s.swap_pss = 12 * 1024;
  s.hugetlb = 2 << 20;
  s.hugetlb_mappings = 1;
  s.rows = {Row(kHeap, 768 * 1024, 75.0),
            Row(kFile, 250 * 1024, 24.4140625, "/tmp/\x1b[2Jevil", "--x-",
                FileRole::kLibrary)};
  s.small_rows = {Row(kStack, 6 * 1024, 0.5859375)};
  s.small_pss = 6 * 1024;
  s.small_percent = 0.5859375;
  snap.summary = s;
  profile::ProcessSnapshot& p = snap.processes.emplace_back();
  p.pid = 42;
  p.ppid = 1;
  p.uid = 1000;
  p.comm = "ev\til";
  p.cmdline = "evil --title \x1b]0;owned\x07";
  p.threads = 3;
  p.unknown_thread_stacks = 1;
  p.section = s;
  return snap;
}

// memstats's own process left out (cli::RunScan): the scan line and the
// scan JSON say so.
TEST(ScanStats, SelfExcluded) {
  scan::ScanStats s;
  s.scanned = 4;
  s.filtered_out = 1;
  s.kernel_threads = 2;
  s.seconds = 0.5;
  s.threads = 2;
  EXPECT_EQ(ScanLine(s),
            "memstats: 4 processes scanned, 1 filtered out, 2 kernel threads "
            "(excluded), 0 vanished, 0 unreadable; 0.50 s with 2 threads\n");
  EXPECT_EQ(ScanStatsJson(s)["self_excluded"], false);
  s.self_excluded = true;
  EXPECT_EQ(ScanLine(s),
            "memstats: 4 processes scanned, 1 filtered out, 2 kernel threads "
            "(excluded), 0 vanished, 0 unreadable, memstats itself left out; "
            "0.50 s with 2 threads\n");
  EXPECT_EQ(ScanStatsJson(s)["self_excluded"], true);
}

TEST(SnapshotText, WholeOutputEscaped) {
  std::ostringstream out;
  RenderSnapshotText(OneProcess(), Unit::kAuto, out);
  EXPECT_EQ(
      out.str(),
      R"(memstats: 1 processes scanned, 7 filtered out, 2 kernel threads (excluded), 0 vanished, 0 unreadable; 0.25 s with 2 threads
file mappings by: bfx

summary of 1 process: PSS 1.0M
   PSS      %  MEMORY
768.0K  75.0%  Heap
250.0K  24.4%  library /tmp/\x1b[2Jevil --x-
  6.0K   0.6%  small categories (1 row below 1%)
  6.0K   0.6%    Stack
----------------------------------------------------------
  2.0M      -  Hugetlb (huge pages, not in PSS; 1 mapping)
swap (SwapPss, not in PSS): 12.0K

pid 42 ev\x09il (ppid 1, uid 1000): PSS 1.0M
command: evil --title \x1b]0;owned\x07
threads: 3 (1 stack not found, counted in Anonymous mappings)
   PSS      %  MEMORY
768.0K  75.0%  Heap
250.0K  24.4%  library /tmp/\x1b[2Jevil --x-
  6.0K   0.6%  small categories (1 row below 1%)
  6.0K   0.6%    Stack
----------------------------------------------------------
  2.0M      -  Hugetlb (huge pages, not in PSS; 1 mapping)
swap (SwapPss, not in PSS): 12.0K
)");
}

TEST(SnapshotText, EmptyMaskAndNoProcess) {
  profile::Snapshot snap;
  snap.small_percent = 0.5;
  std::ostringstream out;
  RenderSnapshotText(snap, Unit::kKiB, out);
  EXPECT_EQ(out.str(),
            "memstats: 0 processes scanned, 0 filtered out, 0 kernel threads "
            "(excluded), 0 vanished, 0 unreadable; 0.00 s with 1 threads\n"
            "file mappings by: (all in one row)\n"
            "\n"
            "summary of 0 processes: PSS 0\n"
            "PSS  %  MEMORY\n"
            "swap (SwapPss, not in PSS): 0\n");
}

TEST(SnapshotJsonRender, Fields) {
  nlohmann::json doc = SnapshotJson(OneProcess());
  EXPECT_EQ(doc["schema_version"], 1);
  EXPECT_EQ(doc["file_key"], "bfx");
  EXPECT_EQ(doc["small_percent"], 1.0);
  EXPECT_EQ(doc["scan"]["filtered_out"], 7);
  const nlohmann::json& s = doc["summary"];
  EXPECT_EQ(s["processes"], 1);
  EXPECT_EQ(s["pss"], 1024 * 1024);
  EXPECT_EQ(s["swap_pss"], 12 * 1024);
  EXPECT_EQ(s["hugetlb"], 2 << 20);
  EXPECT_EQ(s["hugetlb_mappings"], 1);
  EXPECT_EQ(s["rows"][0], (nlohmann::json{{"category", "heap"},
                                          {"label", "Heap"},
                                          {"pss", 768 * 1024},
                                          {"percent", 75.0},
                                          {"rss", 768 * 1024},
                                          {"size", 1536 * 1024},
                                          {"swap_pss", 0},
                                          {"mappings", 1}}));
  // File rows carry the key parts the mask keeps, raw (JSON escapes them).
  EXPECT_EQ(s["rows"][1]["path"], "/tmp/\x1b[2Jevil");
  EXPECT_EQ(s["rows"][1]["binary"], false);
  EXPECT_EQ(s["rows"][1]["perms"], "--x-");
  EXPECT_EQ(s["small"], (nlohmann::json{{"pss", 6 * 1024},
                                        {"percent", 0.5859375},
                                        {"rows",
                                         {{{"category", "stack"},
                                           {"label", "Stack"},
                                           {"pss", 6 * 1024},
                                           {"percent", 0.5859375},
                                           {"rss", 6 * 1024},
                                           {"size", 12 * 1024},
                                           {"swap_pss", 0},
                                           {"mappings", 1}}}}}));
  const nlohmann::json& p = doc["processes"][0];
  EXPECT_EQ(p["pid"], 42);
  EXPECT_EQ(p["comm"], "ev\til");
  EXPECT_EQ(p["threads"], 3);
  EXPECT_EQ(p["unknown_thread_stacks"], 1);
  EXPECT_EQ(p["pss"], 1024 * 1024);
  // A row without a file key has no path, binary or perms field.
  EXPECT_FALSE(p["rows"][0].contains("path"));
  EXPECT_FALSE(p["rows"][0].contains("perms"));
}

}  // namespace
}  // namespace memstats::render
