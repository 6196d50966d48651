// Golden tests of `memstats snapshot` on tests/fixtures/profile (every
// process and its exact per-category and per-file Pss: the docstring of
// tests/fixtures/make_profile_fixtures.py). The whole output is compared;
// only the scan time is masked. Sizes in kB as smaps prints them; the
// default "auto" unit shows K below 1 MiB, M (one decimal) above.
//
// All five processes: Pss 47438 = 46.3M; by kind: anonymous 20036 + 1000
// = 21036 (44.3%), heap 5000+2000+3000+1200+800 = 12000 (25.3%), other
// shared memory 512+1280+1280 = 3072 (6.5%), SysV 2048 (4.3%), stack
// 132*4+124 = 652 (1.4%), thread stacks 40 (0.1%, folded), special 5*2 = 10
// (folded); files 8580 of which python3.11 r-xp 2*1200 = 2400 (5.1%), libc
// r-xp 5*300 = 1500 (3.2%). Rows below 0.5% of 47438 (237.19) fold: nginx
// rw-p 2*64 = 128, bash rw-p 48, thread stacks 40, libc rw-p 5*8 = 40,
// old.log 2*20 = 40, special 10, perf_event 4: 310 = 0.7%. SwapPss 1000+48
// = 1048 = 1.0M; hugetlb 4096 = 4.0M, apart.
// -c '^nginx: master': 200 and its child 201 (whose own command line does
// not match): Pss 4610 + 6606 = 11216 = 11.0M; heap 5000 (44.6%), shmem
// 2560 (22.8%), files 1196 + 1192 = 2388 (21.3%), anon 1000, stack 264,
// special 4 (0.04%, below 2%). In 201 alone stack 132 is 1.998% of 6606:
// folded at 2%.
// -p 300 -m rx: bash's files by r/x only: r-x- = 800 + 300 (libc) = 1100
// (38.7% of 2846), r--- = 192+100+48 (bash r--p, r--p, rw-p) + 40+16+16+8
// (libc) = 420 (14.8%).
// -p 300,400 -m bf --small 5: binary = bash 1140 + python3.11 1956, library
// = libc 2*380 = 760 (12.4% of 6116); stack 124+132 = 256 (4.2%) and special
// 4 fold at 5%.
// --filter uid(0) python3: the regex matches 100 ("python3 /opt/...") and
// 400 ("/usr/bin/python3 -c ..."); only 400 has uid 0. Files 2336 = 71.4%
// of 3270.
#include <string>
#include <vector>

#include "cli/run_memstats.h"
#include "gtest/gtest.h"

