// ReadSmapsRollups: the smaps_rollup pass over the records of a finished
// scan, run on several threads over a fake /proc where some processes have
// vanished and some may not be read.
#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/scanner.h"

namespace memstats::scan {
namespace {

using testing::FakeProcSource;

constexpr int kFirstPid = 1000;
constexpr int kRecords = 50;
constexpr uint64_t kKiB = 1024;

// What each pid's smaps_rollup says: Rss pid kB, Pss pid/2 kB, Swap pid%7 kB.
std::string Rollup(int pid) {
  return absl::StrCat(
      "00010000-7ffff000 ---p 00000000 00:00 0    [rollup]\n",
      "Rss:            ", pid, " kB\nPss:            ", pid / 2,
      " kB\nSwap:           ", pid % 7, " kB\n");
}

// How record i (pid kFirstPid + i) fails, if it does.
enum class Fate { kKept, kGone, kVanishes, kDenied, kGarbled };
Fate FateOf(int i) {
  if (i % 10 == 3) return Fate::kGone;      // no directory any more
  if (i % 10 == 7) return Fate::kVanishes;  // directory there, reads ENOENT
  if (i % 10 == 5) return Fate::kDenied;    // EACCES
  if (i == 48) return Fate::kGarbled;       // unparsable: unreadable
  return Fate::kKept;
}

TEST(ReadSmapsRollupsTest, KeepsEachReadableRecordWithItsOwnRollup) {
  FakeProcSource src;
  ScanResult result;
  for (int i = 0; i < kRecords; ++i) {
    const int pid = kFirstPid + i;
    ProcessRecord& rec = result.processes.emplace_back();
    rec.id.pid = pid;
    rec.id.comm = absl::StrCat("proc", pid);
    rec.vm_pte_bytes = pid;
    const Fate fate = FateOf(i);
    if (fate == Fate::kGone) continue;
    FakeProcSource::Process& p = src.Add(pid);
    p.files["smaps_rollup"] = Rollup(pid);
    if (fate == Fate::kVanishes) p.vanish_after_reads = 0;
    if (fate == Fate::kDenied) p.file_errno["smaps_rollup"] = EACCES;
    if (fate == Fate::kGarbled) p.files["smaps_rollup"] = "garbage\n";
  }
  // What the scan itself counted stays counted.
  result.stats.vanished = 2;
  result.stats.unreadable = 1;
  result.stats.unreadable_pids = {1022};
  result.stats.scanned = kRecords;

  ReadSmapsRollups(src, result, /*threads=*/2);

  // 5 gone + 5 vanishing; 5 denied + 1 garbled (+ the 1 from the scan).
  EXPECT_EQ(result.stats.vanished, 2u + 10u);
  EXPECT_EQ(result.stats.unreadable, 1u + 6u);
  EXPECT_EQ(result.stats.unreadable_pids,
            (std::vector<int>{1005, 1015, 1022, 1025, 1035, 1045, 1048}));
  ASSERT_EQ(result.stats.scanned, 34u);
  ASSERT_EQ(result.processes.size(), 34u);

  std::vector<int> want_pids;
  for (int i = 0; i < kRecords; ++i) {
    if (FateOf(i) == Fate::kKept) want_pids.push_back(kFirstPid + i);
  }
  ASSERT_EQ(want_pids.size(), 34u);
  for (size_t k = 0; k < want_pids.size(); ++k) {
    const ProcessRecord& rec = result.processes[k];
    const int pid = want_pids[k];
    SCOPED_TRACE(pid);
    EXPECT_EQ(rec.id.pid, pid);
    EXPECT_EQ(rec.id.comm, absl::StrCat("proc", pid));
    EXPECT_EQ(rec.vm_pte_bytes, static_cast<uint64_t>(pid));
    EXPECT_EQ(rec.smaps.rss, pid * kKiB);
    EXPECT_EQ(rec.smaps.pss, pid / 2 * kKiB);
    EXPECT_EQ(rec.smaps.swap, pid % 7 * kKiB);
  }
}

TEST(ReadSmapsRollupsTest, NoRecordsIsNothingToDo) {
  FakeProcSource src;
  ScanResult result;
  ReadSmapsRollups(src, result, /*threads=*/2);
  EXPECT_TRUE(result.processes.empty());
  EXPECT_EQ(result.stats.scanned, 0u);
  EXPECT_EQ(result.stats.vanished, 0u);
  EXPECT_TRUE(src.reads().empty());
}

}  // namespace
}  // namespace memstats::scan
