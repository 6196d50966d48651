// Tests for the small /proc parsers: status, stat, cmdline, environ, cgroup,
// sysvipc/shm and meminfo. Maps are in parsers_maps_test.cc, smaps and
// smaps_rollup in parsers_smaps_test.cc.
// Fixtures marked "captured" are real text from a 6.18 kernel.

#include "scan/parsers.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scan/parsers_test_util.h"
#include "test_util.h"

namespace memstats::scan {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// --- status ---------------------------------------------------------------

// Captured: /proc/PID/status of a python3 process.
constexpr std::string_view kPythonStatus =
    "Name:\tpython3\n"
    "Umask:\t0022\n"
    "State:\tR (running)\n"
    "Tgid:\t3579\n"
    "Ngid:\t0\n"
    "Pid:\t3579\n"
    "PPid:\t3575\n"
    "TracerPid:\t0\n"
    "Uid:\t0\t0\t0\t0\n"
    "Gid:\t0\t0\t0\t0\n"
    "FDSize:\t256\n"
    "Groups:\t \n"
    "NStgid:\t3579\n"
    "NSpid:\t3579\n"
    "NSpgid:\t3575\n"
    "NSsid:\t2610\n"
    "Kthread:\t0\n"
    "VmPeak:\t   20280 kB\n"
    "VmSize:\t   20280 kB\n"
    "VmLck:\t       0 kB\n"
    "VmPin:\t       0 kB\n"
    "VmHWM:\t   14584 kB\n"
    "VmRSS:\t   14584 kB\n"
    "RssAnon:\t    7268 kB\n"
    "RssFile:\t    6792 kB\n"
    "RssShmem:\t     524 kB\n"
    "VmData:\t    8324 kB\n"
    "VmStk:\t     132 kB\n"
    "VmExe:\t       4 kB\n"
    "VmLib:\t    4772 kB\n"
    "VmPTE:\t      80 kB\n"
    "VmSwap:\t       0 kB\n"
    "HugetlbPages:\t       0 kB\n"
    "CoreDumping:\t0\n"
    "THP_enabled:\t1\n"
    "untag_mask:\t0xffffffffffffffff\n"
    "Threads:\t1\n"
    "SigQ:\t0/96365\n"
    "SigPnd:\t0000000000000000\n"
    "ShdPnd:\t0000000000000000\n"
    "SigBlk:\t0000000000000000\n"
    "SigIgn:\t0000000001001000\n"
    "SigCgt:\t0000000000000002\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t000001fffeffffff\n"
    "CapEff:\t000001fffeffffff\n"
    "CapBnd:\t000001fffeffffff\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t0\n"
    "Seccomp:\t0\n"
    "Seccomp_filters:\t0\n"
    "Speculation_Store_Bypass:\tvulnerable\n"
    "SpeculationIndirectBranch:\talways enabled\n"
    "Cpus_allowed:\t3\n"
    "Cpus_allowed_list:\t0-1\n"
    "Mems_allowed:\t00000000,00000001\n"
    "Mems_allowed_list:\t0\n"
    "voluntary_ctxt_switches:\t136\n"
    "nonvoluntary_ctxt_switches:\t4\n";

// Captured: /proc/2/status (kthreadd). Kernel threads have no Vm* lines.
constexpr std::string_view kKthreaddStatus =
    "Name:\tkthreadd\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Tgid:\t2\n"
    "Ngid:\t0\n"
    "Pid:\t2\n"
    "PPid:\t0\n"
    "TracerPid:\t0\n"
    "Uid:\t0\t0\t0\t0\n"
    "Gid:\t0\t0\t0\t0\n"
    "FDSize:\t64\n"
    "Groups:\t \n"
    "NStgid:\t2\n"
    "NSpid:\t2\n"
    "NSpgid:\t0\n"
    "NSsid:\t0\n"
    "Kthread:\t1\n"
    "Threads:\t1\n"
    "SigQ:\t0/96365\n"
    "SigIgn:\tffffffffffffffff\n"
    "Cpus_allowed_list:\t0-1\n"
    "voluntary_ctxt_switches:\t60\n"
    "nonvoluntary_ctxt_switches:\t0\n";

TEST(ParseStatusTest, CapturedProcess) {
  absl::StatusOr<StatusInfo> s = ParseStatus(kPythonStatus);
  ASSERT_OK(s);
  EXPECT_EQ(s->name, "python3");
  EXPECT_EQ(s->ppid, 3575);
  EXPECT_EQ(s->uid, 0u);
  EXPECT_EQ(s->kthread, std::optional<bool>(false));
  EXPECT_EQ(s->vm_pte_bytes, 80 * kKiB);
  EXPECT_EQ(s->vm_hwm_bytes, 14584 * kKiB);
  EXPECT_EQ(s->state, 'R');
  EXPECT_EQ(s->threads, 1);
}

TEST(ParseStatusTest, CapturedKernelThread) {
  absl::StatusOr<StatusInfo> s = ParseStatus(kKthreaddStatus);
  ASSERT_OK(s);
  EXPECT_EQ(s->name, "kthreadd");
  EXPECT_EQ(s->ppid, 0);
  EXPECT_EQ(s->uid, 0u);
  EXPECT_EQ(s->kthread, std::optional<bool>(true));
  EXPECT_EQ(s->vm_pte_bytes, 0u);
  EXPECT_EQ(s->vm_hwm_bytes, 0u);
}

TEST(ParseStatusTest, OlderKernelWithoutKthreadAndSetuidUid) {
  // Real uid first; then effective, saved, filesystem. No trailing '\n'.
  absl::StatusOr<StatusInfo> s = ParseStatus(
      "Name:\tpasswd\nState:\tS (sleeping)\nPPid:\t812\n"
      "Uid:\t1000\t0\t0\t0\nVmPTE:\t      48 kB");
  ASSERT_OK(s);
  EXPECT_EQ(s->name, "passwd");
  EXPECT_EQ(s->ppid, 812);
  EXPECT_EQ(s->uid, 1000u);
  EXPECT_EQ(s->kthread, std::nullopt);
  EXPECT_EQ(s->vm_pte_bytes, 48 * kKiB);
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->threads, 0);  // no Threads line
}

