// memstats procinfo, the binary, on tests/fixtures/procinfo (written by
// tests/fixtures/make_procinfo_fixtures.py, whose comments derive every
// number below by hand): golden text and JSON of the mapping view, --pages
// and --range, the view without PFNs, and bad input (exit 2 with a message
// naming what was wrong, nothing on stdout).
#include <string>
#include <vector>

#include "cli/run_memstats.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "test_util.h"

namespace memstats::testing {
namespace {

inline constexpr char kProcinfoFixture[] = MEMSTATS_FIXTURES_DIR "/procinfo";

RunResult OnProcinfoFixture(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--procfs-root", kProcinfoFixture};
  all.insert(all.end(), args.begin(), args.end());
  return RunMemstats(all);
}

// memstats `args` on the fixture succeeds and prints exactly `expected`.
void ExpectText(const std::vector<std::string>& args,
                const std::string& expected) {
  RunResult r = OnProcinfoFixture(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, expected);
}

TEST(ProcinfoCli, MappingViewText) {
  // Every figure is derived in make_procinfo_fixtures.py ("Page-level figures").
  ExpectText({"--units", "B", "procinfo", "400"},
             R"(pid 400 (inspectee) /usr/bin/inspectee
RSS, PSS and USS by page from kpagecount (page size 4096); zero pages and hugetlb pages are counted apart, not in RSS

START     END       PERMS  OFFSET    KIND           RSS     PSS    USS  SWAP  THP  HUGETLB  KSM  ZERO  PATH
00010000  00014000  r-xp   00000000  file         16384   10922   8192     0    0        0    0     0  /usr/bin/inspectee
00020000  00028000  rw-p   00000000  heap         20480   15018  12288  8192    0        0    2     0  [heap]
00040000  00044000  rw-s   00000000  shmem        16384    8192      0     0    0        0    0     0  /dev/zero (deleted)
00050000  00054000  r--p   00000000  anon             0       0      0     0    0        0    0     3
00060000  00070000  rw-p   00000000  anon         65536   65536  65536     0   16        0    0     0
00400000  00600000  rw-s   00000000  hugetlb          0       0      0     0    0      512    0     0  /anon_hugepage (deleted)
00700000  00701000  r--p   00000000  special          0       0      0     0    0        0    0     0  [vvar]
00800000  00803000  rw-p   00000000  stack         4096    4096   4096     0    0        0    0     0  [stack]
00900000  00902000  rw-s   00000000  sysv             0       0      0     0    0        0    0     0  /SYSV00000000 (deleted)
-------------------------------------------------------------------------------------------------------------------------------
total                                9 mappings  122880  103765  90112  8192   16      512    2     3
1 page-table marker (a guard page) is neither a page nor swap
)");
}

TEST(ProcinfoCli, RangeText) {
  // make_procinfo_fixtures.py, "--range 24000-61000": the heap and the
  // large folio are cut, the KSM page keeps its 2 own entries (counted over
  // the whole process) so it is still not in USS.
  ExpectText({"--units", "B", "procinfo", "400", "--range", "24000-61000"},
             R"(pid 400 (inspectee) /usr/bin/inspectee
range 00024000-00061000: mappings cut to it
RSS, PSS and USS by page from kpagecount (page size 4096); zero pages and hugetlb pages are counted apart, not in RSS

START     END       PERMS  OFFSET    KIND          RSS    PSS   USS  SWAP  THP  HUGETLB  KSM  ZERO  PATH
00024000  00028000  rw-p   00004000  heap         8192   2730     0  4096    0        0    2     0  [heap]
00040000  00044000  rw-s   00000000  shmem       16384   8192     0     0    0        0    0     0  /dev/zero (deleted)
00050000  00054000  r--p   00000000  anon            0      0     0     0    0        0    0     3
00060000  00061000  rw-p   00000000  anon         4096   4096  4096     0    1        0    0     0
-----------------------------------------------------------------------------------------------------------------------
total                                4 mappings  28672  15018  4096  4096    1        0    2     3
)");
}

TEST(ProcinfoCli, PagesText) {
  // Every page below 0x402000: the hugetlb mapping is cut to its first two
  // base pages; [vvar] and [stack] are outside. Totals: RSS 118784 =
  // 16384+20480+16384+65536; PSS (44739242+61516458+33554432+268435456)
  // >> 12 = 99669; USS 8192+12288+65536 = 86016.
  ExpectText({"--units", "B", "procinfo", "400", "--pages", "--range", "0x0-0x402000"},
             R"(pid 400 (inspectee) /usr/bin/inspectee
range 00000000-00402000: mappings cut to it
RSS, PSS and USS by page from kpagecount (page size 4096); zero pages and hugetlb pages are counted apart, not in RSS

START     END       PERMS  OFFSET    KIND           RSS    PSS    USS  SWAP  THP  HUGETLB  KSM  ZERO  PATH
00010000  00014000  r-xp   00000000  file         16384  10922   8192     0    0        0    0     0  /usr/bin/inspectee
00020000  00028000  rw-p   00000000  heap         20480  15018  12288  8192    0        0    2     0  [heap]
00040000  00044000  rw-s   00000000  shmem        16384   8192      0     0    0        0    0     0  /dev/zero (deleted)
00050000  00054000  r--p   00000000  anon             0      0      0     0    0        0    0     3
00060000  00070000  rw-p   00000000  anon         65536  65536  65536     0   16        0    0     0
00400000  00402000  rw-s   00000000  hugetlb          0      0      0     0    0        2    0     0  /anon_hugepage (deleted)
------------------------------------------------------------------------------------------------------------------------------
total                                6 mappings  118784  99669  86016  8192   16        2    2     3

ADDRESS   PFN          PAGEMAP                       COUNT  KPAGEFLAGS
00010000  0x100        present,file/shared               1  REFERENCED,UPTODATE,LRU,ACTIVE,MMAP
00011000  0x101        present,file/shared               1  REFERENCED,UPTODATE,LRU,ACTIVE,MMAP
00012000  0x102        present,file/shared               3  REFERENCED,UPTODATE,LRU,ACTIVE,MMAP
00013000  0x103        present,file/shared               3  REFERENCED,UPTODATE,LRU,ACTIVE,MMAP
00020000  0x110        present,exclusive,soft-dirty      1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED
00021000  0x111        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED
00022000  0x112        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED
00023000  swap 0:0x10  swapped                           -  -
00024000  swap 0:0x11  swapped                           -  -
00025000  0x120        present                           3  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,KSM
00026000  0x120        present                           3  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,KSM
00040000  0x130        present,file/shared               2  REFERENCED,UPTODATE,DIRTY,LRU,MMAP,SWAPBACKED
00041000  0x131        present,file/shared               2  REFERENCED,UPTODATE,DIRTY,LRU,MMAP,SWAPBACKED
00042000  0x132        present,file/shared               2  REFERENCED,UPTODATE,DIRTY,LRU,MMAP,SWAPBACKED
00043000  0x133        present,file/shared               2  REFERENCED,UPTODATE,DIRTY,LRU,MMAP,SWAPBACKED
00050000  0x140        present                           0  ZERO_PAGE,RESERVED
00051000  0x140        present                           0  ZERO_PAGE,RESERVED
00052000  0x140        present                           0  ZERO_PAGE,RESERVED
00060000  0x200        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_HEAD,THP
00061000  0x201        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
00062000  0x202        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
00063000  0x203        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
00064000  0x204        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
00065000  0x205        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
00066000  0x206        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
00067000  0x207        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
00068000  0x208        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
00069000  0x209        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
0006a000  0x20a        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
0006b000  0x20b        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
0006c000  0x20c        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
0006d000  0x20d        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
0006e000  0x20e        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
0006f000  0x20f        present,exclusive                 1  UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED,COMPOUND_TAIL,THP
00400000  0x400        present,file/shared               1  UPTODATE,DIRTY,COMPOUND_HEAD,HUGE
00401000  0x401        present,file/shared               1  UPTODATE,DIRTY,COMPOUND_TAIL,HUGE
)");
}

TEST(ProcinfoCli, HiddenPfnsText) {
  // PFNs read 0: no page-level figure, the smaps figures and the entry
  // counts instead (make_procinfo_fixtures.py, "nopfn").
  ExpectText({"--units", "B", "procinfo", "403", "--pages"},
             R"(pid 403 (nopfn) /usr/bin/nopfn
page-level numbers are not available: physical page numbers are hidden (pagemap reads PFN 0 without CAP_SYS_ADMIN)
not shown: PFNs, RSS/PSS/USS by page, and the kpageflags of pages (THP, hugetlb, KSM and zero pages)
shown: PRESENT and SWAPPED pagemap entries, and the kernel's smaps RSS, PSS and SWAP

START     END       PERMS  OFFSET    KIND       PRESENT  SWAPPED   RSS   PSS  SWAP  PATH
00020000  00024000  rw-p   00000000  heap             2        1  8192  8192  4096  [heap]
------------------------------------------------------------------------------------------
total                                1 mapping        2        1  8192  8192  4096

ADDRESS   PFN         PAGEMAP  COUNT  KPAGEFLAGS
00020000  hidden      present      -  -
00021000  hidden      present      -  -
00022000  swap 0:0x5  swapped      -  -
)");
}

// The JSON documents, whole, against golden files holding the same numbers
// as the text views above (sizes in bytes; page-level figures null without
// PFNs, swap entries counted either way).
void ExpectJsonGolden(const std::vector<std::string>& args,
                      const std::string& golden) {
  RunResult r = OnProcinfoFixture(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string expected = ReadFixture("procinfo_golden/" + golden);
  ASSERT_FALSE(expected.empty()) << golden;
  EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(expected))
      << golden;
  EXPECT_EQ(r.out, expected) << golden;
}

TEST(ProcinfoCli, MappingViewJson) {
  ExpectJsonGolden({"--json", "procinfo", "400"}, "mappings.json");
}

TEST(ProcinfoCli, RangePagesJson) {
  ExpectJsonGolden({"--json", "procinfo", "400", "--pages", "--range",
                    "24000-61000"},
                   "range_pages.json");
}

TEST(ProcinfoCli, HiddenPfnsJson) {
  ExpectJsonGolden({"--json", "procinfo", "403", "--pages"},
                   "hidden_pages.json");
}

// A few numbers of the JSON checked by name, so that a wrong golden file
// cannot hide them.
TEST(ProcinfoCli, JsonTotals) {
  RunResult r = OnProcinfoFixture({"--json", "procinfo", "400"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  const nlohmann::json& t = j["total"]["pages"];
  EXPECT_EQ(t["rss"], 122880);
  EXPECT_EQ(t["pss"], 103765);
  EXPECT_EQ(t["uss"], 90112);
  EXPECT_EQ(t["swap_bytes"], 8192);
  EXPECT_EQ(t["present"], 546);
  EXPECT_EQ(t["swap"], 2);
  EXPECT_EQ(t["thp"], 16);
  EXPECT_EQ(t["hugetlb"], 512);
  EXPECT_EQ(t["ksm"], 2);
  EXPECT_EQ(t["zero"], 3);
  EXPECT_EQ(t["unmapped"], 1);
  EXPECT_EQ(j["pte_markers"], 1);
  EXPECT_EQ(j["total"]["smaps"]["rss"], 120 * 1024);
  EXPECT_EQ(j["total"]["smaps"]["hugetlb"], 2048 * 1024);
  EXPECT_FALSE(j.contains("pages"));  // only with --pages
}

struct BadInput {
  std::vector<std::string> args;
  int exit_code;
  std::string err;
};

TEST(ProcinfoCli, BadInput) {
  const BadInput cases[] = {
      {{"procinfo", "999"}, 2, "memstats: error: no process with pid 999\n"},
      {{"procinfo", "2"},
       2,
       "memstats: error: pid 2 (kthreadd) is a kernel thread: it has no user "
       "memory to show\n"},
      {{"procinfo", "401"},
       2,
       "memstats: error: pid 401 (gone) is a zombie: its memory is already "
       "freed\n"},
      {{"procinfo", "abc"},
       2,
       "memstats: error: procinfo: 'abc' is not a process id (expected a "
       "positive number)\n"},
      {{"procinfo", "0"},
       2,
       "memstats: error: procinfo: '0' is not a process id (expected a "
       "positive number)\n"},
      {{"procinfo", "400", "--range", "61000-24000"},
       2,
       "memstats: error: --range: the range 0x61000-0x24000 is empty (its "
       "end must be above its start)\n"},
      {{"procinfo", "400", "--range", "24000"},
       2,
       "memstats: error: --range: '24000' is not an address range (expected "
       "START-END in hexadecimal, e.g. 7f0000000000-7f0000100000)\n"},
      {{"procinfo", "400", "--range", "0x24000-0xzz"},
       2,
       "memstats: error: --range: '0xzz' is not a hexadecimal address\n"},
      {{"procinfo", "400", "--range", "-24000"},
       2,
       "memstats: error: --range: '' is not a hexadecimal address\n"},
      {{"--filter", "true()", "procinfo", "400"},
       2,
       "memstats: error: --filter does nothing for procinfo: procinfo shows "
       "the one process it is given\n"},
  };
  for (const BadInput& c : cases) {
    RunResult r = OnProcinfoFixture(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args.back() << r.Describe();
    EXPECT_EQ(r.err, c.err) << c.args.back();
    EXPECT_EQ(r.out, "") << c.args.back();
  }
}

}  // namespace
}  // namespace memstats::testing
