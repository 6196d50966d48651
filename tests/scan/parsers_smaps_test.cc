// Tests for ParseSmapsRollup and ParseSmaps. Fixtures marked "captured" are
// real text from a 6.18 kernel (the python3 process of parsers_maps_test.cc);
// they keep the kernel's trailing spaces (anonymous headers, VmFlags lines).

#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scan/parsers.h"
#include "scan/parsers_test_util.h"
#include "test_util.h"

namespace memstats::scan {
namespace {

using ::testing::IsEmpty;

// --- smaps_rollup ---------------------------------------------------------

// Captured: /proc/PID/smaps_rollup of the python3 process.
constexpr std::string_view kRollup =
    R"(56335d782000-7ffcf9aeb000 ---p 00000000 00:00 0                          [rollup]
Rss:               14584 kB
Pss:               13269 kB
Pss_Dirty:          7792 kB
Pss_Anon:           7268 kB
Pss_File:           5477 kB
Pss_Shmem:           524 kB
Shared_Clean:       1596 kB
Shared_Dirty:          0 kB
Private_Clean:      5196 kB
Private_Dirty:      7792 kB
Referenced:        14584 kB
Anonymous:          7268 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
)";

TEST(ParseSmapsRollupTest, Captured) {
  absl::StatusOr<SmapsTotals> t = ParseSmapsRollup(kRollup);
  ASSERT_OK(t);
  ExpectTotals(*t, {.rss = 14584 * kKiB,
                    .pss = 13269 * kKiB,
                    .pss_anon = 7268 * kKiB,
                    .pss_file = 5477 * kKiB,
                    .pss_shmem = 524 * kKiB,
                    .shared_clean = 1596 * kKiB,
                    .shared_dirty = 0,
                    .private_clean = 5196 * kKiB,
                    .private_dirty = 7792 * kKiB,
                    .anonymous = 7268 * kKiB,
                    .swap = 0,
                    .swap_pss = 0,
                    .shared_hugetlb = 0,
                    .private_hugetlb = 0});
}

// Every summed field has its own value, so a field read into the wrong
// member shows; the fields that must be skipped hold 9999.
TEST(ParseSmapsRollupTest, EachFieldGoesToItsMember) {
  absl::StatusOr<SmapsTotals> t = ParseSmapsRollup(
      R"(00400000-7fff00000000 ---p 00000000 00:00 0                              [rollup]
Size:               9999 kB
Rss:                 101 kB
Pss:                 102 kB
Pss_Dirty:          9999 kB
Pss_Anon:            103 kB
Pss_File:            104 kB
Pss_Shmem:           105 kB
Shared_Clean:        106 kB
Shared_Dirty:        107 kB
Private_Clean:       108 kB
Private_Dirty:       109 kB
Referenced:         9999 kB
Anonymous:           110 kB
KSM:                9999 kB
LazyFree:           9999 kB
AnonHugePages:      9999 kB
ShmemPmdMapped:     9999 kB
FilePmdMapped:      9999 kB
Shared_Hugetlb:      111 kB
Private_Hugetlb:     112 kB
Swap:                113 kB
SwapPss:             114 kB
Locked:             9999 kB
THPeligible:           1
ProtectionKey:         0
Rss_Future:         9999 kB
FutureField:      garbage
VmFlags: rd wr mr mw me ac sd)");
  ASSERT_OK(t);
  ExpectTotals(*t, {.rss = 101 * kKiB,
                    .pss = 102 * kKiB,
                    .pss_anon = 103 * kKiB,
                    .pss_file = 104 * kKiB,
                    .pss_shmem = 105 * kKiB,
                    .shared_clean = 106 * kKiB,
                    .shared_dirty = 107 * kKiB,
                    .private_clean = 108 * kKiB,
                    .private_dirty = 109 * kKiB,
                    .anonymous = 110 * kKiB,
                    .swap = 113 * kKiB,
                    .swap_pss = 114 * kKiB,
                    .shared_hugetlb = 111 * kKiB,
                    .private_hugetlb = 112 * kKiB});
}

TEST(ParseSmapsRollupTest, EmptyForKernelThreads) {
  absl::StatusOr<SmapsTotals> t = ParseSmapsRollup("");
  ASSERT_OK(t);
  ExpectTotals(*t, {});
}

TEST(ParseSmapsRollupTest, Errors) {
  const std::string_view header =
      "56335d782000-7ffcf9aeb000 ---p 00000000 00:00 0     [rollup]\n";
  const std::string h(header);
  const std::string inputs[] = {
      h + "Rss:               x kB\n",
      h + "Rss:      14584 kB\nPss:      13269 MB\n",
      // Cut short: in the unit, then in the number.
      std::string(kRollup.substr(0, kRollup.find("Pss:") - 2)),
      std::string(kRollup.substr(0, kRollup.find("Pss_File:") - 3)),
      h + "Rss:\n",
      h + "Rss:   18014398509481984 kB\n",
      "Rss:               1692 kB\n",
      "garbage\nRss:               1692 kB\n",
      h + "Rss:      1 kB\n\n",
  };
  const std::string_view messages[] = {
      "smaps_rollup line 2: bad number 'x'",
      "smaps_rollup line 3: bad unit 'MB'",
      "smaps_rollup line 2: bad unit 'k'",
      "smaps_rollup line 5: missing unit",
      "smaps_rollup line 2: missing number",
      "smaps_rollup line 2: bad number (overflows bytes) '18014398509481984'",
      "smaps_rollup line 1: field before any mapping header",
      "smaps_rollup line 1: bad address range 'garbage'",
      "smaps_rollup line 3: missing address range",
  };
  static_assert(std::size(inputs) == std::size(messages));
  for (size_t i = 0; i < std::size(messages); ++i) {
    SCOPED_TRACE(inputs[i]);
    ExpectError(ParseSmapsRollup(inputs[i]), messages[i]);
  }
}

// --- smaps ----------------------------------------------------------------

// Captured: five mappings of the python3 process's smaps (heap, SysV
// segment, anonymous, libc text, vsyscall).
constexpr std::string_view kSmaps =
    R"(56339596e000-563395b1f000 rw-p 00000000 00:00 0                          [heap]
Size:               1732 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                1668 kB
Pss:                1668 kB
Pss_Dirty:          1668 kB
Shared_Clean:          0 kB
Shared_Dirty:          0 kB
Private_Clean:         0 kB
Private_Dirty:      1668 kB
Referenced:         1668 kB
Anonymous:          1668 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
THPeligible:           0
VmFlags: rd wr mr mw me ac 
7fe8b19ed000-7fe8b1bed000 rw-s 00000000 00:01 0                          /SYSV1234abcd (deleted)
Size:               2048 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                 512 kB
Pss:                 512 kB
Pss_Dirty:           512 kB
Shared_Clean:          0 kB
Shared_Dirty:          0 kB
Private_Clean:         0 kB
Private_Dirty:       512 kB
Referenced:          512 kB
Anonymous:             0 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
THPeligible:           0
VmFlags: rd wr sh mr mw me ms 
7fe8b1c1a000-7fe8b1d4d000 rw-p 00000000 00:00 0 
Size:               1228 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                 892 kB
Pss:                 892 kB
Pss_Dirty:           892 kB
Shared_Clean:          0 kB
Shared_Dirty:          0 kB
Private_Clean:         0 kB
Private_Dirty:       892 kB
Referenced:          892 kB
Anonymous:           892 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
THPeligible:           0
VmFlags: rd wr mr mw me ac 
7fe8b2244000-7fe8b239a000 r-xp 00026000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6
Size:               1368 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                1008 kB
Pss:                 218 kB
Pss_Dirty:             0 kB
Shared_Clean:        952 kB
Shared_Dirty:          0 kB
Private_Clean:        56 kB
Private_Dirty:         0 kB
Referenced:         1008 kB
Anonymous:             0 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
THPeligible:           0
VmFlags: rd ex mr mw me 
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
Size:                  4 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                   0 kB
Pss:                   0 kB
Pss_Dirty:             0 kB
Shared_Clean:          0 kB
Shared_Dirty:          0 kB
Private_Clean:         0 kB
Private_Dirty:         0 kB
Referenced:            0 kB
Anonymous:             0 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
THPeligible:           0
VmFlags: ex 
)";

