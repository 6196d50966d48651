// The reconciliation of memstats system on tests/fixtures/system. Layout,
// meminfo and every expected number are derived by hand in the docstring
// of tests/fixtures/make_system_fixture.py; in short (kB):
//   used = MemTotal 16384 - MemFree 6000 = 10384
//   processes 160, hugetlb 8320, kernel 734, remainder 1170 (of which
//   580 on the per-CPU free lists, 590 the rest).
#include "machine/reconcile.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "scan/parsers.h"
#include "scan/proc_source.h"
#include "scan/scanner.h"
#include "sets/report.h"
#include "test_util.h"

namespace memstats::machine {
namespace {

constexpr int64_t kKiB = 1024;

// Every line of `v` by key, in bytes.
std::map<std::string, int64_t> LinesByKey(const SystemView& v) {
  std::map<std::string, int64_t> out;
  for (const Section& s : v.sections) {
    for (const Line& l : s.lines) out[l.key] = l.bytes;
  }
  return out;
}

int64_t SumOfParts(const SystemView& v) {
  int64_t sum = v.remainder;
  for (const Section& s : v.sections) {
    for (const Line& l : s.lines) sum += l.bytes;
  }
  return sum;
}

// Scans the fixture as memstats system does: every process, page level.
SystemView ViewOfFixture() {
  auto source = scan::NewLiveProcSource(MEMSTATS_FIXTURES_DIR "/system");
  EXPECT_TRUE(source.ok()) << source.status();
  scan::ScanOptions options;
  options.read_smaps = false;
  options.pfn_limit = scan::PfnLimit(**source);
  auto result = scan::Scan(**source, options,
                           [](const scan::ProcessIdentity&,
                              const scan::ParentMap&) { return true; });
  EXPECT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stats.scanned, 2u);
  std::string note;
  auto catalog = sets::PageLevelCatalog(*result, **source, nullptr, 1, note);
  EXPECT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_TRUE(catalog->has_value()) << note;
  auto view = BuildSystemView(**source, &**catalog);
  EXPECT_TRUE(view.ok()) << view.status();
  return *view;
}

TEST(Reconcile, FixtureEveryLine) {
  const SystemView v = ViewOfFixture();
  EXPECT_EQ(v.mem_total, uint64_t{16384} * kKiB);
  EXPECT_EQ(v.mem_free, uint64_t{6000} * kKiB);
  EXPECT_EQ(v.used, 10384 * kKiB);
  EXPECT_TRUE(v.page_level);
  EXPECT_TRUE(v.stacks_in_vmalloc);  // vmallocinfo: kernel_clone area
  const std::map<std::string, int64_t> expected_kb = {
      // processes: 15, 4 and 2 anonymous pages; AnonPages 100 - 84.
      {"anon_one_process", 60},
      {"anon_shared", 16},
      {"anon_ksm", 8},
      {"anon_not_seen", 16},
      // 6 shmem pages mapped; Shmem 40 - 24. 5 libc pages.
      {"shmem_mapped", 24},
      {"shmem_unmapped", 16},
      {"file_mapped", 20},
      // hugetlb: 512 base pages mapped by P2; (4 - 2) * 2048 - 2048;
      // Rsvd 1 * 2048; (Free 2 - Rsvd 1) * 2048; Hugetlb 8320 - 4 * 2048.
      {"hugetlb_mapped", 2048},
      {"hugetlb_unmapped", 2048},
      {"hugetlb_reserved", 2048},
      {"hugetlb_free", 2048},
      {"hugetlb_other_sizes", 128},
      // kernel: Cached 200 - Shmem 40 - mapped 20; SwapCached 12 - the
      // 2 swap-cache pages P1 maps; KReclaimable 310 - SReclaimable 300;
      // VmallocUsed 96 - KernelStack 32; WritebackTmp 4.
      {"file_unmapped", 140},
      {"buffers", 8},
      {"swap_cache", 4},
      {"page_tables", 24},
      {"sec_page_tables", 4},
      {"slab_reclaimable", 300},
      {"slab_unreclaimable", 120},
      {"kernel_reclaimable_other", 10},
      {"kernel_stacks", 32},
      {"vmalloc", 64},
      {"percpu", 16},
      {"zswap", 8},
      {"kernel_other", 4},
  };
  const std::map<std::string, int64_t> lines = LinesByKey(v);
  ASSERT_EQ(lines.size(), expected_kb.size());
  for (const auto& [key, kb] : expected_kb) {
    ASSERT_TRUE(lines.contains(key)) << key;
    EXPECT_EQ(lines.at(key), kb * kKiB) << key;
  }
  // 10384 - (160 + 8320 + 734).
  EXPECT_EQ(v.remainder, 1170 * kKiB);
  // zoneinfo: pagesets count 20 + 30 + 40 + 55 = 145 pages; 1170 - 580.
  EXPECT_EQ(v.remainder_pcp_free, 580 * kKiB);
  EXPECT_EQ(v.remainder_rest, 590 * kKiB);
  EXPECT_EQ(SumOfParts(v), v.used);
  // KSM: 6 page-table entries to 2 KSM pages save 4 pages.
  EXPECT_EQ(v.ksm_saved, uint64_t{16} * kKiB);
}

Meminfo Parse(const char* text) {
  auto m = scan::ParseMeminfo(text);
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

// Without a page-level scan, the "not seen" lines hold the whole fields.
TEST(Reconcile, WithoutScanFieldsStayWhole) {
  const Meminfo m = Parse(
      "MemTotal: 1000 kB\nMemFree: 400 kB\nAnonPages: 100 kB\n"
      "Cached: 300 kB\nBuffers: 10 kB\nShmem: 50 kB\nSwapCached: 5 kB\n"
      "VmallocUsed: 20 kB\nKernelStack: 8 kB\n");
  auto v =
      Reconcile(m, nullptr, /*stacks_in_vmalloc=*/false, std::nullopt, 4096);
  ASSERT_OK(v);
  const auto lines = LinesByKey(*v);
  EXPECT_EQ(lines.at("anon_one_process"), 0);
  EXPECT_EQ(lines.at("anon_not_seen"), 100 * kKiB);
  EXPECT_EQ(lines.at("shmem_unmapped"), 50 * kKiB);
  EXPECT_EQ(lines.at("file_unmapped"), 250 * kKiB);
  EXPECT_EQ(lines.at("swap_cache"), 5 * kKiB);
  EXPECT_EQ(lines.at("vmalloc"), 20 * kKiB);      // stacks not in vmalloc
  EXPECT_EQ(lines.at("hugetlb_other_sizes"), 0);  // no Hugetlb field
  // 600 - (100 + 50 + 250 + 10 + 5 + 20 + 8) = 157.
  EXPECT_EQ(v->remainder, 157 * kKiB);
  EXPECT_EQ(v->remainder_pcp_free, std::nullopt);  // no zoneinfo given
  EXPECT_EQ(v->remainder_rest, std::nullopt);
  EXPECT_EQ(SumOfParts(*v), v->used);
  EXPECT_FALSE(v->page_level);
  ASSERT_EQ(v->notes.size(), 1u);
  EXPECT_NE(v->notes[0].find("no page-level scan"), std::string::npos);
}

// Counters that overlap give a negative remainder, shown and explained.
TEST(Reconcile, NegativeRemainderIsShown) {
  const Meminfo m = Parse(
      "MemTotal: 1000 kB\nMemFree: 900 kB\nAnonPages: 60 kB\n"
      "Cached: 40 kB\nBuffers: 0 kB\nShmem: 0 kB\nPercpu: 30 kB\n");
  ScanSplit split;
  split.anon_once = 20;  // 80 kB seen, more than AnonPages says
  auto v = Reconcile(m, &split, false, 12, 4096);
  ASSERT_OK(v);
  const auto lines = LinesByKey(*v);
  EXPECT_EQ(lines.at("anon_not_seen"), -20 * kKiB);
  // 100 - (80 - 20 + 40 + 30) = -30.
  EXPECT_EQ(v->remainder, -30 * kKiB);
  // 12 pages on the per-CPU lists: the rest is -30 - 48.
  EXPECT_EQ(v->remainder_pcp_free, 48 * kKiB);
  EXPECT_EQ(v->remainder_rest, -78 * kKiB);
  EXPECT_EQ(SumOfParts(*v), v->used);
  ASSERT_EQ(v->notes.size(), 1u);
  EXPECT_NE(v->notes[0].find("negative"), std::string::npos);
}

TEST(Reconcile, MissingFieldIsNamed) {
  const Meminfo m = Parse("MemTotal: 1000 kB\nMemFree: 900 kB\n");
  auto v = Reconcile(m, nullptr, false, std::nullopt, 4096);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "meminfo: no AnonPages field");
}

TEST(StacksInVmalloc, Callers) {
  struct Case {
    const char* text;
    bool stacks;
  };
  const Case cases[] = {
      {"", false},
      {"0x1-0x2   20480 kernel_clone+0xb8/0x400 pages=4 vmalloc N0=4\n", true},
      {"0x1-0x2   20480 alloc_thread_stack_node+0x1/0x2 pages=4 vmalloc\n",
       true},
      {"0x1-0x2   20480 dup_task_struct+0x1/0x2 pages=4 vmalloc\n", true},
      {"0x1-0x2   20480 copy_process+0x1/0x2 pages=4 vmalloc\n", true},
      {"0x1-0x2   16384 bpf_prog_alloc_no_stats+0x39/0x230 pages=3 vmalloc\n"
       "0x3-0x4    8192 unpurged vm_area\n",
       false},
      // A caller that only starts like one of them.
      {"0x1-0x2   20480 kernel_clone_helper+0x1/0x2 pages=4 vmalloc\n", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(StacksInVmalloc(c.text), c.stacks) << c.text;
  }
}

}  // namespace
}  // namespace memstats::machine