TEST(ParseStatusTest, ThreadsMustBeANumber) {
  EXPECT_FALSE(ParseStatus("Name:\tx\nPPid:\t1\nUid:\t0\t0\t0\t0\n"
                           "Threads:\tmany\n")
                   .ok());
}

TEST(ParseStatusTest, NameKeepsSpacesColonsAndKernelEscapes) {
  // The kernel prints a '\n' in comm as the two characters "\n".
  absl::StatusOr<StatusInfo> s = ParseStatus(
      "Name:\tWeb Content: a\\nb "
      "\nPPid:\t1\nUid:\t65534\t65534\t65534\t65534\n");
  ASSERT_OK(s);
  EXPECT_EQ(s->name, "Web Content: a\\nb ");
  EXPECT_EQ(s->ppid, 1);
  EXPECT_EQ(s->uid, 65534u);
  EXPECT_EQ(s->kthread, std::nullopt);
  EXPECT_EQ(s->vm_pte_bytes, 0u);
}

TEST(ParseStatusTest, Errors) {
  const ErrorCase cases[] = {
      {"", "status line 1: end of input without Name"},
      {"PPid:\t1\nUid:\t0\t0\t0\t0\n",
       "status line 3: end of input without Name"},
      {"Name:\tx\nUid:\t0\t0\t0\t0",
       "status line 2: end of input without PPid"},
      {"Name:\tx\nPPid:\t1\n", "status line 3: end of input without Uid"},
      // Truncated in the middle of the capture.
      {kPythonStatus.substr(0, 50), "status line 4: end of input without PPid"},
      {"Name:\tx\nPPid:\tabc\nUid:\t0\t0\t0\t0\n",
       "status line 2: bad PPid 'abc'"},
      {"Name:\tx\nPPid:\t99999999999\n",
       "status line 2: bad PPid '99999999999'"},
      {"Name:\tx\nPPid:\t\x01\xff\n", "status line 2: bad PPid '\\x01\\xff'"},
      {"Name:\tx\nPPid:\n", "status line 2: missing PPid"},
      {"Name:\tx\nPPid:\t1\nUid:\n", "status line 3: missing Uid"},
      {"Name:\tx\nPPid:\t1\nUid:\t-1\t0\t0\t0\n",
       "status line 3: bad Uid '-1'"},
      {"Name:\tx\nKthread:\t2\n", "status line 2: bad Kthread '2'"},
      {"Name:\tx\nVmPTE:\t      x kB\n", "status line 2: bad number 'x'"},
      {"Name:\tx\nVmPTE:\t      40 MB\n", "status line 2: bad unit 'MB'"},
      {"Name:\tx\nVmPTE:\t 18014398509481984 kB\n",
       "status line 2: bad number (overflows bytes) '18014398509481984'"},
      {"Name:\tx\ngarbage\n", "status line 2: expected 'Key:' in 'garbage'"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.input);
    ExpectError(ParseStatus(c.input), c.message);
  }
}