TEST(ParseSmapsTest, Captured) {
  absl::StatusOr<std::vector<SmapsMapping>> s = ParseSmaps(kSmaps);
  ASSERT_OK(s);
  ASSERT_EQ(s->size(), 5u);

  EXPECT_EQ((*s)[0].map,
            Map(0x56339596e000, 0x563395b1f000, "rw-p", 0, 0, 0, 0, "[heap]"));
  EXPECT_EQ((*s)[0].size, 1732 * kKiB);
  ExpectTotals((*s)[0].totals, {.rss = 1668 * kKiB,
                                .pss = 1668 * kKiB,
                                .private_dirty = 1668 * kKiB,
                                .anonymous = 1668 * kKiB});

  EXPECT_EQ((*s)[1].map, Map(0x7fe8b19ed000, 0x7fe8b1bed000, "rw-s", 0, 0, 1, 0,
                             "/SYSV1234abcd (deleted)"));
  EXPECT_TRUE(IsSysvMapping((*s)[1].map));
  EXPECT_EQ((*s)[1].size, 2048 * kKiB);
  ExpectTotals(
      (*s)[1].totals,
      {.rss = 512 * kKiB, .pss = 512 * kKiB, .private_dirty = 512 * kKiB});

  EXPECT_EQ((*s)[2].map,
            Map(0x7fe8b1c1a000, 0x7fe8b1d4d000, "rw-p", 0, 0, 0, 0, ""));
  EXPECT_EQ((*s)[2].size, 1228 * kKiB);
  ExpectTotals((*s)[2].totals, {.rss = 892 * kKiB,
                                .pss = 892 * kKiB,
                                .private_dirty = 892 * kKiB,
                                .anonymous = 892 * kKiB});

  EXPECT_EQ((*s)[3].map,
            Map(0x7fe8b2244000, 0x7fe8b239a000, "r-xp", 0x26000, 0xfe, 0,
                332835, "/usr/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_EQ((*s)[3].size, 1368 * kKiB);
  ExpectTotals((*s)[3].totals, {.rss = 1008 * kKiB,
                                .pss = 218 * kKiB,
                                .shared_clean = 952 * kKiB,
                                .private_clean = 56 * kKiB});

  EXPECT_EQ((*s)[4].map, Map(0xffffffffff600000, 0xffffffffff601000, "--xp", 0,
                             0, 0, 0, "[vsyscall]"));
  EXPECT_EQ((*s)[4].size, 4 * kKiB);
  ExpectTotals((*s)[4].totals, {});
}

TEST(ParseSmapsRollupTest, SumsAWholeSmaps) {
  absl::StatusOr<SmapsTotals> t = ParseSmapsRollup(kSmaps);
  ASSERT_OK(t);
  // Per-mapping smaps has no Pss_Anon/Pss_File/Pss_Shmem lines.
  ExpectTotals(*t, {.rss = 4080 * kKiB,
                    .pss = 3290 * kKiB,
                    .shared_clean = 952 * kKiB,
                    .private_clean = 56 * kKiB,
                    .private_dirty = 3072 * kKiB,
                    .anonymous = 2560 * kKiB});
}

// Hand-written: a hugetlbfs mapping and a partly swapped anonymous one,
// abridged to the fields that are not 0.
constexpr std::string_view kSwapAndHugetlb =
    R"(7f0000000000-7f0000400000 rw-s 00000000 00:0f 4096                       /dev/hugepages/db (deleted)
Size:               4096 kB
KernelPageSize:     2048 kB
MMUPageSize:        2048 kB
Shared_Hugetlb:     2048 kB
Private_Hugetlb:    2048 kB
VmFlags: rd wr sh mr mw me ms de ht 
7f0000400000-7f0000500000 rw-p 00000000 00:00 0 
Size:               1024 kB
Rss:                 512 kB
Pss:                 384 kB
Shared_Dirty:        256 kB
Private_Dirty:       256 kB
Anonymous:           512 kB
Swap:                512 kB
SwapPss:             320 kB
)";

TEST(ParseSmapsTest, SwapAndHugetlb) {
  absl::StatusOr<std::vector<SmapsMapping>> s = ParseSmaps(kSwapAndHugetlb);
  ASSERT_OK(s);
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].map, Map(0x7f0000000000, 0x7f0000400000, "rw-s", 0, 0, 0x0f,
                             4096, "/dev/hugepages/db (deleted)"));
  EXPECT_EQ((*s)[0].size, 4096 * kKiB);
  ExpectTotals((*s)[0].totals,
               {.shared_hugetlb = 2048 * kKiB, .private_hugetlb = 2048 * kKiB});
  EXPECT_EQ((*s)[1].map,
            Map(0x7f0000400000, 0x7f0000500000, "rw-p", 0, 0, 0, 0, ""));
  EXPECT_EQ((*s)[1].size, 1024 * kKiB);
  ExpectTotals((*s)[1].totals, {.rss = 512 * kKiB,
                                .pss = 384 * kKiB,
                                .shared_dirty = 256 * kKiB,
                                .private_dirty = 256 * kKiB,
                                .anonymous = 512 * kKiB,
                                .swap = 512 * kKiB,
                                .swap_pss = 320 * kKiB});

  absl::StatusOr<SmapsTotals> sum = ParseSmapsRollup(kSwapAndHugetlb);
  ASSERT_OK(sum);
  ExpectTotals(*sum, {.rss = 512 * kKiB,
                      .pss = 384 * kKiB,
                      .shared_dirty = 256 * kKiB,
                      .private_dirty = 256 * kKiB,
                      .anonymous = 512 * kKiB,
                      .swap = 512 * kKiB,
                      .swap_pss = 320 * kKiB,
                      .shared_hugetlb = 2048 * kKiB,
                      .private_hugetlb = 2048 * kKiB});
}

