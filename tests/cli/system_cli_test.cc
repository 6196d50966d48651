// memstats system as a user runs it, on tests/fixtures/system (layout,
// meminfo and every number derived by hand in the docstring of
// tests/fixtures/make_system_fixture.py): the whole text in KiB, the JSON
// numbers, and bad input.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli/run_memstats.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace memstats::testing {
namespace {

constexpr char kSystemFixture[] = MEMSTATS_FIXTURES_DIR "/system";

RunResult RunSystem(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--procfs-root", kSystemFixture, "--threads",
                                  "1"};
  all.insert(all.end(), args.begin(), args.end());
  return RunMemstats(all);
}

TEST(SystemGolden, TextInKiB) {
  RunResult r = RunSystem({"--units", "KiB", "system"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(MaskTiming(r.out),
            "memstats: 2 processes scanned, 0 filtered out, 1 kernel threads "
            "(excluded), 0 vanished, 0 unreadable; X.XX s with 1 threads\n"
            R"(WHAT                                             SIZE  FROM
MemTotal                                        16384  MemTotal
MemFree                                          6000  MemFree
used                                            10384  MemTotal - MemFree
-------------------------------------------------------------------------------------------------------------
what processes map
  anonymous, mapped by one process                 60  AnonPages (scan: kpagecount 1)
  anonymous, shared (copy-on-write after fork)     16  AnonPages (scan: kpagecount > 1)
  anonymous, KSM pages (each once)                  8  AnonPages (scan: KPF_KSM)
  anonymous, not seen by the scan                  16  AnonPages - scanned
  shmem/tmpfs/SysV/shared anon, mapped             24  Shmem (scan)
  shmem/tmpfs/SysV, mapped by no process seen      16  Shmem - mapped
  file pages mapped by processes                   20  Cached - Shmem (scan)
-------------------------------------------------------------------------------------------------------------
hugetlb pools
  in use, mapped by processes                    2048  HugePages_Total - HugePages_Free (scan)
  in use, mapped by no process seen              2048  HugePages_Total - HugePages_Free - mapped
  reserved, not yet faulted in                   2048  HugePages_Rsvd
  free, not reserved                             2048  HugePages_Free - HugePages_Rsvd
  pools of other huge page sizes                  128  Hugetlb - HugePages_Total
-------------------------------------------------------------------------------------------------------------
what the kernel holds
  page cache, unmapped                            140  Cached - Shmem - mapped
  buffers (block device cache)                      8  Buffers
  swap cache, not mapped as anonymous               4  SwapCached - mapped (scan)
  page tables                                      24  PageTables
  secondary page tables (KVM, IOMMU)                4  SecPageTables
  slab, reclaimable                               300  SReclaimable
  slab, unreclaimable                             120  SUnreclaim
  other reclaimable kernel memory                  10  KReclaimable - SReclaimable
  kernel stacks                                    32  KernelStack + ShadowCallStack
  vmalloc                                          64  VmallocUsed - KernelStack
  per-CPU allocations                              16  Percpu
  zswap compressed pool                             8  Zswap
  bounce, FUSE writeback, poisoned, unaccepted      4  Bounce + WritebackTmp + HardwareCorrupted + Unaccepted
-------------------------------------------------------------------------------------------------------------
not explained by the kernel's counters           1170  used - every line above
  of which free pages on per-CPU lists            580  zoneinfo pagesets count
  of which the rest                               590  remainder - per-CPU lists
The lines add up to used exactly.
KSM saves 16 (page-table entries to KSM pages - distinct KSM pages; not part of used)
note: kernel stacks are vmalloc'ed (vmallocinfo): vmalloc is VmallocUsed - KernelStack
)");
}

TEST(SystemJson, LinesAndSum) {
  RunResult r = RunSystem({"system", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  constexpr int64_t k = 1024;
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["mem_total"], 16384 * k);
  EXPECT_EQ(j["mem_free"], 6000 * k);
  EXPECT_EQ(j["used"], 10384 * k);
  EXPECT_EQ(j["remainder"], 1170 * k);
  EXPECT_EQ(j["remainder_pcp_free"], 580 * k);
  EXPECT_EQ(j["remainder_rest"], 590 * k);
  EXPECT_EQ(j["ksm_saved"], 16 * k);
  EXPECT_EQ(j["page_level"], true);
  EXPECT_EQ(j["stacks_in_vmalloc"], true);
  EXPECT_EQ(j["scan"]["processes_scanned"], 2);
  // Sections in order, with their lines in order (kB, as derived in the
  // fixture's docstring).
  const std::vector<
      std::pair<std::string, std::vector<std::pair<std::string, int64_t>>>>
      expected = {
          {"processes",
           {{"anon_one_process", 60},
            {"anon_shared", 16},
            {"anon_ksm", 8},
            {"anon_not_seen", 16},
            {"shmem_mapped", 24},
            {"shmem_unmapped", 16},
            {"file_mapped", 20}}},
          {"hugetlb",
           {{"hugetlb_mapped", 2048},
            {"hugetlb_unmapped", 2048},
            {"hugetlb_reserved", 2048},
            {"hugetlb_free", 2048},
            {"hugetlb_other_sizes", 128}}},
          {"kernel",
           {{"file_unmapped", 140},
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
            {"kernel_other", 4}}},
      };
  ASSERT_EQ(j["sections"].size(), expected.size());
  int64_t sum = j["remainder"].get<int64_t>();
  for (size_t s = 0; s < expected.size(); ++s) {
    const nlohmann::json& sec = j["sections"][s];
    EXPECT_EQ(sec["key"], expected[s].first);
    ASSERT_EQ(sec["lines"].size(), expected[s].second.size());
    for (size_t i = 0; i < expected[s].second.size(); ++i) {
      EXPECT_EQ(sec["lines"][i]["key"], expected[s].second[i].first);
      EXPECT_EQ(sec["lines"][i]["bytes"], expected[s].second[i].second * k)
          << expected[s].second[i].first;
      sum += sec["lines"][i]["bytes"].get<int64_t>();
    }
  }
  EXPECT_EQ(sum, 10384 * k);  // the parts add up to MemTotal - MemFree
}

TEST(SystemBadInput, RefusedGlobalOptions) {
  for (const char* opt : {"--self", "--list-processes", "--ksm"}) {
    RunResult r = RunSystem({opt, "system"});
    EXPECT_EQ(r.exit_code, 2) << opt;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(std::string(opt) + " does nothing for system"),
              std::string::npos)
        << r.err;
  }
  RunResult r = RunSystem({"--filter", "uid(0)", "system"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "memstats: error: --filter does nothing for system: system "
            "accounts for every process\n");
}

// A /proc-shaped tree with one (empty) process directory and the given
// meminfo, or none.
std::string TreeWithMeminfo(const std::string& name, const char* meminfo) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/", name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/1");
  if (meminfo) std::ofstream(dir + "/meminfo") << meminfo;
  return dir;
}

TEST(SystemBadInput, MeminfoMissingOrBad) {
  struct Case {
    const char* name;
    const char* meminfo;
    std::string error;
  };
  const Case cases[] = {
      {"no_meminfo", nullptr, "/meminfo: No such file or directory\n"},
      {"bad_number", "MemTotal: 10 kB\nMemFree: x kB\n",
       "memstats: error: meminfo line 2: bad number 'x'\n"},
      {"no_anon", "MemTotal: 10 kB\nMemFree: 1 kB\n",
       "memstats: error: meminfo: no AnonPages field\n"},
  };
  for (const Case& c : cases) {
    const std::string dir = TreeWithMeminfo(c.name, c.meminfo);
    RunResult r = RunMemstats({"--procfs-root", dir, "system"});
    EXPECT_EQ(r.exit_code, 2) << c.name;
    EXPECT_EQ(r.out, "") << c.name;
    EXPECT_TRUE(r.err.ends_with(c.error)) << c.name << ": " << r.err;
  }
}

// A zoneinfo that is there but cannot be read as one is an error too
// (without zoneinfo the per-CPU lists are simply not shown).
TEST(SystemBadInput, BadZoneinfo) {
  const std::string dir = TreeWithMeminfo(
      "bad_zoneinfo",
      "MemTotal: 10 kB\nMemFree: 1 kB\nAnonPages: 0 kB\nCached: 0 kB\n"
      "Buffers: 0 kB\nShmem: 0 kB\n");
  std::ofstream(dir + "/zoneinfo") << "  pagesets\n    cpu: 0\n  count: many\n";
  RunResult r = RunMemstats({"--procfs-root", dir, "system"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(
      r.err.ends_with("memstats: error: zoneinfo line 3: bad count 'many'\n"))
      << r.err;
}

}  // namespace
}  // namespace memstats::testing