// --- stat -----------------------------------------------------------------

TEST(ParseStatTest, CapturedProcess) {
  absl::StatusOr<StatInfo> s = ParseStat(
      "3579 (python3) R 3575 3575 2610 0 -1 4194304 3102 6624 16 3 2 4 3 2 20 "
      "0 1 0 29211 20766720 3595 18446744073709551615 94778611478528 "
      "94778611478869 140724497457056 0 0 0 0 16781312 2 0 0 0 17 1 0 0 0 0 0 "
      "94778611490224 94778611490840 94779553013760 140724497459119 "
      "140724497459167 140724497459167 140724497461199 0\n");
  ASSERT_OK(s);
  EXPECT_EQ(s->pid, 3579);
  EXPECT_EQ(s->comm, "python3");
  EXPECT_EQ(s->state, 'R');
  EXPECT_EQ(s->ppid, 3575);
  EXPECT_EQ(s->flags, 4194304u);
  EXPECT_EQ(s->flags & kPfKthread, 0u);
}

TEST(ParseStatTest, CapturedKernelThread) {
  absl::StatusOr<StatInfo> s = ParseStat(
      "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 24 0 0 "
      "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 0 0 0 0 0 0 0 "
      "0 0 0 0 0 0 0\n");
  ASSERT_OK(s);
  EXPECT_EQ(s->pid, 2);
  EXPECT_EQ(s->comm, "kthreadd");
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->ppid, 0);
  EXPECT_EQ(s->flags, 2129984u);
  EXPECT_NE(s->flags & kPfKthread, 0u);
}

TEST(ParseStatTest, CommWithParenthesesAndSpaces) {
  struct Case {
    std::string_view input;
    std::string_view comm;
  };
  const Case cases[] = {
      {"812 ((sd-pam)) S 1 812 812 0 -1 4194624 35 0 0 0\n", "(sd-pam)"},
      {"812 (a) b (c)) S 1 812 812 0 -1 4194624 35 0 0 0\n", "a) b (c)"},
      {"812 ( ) S 1 812 812 0 -1 4194624 35 0 0 0\n", " "},
      {"812 () S 1 812 812 0 -1 4194624 35 0 0 0\n", ""},
      {"812 (x 1 2 3) S 1 812 812 0 -1 4194624", "x 1 2 3"},  // no '\n'
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<StatInfo> s = ParseStat(c.input);
    ASSERT_OK(s);
    EXPECT_EQ(s->pid, 812);
    EXPECT_EQ(s->comm, c.comm);
    EXPECT_EQ(s->state, 'S');
    EXPECT_EQ(s->ppid, 1);
    EXPECT_EQ(s->flags, 4194624u);
  }
}

TEST(ParseStatTest, Errors) {
  const ErrorCase cases[] = {
      {"", "stat line 1: missing '(' of comm"},
      {"123 cat R 1 1 1 0 -1 0\n", "stat line 1: missing '(' of comm"},
      {"123 (cat R 1 1 1 0 -1 0\n", "stat line 1: missing ')' of comm"},
      {")123 (cat R 1\n", "stat line 1: missing ')' of comm"},
      {"x (cat) R 1 1 1 0 -1 0\n", "stat line 1: bad field 1 (pid) 'x'"},
      {"(cat) R 1 1 1 0 -1 0\n", "stat line 1: missing field 1 (pid)"},
      {"1 (cat)", "stat line 1: missing field 3 (state)"},
      {"1 (cat) RS 1 1 1 0 -1 0\n", "stat line 1: bad field 3 (state) 'RS'"},
      {"1 (cat) R\n", "stat line 1: missing field 4 (ppid)"},
      {"1 (cat) R x 1 1 0 -1 0\n", "stat line 1: bad field 4 (ppid) 'x'"},
      {"1 (cat) R 1 1 1 0", "stat line 1: missing field 8 (tpgid)"},
      {"1 (cat) R 1 1 1 0 -1\n", "stat line 1: missing field 9 (flags)"},
      {"1 (cat) R 1 1 1 0 -1 -5 0\n", "stat line 1: bad field 9 (flags) '-5'"},
      {"1 (cat) R 1 1 1 0 -1 4194x\n",
       "stat line 1: bad field 9 (flags) '4194x'"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.input);
    ExpectError(ParseStat(c.input), c.message);
  }
}

