// The scanner on the fixture tree tests/fixtures/basic through the live
// ProcSource (the code path of --procfs-root): exact records, page runs,
// swap keys, SysV attachments and scan statistics. The layout is documented
// in tests/fixtures/make_fixtures.py.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scan/pagemap.h"
#include "scan/proc_source.h"
#include "scan/scanner.h"
#include "test_util.h"

namespace memstats::scan {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kFixture[] = MEMSTATS_FIXTURES_DIR "/basic";
constexpr uint64_t KB(uint64_t n) { return n * 1024; }
// Swap key of type 0, offset `offset` (PmSwapKey: type << 50 | offset).
constexpr uint64_t Swap0(uint64_t offset) { return offset; }

std::unique_ptr<ProcSource> Fixture() {
  auto source = NewLiveProcSource(kFixture);
  EXPECT_TRUE(source.ok()) << source.status();
  return source.ok() ? std::move(*source) : nullptr;
}

bool KeepAll(const ProcessIdentity&, const ParentMap&) { return true; }

ScanResult ScanFixture(const ScanOptions& options, const KeepFn& keep) {
  std::unique_ptr<ProcSource> source = Fixture();
  if (source == nullptr) return {};
  auto result = Scan(*source, options, keep);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? std::move(*result) : ScanResult{};
}

ScanOptions DefaultOptions() {
  ScanOptions options;
  options.threads = 1;
  options.env_keys = {"APP"};
  return options;
}

TEST(ScannerFixture, Stats) {
  ScanResult r = ScanFixture(DefaultOptions(), KeepAll);
  const ScanStats& s = r.stats;
  EXPECT_EQ(s.listed, 4u);  // 2, 100, 200, 300
  EXPECT_EQ(s.scanned, 3u);
  EXPECT_EQ(s.filtered_out, 0u);
  EXPECT_EQ(s.kernel_threads, 1u);  // kthreadd
  EXPECT_EQ(s.vanished, 0u);
  EXPECT_EQ(s.unreadable, 0u);
  EXPECT_THAT(s.unreadable_pids, IsEmpty());
  EXPECT_EQ(s.zero_pfn_entries, 0u);
  EXPECT_FALSE(s.pfns_hidden);
  EXPECT_EQ(s.out_of_range_pfns, 0u);
  EXPECT_EQ(s.threads, 1);
  EXPECT_GE(s.seconds, 0.0);
  // Parents come from every stat, the kernel thread's included.
  EXPECT_THAT(r.parents, UnorderedElementsAre(Pair(2, 0), Pair(100, 1),
                                              Pair(200, 100), Pair(300, 1)));
}

TEST(ScannerFixture, Identities) {
  ScanResult r = ScanFixture(DefaultOptions(), KeepAll);
  ASSERT_EQ(r.processes.size(), 3u);

  const ProcessIdentity& p1 = r.processes[0].id;
  EXPECT_EQ(p1.pid, 100);
  EXPECT_EQ(p1.ppid, 1);
  EXPECT_EQ(p1.uid, 0u);
  EXPECT_EQ(p1.comm, "P1");
  EXPECT_EQ(p1.exe, "/opt/demo/bin/p1");
  EXPECT_THAT(p1.cmdline, ElementsAre("p1", "--serve"));
  EXPECT_EQ(p1.cgroup, "/system.slice/web.service");
  EXPECT_THAT(p1.env, UnorderedElementsAre(Pair("APP", "web")));
  EXPECT_FALSE(p1.kernel_thread);

  const ProcessIdentity& p2 = r.processes[1].id;
  EXPECT_EQ(p2.pid, 200);
  EXPECT_EQ(p2.ppid, 100);
  EXPECT_EQ(p2.uid, 0u);
  EXPECT_EQ(p2.comm, "P2");
  EXPECT_EQ(p2.exe, "/opt/demo/bin/p2");
  EXPECT_THAT(p2.cmdline, ElementsAre("p2", "--db"));
  EXPECT_EQ(p2.cgroup, "/system.slice/db.service");
  EXPECT_THAT(p2.env, UnorderedElementsAre(Pair("APP", "db")));

  const ProcessIdentity& bash = r.processes[2].id;
  EXPECT_EQ(bash.pid, 300);
  EXPECT_EQ(bash.ppid, 1);
  EXPECT_EQ(bash.uid, 1000u);
  EXPECT_EQ(bash.comm, "bash");
  EXPECT_EQ(bash.exe, "/usr/bin/bash");
  EXPECT_THAT(bash.cmdline, ElementsAre("-bash"));
  EXPECT_EQ(bash.cgroup, "/user.slice/user-1000.slice/session-1.scope");
  EXPECT_THAT(bash.env, IsEmpty());  // APP_NAME is not APP
}

// Without env keys asked for, environ is not read at all.
TEST(ScannerFixture, NoEnvKeysNoEnv) {
  ScanOptions options = DefaultOptions();
  options.env_keys.clear();
  ScanResult r = ScanFixture(options, KeepAll);
  ASSERT_EQ(r.processes.size(), 3u);
  for (const ProcessRecord& p : r.processes) EXPECT_THAT(p.id.env, IsEmpty());
}

TEST(ScannerFixture, PagesSwapAndSysv) {
  ScanResult r = ScanFixture(DefaultOptions(), KeepAll);
  ASSERT_EQ(r.processes.size(), 3u);
  const ProcessRecord& p1 = r.processes[0];
  const ProcessRecord& p2 = r.processes[1];
  const ProcessRecord& bash = r.processes[2];

  // Virtual address order: shmem, heap, libc; the empty stack adds nothing.
  EXPECT_THAT(ExpandPages(*r.segments, p1), ElementsAre(PfnRun{0x100, 100}, PfnRun{0x180, 40},
                                    PfnRun{0x40, 5}));
  EXPECT_THAT(p1.swap, ElementsAre(Swap0(8)));
  EXPECT_THAT(p1.sysv_shmids, IsEmpty());

  // The zero page, repeated at 4 addresses, is 4 runs of one PFN each (the
  // scanner keeps it; the page catalog leaves it out).
  EXPECT_THAT(ExpandPages(*r.segments, p2),
              ElementsAre(PfnRun{0x100, 100}, PfnRun{0x1b0, 5},
                          PfnRun{0x1c0, 5}, PfnRun{0x50, 1}, PfnRun{0x50, 1},
                          PfnRun{0x50, 1}, PfnRun{0x50, 1}));
  EXPECT_THAT(p2.swap, ElementsAre(Swap0(7), Swap0(8)));
  EXPECT_THAT(p2.sysv_shmids, IsEmpty());

  // The SysV mapping is attached but has no present page.
  EXPECT_THAT(ExpandPages(*r.segments, bash), ElementsAre(PfnRun{0x20, 8}, PfnRun{0x40, 5}));
  EXPECT_THAT(bash.swap, IsEmpty());
  EXPECT_THAT(bash.sysv_shmids, ElementsAre(32769));
  EXPECT_THAT(bash.sysv_vmas, ElementsAre(1u));  // one maps line

  // The key encodes (type, offset) of a swapped pagemap entry.
  EXPECT_EQ(PmSwapKey(kPmSwapped | (8 << 5) | 0), Swap0(8));

  ASSERT_EQ(r.sysv.size(), 1u);
  const SysvSegment& seg = r.sysv[0];
  EXPECT_EQ(seg.key, 0);
  EXPECT_EQ(seg.shmid, 32769);
  EXPECT_EQ(seg.size, 12288u);
  EXPECT_EQ(seg.nattch, 1);
  EXPECT_EQ(seg.uid, 1000u);
  EXPECT_EQ(seg.rss, 8192u);
  EXPECT_EQ(seg.swap, 4096u);
}

TEST(ScannerFixture, SmapsAndPageTables) {
  ScanResult r = ScanFixture(DefaultOptions(), KeepAll);
  ASSERT_EQ(r.processes.size(), 3u);
  struct Expected {
    uint64_t rss, pss, pss_anon, pss_file, pss_shmem, shared_clean,
        shared_dirty, private_clean, private_dirty, anonymous, swap, swap_pss,
        vm_pte;
  };
  const Expected expected[] = {
      {580, 366, 160, 6, 200, 20, 400, 0, 160, 160, 4, 2, 48},  // P1
      {440, 240, 40, 0, 200, 0, 400, 0, 40, 40, 8, 6, 44},      // P2
      {52, 38, 32, 6, 0, 20, 0, 0, 32, 32, 0, 0, 40},           // bash
  };
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(r.processes[i].id.comm);
    const SmapsTotals& s = r.processes[i].smaps;
    const Expected& e = expected[i];
    EXPECT_EQ(s.rss, KB(e.rss));
    EXPECT_EQ(s.pss, KB(e.pss));
    EXPECT_EQ(s.pss_anon, KB(e.pss_anon));
    EXPECT_EQ(s.pss_file, KB(e.pss_file));
    EXPECT_EQ(s.pss_shmem, KB(e.pss_shmem));
    EXPECT_EQ(s.shared_clean, KB(e.shared_clean));
    EXPECT_EQ(s.shared_dirty, KB(e.shared_dirty));
    EXPECT_EQ(s.private_clean, KB(e.private_clean));
    EXPECT_EQ(s.private_dirty, KB(e.private_dirty));
    EXPECT_EQ(s.anonymous, KB(e.anonymous));
    EXPECT_EQ(s.swap, KB(e.swap));
    EXPECT_EQ(s.swap_pss, KB(e.swap_pss));
    EXPECT_EQ(s.shared_hugetlb, 0u);
    EXPECT_EQ(s.private_hugetlb, 0u);
    EXPECT_EQ(r.processes[i].vm_pte_bytes, KB(e.vm_pte));
  }
}

