// ScanOptions::mapping_detail against a fake /proc: per-category rows from
// the full smaps, thread stacks from task/TID/syscall, and the ways those
// reads fail.
#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "all_kinds_fixture.h"
#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/scanner.h"
#include "scanner_fault_util.h"
#include "test_util.h"

namespace memstats::scan {
namespace {

using testing::FakeProcSource;
using enum MappingCategory;

constexpr uint64_t kKiB = 1024;

// pid 4242 with the all-kinds smaps and four tasks: 4243 blocked in futex
// (its stack pointer is kAllKindsThreadSp), 4244 blocked outside a system
// call (its stack is named "[stack:4244]" anyway), 4245 on a CPU.
FakeProcSource::Process& AddAllKinds(FakeProcSource& src) {
  FakeProcSource::Process& p = AddProcess(src, kAllKindsPid, {}, "demo");
  p.files["smaps"] = testing::ReadFixture(kAllKindsFixture);
  p.tasks = {4242, 4243, 4244, 4245};
  p.files["task/4243/syscall"] =
      "202 0x7f3a1c7ff910 0x80 0x2 0x0 0x0 0x7f3a1c7ff8e0 0x7f3a1c7ff6c0 "
      "0x7f3a1e891d36\n";
  p.files["task/4244/syscall"] = "-1 0x7f3a1d7ffe00 0x7f3a1e891d36\n";
  p.files["task/4245/syscall"] = "running\n";
  return p;
}

// Scans `src` without pagemap reads, with the given mapping detail.
absl::StatusOr<ScanResult> ScanDetail(
    FakeProcSource& src,
    ScanOptions::MappingDetail detail = ScanOptions::MappingDetail::kFiles,
    MemoryBudget* budget = nullptr) {
  ScanOptions o = Options();
  o.read_pages = false;
  o.mapping_detail = detail;
  o.budget = budget;
  return Scan(src, o, KeepAll());
}

// The all-kinds rows when 4243's stack pointer is unknown: its stack
// (7f3a1c000000-7f3a1c800000, 8 MiB, 16 KiB resident) is anonymous memory.
std::vector<UsageRow> RowsWithoutThreadSp() {
  std::vector<UsageRow> rows = AllKindsRows(true);
  UsageRow& anon = rows[4];
  EXPECT_EQ(anon.category, kAnon);
  anon.mappings += 1;
  anon.size += 8192 * kKiB;
  anon.rss += 16 * kKiB;
  anon.pss += 16 * kKiB;
  UsageRow& stacks = rows[6];
  EXPECT_EQ(stacks.category, kThreadStack);
  stacks.mappings -= 1;
  stacks.size -= 8192 * kKiB;
  stacks.rss -= 16 * kKiB;
  stacks.pss -= 16 * kKiB;
  return rows;
}

// Scans `src`; the record of its only process, or nullopt when the scan
// failed or kept another number of processes.
std::optional<ProcessRecord> ScanOne(
    FakeProcSource& src,
    ScanOptions::MappingDetail detail = ScanOptions::MappingDetail::kFiles) {
  auto r = ScanDetail(src, detail);
  if (!r.ok() || r->processes.size() != 1) return std::nullopt;
  return std::move(r->processes[0]);
}

TEST(ScannerUsageTest, RowsFromSmapsAndThreadStacksFromSyscall) {
  FakeProcSource src;
  AddAllKinds(src);
  std::optional<ProcessRecord> rec = ScanOne(src);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->usage, AllKindsRows(true));
  EXPECT_EQ(rec->usage_pss, kAllKindsPssKib * kKiB);
  EXPECT_EQ(rec->threads, 4);
  EXPECT_EQ(rec->unknown_thread_stacks, 1);  // 4245 is running
  // smaps_rollup is read as before, independently.
  EXPECT_EQ(rec->smaps.pss, 32 * kKiB);