TEST(ParseSmapsTest, Empty) {
  absl::StatusOr<std::vector<SmapsMapping>> s = ParseSmaps("");
  ASSERT_OK(s);
  EXPECT_THAT(*s, IsEmpty());
}

TEST(ParseSmapsTest, Errors) {
  // The 26th line is the second mapping's header, the 30th its Rss.
  const std::string smaps(kSmaps);
  const size_t second = smaps.find("7fe8b19ed000-");
  const size_t rss = smaps.find("Rss:", second);
  struct Case {
    std::string input;
    std::string_view message;
  };
  const Case cases[] = {
      {"Size:               1732 kB\n",
       "smaps line 1: field before any mapping header"},
      {smaps.substr(0, second) + "7fe8b19ed000-7fe8b1bed000 rw-x 0 00:01 0\n",
       "smaps line 26: bad permissions 'rw-x'"},
      {smaps.substr(0, rss) + "Rss:        5l2 kB\n",
       "smaps line 30: bad number '5l2'"},
      {smaps.substr(0, rss) + "Rss:        512", "smaps line 30: missing unit"},
      {smaps.substr(0, second) + "7fe8b19ed000-7fe8b1bed000 rw-s 00000000 00:",
       "smaps line 26: bad device '00:'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    ExpectError(ParseSmaps(c.input), c.message);
  }
}

}  // namespace
}  // namespace memstats::scan