// --- cmdline and environ --------------------------------------------------

TEST(ParseCmdlineTest, Table) {
  using std::literals::string_view_literals::operator""sv;
  struct Case {
    std::string_view input;
    std::vector<std::string> argv;
  };
  const Case cases[] = {
      {""sv, {}},  // kernel thread or zombie
      // Captured.
      {"/root/.pyenv/versions/3.11.7/bin/python3\0cap.py\0"sv,
       {"/root/.pyenv/versions/3.11.7/bin/python3", "cap.py"}},
      {"a\0b"sv, {"a", "b"}},
      {"a\0\0b\0"sv, {"a", "", "b"}},
      {"a\0\0"sv, {"a", ""}},
      {"\0"sv, {""}},
      // Rewritten by setproctitle(): one string with spaces.
      {"postgres: checkpointer "sv, {"postgres: checkpointer "}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.input));
    EXPECT_EQ(ParseCmdline(c.input), c.argv);
  }
}

TEST(ParseEnvironTest, ReturnsOnlyTheKeysAskedFor) {
  using std::literals::string_view_literals::operator""sv;
  constexpr std::string_view kEnviron =
      "IS_SANDBOX=yes\0SHELL=/bin/bash\0PYTHONUNBUFFERED=1\0EMPTY=\0"
      "NOEQUALS\0A=b=c\0SHELL=/bin/zsh\0LAST=1"sv;
  EXPECT_THAT(
      ParseEnviron(kEnviron, {"SHELL", "EMPTY", "A", "NOEQUALS", "MISSING",
                              "PYTHONUNBUFFERED", "LAST"}),
      UnorderedElementsAre(Pair("SHELL", "/bin/bash"), Pair("EMPTY", ""),
                           Pair("A", "b=c"), Pair("PYTHONUNBUFFERED", "1"),
                           Pair("LAST", "1")));
  EXPECT_THAT(ParseEnviron(kEnviron, {}), IsEmpty());
  EXPECT_THAT(ParseEnviron("", {"SHELL"}), IsEmpty());
  EXPECT_THAT(ParseEnviron("=x\0"sv, {""}), ElementsAre(Pair("", "x")));
}

// --- cgroup ---------------------------------------------------------------

// Captured: this machine mounts cgroup v1 controllers and the v2 hierarchy.
constexpr std::string_view kHybridCgroup =
    "9:name=systemd:/\n"
    "8:pids:/\n"
    "7:blkio:/\n"
    "6:freezer:/\n"
    "5:devices:/\n"
    "4:memory:/process_api/cfb2741afb372aa28e695e5746f3e6ba\n"
    "3:cpuset:/\n"
    "2:cpuacct:/\n"
    "1:cpu:/\n"
    "0::/\n";

