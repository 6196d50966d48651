// Tests for ParseMaps and IsSysvMapping. Fixtures marked "captured" are real
// text from a 6.18 kernel: a python3 process attaching two SysV segments, a
// MAP_SHARED|MAP_ANONYMOUS region and a memfd.

#include <cstdint>
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

// --- maps -----------------------------------------------------------------

// Captured, abridged from 125 lines.
constexpr std::string_view kMaps =
    R"(56335d782000-56335d783000 r--p 00000000 fe:00 18624                      /root/.pyenv/versions/3.11.7/bin/python3.11
56335d783000-56335d784000 r-xp 00001000 fe:00 18624                      /root/.pyenv/versions/3.11.7/bin/python3.11
56339596e000-563395b1f000 rw-p 00000000 00:00 0                          [heap]
7fe8b18dd000-7fe8b18ed000 rw-s 00000000 00:01 1026                       /dev/zero (deleted)
7fe8b18ed000-7fe8b19ed000 rw-s 00000000 00:01 1                          /SYSV00000000 (deleted)
7fe8b19ed000-7fe8b1bed000 rw-s 00000000 00:01 0                          /SYSV1234abcd (deleted)
)"
    "7fe8b1c1a000-7fe8b1d4d000 rw-p 00000000 00:00 0 \n"
    R"(7fe8b1d54000-7fe8b1d56000 rw-s 00000000 00:01 1027                       /memfd:foo (deleted)
7fe8b2244000-7fe8b239a000 r-xp 00026000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6
7fe8b2a60000-7fe8b2a67000 r--s 00000000 fe:00 332280                     /usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache
7fe8b2a69000-7fe8b2a6d000 r--p 00000000 00:00 0                          [vvar]
7fe8b2a6f000-7fe8b2a71000 r-xp 00000000 00:00 0                          [vdso]
7ffcf9aca000-7ffcf9aeb000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
)";

TEST(ParseMapsTest, Captured) {
  absl::StatusOr<std::vector<MapEntry>> maps = ParseMaps(kMaps);
  ASSERT_OK(maps);
  const std::string python = "/root/.pyenv/versions/3.11.7/bin/python3.11";
  const std::vector<MapEntry> want = {
      Map(0x56335d782000, 0x56335d783000, "r--p", 0, 0xfe, 0, 18624, python),
      Map(0x56335d783000, 0x56335d784000, "r-xp", 0x1000, 0xfe, 0, 18624,
          python),
      Map(0x56339596e000, 0x563395b1f000, "rw-p", 0, 0, 0, 0, "[heap]"),
      Map(0x7fe8b18dd000, 0x7fe8b18ed000, "rw-s", 0, 0, 1, 1026,
          "/dev/zero (deleted)"),
      Map(0x7fe8b18ed000, 0x7fe8b19ed000, "rw-s", 0, 0, 1, 1,
          "/SYSV00000000 (deleted)"),
      Map(0x7fe8b19ed000, 0x7fe8b1bed000, "rw-s", 0, 0, 1, 0,
          "/SYSV1234abcd (deleted)"),
      Map(0x7fe8b1c1a000, 0x7fe8b1d4d000, "rw-p", 0, 0, 0, 0, ""),
      Map(0x7fe8b1d54000, 0x7fe8b1d56000, "rw-s", 0, 0, 1, 1027,
          "/memfd:foo (deleted)"),
      Map(0x7fe8b2244000, 0x7fe8b239a000, "r-xp", 0x26000, 0xfe, 0, 332835,
          "/usr/lib/x86_64-linux-gnu/libc.so.6"),
      Map(0x7fe8b2a60000, 0x7fe8b2a67000, "r--s", 0, 0xfe, 0, 332280,
          "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache"),
      Map(0x7fe8b2a69000, 0x7fe8b2a6d000, "r--p", 0, 0, 0, 0, "[vvar]"),
      Map(0x7fe8b2a6f000, 0x7fe8b2a71000, "r-xp", 0, 0, 0, 0, "[vdso]"),
      Map(0x7ffcf9aca000, 0x7ffcf9aeb000, "rw-p", 0, 0, 0, 0, "[stack]"),
      Map(0xffffffffff600000, 0xffffffffff601000, "--xp", 0, 0, 0, 0,
          "[vsyscall]"),
  };
  EXPECT_EQ(*maps, want);
}