TEST(ScannerFixture, KeepSeesIdentityAndParents) {
  std::vector<int> seen;
  ScanResult r = ScanFixture(
      DefaultOptions(), [&seen](const ProcessIdentity& p, const ParentMap& pm) {
        seen.push_back(p.pid);  // threads = 1: no race
        EXPECT_EQ(pm.size(), 4u);
        return p.uid == 1000;
      });
  // The kernel thread is dropped before `keep` is asked.
  EXPECT_THAT(seen, ElementsAre(100, 200, 300));
  ASSERT_EQ(r.processes.size(), 1u);
  EXPECT_EQ(r.processes[0].id.pid, 300);
  EXPECT_EQ(r.stats.scanned, 1u);
  EXPECT_EQ(r.stats.filtered_out, 2u);
  EXPECT_EQ(r.stats.kernel_threads, 1u);
  EXPECT_EQ(r.stats.listed, 4u);
}

// Without pagemap reads the records keep identity, smaps and SysV ids.
TEST(ScannerFixture, WithoutPages) {
  ScanOptions options = DefaultOptions();
  options.read_pages = false;
  ScanResult r = ScanFixture(options, KeepAll);
  ASSERT_EQ(r.processes.size(), 3u);
  for (const ProcessRecord& p : r.processes) {
    EXPECT_THAT(p.segments, IsEmpty());
    EXPECT_THAT(p.swap, IsEmpty());
  }
  EXPECT_EQ(r.processes[0].smaps.rss, KB(580));
  EXPECT_THAT(r.processes[2].sysv_shmids, ElementsAre(32769));
}