  std::vector<std::string> reads;
  for (const std::string& read : src.reads()) {
    if (read.starts_with("4242/")) reads.push_back(read);
  }
  // The main thread's syscall file is not read, nor the pagemap, nor maps
  // (smaps has the same mapping lines).
  EXPECT_EQ(reads,
            (std::vector<std::string>{
                "4242/stat", "4242/status", "4242/cmdline",
                "4242/exe", "4242/cgroup", "4242/smaps_rollup",
                "4242/task", "4242/task/4243/syscall", "4242/task/4244/syscall",
                "4242/task/4245/syscall", "4242/smaps",
                "4242/stat"}));
}

// A process whose status says one live thread, and not a zombie leader,
// has no thread stack but [stack]: its task list is not read. With two
// threads, or one thread under a zombie leader (the live thread is another
// task, whose stack is a thread stack), it is.
TEST(ScannerUsageTest, OneLiveLeaderNeedsNoTaskList) {
  struct Case {
    const char* state;
    int threads;
    bool lists_tasks;
  };
  for (const Case& c :
       {Case{"S (sleeping)", 1, false}, Case{"S (sleeping)", 2, true},
        Case{"Z (zombie)", 1, true}}) {
    SCOPED_TRACE(absl::StrCat(c.state, " ", c.threads));
    FakeProcSource src;
    FakeProcSource::Process& p = AddAllKinds(src);
    p.files["status"] +=
        absl::StrCat("State:\t", c.state, "\nThreads:\t", c.threads, "\n");
    p.tasks =
        c.threads == 1 ? std::vector<int>{4242} : std::vector<int>{4242, 4243};
    std::optional<ProcessRecord> rec = ScanOne(src);
    ASSERT_TRUE(rec.has_value());
    const std::vector<std::string> reads = src.reads();
    EXPECT_EQ(std::count(reads.begin(), reads.end(), "4242/task"),
              c.lists_tasks ? 1 : 0);
    EXPECT_EQ(rec->threads, c.threads);
  }
}

// With rollup_from_smaps the totals are the full smaps summed (the
// fixture's 30 mappings: Rss 3916, Pss 1729, Private_Clean 292,
// Private_Dirty 456, Swap 84 KiB, summed with awk) and smaps_rollup is
// never read.
TEST(ScannerUsageTest, RollupFromSmapsSumsTheMappingsInsteadOfASecondRead) {
  FakeProcSource src;
  AddAllKinds(src);
  ScanOptions o = Options();
  o.read_pages = false;
  o.mapping_detail = ScanOptions::MappingDetail::kFiles;
  o.rollup_from_smaps = true;
  auto r = Scan(src, o, KeepAll());
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  const SmapsTotals& t = r->processes[0].smaps;
  EXPECT_EQ(t.rss, 3916 * kKiB);
  EXPECT_EQ(t.pss, kAllKindsPssKib * kKiB);
  EXPECT_EQ(t.private_clean, 292 * kKiB);
  EXPECT_EQ(t.private_dirty, 456 * kKiB);
  EXPECT_EQ(t.swap, 84 * kKiB);
  EXPECT_EQ(t.swap_pss, kAllKindsSwapPssKib * kKiB);
  for (const std::string& read : src.reads()) {
    EXPECT_NE(read, "4242/smaps_rollup");
  }
}

TEST(ScannerUsageTest, CategoriesModeFoldsFilePaths) {
  FakeProcSource src;
  AddAllKinds(src);
  std::optional<ProcessRecord> rec =
      ScanOne(src, ScanOptions::MappingDetail::kCategories);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->usage, AllKindsRows(false));
  EXPECT_EQ(rec->usage_pss, kAllKindsPssKib * kKiB);
}

TEST(ScannerUsageTest, WithoutDetailNoSmapsOrTasksAreRead) {
  FakeProcSource src;
  AddAllKinds(src);
  std::optional<ProcessRecord> rec =
      ScanOne(src, ScanOptions::MappingDetail::kNone);
  ASSERT_TRUE(rec.has_value());
  EXPECT_TRUE(rec->usage.empty());
  EXPECT_EQ(rec->usage_pss, 0u);
  EXPECT_EQ(rec->threads, 0);
  for (const std::string& read : src.reads()) {
    EXPECT_NE(read, "4242/smaps");
    EXPECT_NE(read, "4242/task");
  }
}