TEST(ParseCgroupTest, Table) {
  struct Case {
    std::string_view input;
    std::string_view path;
  };
  const Case cases[] = {
      {kHybridCgroup, "/process_api/cfb2741afb372aa28e695e5746f3e6ba"},
      {"0::/user.slice/user-1000.slice/session-2.scope\n",
       "/user.slice/user-1000.slice/session-2.scope"},
      {"0::/\n", "/"},
      {"0::/system.slice/a:b.service", "/system.slice/a:b.service"},
      {"0::/v2\n4:memory:/v1\n", "/v1"},  // v1 memory wins wherever it is
      {"4:cpu,memory:/x\n0::/y\n", "/x"},
      {"4:memory,cpu:/x\n0::/y\n", "/x"},
      {"4:cpu,memory,blkio:/x\n", "/x"},
      {"5:name=memory:/z\n0::/y\n", "/y"},
      {"4:memoryx:/a\n3:xmemory:/b\n0::/y\n", "/y"},
      {"1:cpu:/a\n", ""},
      {"garbage\n7:\n0::/y\n", "/y"},
      {"0::/first\n0::/second\n", "/first"},
      {"", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_EQ(ParseCgroup(c.input), c.path);
  }
}

// --- sysvipc/shm ----------------------------------------------------------

constexpr std::string_view kShmHeader =
    "       key      shmid perms                  size  cpid  lpid nattch   "
    "uid   gid  cuid  cgid      atime      dtime      ctime                   "
    "rss                  swap\n";

// Captured rows (keys 0x1234abcd, IPC_PRIVATE, 0xdeadbeef), then one
// written by hand with another owner and swapped pages.
constexpr std::string_view kShmRows =
    " 305441741          0   600               2097152  3579  3579      1     "
    "0     0     0     0 1795315364          0 1795315364                "
    "524288                     0\n"
    "         0          1   640               1048576  3579  3579      1     "
    "0     0     0     0 1795315364          0 1795315364                  "
    "4096                     0\n"
    "-559038737          2   600                  4096  3638     0      0     "
    "0     0     0     0          0          0 1795315366                     "
    "0                     0\n"
    "        42      32769   644              16777216   900   901     12  "
    "1000  1000  1000  1000 1795315364 1795315364 1795315364               "
    "8388608               4194304\n";

TEST(ParseSysvShmTest, CapturedSegments) {
  absl::StatusOr<std::vector<SysvSegment>> s =
      ParseSysvShm(std::string(kShmHeader) + std::string(kShmRows));
  ASSERT_OK(s);
  ASSERT_EQ(s->size(), 4u);
  const SysvSegment& a = (*s)[0];
  EXPECT_EQ(a.key, 0x1234abcd);
  EXPECT_EQ(a.shmid, 0);
  EXPECT_EQ(a.size, 2097152u);
  EXPECT_EQ(a.nattch, 1);
  EXPECT_EQ(a.uid, 0u);
  EXPECT_EQ(a.rss, 524288u);
  EXPECT_EQ(a.swap, 0u);
  const SysvSegment& b = (*s)[1];
  EXPECT_EQ(b.key, 0);
  EXPECT_EQ(b.shmid, 1);
  EXPECT_EQ(b.size, 1048576u);
  EXPECT_EQ(b.nattch, 1);
  EXPECT_EQ(b.uid, 0u);
  EXPECT_EQ(b.rss, 4096u);
  EXPECT_EQ(b.swap, 0u);
  const SysvSegment& c = (*s)[2];
  EXPECT_EQ(c.key, static_cast<int32_t>(0xdeadbeef));
  EXPECT_EQ(c.shmid, 2);
  EXPECT_EQ(c.size, 4096u);
  EXPECT_EQ(c.nattch, 0);
  EXPECT_EQ(c.uid, 0u);
  EXPECT_EQ(c.rss, 0u);
  EXPECT_EQ(c.swap, 0u);
  const SysvSegment& d = (*s)[3];
  EXPECT_EQ(d.key, 42);
  EXPECT_EQ(d.shmid, 32769);
  EXPECT_EQ(d.size, 16777216u);
  EXPECT_EQ(d.nattch, 12);
  EXPECT_EQ(d.uid, 1000u);
  EXPECT_EQ(d.rss, 8388608u);
  EXPECT_EQ(d.swap, 4194304u);
  EXPECT_EQ(a.mode, 0600u);
  EXPECT_EQ(b.mode, 0640u);
  EXPECT_EQ(d.mode, 0644u);
  EXPECT_FALSE(a.marked_for_removal());
  EXPECT_FALSE(b.marked_for_removal());  // key 0 alone: IPC_PRIVATE
}

// After IPC_RMID while attached the kernel prints the mode with SHM_DEST
// (01000) and the key as 0 (ipc/shm.c do_shm_rmid, ipc_set_key_private).
TEST(ParseSysvShmTest, MarkedForRemoval) {
  absl::StatusOr<std::vector<SysvSegment>> s = ParseSysvShm(
      std::string(kShmHeader) +
      "         0          7  1600               4194304  3579  3579      2     "
      "0     0     0     0 1795315364          0 1795315364               "
      "2097152                     0\n");
  ASSERT_OK(s);
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].mode, 01600u);
  EXPECT_TRUE((*s)[0].marked_for_removal());
  EXPECT_EQ((*s)[0].nattch, 2);
}

