// Golden tests of the memstats binary's text output on the fixture tree
// tests/fixtures/basic (layout and hand-derived numbers: the docstring of
// tests/fixtures/make_fixtures.py). The whole output is compared; only the
// scan time is masked.
//
// In pages of 4 KiB, shown by the default "auto" unit as K:
//   uid 0 {P1,P2}: RSS 155 = 620.0K (anon 50 = 200.0K, shmem 100 = 400.0K,
//     file 5 = 20.0K), USS 150 = 600.0K, PSS 366+240 = 606.7K,
//     swap 2 = 8.0K, swap USS 2 = 8.0K
//   uid 1000 {bash}: RSS 13 = 52.0K, USS 8 = 32.0K, PSS 38.7K, SysV 8.0K
//     (its segment has 4.0K in swap: SHM_SWAP)
//   all: RSS 163 = 652.0K, USS 158 = 632.0K, PSS 645.3K
//   P1 alone: RSS 145 = 580.0K, USS 40 = 160.0K, swap 1, swap USS 0
//   P2 alone: RSS 110 = 440.0K, USS 10 = 40.0K, swap 2, swap USS 1
// FREED (anon USS + swap USS + destroyed shared memory + page tables; see
// make_fixtures.py): uid 0 700.0K (with the 400.0K shared anonymous object
// only P1 and P2 map), uid 1000 84.0K (with the 12.0K SysV segment marked
// for removal), all 784.0K, P1 208.0K, P2 88.0K. FILE_USS 0B throughout.
#include <string>

#include "cli/run_memstats.h"
#include "gtest/gtest.h"