// PFNs at or past pfn_limit are not RAM: counted, left out.
TEST(ScannerFixture, PfnLimitDropsPagesAbove) {
  ScanOptions options = DefaultOptions();
  options.pfn_limit = 0x180;
  ScanResult r = ScanFixture(options, KeepAll);
  ASSERT_EQ(r.processes.size(), 3u);
  // P1's 40 and P2's 10 anon pages lie at 0x180 and above.
  EXPECT_EQ(r.stats.out_of_range_pfns, 50u);
  EXPECT_THAT(ExpandPages(*r.segments, r.processes[0]),
              ElementsAre(PfnRun{0x100, 100}, PfnRun{0x40, 5}));
  EXPECT_THAT(r.processes[0].swap, ElementsAre(Swap0(8)));
}

TEST(ScannerFixture, MemoryBudgetTooSmall) {
  MemoryBudget budget(/*limit=*/64, /*baseline=*/0);
  ScanOptions options = DefaultOptions();
  options.budget = &budget;
  std::unique_ptr<ProcSource> source = Fixture();
  ASSERT_NE(source, nullptr);
  auto r = Scan(*source, options, KeepAll);
  EXPECT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  EXPECT_TRUE(budget.exceeded());
}

TEST(ScannerFixture, RamEndFromIomem) {
  std::unique_ptr<ProcSource> source = Fixture();
  ASSERT_NE(source, nullptr);
  // "00100000-001fffff : System RAM" is the highest RAM range.
  EXPECT_EQ(RamEndPfn(*source), 0x200u);
}