TEST(ParseSysvShmTest, BadPerms) {
  EXPECT_FALSE(ParseSysvShm(std::string(kShmHeader) +
                            "0 7 16x9 4096 1 1 1 0 0 0 0 0 0 0 0 0\n")
                   .ok());
}

TEST(ParseSysvShmTest, HeaderOnly) {
  absl::StatusOr<std::vector<SysvSegment>> s = ParseSysvShm(kShmHeader);
  ASSERT_OK(s);
  EXPECT_THAT(*s, IsEmpty());
}

TEST(ParseSysvShmTest, OldKernelWithoutRssAndSwapColumns) {
  absl::StatusOr<std::vector<SysvSegment>> s = ParseSysvShm(
      "       key      shmid perms       size  cpid  lpid nattch   uid   gid  "
      "cuid  cgid      atime      dtime      ctime\n"
      "         7         65   600       8192   10    11      2   500   500   "
      "500   500          0          0 1795315364\n");
  ASSERT_OK(s);
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].key, 7);
  EXPECT_EQ((*s)[0].shmid, 65);
  EXPECT_EQ((*s)[0].size, 8192u);
  EXPECT_EQ((*s)[0].nattch, 2);
  EXPECT_EQ((*s)[0].uid, 500u);
  EXPECT_EQ((*s)[0].rss, 0u);
  EXPECT_EQ((*s)[0].swap, 0u);
}

TEST(ParseSysvShmTest, Errors) {
  const std::string h(kShmHeader);
  const std::string ok_row(kShmRows.substr(0, kShmRows.find('\n') + 1));
  const std::string cases_input[] = {
      "",
      "key shmid perms size cpid lpid nattch gid\n",
      h + ok_row + " 1 2 600 4096 1 1 1 0 0 0\n",
      h + "0x10 1 600 4096 1 1 1 0 0 0 0 0 0 0 0 0\n",
      h + "2147483648 1 600 4096 1 1 1 0 0 0 0 0 0 0 0 0\n",
      h + "1 x 600 4096 1 1 1 0 0 0 0 0 0 0 0 0\n",
      h + ok_row + ok_row + "1 1 600 -1 1 1 1 0 0 0 0 0 0 0 0 0\n",
      h + "1 1 600 4096 1 1 many 0 0 0 0 0 0 0 0 0\n",
      h + "1 1 600 4096 1 1 1 root 0 0 0 0 0 0 0 0\n",
      h + "1 1 600 4096 1 1 1 0 0 0 0 0 0 0 4k 0\n",
      h + "1 1 600 4096 1 1 1 0 0 0 0 0 0 0 0 1e3",
  };
  const std::string_view messages[] = {
      "sysvipc/shm line 1: missing header",
      "sysvipc/shm line 1: header has no column 'uid'",
      "sysvipc/shm line 3: 10 columns, header has 16",
      "sysvipc/shm line 2: bad key '0x10'",
      "sysvipc/shm line 2: bad key '2147483648'",
      "sysvipc/shm line 2: bad shmid 'x'",
      "sysvipc/shm line 4: bad size '-1'",
      "sysvipc/shm line 2: bad nattch 'many'",
      "sysvipc/shm line 2: bad uid 'root'",
      "sysvipc/shm line 2: bad rss '4k'",
      "sysvipc/shm line 2: bad swap '1e3'",
  };
  static_assert(std::size(cases_input) == std::size(messages));
  for (size_t i = 0; i < std::size(messages); ++i) {
    SCOPED_TRACE(cases_input[i]);
    ExpectError(ParseSysvShm(cases_input[i]), messages[i]);
  }
}

// --- meminfo --------------------------------------------------------------