namespace memstats::testing {
namespace {

constexpr char kProfile[] = MEMSTATS_FIXTURES_DIR "/profile";

// Runs memstats on the profile fixture with one scan thread; the whole of
// stdout (timing masked) must equal `expected`, stderr must be empty, and
// no environment value may appear.
void ExpectGolden(const std::vector<std::string>& args,
                  const std::string& expected) {
  std::vector<std::string> all = {"--procfs-root", kProfile, "--threads", "1"};
  all.insert(all.end(), args.begin(), args.end());
  RunResult r = RunMemstats(all);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(MaskTiming(r.out), expected);
  EXPECT_EQ(r.out.find("s3cret"), std::string::npos);
}

TEST(SnapshotGolden, DefaultIsEveryProcessByPathAndPerms) {
  ExpectGolden({"snapshot"}, R"(memstats: 5 processes scanned, 0 filtered out, 1 kernel threads (excluded), 0 vanished, 0 unreadable; X.XX s with 1 threads
file mappings by: frwxsp

summary of 5 processes: PSS 46.3M
    PSS      %  MEMORY
  20.5M  44.3%  Anonymous mappings
  11.7M  25.3%  Heap
   3.0M   6.5%  Other shared memory
   2.3M   5.1%  /usr/bin/python3.11 r-xp
   2.0M   4.3%  SysV shm
   1.5M   3.2%  /usr/lib/x86_64-linux-gnu/libc.so.6 r-xp
1000.0K   2.1%  /usr/bin/python3.11 r--p
1000.0K   2.1%  /usr/sbin/nginx r-xp
 800.0K   1.7%  /usr/bin/bash r-xp
 652.0K   1.4%  Stack
 512.0K   1.1%  /usr/bin/python3.11 rw-p
 456.0K   1.0%  /usr/sbin/nginx r--p
 360.0K   0.8%  /usr/lib/x86_64-linux-gnu/libc.so.6 r--p
 292.0K   0.6%  /usr/bin/bash r--p
 310.0K   0.7%  small categories (7 rows below 0.5%)
 128.0K   0.3%    /usr/sbin/nginx rw-p
  48.0K   0.1%    /usr/bin/bash rw-p
  40.0K   0.1%    Thread stacks
  40.0K   0.1%    /usr/lib/x86_64-linux-gnu/libc.so.6 rw-p
  40.0K   0.1%    /var/log/nginx/old.log (deleted) r--p
  10.0K   0.0%    vdso/vvar/vsyscall
   4.0K   0.0%    anon_inode:[perf_event] r--s
-----------------------------------------------------------
   4.0M      -  Hugetlb (huge pages, not in PSS; 1 mapping)
swap (SwapPss, not in PSS): 1.0M

pid 100 python3 (ppid 1, uid 65534): PSS 29.4M
command: python3 /opt/app/backup.py --full
threads: 3 (1 stack not found, counted in Anonymous mappings)
   PSS      %  MEMORY
 19.6M  66.6%  Anonymous mappings
  4.9M  16.6%  Heap
  2.0M   6.8%  SysV shm
  1.2M   4.0%  /usr/bin/python3.11 r-xp
512.0K   1.7%  Other shared memory
500.0K   1.7%  /usr/bin/python3.11 r--p
300.0K   1.0%  /usr/lib/x86_64-linux-gnu/libc.so.6 r-xp
256.0K   0.9%  /usr/bin/python3.11 rw-p
254.0K   0.8%  small categories (5 rows below 0.5%)
132.0K   0.4%    Stack
 72.0K   0.2%    /usr/lib/x86_64-linux-gnu/libc.so.6 r--p
 40.0K   0.1%    Thread stacks
  8.0K   0.0%    /usr/lib/x86_64-linux-gnu/libc.so.6 rw-p
  2.0K   0.0%    vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 1000.0K

pid 200 nginx (ppid 1, uid 0): PSS 4.5M
command: nginx: master process /usr/sbin/nginx
threads: 1
   PSS      %  MEMORY
  2.0M  43.4%  Heap
  1.2M  27.8%  Other shared memory
500.0K  10.8%  /usr/sbin/nginx r-xp
300.0K   6.5%  /usr/lib/x86_64-linux-gnu/libc.so.6 r-xp
228.0K   4.9%  /usr/sbin/nginx r--p
132.0K   2.9%  Stack
 72.0K   1.6%  /usr/lib/x86_64-linux-gnu/libc.so.6 r--p
 64.0K   1.4%  /usr/sbin/nginx rw-p
 34.0K   0.7%  small categories (4 rows below 0.5%)
 20.0K   0.4%    /var/log/nginx/old.log (deleted) r--p
  8.0K   0.2%    /usr/lib/x86_64-linux-gnu/libc.so.6 rw-p
  4.0K   0.1%    anon_inode:[perf_event] r--s
  2.0K   0.0%    vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 0B

pid 201 nginx (ppid 200, uid 33): PSS 6.5M
command: nginx: worker process
threads: 1
    PSS      %  MEMORY
   2.9M  45.4%  Heap
   1.2M  19.4%  Other shared memory
1000.0K  15.1%  Anonymous mappings
 500.0K   7.6%  /usr/sbin/nginx r-xp
 300.0K   4.5%  /usr/lib/x86_64-linux-gnu/libc.so.6 r-xp
 228.0K   3.5%  /usr/sbin/nginx r--p
 132.0K   2.0%  Stack
  72.0K   1.1%  /usr/lib/x86_64-linux-gnu/libc.so.6 r--p
  64.0K   1.0%  /usr/sbin/nginx rw-p
  30.0K   0.5%  small categories (3 rows below 0.5%)
  20.0K   0.3%    /var/log/nginx/old.log (deleted) r--p
   8.0K   0.1%    /usr/lib/x86_64-linux-gnu/libc.so.6 rw-p
   2.0K   0.0%    vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 0B

pid 300 bash (ppid 1, uid 0): PSS 2.8M
command: -bash
threads: 1
   PSS      %  MEMORY
  1.2M  42.2%  Heap
800.0K  28.1%  /usr/bin/bash r-xp
300.0K  10.5%  /usr/lib/x86_64-linux-gnu/libc.so.6 r-xp
292.0K  10.3%  /usr/bin/bash r--p
124.0K   4.4%  Stack
 72.0K   2.5%  /usr/lib/x86_64-linux-gnu/libc.so.6 r--p
 48.0K   1.7%  /usr/bin/bash rw-p
 10.0K   0.4%  small categories (2 rows below 0.5%)
  8.0K   0.3%    /usr/lib/x86_64-linux-gnu/libc.so.6 rw-p
  2.0K   0.1%    vdso/vvar/vsyscall
----------------------------------------------------------
  4.0M      -  Hugetlb (huge pages, not in PSS; 1 mapping)
swap (SwapPss, not in PSS): 48.0K

pid 400 python3 (ppid 1, uid 0): PSS 3.2M
command: /usr/bin/python3 -c import time; time.sleep(9)
threads: 1
   PSS      %  MEMORY
  1.2M  36.7%  /usr/bin/python3.11 r-xp
800.0K  24.5%  Heap
500.0K  15.3%  /usr/bin/python3.11 r--p
300.0K   9.2%  /usr/lib/x86_64-linux-gnu/libc.so.6 r-xp
256.0K   7.8%  /usr/bin/python3.11 rw-p
132.0K   4.0%  Stack
 72.0K   2.2%  /usr/lib/x86_64-linux-gnu/libc.so.6 r--p
 10.0K   0.3%  small categories (2 rows below 0.5%)
  8.0K   0.2%    /usr/lib/x86_64-linux-gnu/libc.so.6 rw-p
  2.0K   0.1%    vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 0B
)");
}

TEST(SnapshotGolden, ChildrenOfARegexMatchEmptyMaskSmall2) {
  ExpectGolden({"snapshot", "-c", "^nginx: master", "-m", "", "--small", "2"}, R"(memstats: 2 processes scanned, 3 filtered out, 1 kernel threads (excluded), 0 vanished, 0 unreadable; X.XX s with 1 threads
file mappings by: (all in one row)

summary of 2 processes: PSS 11.0M
    PSS      %  MEMORY
   4.9M  44.6%  Heap
   2.5M  22.8%  Other shared memory
   2.3M  21.3%  file-backed mappings
1000.0K   8.9%  Anonymous mappings
 264.0K   2.4%  Stack
   4.0K   0.0%  small categories (1 row below 2%)
   4.0K   0.0%    vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 0B

pid 200 nginx (ppid 1, uid 0): PSS 4.5M
command: nginx: master process /usr/sbin/nginx
threads: 1
   PSS      %  MEMORY
  2.0M  43.4%  Heap
  1.2M  27.8%  Other shared memory
  1.2M  25.9%  file-backed mappings
132.0K   2.9%  Stack
  2.0K   0.0%  small categories (1 row below 2%)
  2.0K   0.0%    vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 0B

pid 201 nginx (ppid 200, uid 33): PSS 6.5M
command: nginx: worker process
threads: 1
    PSS      %  MEMORY
   2.9M  45.4%  Heap
   1.2M  19.4%  Other shared memory
   1.2M  18.0%  file-backed mappings
1000.0K  15.1%  Anonymous mappings
 134.0K   2.0%  small categories (2 rows below 2%)
 132.0K   2.0%    Stack
   2.0K   0.0%    vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 0B
)");
}

TEST(SnapshotGolden, PidWithoutChildrenIsThatProcessOnly) {
  ExpectGolden({"snapshot", "-p", "200", "-m", ""}, R"(memstats: 1 processes scanned, 4 filtered out, 1 kernel threads (excluded), 0 vanished, 0 unreadable; X.XX s with 1 threads
file mappings by: (all in one row)

summary of 1 process: PSS 4.5M
   PSS      %  MEMORY
  2.0M  43.4%  Heap
  1.2M  27.8%  Other shared memory
  1.2M  25.9%  file-backed mappings
132.0K   2.9%  Stack
  2.0K   0.0%  small categories (1 row below 0.5%)
  2.0K   0.0%    vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 0B

pid 200 nginx (ppid 1, uid 0): PSS 4.5M
command: nginx: master process /usr/sbin/nginx
threads: 1
   PSS      %  MEMORY
  2.0M  43.4%  Heap
  1.2M  27.8%  Other shared memory
  1.2M  25.9%  file-backed mappings
132.0K   2.9%  Stack
  2.0K   0.0%  small categories (1 row below 0.5%)
  2.0K   0.0%    vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 0B
)");
}

// "-m rx" keys by path plus r/x. bash: r-xp 800; r--p 192 + r--p 100 +
// rw-p 48 = 340 (w is not in the mask). libc: r-xp 300; 40 + 16 + 16 + 8 =
// 80. Of PSS 2846 K: 800 / 2846 = 28.1 %.
TEST(SnapshotGolden, PermsMaskKeysByPathHugetlbAndSwapApart) {
  ExpectGolden({"snapshot", "-p", "300", "-m", "rx"}, R"(memstats: 1 processes scanned, 4 filtered out, 1 kernel threads (excluded), 0 vanished, 0 unreadable; X.XX s with 1 threads
file mappings by: rx

summary of 1 process: PSS 2.8M
   PSS      %  MEMORY
  1.2M  42.2%  Heap
800.0K  28.1%  /usr/bin/bash r-x-
340.0K  11.9%  /usr/bin/bash r---
300.0K  10.5%  /usr/lib/x86_64-linux-gnu/libc.so.6 r-x-
124.0K   4.4%  Stack
 80.0K   2.8%  /usr/lib/x86_64-linux-gnu/libc.so.6 r---
  2.0K   0.1%  small categories (1 row below 0.5%)
  2.0K   0.1%    vdso/vvar/vsyscall
----------------------------------------------------------
  4.0M      -  Hugetlb (huge pages, not in PSS; 1 mapping)
swap (SwapPss, not in PSS): 48.0K

pid 300 bash (ppid 1, uid 0): PSS 2.8M
command: -bash
threads: 1
   PSS      %  MEMORY
  1.2M  42.2%  Heap
800.0K  28.1%  /usr/bin/bash r-x-
340.0K  11.9%  /usr/bin/bash r---
300.0K  10.5%  /usr/lib/x86_64-linux-gnu/libc.so.6 r-x-
124.0K   4.4%  Stack
 80.0K   2.8%  /usr/lib/x86_64-linux-gnu/libc.so.6 r---
  2.0K   0.1%  small categories (1 row below 0.5%)
  2.0K   0.1%    vdso/vvar/vsyscall
----------------------------------------------------------
  4.0M      -  Hugetlb (huge pages, not in PSS; 1 mapping)
swap (SwapPss, not in PSS): 48.0K
)");
}

TEST(SnapshotGolden, PidListBinaryAndPathSmall5) {
  ExpectGolden({"snapshot", "-p", "300,400", "-m", "bf", "--small", "5"}, R"(memstats: 2 processes scanned, 3 filtered out, 1 kernel threads (excluded), 0 vanished, 0 unreadable; X.XX s with 1 threads
file mappings by: bf

summary of 2 processes: PSS 6.0M
   PSS      %  MEMORY
  2.0M  32.7%  Heap
  1.9M  32.0%  binary /usr/bin/python3.11
  1.1M  18.6%  binary /usr/bin/bash
760.0K  12.4%  library /usr/lib/x86_64-linux-gnu/libc.so.6
260.0K   4.3%  small categories (2 rows below 5%)
256.0K   4.2%    Stack
  4.0K   0.1%    vdso/vvar/vsyscall
----------------------------------------------------------
  4.0M      -  Hugetlb (huge pages, not in PSS; 1 mapping)
swap (SwapPss, not in PSS): 48.0K

pid 300 bash (ppid 1, uid 0): PSS 2.8M
command: -bash
threads: 1
   PSS      %  MEMORY
  1.2M  42.2%  Heap
  1.1M  40.1%  binary /usr/bin/bash
380.0K  13.4%  library /usr/lib/x86_64-linux-gnu/libc.so.6
126.0K   4.4%  small categories (2 rows below 5%)
124.0K   4.4%    Stack
  2.0K   0.1%    vdso/vvar/vsyscall
----------------------------------------------------------
  4.0M      -  Hugetlb (huge pages, not in PSS; 1 mapping)
swap (SwapPss, not in PSS): 48.0K

pid 400 python3 (ppid 1, uid 0): PSS 3.2M
command: /usr/bin/python3 -c import time; time.sleep(9)
threads: 1
   PSS      %  MEMORY
  1.9M  59.8%  binary /usr/bin/python3.11
800.0K  24.5%  Heap
380.0K  11.6%  library /usr/lib/x86_64-linux-gnu/libc.so.6
134.0K   4.1%  small categories (2 rows below 5%)
132.0K   4.0%    Stack
  2.0K   0.1%    vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 0B
)");
}

TEST(SnapshotGolden, PathOnlyMaskSmallZeroFoldsNothing) {
  ExpectGolden({"snapshot", "-p", "200", "-m", "f", "--small", "0"}, R"(memstats: 1 processes scanned, 4 filtered out, 1 kernel threads (excluded), 0 vanished, 0 unreadable; X.XX s with 1 threads
file mappings by: f

summary of 1 process: PSS 4.5M
   PSS      %  MEMORY
  2.0M  43.4%  Heap
  1.2M  27.8%  Other shared memory
792.0K  17.2%  /usr/sbin/nginx
380.0K   8.2%  /usr/lib/x86_64-linux-gnu/libc.so.6
132.0K   2.9%  Stack
 20.0K   0.4%  /var/log/nginx/old.log (deleted)
  4.0K   0.1%  anon_inode:[perf_event]
  2.0K   0.0%  vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 0B

pid 200 nginx (ppid 1, uid 0): PSS 4.5M
command: nginx: master process /usr/sbin/nginx
threads: 1
   PSS      %  MEMORY
  2.0M  43.4%  Heap
  1.2M  27.8%  Other shared memory
792.0K  17.2%  /usr/sbin/nginx
380.0K   8.2%  /usr/lib/x86_64-linux-gnu/libc.so.6
132.0K   2.9%  Stack
 20.0K   0.4%  /var/log/nginx/old.log (deleted)
  4.0K   0.1%  anon_inode:[perf_event]
  2.0K   0.0%  vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 0B
)");
}

TEST(SnapshotGolden, RegexCombinesWithGlobalFilter) {
  ExpectGolden({"--filter", "uid(0)", "snapshot", "python3", "-m", ""}, R"(memstats: 1 processes scanned, 4 filtered out, 1 kernel threads (excluded), 0 vanished, 0 unreadable; X.XX s with 1 threads
file mappings by: (all in one row)

summary of 1 process: PSS 3.2M
   PSS      %  MEMORY
  2.3M  71.4%  file-backed mappings
800.0K  24.5%  Heap
132.0K   4.0%  Stack
  2.0K   0.1%  small categories (1 row below 0.5%)
  2.0K   0.1%    vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 0B

pid 400 python3 (ppid 1, uid 0): PSS 3.2M
command: /usr/bin/python3 -c import time; time.sleep(9)
threads: 1
   PSS      %  MEMORY
  2.3M  71.4%  file-backed mappings
800.0K  24.5%  Heap
132.0K   4.0%  Stack
  2.0K   0.1%  small categories (1 row below 0.5%)
  2.0K   0.1%    vdso/vvar/vsyscall
swap (SwapPss, not in PSS): 0B
)");
}

}  // namespace
}  // namespace memstats::testing