TEST(ScannerUsageTest, RunningThreadGivesNoStackPointerSoItsStackIsAnon) {
  FakeProcSource src;
  AddAllKinds(src).files["task/4243/syscall"] = "running\n";
  std::optional<ProcessRecord> rec = ScanOne(src);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->usage, RowsWithoutThreadSp());
  EXPECT_EQ(rec->usage_pss, kAllKindsPssKib * kKiB);  // moved, not lost
  EXPECT_EQ(rec->threads, 4);
  EXPECT_EQ(rec->unknown_thread_stacks, 2);
}

// The process still counts whenever its smaps could be read; only its
// thread stacks are then unknown and show as anonymous memory.
TEST(ScannerUsageTest, UnreadableTasksLeaveThreadStacksUnknown) {
  struct Case {
    std::string name;
    std::string file;  // made to fail
    int err;
    int threads;
    int unknown;
  };
  const Case cases[] = {
      // The syscall file needs ptrace attach permission.
      {"syscall EACCES", "task/4243/syscall", EACCES, 4, 2},
      // The thread ended between the task list and its file.
      {"thread ended", "task/4243/syscall", ENOENT, 4, 2},
      // threads 0: the number of tasks is unknown.
      {"task list EACCES", "task", EACCES, 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeProcSource src;
    AddAllKinds(src).file_errno[c.file] = c.err;
    // Recorded: neither vanished nor unreadable.
    std::optional<ProcessRecord> rec = ScanOne(src);
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->usage, RowsWithoutThreadSp());
    EXPECT_EQ(rec->usage_pss, kAllKindsPssKib * kKiB);
    EXPECT_EQ(rec->threads, c.threads);
    EXPECT_EQ(rec->unknown_thread_stacks, c.unknown);
  }
}

TEST(ScannerUsageTest, SmapsVanishingMidReadCountsTheProcessVanished) {
  FakeProcSource src;
  AddProcess(src, 10, {}).files["smaps"] = "";
  // status, cmdline, exe, cgroup, smaps_rollup, task and three syscall
  // files (stat was read for the parent map, through another handle; maps
  // is not read without pages): the tenth read, smaps, finds the process
  // gone.
  AddAllKinds(src).vanish_after_reads = 9;
  auto r = ScanDetail(src);
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  EXPECT_EQ(r->processes[0].id.pid, 10);
  EXPECT_EQ(r->stats.vanished, 1u);
  EXPECT_EQ(r->stats.unreadable, 0u);
  std::string last;
  for (const std::string& read : src.reads()) {
    if (read.starts_with("4242/")) last = read;
  }
  EXPECT_EQ(last, "4242/smaps");
}

TEST(ScannerUsageTest, SmapsDeniedOrGarbledCountsTheProcessUnreadable) {
  FakeProcSource src;
  AddProcess(src, 10, {}).files["smaps"] = "";
  AddAllKinds(src).file_errno["smaps"] = EACCES;
  AddProcess(src, 11, {}).files["smaps"] = "Pss:   notanumber kB\n";
  auto r = ScanDetail(src);
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  EXPECT_EQ(r->processes[0].id.pid, 10);
  EXPECT_EQ(r->stats.unreadable, 2u);
  EXPECT_EQ(r->stats.unreadable_pids, (std::vector<int>{11, 4242}));
  EXPECT_EQ(r->stats.vanished, 0u);
}

TEST(ScannerUsageTest, ProcessWithOneThreadAndEmptySmaps) {
  FakeProcSource src;
  AddProcess(src, 10, {}).files["smaps"] = "";
  std::optional<ProcessRecord> rec = ScanOne(src);
  ASSERT_TRUE(rec.has_value());
  EXPECT_TRUE(rec->usage.empty());
  EXPECT_EQ(rec->usage_pss, 0u);
  EXPECT_EQ(rec->threads, 1);
  EXPECT_EQ(rec->unknown_thread_stacks, 0);
}

TEST(ScannerUsageTest, MemoryBudgetCoversTheRows) {
  FakeProcSource src;
  AddAllKinds(src);
  // Enough for nothing but a few rows: the all-kinds process has 20.
  MemoryBudget budget(4 * sizeof(UsageRow));
  auto r = ScanDetail(src, ScanOptions::MappingDetail::kFiles, &budget);
  EXPECT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  EXPECT_TRUE(budget.exceeded());
  EXPECT_EQ(budget.used(), 0u);
}

}  // namespace
}  // namespace memstats::scan