// Captured, abridged from 54 lines.
constexpr std::string_view kMeminfo =
    "MemTotal:       24684092 kB\n"
    "MemFree:        24548052 kB\n"
    "MemAvailable:   24449200 kB\n"
    "Active(anon):       1528 kB\n"
    "SwapTotal:             0 kB\n"
    "Shmem:              8856 kB\n"
    "PageTables:         1324 kB\n"
    "VmallocTotal:   34359738367 kB\n"
    "HugePages_Total:       0\n"
    "HugePages_Free:        0\n"
    "Hugepagesize:       2048 kB\n"
    "DirectMap1G:    25165824 kB\n";

TEST(ParseMeminfoTest, Captured) {
  auto m = ParseMeminfo(kMeminfo);
  ASSERT_OK(m);
  EXPECT_THAT(
      *m,
      UnorderedElementsAre(
          Pair("MemTotal", 24684092 * kKiB), Pair("MemFree", 24548052 * kKiB),
          Pair("MemAvailable", 24449200 * kKiB),
          Pair("Active(anon)", 1528 * kKiB), Pair("SwapTotal", 0u),
          Pair("Shmem", 8856 * kKiB), Pair("PageTables", 1324 * kKiB),
          Pair("VmallocTotal", 34359738367 * kKiB), Pair("HugePages_Total", 0u),
          Pair("HugePages_Free", 0u), Pair("Hugepagesize", 2048 * kKiB),
          Pair("DirectMap1G", 25165824 * kKiB)));
}

TEST(ParseMeminfoTest, CountsKeepTheirValue) {
  auto m = ParseMeminfo("HugePages_Total:      16\nHugePages_Free:        3");
  ASSERT_OK(m);
  EXPECT_THAT(*m, UnorderedElementsAre(Pair("HugePages_Total", 16u),
                                       Pair("HugePages_Free", 3u)));
  auto empty = ParseMeminfo("");
  ASSERT_OK(empty);
  EXPECT_THAT(*empty, IsEmpty());
}

TEST(ParseMeminfoTest, Errors) {
  const ErrorCase cases[] = {
      {"MemTotal:       x kB\n", "meminfo line 1: bad number 'x'"},
      {"MemTotal:       -5 kB\n", "meminfo line 1: bad number '-5'"},
      {"MemTotal:       1 MB\n", "meminfo line 1: bad unit 'MB'"},
      {"MemTotal:       1 kB\nMemFree:        24553864 k",
       "meminfo line 2: bad unit 'k'"},
      {"MemTotal:       1 kB extra\n", "meminfo line 1: bad unit 'kB extra'"},
      {"MemTotal:\n", "meminfo line 1: missing number"},
      {"MemTotal:  1 kB\nMemFree:  2 kB\ngarbage\n",
       "meminfo line 3: expected 'Key:' in 'garbage'"},
      {"MemTotal:  1 kB\n\n", "meminfo line 2: expected 'Key:' in ''"},
      {":       5 kB\n", "meminfo line 1: expected 'Key:' in ':       5 kB'"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.input);
    ExpectError(ParseMeminfo(c.input), c.message);
  }
}

// A /proc/zoneinfo excerpt (two zones, two CPUs): the pagesets' "count"
// lines are 3 + 0 + 100 + 45 = 148 pages; "count" nowhere else.
TEST(ParseZoneinfoPcpPagesTest, SumsPagesets) {
  constexpr char kZoneinfo[] =
      "Node 0, zone      DMA\n"
      "  pages free     3840\n"
      "        nr_free_pages 3840\n"
      "  pagesets\n"
      "    cpu: 0\n"
      "              count:    3\n"
      "              high:     0\n"
      "              batch:    1\n"
      "  vm stats threshold: 4\n"
      "    cpu: 1\n"
      "              count:    0\n"
      "              high:     0\n"
      "Node 0, zone   Normal\n"
      "  pagesets\n"
      "    cpu: 0\n"
      "              count:  100\n"
      "    cpu: 1\n"
      "              count:   45\n"
      "  node_unreclaimable:  0\n";
  auto pages = ParseZoneinfoPcpPages(kZoneinfo);
  ASSERT_OK(pages);
  EXPECT_EQ(*pages, 148u);
  auto none = ParseZoneinfoPcpPages("");
  ASSERT_OK(none);
  EXPECT_EQ(*none, 0u);
  ExpectError(ParseZoneinfoPcpPages("  pagesets\n    cpu: 0\n   count: x\n"),
              "zoneinfo line 3: bad count 'x'");
}

}  // namespace
}  // namespace memstats::scan
