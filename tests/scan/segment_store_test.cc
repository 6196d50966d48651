#include "scan/segment_store.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/huge_page_allocator.h"
#include "scan/pagemap.h"
#include "scan/scanner.h"
#include "test_util.h"

namespace memstats::scan {
namespace {

TEST(SegmentStoreTest, EqualRunsShareOneSegment) {
  SegmentStore store;
  std::vector<PfnRun> a = {{100, 3}, {200, 1}};
  std::vector<PfnRun> b = {{100, 3}, {201, 1}};
  uint32_t ia = store.Intern(a);
  EXPECT_EQ(store.Intern(a), ia);
  uint32_t ib = store.Intern(b);
  EXPECT_NE(ib, ia);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(std::vector<PfnRun>(store.Get(ia).begin(), store.Get(ia).end()), a);
  EXPECT_EQ(std::vector<PfnRun>(store.Get(ib).begin(), store.Get(ib).end()), b);
  EXPECT_GT(store.id_limit(), std::max(ia, ib));
}

// A segment is exclusive while every read of it said so: pages read a
// second time (another process, another mapping) are not mapped once.
TEST(SegmentStoreTest, ExclusiveOnlyWhileEveryInternSaysSo) {
  SegmentStore store;
  const std::vector<PfnRun> once = {{100, 3}};
  const std::vector<PfnRun> twice = {{200, 2}};
  const std::vector<PfnRun> plain = {{300, 1}};
  const uint32_t a = store.Intern(once, true);
  const uint32_t b = store.Intern(twice, true);
  const uint32_t c = store.Intern(plain);
  EXPECT_TRUE(store.exclusive(a));
  EXPECT_TRUE(store.exclusive(b));
  EXPECT_FALSE(store.exclusive(c));
  EXPECT_EQ(store.Intern(twice, true), b);
  EXPECT_FALSE(store.exclusive(b));
  EXPECT_EQ(store.Intern(plain, true), c);
  EXPECT_FALSE(store.exclusive(c));
  EXPECT_TRUE(store.exclusive(a));
}

// Exclusive and anonymous likewise; anonymous alone is not recorded.
TEST(SegmentStoreTest, ExclusiveAnonOnlyWhileEveryInternSaysSo) {
  SegmentStore store;
  const uint32_t anon = store.Intern(std::vector<PfnRun>{{100, 3}}, true, true);
  const uint32_t file = store.Intern(std::vector<PfnRun>{{200, 2}}, true, false);
  const uint32_t shared =
      store.Intern(std::vector<PfnRun>{{300, 1}}, false, true);
  const uint32_t twice = store.Intern(std::vector<PfnRun>{{400, 1}}, true, true);
  const uint32_t given = store.Intern(std::vector<PfnRun>{{500, 1}}, true, true);
  EXPECT_TRUE(store.exclusive_anon(anon));
  EXPECT_TRUE(store.exclusive(file));
  EXPECT_FALSE(store.exclusive_anon(file));
  EXPECT_FALSE(store.exclusive_anon(shared));
  EXPECT_TRUE(store.exclusive_anon(twice));
  EXPECT_EQ(store.Intern(std::vector<PfnRun>{{400, 1}}, true, true), twice);
  EXPECT_FALSE(store.exclusive_anon(twice));
  EXPECT_FALSE(store.exclusive(twice));
  store.MarkShared(given);
  EXPECT_FALSE(store.exclusive_anon(given));
  EXPECT_TRUE(store.exclusive_anon(anon));
}

// The scan's large arrays: at a 2 MiB boundary from 2 MiB up (where THP
// can back them), plain memory below; zeroed arrays read 0 until written.
TEST(HugePageAllocatorTest, LargeArraysAreHugePageAligned) {
  HugeVector<uint32_t> big(kHugePageBytes / 4 + 1000, 7);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(big.data()) % kHugePageBytes, 0u);
  EXPECT_EQ(big.back(), 7u);
  big.resize(big.size() * 2, 9);  // reallocates, keeps the contents
  EXPECT_EQ(big[10], 7u);
  EXPECT_EQ(big.back(), 9u);
  HugeVector<uint8_t> small(100, 1);
  EXPECT_EQ(small[99], 1);
  ZeroedArray<uint32_t> zeroed(3 << 20);
  EXPECT_EQ(zeroed.size(), size_t{3} << 20);
  EXPECT_EQ(zeroed[12345], 0u);
  zeroed[12345] = 5;
  EXPECT_EQ(zeroed[12345], 5u);
  EXPECT_EQ(zeroed[(3 << 20) - 1], 0u);
}

TEST(SegmentStoreTest, ConcurrentInternsAgree) {
  SegmentStore store;
  std::vector<std::vector<uint32_t>> ids(4, std::vector<uint32_t>(1000));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < 1000; ++i) {
        std::vector<PfnRun> runs = {{i * 10, 1 + i % 7}};
        ids[t][i] = store.Intern(runs);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store.size(), 1000u);
  for (int t = 1; t < 4; ++t) EXPECT_EQ(ids[t], ids[0]);
}