// The live source on a fixture: pid list, system files, kpage files.
TEST(LiveProcSourceFixture, ReadsTheTree) {
  std::unique_ptr<ProcSource> source = Fixture();
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->Describe(), kFixture);
  auto pids = source->ListPids();
  ASSERT_OK(pids);
  EXPECT_THAT(*pids, ElementsAre(2, 100, 200, 300));

  auto handle = source->OpenProcess(300);
  ASSERT_OK(handle);
  EXPECT_EQ((*handle)->pid(), 300);
  auto exe = (*handle)->ReadLink("exe");
  ASSERT_OK(exe);
  EXPECT_EQ(*exe, "/usr/bin/bash");
  std::vector<uint64_t> entries(3);
  // vpn 0x17 is bash's last heap page, 0x18 and 0x19 are unmapped.
  ASSERT_OK((*handle)->ReadPagemap(0x17, entries));
  EXPECT_EQ(entries[0] & (kPmPresent | kPmPfnMask), kPmPresent | 0x27);
  EXPECT_EQ(entries[1], 0u);
  EXPECT_EQ(entries[2], 0u);
  // Past the end of the pagemap file entries read as not present.
  ASSERT_OK((*handle)->ReadPagemap(0x1000, entries));
  EXPECT_THAT(entries, ElementsAre(0u, 0u, 0u));

  // kthreadd has no exe link: NotFound, as the kernel answers.
  auto kthread = source->OpenProcess(2);
  ASSERT_OK(kthread);
  EXPECT_TRUE(absl::IsNotFound((*kthread)->ReadLink("exe").status()));
  EXPECT_TRUE(absl::IsNotFound(source->OpenProcess(4242).status()));

  // kpageflags/kpagecount: the libc page, the zero page, the last RAM PFN
  // and two PFNs past the end of the files.
  std::vector<uint64_t> flags(1), counts(1);
  ASSERT_OK(source->ReadKpageflags(0x40, flags));
  ASSERT_OK(source->ReadKpagecount(0x40, counts));
  EXPECT_FALSE(KpfHas(flags[0], kKpfAnon));
  EXPECT_FALSE(KpfHas(flags[0], kKpfSwapbacked));
  EXPECT_EQ(counts[0], 3u);
  ASSERT_OK(source->ReadKpageflags(0x50, flags));
  EXPECT_TRUE(KpfHas(flags[0], kKpfZeroPage));
  std::vector<uint64_t> tail(3), tail_counts(3);
  ASSERT_OK(source->ReadKpageflags(0x1ff, tail));
  ASSERT_OK(source->ReadKpagecount(0x1ff, tail_counts));
  EXPECT_FALSE(KpfHas(tail[0], kKpfNoPage));
  EXPECT_EQ(tail[1], uint64_t{1} << kKpfNoPage);
  EXPECT_EQ(tail[2], uint64_t{1} << kKpfNoPage);
  EXPECT_THAT(tail_counts, ElementsAre(0u, 0u, 0u));

  auto shm = source->ReadSystemFile("sysvipc/shm");
  ASSERT_OK(shm);
  EXPECT_TRUE(absl::IsNotFound(source->ReadSystemFile("no-such").status()));
}

}  // namespace
}  // namespace memstats::scan