TEST(ParseMapsTest, PathsWithSpacesAndOddNames) {
  struct Case {
    std::string_view line;
    MapEntry want;
  };
  const Case cases[] = {
      {"7f0000000000-7f0000001000 rw-s 00000000 00:19 77"
       "                         /tmp/my file (1).bin (deleted)",
       Map(0x7f0000000000, 0x7f0000001000, "rw-s", 0, 0, 0x19, 77,
           "/tmp/my file (1).bin (deleted)")},
      {"7f0000000000-7f0000001000 r--p 00000000 08:01 5 /a  b ",
       Map(0x7f0000000000, 0x7f0000001000, "r--p", 0, 8, 1, 5, "/a  b ")},
      // A '\n' in a file name is printed as "\012".
      {"7f0000000000-7f0000001000 r--p 00000000 08:01 5 /tmp/a\\012b",
       Map(0x7f0000000000, 0x7f0000001000, "r--p", 0, 8, 1, 5, "/tmp/a\\012b")},
      {"7f2c5c000000-7f2c5c001000 rw-s 00000000 00:0e 1057"
       "                       anon_inode:[io_uring]",
       Map(0x7f2c5c000000, 0x7f2c5c001000, "rw-s", 0, 0, 0x0e, 1057,
           "anon_inode:[io_uring]")},
      {"7f2c5c000000-7f2c5c001000 rw-s 10000000 00:0e 1057 anon_inode:i915.gem",
       Map(0x7f2c5c000000, 0x7f2c5c001000, "rw-s", 0x10000000, 0, 0x0e, 1057,
           "anon_inode:i915.gem")},
      {"7f2c5c000000-7f2c5c001000 rw-p 00000000 00:00 0 [anon:glibc malloc]",
       Map(0x7f2c5c000000, 0x7f2c5c001000, "rw-p", 0, 0, 0, 0,
           "[anon:glibc malloc]")},
      // Anonymous without the trailing blank; a 3-digit major; a 64-bit
      // offset and inode.
      {"00400000-00401000 ---p 00000000 00:00 0",
       Map(0x400000, 0x401000, "---p", 0, 0, 0, 0, "")},
      {"00400000-00401000 r--p ffffffff00000000 103:2a 18446744073709551615 /x",
       Map(0x400000, 0x401000, "r--p", 0xffffffff00000000, 0x103, 0x2a,
           18446744073709551615u, "/x")},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    absl::StatusOr<std::vector<MapEntry>> maps = ParseMaps(c.line);
    ASSERT_OK(maps);
    ASSERT_EQ(maps->size(), 1u);
    EXPECT_EQ((*maps)[0], c.want);
  }
}

TEST(ParseMapsTest, Empty) {
  absl::StatusOr<std::vector<MapEntry>> maps = ParseMaps("");
  ASSERT_OK(maps);
  EXPECT_THAT(*maps, IsEmpty());
}

TEST(ParseMapsTest, Errors) {
  const ErrorCase cases[] = {
      {"garbage\n", "maps line 1: bad address range 'garbage'"},
      {"\n", "maps line 1: missing address range"},
      {"7f00-\n", "maps line 1: bad address range '7f00-'"},
      {"-7f00 r--p 0 00:00 0\n", "maps line 1: bad address range '-7f00'"},
      {"0x7f00-0x7f01 r--p 0 00:00 0\n",
       "maps line 1: bad address range '0x7f00-0x7f01'"},
      {"10000000000000000-10000000000000001 r--p 0 00:00 0\n",
       "maps line 1: bad address range "
       "'10000000000000000-10000000000000001'"},
      {"7f00-7e00 r--p 0 00:00 0\n",
       "maps line 1: bad address range (end < start) '7f00-7e00'"},
      {"7f00-7f01\n", "maps line 1: missing permissions"},
      {"7f00-7f01 rw-\n", "maps line 1: bad permissions 'rw-'"},
      {"7f00-7f01 rwxq 0 00:00 0\n", "maps line 1: bad permissions 'rwxq'"},
      {"7f00-7f01 RW-p 0 00:00 0\n", "maps line 1: bad permissions 'RW-p'"},
      {"7f00-7f01 r--p\n", "maps line 1: missing offset"},
      {"7f00-7f01 r--p zz 00:00 0\n", "maps line 1: bad offset 'zz'"},
      {"7f00-7f01 r--p 00000000\n", "maps line 1: missing device"},
      {"7f00-7f01 r--p 00000000 fe00 0\n", "maps line 1: bad device 'fe00'"},
      {"7f00-7f01 r--p 00000000 fe:zz 0\n", "maps line 1: bad device 'fe:zz'"},
      {"7f00-7f01 r--p 00000000 fe:00\n", "maps line 1: missing inode"},
      {"7f00-7f01 r--p 00000000 fe:00 12a /x\n",
       "maps line 1: bad inode '12a'"},
      {"7f00-7f01 r--p 00000000 fe:00 -1 /x\n", "maps line 1: bad inode '-1'"},
      // Good lines, then one cut short after the offset.
      {kMaps.substr(0, kMaps.find("[heap]") + 40),
       "maps line 4: missing device"},
      {"7f00-7f01 r--p 0 00:00 0\n7f01-7f02 r--p 0 00:00 0\n\xff\n",
       "maps line 3: bad address range '\\xff'"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.input);
    ExpectError(ParseMaps(c.input), c.message);
  }
}

TEST(IsSysvMappingTest, Table) {
  struct Case {
    std::string_view path;
    bool sysv;
  };
  const Case cases[] = {
      {"/SYSV00000000 (deleted)", true},
      {"/SYSV1234abcd (deleted)", true},
      {"/SYSVDEADBEEF (deleted)", true},
      {"/SYSV1234abcd", false},
      {"/SYSV1234abc (deleted)", false},
      {"/SYSV1234abcg (deleted)", false},
      {"/SYSV1234abcd0 (deleted)", false},
      {"/SYSV1234abcd (deleted) (deleted)", false},
      {"SYSV1234abcd (deleted)", false},
      {"/tmp/SYSV1234abcd (deleted)", false},
      {"/dev/zero (deleted)", false},
      {"/memfd:foo (deleted)", false},
      {"[heap]", false},
      {"", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    MapEntry m;
    m.path = c.path;
    EXPECT_EQ(IsSysvMapping(m), c.sysv);
  }
}

}  // namespace
}  // namespace memstats::scan