TEST(SegmentStoreTest, BudgetRefusesNewSegments) {
  MemoryBudget budget(100);
  SegmentStore store(&budget);
  std::vector<PfnRun> runs = {{1, 1}, {3, 1}};
  EXPECT_NE(store.Intern(runs), SegmentStore::kFailed);  // 32 + 64 bytes
  std::vector<PfnRun> other = {{5, 1}};
  EXPECT_EQ(store.Intern(other), SegmentStore::kFailed);
  EXPECT_TRUE(budget.exceeded());
}

TEST(SegmentStoreTest, ExpandMergesRunsAcrossSegments) {
  SegmentStore store;
  ProcessRecord rec;
  std::vector<PfnRun> a = {{10, 2}}, b = {{12, 3}, {20, 1}};
  rec.segments = {store.Intern(a), store.Intern(b)};
  EXPECT_EQ(ExpandPages(store, rec), (std::vector<PfnRun>{{10, 5}, {20, 1}}));
}

// Two processes map the same 1024 pages of one shared object, at different
// addresses: windows follow the object offset, so they share segments.
// Anonymous memory is windowed by address.
TEST(SegmentStoreTest, ScannerWindowsFollowTheObjectOffset) {
  testing::FakeProcSource src;
  const uint64_t base_a = 0x10000000, base_b = 0x20003000;  // b unaligned
  for (int pid : {10, 11}) {
    auto& p = src.Add(pid);
    const uint64_t base = pid == 10 ? base_a : base_b;
    p.files["stat"] = absl::StrCat(pid, " (w) S 1 1 1 0 -1 0 0 0 0 0");
    p.files["status"] = "Name:\tw\nPPid:\t1\nUid:\t0\t0\t0\t0\n";
    p.files["cmdline"] = "w";
    p.files["maps"] = absl::StrFormat(
        "%x-%x rw-s 00000000 00:01 4242 /dev/zero (deleted)\n", base,
        base + 1024 * kPageSize);
    for (uint64_t i = 0; i < 1024; ++i) {
      // Every other page, so runs do not merge.
      p.pagemap[(base >> kPageShift) + i] =
          kPmPresent | kPmFileOrShared | (0x100000 + 2 * i);
    }
  }
  ScanOptions o;
  o.threads = 2;
  o.read_smaps = false;
  auto r = Scan(src, o, [](const ProcessIdentity&, const ParentMap&) {
    return true;
  });
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 2u);
  EXPECT_EQ(r->processes[0].segments, r->processes[1].segments);
  EXPECT_EQ(r->processes[0].segments.size(), 2u);  // 1024 pages, 2 windows
  EXPECT_EQ(r->segments->size(), 2u);
}

}  // namespace
}  // namespace memstats::scan