namespace memstats::testing {
namespace {

// P1 and P2 map a shared anonymous object (/dev/zero); the fixture has no
// map_files to read its swap by.
constexpr char kUnknownSwap[] =
    "swap unknown for 1 tmpfs, memfd or shared anonymous object, left out "
    "of SHM_SWAP (it needs /proc/PID/map_files: CAP_SYS_ADMIN or "
    "CAP_CHECKPOINT_RESTORE; and cachestat: Linux 6.5)\n";
const std::string kHeader =
    std::string(
        "memstats: 3 processes scanned, 0 filtered out, 1 kernel threads "
        "(excluded), 0 vanished, 0 unreadable; X.XX s with 1 threads\n") +
    kUnknownSwap;

void ExpectGolden(const std::vector<std::string>& args,
                  const std::string& expected) {
  RunResult r = RunOnFixture(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(MaskTiming(r.out), expected);
}

TEST(GroupsGolden, SplitUidEnvComm) {
  ExpectGolden({"groups", "--split-uid", "--split-env", "APP", "--split-comm"},
               std::string(kHeader) + R"(
split by uid
GROUP  PROCS     RSS    ANON   SHMEM   FILE     USS  ANON_USS     PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP   FREED  FILE_USS
0          2  620.0K  200.0K  400.0K  20.0K  600.0K    200.0K  606.7K  8.0K      8.0K        0B        0B  700.0K        0B
1000       1   52.0K   32.0K      0B  20.0K   32.0K     32.0K   38.7K    0B        0B      8.0K      4.0K   84.0K        0B
---------------------------------------------------------------------------------------------------------------------------
TOTAL      3  652.0K  232.0K  400.0K  20.0K  632.0K    232.0K  645.3K  8.0K      8.0K      8.0K      4.0K  784.0K        0B

split by env:APP
GROUP    PROCS     RSS    ANON   SHMEM   FILE     USS  ANON_USS     PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP   FREED  FILE_USS
web          1  580.0K  160.0K  400.0K  20.0K  160.0K    160.0K  366.7K  4.0K        0B        0B        0B  208.0K        0B
db           1  440.0K   40.0K  400.0K     0B   40.0K     40.0K  240.0K  8.0K      4.0K        0B        0B   88.0K        0B
(unset)      1   52.0K   32.0K      0B  20.0K   32.0K     32.0K   38.7K    0B        0B      8.0K      4.0K   84.0K        0B
-----------------------------------------------------------------------------------------------------------------------------
TOTAL        3  652.0K  232.0K  400.0K  20.0K  632.0K    232.0K  645.3K  8.0K      8.0K      8.0K      4.0K  784.0K        0B

split by comm
GROUP  PROCS     RSS    ANON   SHMEM   FILE     USS  ANON_USS     PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP   FREED  FILE_USS
P1         1  580.0K  160.0K  400.0K  20.0K  160.0K    160.0K  366.7K  4.0K        0B        0B        0B  208.0K        0B
P2         1  440.0K   40.0K  400.0K     0B   40.0K     40.0K  240.0K  8.0K      4.0K        0B        0B   88.0K        0B
bash       1   52.0K   32.0K      0B  20.0K   32.0K     32.0K   38.7K    0B        0B      8.0K      4.0K   84.0K        0B
---------------------------------------------------------------------------------------------------------------------------
TOTAL      3  652.0K  232.0K  400.0K  20.0K  632.0K    232.0K  645.3K  8.0K      8.0K      8.0K      4.0K  784.0K        0B
)");
}

TEST(GroupsGolden, Single) {
  ExpectGolden({"single"}, std::string(kHeader) + R"(
split by single
GROUP  PROCS     RSS    ANON   SHMEM   FILE     USS  ANON_USS     PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP   FREED  FILE_USS
all        3  652.0K  232.0K  400.0K  20.0K  632.0K    232.0K  645.3K  8.0K      8.0K      8.0K      4.0K  784.0K        0B
---------------------------------------------------------------------------------------------------------------------------
TOTAL      3  652.0K  232.0K  400.0K  20.0K  632.0K    232.0K  645.3K  8.0K      8.0K      8.0K      4.0K  784.0K        0B
)");
}

// Without a --split-* option, groups splits by uid.
TEST(GroupsGolden, GroupsDefaultsToUid) {
  ExpectGolden({"groups"}, std::string(kHeader) + R"(
split by uid
GROUP  PROCS     RSS    ANON   SHMEM   FILE     USS  ANON_USS     PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP   FREED  FILE_USS
0          2  620.0K  200.0K  400.0K  20.0K  600.0K    200.0K  606.7K  8.0K      8.0K        0B        0B  700.0K        0B
1000       1   52.0K   32.0K      0B  20.0K   32.0K     32.0K   38.7K    0B        0B      8.0K      4.0K   84.0K        0B
---------------------------------------------------------------------------------------------------------------------------
TOTAL      3  652.0K  232.0K  400.0K  20.0K  632.0K    232.0K  645.3K  8.0K      8.0K      8.0K      4.0K  784.0K        0B
)");
}

// Each process as a group of one: a page another scanned process maps is in
// no process's USS (the shmem pages), and P1's swap entry (offset 8) is
// shared with P2.
TEST(GroupsGolden, ListProcesses) {
  ExpectGolden({"groups", "--split-uid", "--list-processes"},
               std::string(kHeader) + R"(
split by uid
GROUP  PROCS     RSS    ANON   SHMEM   FILE     USS  ANON_USS     PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP   FREED  FILE_USS
0          2  620.0K  200.0K  400.0K  20.0K  600.0K    200.0K  606.7K  8.0K      8.0K        0B        0B  700.0K        0B
1000       1   52.0K   32.0K      0B  20.0K   32.0K     32.0K   38.7K    0B        0B      8.0K      4.0K   84.0K        0B
---------------------------------------------------------------------------------------------------------------------------
TOTAL      3  652.0K  232.0K  400.0K  20.0K  632.0K    232.0K  645.3K  8.0K      8.0K      8.0K      4.0K  784.0K        0B

processes
PID  PPID   UID  COMM     RSS    ANON   SHMEM   FILE     USS  ANON_USS     PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP   FREED  FILE_USS  COMMAND
100     1     0  P1    580.0K  160.0K  400.0K  20.0K  160.0K    160.0K  366.7K  4.0K        0B        0B        0B  208.0K        0B  p1 --serve
200   100     0  P2    440.0K   40.0K  400.0K     0B   40.0K     40.0K  240.0K  8.0K      4.0K        0B        0B   88.0K        0B  p2 --db
300     1  1000  bash   52.0K   32.0K      0B  20.0K   32.0K     32.0K   38.7K    0B        0B      8.0K      4.0K   84.0K        0B  -bash
)");
}

// --split-pids: listed pids first in declaration order, then "Other"; a
// listed pid that is not scanned (2, a kernel thread) gets no row. Other = {P1, bash}: RSS
// 100 + 40 + 5 + 8 = 153 pages = 612.0K, USS 48 anon pages (the shmem is
// shared with P2, libc is mapped outside), swap offset 8 shared with P2.
// --split-custom: first matching filter wins, named by its text.
TEST(GroupsGolden, SplitPidsAndCustom) {
  ExpectGolden({"groups", "--split-pids", "200,2", "--split-custom",
                "env_kv(APP,web),uid(0)"},
               std::string(kHeader) + R"(
split by pids
GROUP  PROCS     RSS    ANON   SHMEM   FILE     USS  ANON_USS     PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP   FREED  FILE_USS
Other      2  612.0K  192.0K  400.0K  20.0K  192.0K    192.0K  405.3K  4.0K        0B      8.0K      4.0K  292.0K        0B
200        1  440.0K   40.0K  400.0K     0B   40.0K     40.0K  240.0K  8.0K      4.0K        0B        0B   88.0K        0B
---------------------------------------------------------------------------------------------------------------------------
TOTAL      3  652.0K  232.0K  400.0K  20.0K  632.0K    232.0K  645.3K  8.0K      8.0K      8.0K      4.0K  784.0K        0B

split by custom
GROUP            PROCS     RSS    ANON   SHMEM   FILE     USS  ANON_USS     PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP   FREED  FILE_USS
env_kv(APP,web)      1  580.0K  160.0K  400.0K  20.0K  160.0K    160.0K  366.7K  4.0K        0B        0B        0B  208.0K        0B
uid(0)               1  440.0K   40.0K  400.0K     0B   40.0K     40.0K  240.0K  8.0K      4.0K        0B        0B   88.0K        0B
Other                1   52.0K   32.0K      0B  20.0K   32.0K     32.0K   38.7K    0B        0B      8.0K      4.0K   84.0K        0B
-------------------------------------------------------------------------------------------------------------------------------------
TOTAL                3  652.0K  232.0K  400.0K  20.0K  632.0K    232.0K  645.3K  8.0K      8.0K      8.0K      4.0K  784.0K        0B
)");
}

// KiB prints whole numbers without a suffix (every size here is whole KiB).
TEST(GroupsGolden, UnitsKiB) {
  ExpectGolden({"--units", "KiB", "single", "--list-processes"},
               std::string(kHeader) + R"(
split by single
GROUP  PROCS  RSS  ANON  SHMEM  FILE  USS  ANON_USS  PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP  FREED  FILE_USS
all        3  652   232    400    20  632       232  645     8         8         8         4    784         0
-------------------------------------------------------------------------------------------------------------
TOTAL      3  652   232    400    20  632       232  645     8         8         8         4    784         0

processes
PID  PPID   UID  COMM  RSS  ANON  SHMEM  FILE  USS  ANON_USS  PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP  FREED  FILE_USS  COMMAND
100     1     0  P1    580   160    400    20  160       160  366     4         0         0         0    208         0  p1 --serve
200   100     0  P2    440    40    400     0   40        40  240     8         4         0         0     88         0  p2 --db
300     1  1000  bash   52    32      0    20   32        32   38     0         0         8         4     84         0  -bash
)");
}

// Bytes: 163 pages = 667648, PSS 644 kB = 660820.
TEST(GroupsGolden, UnitsBytes) {
  ExpectGolden({"single", "--units", "B"}, std::string(kHeader) + R"(
split by single
GROUP  PROCS     RSS    ANON   SHMEM   FILE     USS  ANON_USS     PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP   FREED  FILE_USS
all        3  667648  237568  409600  20480  647168    237568  660820  8192      8192      8192      4096  802816         0
---------------------------------------------------------------------------------------------------------------------------
TOTAL      3  667648  237568  409600  20480  647168    237568  660820  8192      8192      8192      4096  802816         0
)");
}

// A filter drops processes before accounting; pages they share with the
// group count as mapped outside it (kpagecount), so P2 alone keeps only its
// 10 anon pages as USS. FREED: 40 + 8 (swap USS) + 44 (page tables) kB;
// the shared anonymous object is P1's too, filtered out or not.
TEST(GroupsGolden, FilterPid) {
  RunResult r = RunOnFixture({"--filter", "pid(200)", "groups", "--split-comm"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(MaskTiming(r.out), R"(memstats: 1 processes scanned, 2 filtered out, 1 kernel threads (excluded), 0 vanished, 0 unreadable; X.XX s with 1 threads
)" + std::string(kUnknownSwap) + R"(
split by comm
GROUP  PROCS     RSS   ANON   SHMEM  FILE    USS  ANON_USS     PSS  SWAP  SWAP_USS  SYSV_SHM  SHM_SWAP  FREED  FILE_USS
P2         1  440.0K  40.0K  400.0K    0B  40.0K     40.0K  240.0K  8.0K      8.0K        0B        0B  92.0K        0B
-----------------------------------------------------------------------------------------------------------------------
TOTAL      1  440.0K  40.0K  400.0K    0B  40.0K     40.0K  240.0K  8.0K      8.0K        0B        0B  92.0K        0B
)");
}

// More scan threads change nothing but the header.
TEST(GroupsGolden, ThreadsDoNotChangeNumbers) {
  std::vector<std::string> args = {"groups", "--split-uid", "--split-env",
                                   "APP", "--list-processes"};
  RunResult one = RunOnFixture(args);
  std::vector<std::string> two_args = {"--procfs-root", kFixture, "--threads",
                                       "2"};
  two_args.insert(two_args.end(), args.begin(), args.end());
  RunResult two = RunMemstats(two_args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(two.exit_code, 0) << two.err;
  std::string masked = MaskTiming(two.out);
  const std::string from = "with 2 threads", to = "with 1 threads";
  ASSERT_NE(masked.find(from), std::string::npos);
  masked.replace(masked.find(from), from.size(), to);
  EXPECT_EQ(masked, MaskTiming(one.out));
}

}  // namespace
}  // namespace memstats::testing
