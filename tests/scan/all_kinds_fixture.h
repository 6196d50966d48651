// tests/fixtures/smaps/all_kinds.smaps: one process (pid 4242) with every
// kind of mapping, and the rows SummarizeMappings must make of it. Shared by
// mapping_category_test.cc and scanner_usage_test.cc.
//
// The fixture follows the kernel 6.18 smaps layout. It holds both "[stack]"
// and "[stack:4242]" to test both; a real kernel prints one or the other
// ("[stack:TID]" names disappeared in Linux 4.5).
#ifndef MEMSTATS_TESTS_SCAN_ALL_KINDS_FIXTURE_H_
#define MEMSTATS_TESTS_SCAN_ALL_KINDS_FIXTURE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scan/mapping_category.h"
#include "usage_row_print.h"

namespace memstats::scan {

inline constexpr std::string_view kAllKindsFixture = "smaps/all_kinds.smaps";
inline constexpr int kAllKindsPid = 4242;
// Thread 4243 is blocked in futex with its stack pointer in the anonymous
// mapping 7f3a1c000000-7f3a1c800000.
inline constexpr uint64_t kAllKindsThreadSp = 0x7f3a1c7ff6c0;
// All Pss, SwapPss and hugetlb of the fixture, in KiB.
inline constexpr uint64_t kAllKindsPssKib = 1729;
inline constexpr uint64_t kAllKindsSwapPssKib = 14;
inline constexpr uint64_t kAllKindsHugetlbKib = 6144;

// "r-xp" -> MappingPerm bits.
inline uint8_t Perms(std::string_view p) {
  return (p[0] == 'r' ? kPermRead : 0) | (p[1] == 'w' ? kPermWrite : 0) |
         (p[2] == 'x' ? kPermExec : 0) | (p[3] == 's' ? kPermShared : 0);
}

// A row with its amounts in KiB.
struct RowKib {
  MappingCategory category;
  std::string_view path;
  std::string_view perms;
  uint32_t mappings;
  uint64_t size, rss, pss, swap = 0, swap_pss = 0, hugetlb = 0;
};

inline std::vector<UsageRow> Rows(const std::vector<RowKib>& kib) {
  std::vector<UsageRow> rows;
  for (const RowKib& k : kib) {
    rows.push_back({.category = k.category,
                    .path = std::string(k.path),
                    .perms = Perms(k.perms),
                    .mappings = k.mappings,
                    .size = k.size * 1024,
                    .rss = k.rss * 1024,
                    .pss = k.pss * 1024,
                    .swap = k.swap * 1024,
                    .swap_pss = k.swap_pss * 1024,
                    .hugetlb = k.hugetlb * 1024});
  }
  return rows;
}

// The rows of the fixture with kAllKindsThreadSp as the only thread stack
// pointer, in the order SummarizeMappings first sees them.
inline std::vector<UsageRow> AllKindsRows(bool keep_paths) {
  using enum MappingCategory;
  constexpr std::string_view kDemo = "/usr/bin/demo";
  constexpr std::string_view kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
  // The arena's reserve (7f3a14021000-7f3a18000000) and a thread's guard
  // page: 65408 KiB of ---p address space, no memory.
  std::vector<RowKib> middle = {
      {kHeap, "", "rw-p", 1, 132, 120, 120, 8, 8},
      {kAnon, "", "rw-p", 2, 132 + 256, 36 + 64, 36 + 64, 12, 6},
      {kAnon, "", "---p", 2, 65404 + 4, 0, 0},
      {kThreadStack, "", "rw-p", 2, 8192 + 8192, 16 + 24, 16 + 24},
  };
  std::vector<RowKib> tail = {
      {kSysv, "", "rw-s", 1, 2048, 1024, 512, 64, 0},
      {kShmem, "", "rw-s", 3, 1024 + 256 + 256, 512 + 256 + 128,
       256 + 128 + 128},
      {kHugetlb, "", "rw-p", 1, 4096, 0, 0, 0, 0, 4096},
      {kHugetlb, "", "rw-s", 1, 2048, 0, 0, 0, 0, 2048},
      {kStack, "", "rw-p", 2, 132 + 132, 12 + 20, 12 + 20},
      {kSpecial, "", "r--p", 2, 16 + 8, 0, 0},
      {kSpecial, "", "r-xp", 1, 8, 4, 0},
      {kSpecial, "", "--xp", 1, 4, 0, 0},
  };
  // File rows before and after `middle`.
  std::vector<RowKib> head, files;
  if (keep_paths) {
    head = {
        {kFile, kDemo, "r--p", 2, 8 + 12, 8 + 8, 8 + 8},
        {kFile, kDemo, "r-xp", 1, 20, 20, 20},
        {kFile, kDemo, "rw-p", 1, 4, 4, 4},
    };
    files = {
        {kFile, kLibc, "r--p", 3, 160 + 352 + 16, 160 + 128 + 16, 10 + 8 + 16},
        {kFile, kLibc, "r-xp", 1, 1620, 1084, 67},
        {kFile, kLibc, "rw-p", 1, 8, 8, 8},
        {kFile, "/tmp/build.log (deleted)", "r--p", 1, 256, 256, 256},
        {kFile, "anon_inode:[perf_event]", "rw-s", 1, 36, 8, 8},
    };
  } else {
    // demo, libc and build.log fold by perms.
    head = {
        {kFile, "", "r--p", 6, 8 + 12 + 160 + 352 + 16 + 256,
         8 + 8 + 160 + 128 + 16 + 256, 8 + 8 + 10 + 8 + 16 + 256},
        {kFile, "", "r-xp", 2, 20 + 1620, 20 + 1084, 20 + 67},
        {kFile, "", "rw-p", 2, 4 + 8, 4 + 8, 4 + 8},
    };
    files = {{kFile, "", "rw-s", 1, 36, 8, 8}};
  }
  std::vector<RowKib> all = head;
  for (std::vector<RowKib>* part : {&middle, &files, &tail}) {
    all.insert(all.end(), part->begin(), part->end());
  }
  return Rows(all);
}

}  // namespace memstats::scan

#endif  // MEMSTATS_TESTS_SCAN_ALL_KINDS_FIXTURE_H_
