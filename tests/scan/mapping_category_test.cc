// The mapping categorizer against a fixture smaps with every mapping kind.
#include "scan/mapping_category.h"

#include <cstdint>
#include <string>
#include <vector>

#include "all_kinds_fixture.h"
#include "gtest/gtest.h"
#include "scan/parsers.h"
#include "test_util.h"

namespace memstats::scan {
namespace {

using enum MappingCategory;

class AllKindsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    text_ = testing::ReadFixture(kAllKindsFixture);
    ASSERT_FALSE(text_.empty());
    auto parsed = ParseSmaps(text_);
    ASSERT_OK(parsed);
    mappings_ = std::move(*parsed);
  }
  std::string text_;
  std::vector<SmapsMapping> mappings_;
  const std::vector<uint64_t> sps_{kAllKindsThreadSp};
};

TEST_F(AllKindsTest, EveryMappingGetsItsCategory) {
  struct Want {
    std::string_view path;
    MappingCategory category;
  };
  const Want want[] = {
      {"/usr/bin/demo", kFile},
      {"/usr/bin/demo", kFile},
      {"/usr/bin/demo", kFile},
      {"/usr/bin/demo", kFile},
      {"[heap]", kHeap},
      {"", kAnon},         // malloc arena
      {"", kAnon},         // its ---p reserve
      {"", kAnon},         // a thread stack's guard page
      {"", kThreadStack},  // holds kAllKindsThreadSp
      {"[anon:js-heap]", kAnon},
      {"[stack:4244]", kThreadStack},
      {"/usr/lib/x86_64-linux-gnu/libc.so.6", kFile},
      {"/usr/lib/x86_64-linux-gnu/libc.so.6", kFile},
      {"/usr/lib/x86_64-linux-gnu/libc.so.6", kFile},
      {"/usr/lib/x86_64-linux-gnu/libc.so.6", kFile},
      {"/usr/lib/x86_64-linux-gnu/libc.so.6", kFile},
      {"/tmp/build.log (deleted)", kFile},
      {"anon_inode:[perf_event]", kFile},
      {"/SYSV0000abcd (deleted)", kSysv},
      {"/dev/shm/pgsql.1", kShmem},
      {"/dev/zero (deleted)", kShmem},
      {"/memfd:wayland-shm (deleted)", kShmem},
      {"/anon_hugepage (deleted)", kHugetlb},
      {"/SYSV0000beef (deleted)", kHugetlb},  // SHM_HUGETLB: hugetlb wins
      {"[stack:4242]", kStack},
      {"[stack]", kStack},
      {"[vvar]", kSpecial},
      {"[vvar_vclock]", kSpecial},
      {"[vdso]", kSpecial},
      {"[vsyscall]", kSpecial},
  };
  ASSERT_EQ(mappings_.size(), std::size(want));
  for (size_t i = 0; i < mappings_.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "mapping " << i);
    EXPECT_EQ(mappings_[i].map.path, want[i].path);
    EXPECT_EQ(MappingCategoryName(
                  CategorizeMapping(mappings_[i], kAllKindsPid, sps_)),
              MappingCategoryName(want[i].category));
  }
}

TEST_F(AllKindsTest, WithoutStackPointersThreadStackIsAnon) {
  EXPECT_EQ(CategorizeMapping(mappings_[8], kAllKindsPid, {}), kAnon);
  // A named old-kernel thread stack needs no pointer.
  EXPECT_EQ(CategorizeMapping(mappings_[10], kAllKindsPid, {}), kThreadStack);
  // Seen from pid 4244, "[stack:4244]" is the main stack.
  EXPECT_EQ(CategorizeMapping(mappings_[10], 4244, {}), kStack);
  EXPECT_EQ(CategorizeMapping(mappings_[24], 4244, {}), kThreadStack);
}

TEST_F(AllKindsTest, StackPointerAtTheEdgesOfAMapping) {
  const SmapsMapping& m = mappings_[8];  // 7f3a1c000000-7f3a1c800000
  const uint64_t at_start[] = {0x7f3a1c000000};
  const uint64_t at_end[] = {0x7f3a1c800000};
  const uint64_t around[] = {0x1000, 0x7f3a1bffffff, 0x7f3a1c800000};
  EXPECT_EQ(CategorizeMapping(m, kAllKindsPid, at_start), kThreadStack);
  EXPECT_EQ(CategorizeMapping(m, kAllKindsPid, at_end), kAnon);
  EXPECT_EQ(CategorizeMapping(m, kAllKindsPid, around), kAnon);
  // A pointer in a file or shared mapping does not make it a stack.
  const uint64_t in_libc[] = {0x7f3a1ea19100};
  EXPECT_EQ(CategorizeMapping(mappings_[15], kAllKindsPid, in_libc), kFile);
}

TEST_F(AllKindsTest, RowsWithPaths) {
  EXPECT_EQ(SummarizeMappings(mappings_, kAllKindsPid, sps_, true),
            AllKindsRows(true));
}

TEST_F(AllKindsTest, RowsWithoutPaths) {
  EXPECT_EQ(SummarizeMappings(mappings_, kAllKindsPid, sps_, false),
            AllKindsRows(false));
}

TEST_F(AllKindsTest, RowsAddUpExactlyToPss) {
  uint64_t mapping_pss = 0;
  for (const SmapsMapping& m : mappings_) mapping_pss += m.totals.pss;
  ASSERT_EQ(mapping_pss, kAllKindsPssKib * 1024);
  auto rollup = ParseSmapsRollup(text_);  // sums every mapping's fields
  ASSERT_OK(rollup);
  for (bool keep_paths : {true, false}) {
    uint64_t pss = 0, swap_pss = 0, hugetlb = 0;
    uint32_t n = 0;
    for (const UsageRow& r :
         SummarizeMappings(mappings_, kAllKindsPid, sps_, keep_paths)) {
      pss += r.pss;
      swap_pss += r.swap_pss;
      hugetlb += r.hugetlb;
      n += r.mappings;
    }
    EXPECT_EQ(pss, rollup->pss);
    EXPECT_EQ(pss, kAllKindsPssKib * 1024);
    EXPECT_EQ(swap_pss, kAllKindsSwapPssKib * 1024);
    EXPECT_EQ(swap_pss, rollup->swap_pss);
    EXPECT_EQ(hugetlb, kAllKindsHugetlbKib * 1024);
    EXPECT_EQ(hugetlb, rollup->shared_hugetlb + rollup->private_hugetlb);
    EXPECT_EQ(n, mappings_.size());
  }
}

TEST(MappingCategoryTest, Names) {
  const std::pair<MappingCategory, std::string_view> names[] = {
      {kHeap, "heap"},       {kStack, "stack"}, {kThreadStack, "thread_stack"},
      {kAnon, "anon"},       {kSysv, "sysv"},   {kShmem, "shmem"},
      {kSpecial, "special"}, {kFile, "file"},   {kHugetlb, "hugetlb"},
  };
  ASSERT_EQ(std::size(names), size_t{kNumMappingCategories});
  for (const auto& [c, name] : names) EXPECT_EQ(MappingCategoryName(c), name);
}

TEST(MappingCategoryTest, Perms) {
  for (std::string_view p :
       {"r--p", "r-xp", "rw-p", "rw-s", "---p", "--xp", "rwxs", "r--s"}) {
    MapEntry m;
    m.read = p[0] == 'r';
    m.write = p[1] == 'w';
    m.exec = p[2] == 'x';
    m.shared = p[3] == 's';
    EXPECT_EQ(MappingPerms(m), Perms(p)) << p;
    EXPECT_EQ(FormatPerms(MappingPerms(m)), p);
  }
}

// Names the fixture does not hold.
TEST(MappingCategoryTest, OtherNames) {
  struct Case {
    std::string_view path;
    bool shared;
    uint64_t private_hugetlb;
    MappingCategory want;
    uint64_t sp = 0x800;  // a thread's stack pointer, outside by default
  };
  const Case cases[] = {
      {"/dev/hugepages/db.shm", true, 0, kHugetlb},  // by name, none mapped
      {"/memfd:big (deleted)", true, 2 << 20, kHugetlb},  // MFD_HUGETLB
      {"/memfd:small (deleted)", true, 0, kShmem},
      {"memfd:old", true, 0, kShmem},
      {"[anon_shmem:ring]", true, 0, kShmem},
      {"", true, 0, kShmem},           // shared anonymous without a name
      {"/dev/zero", false, 0, kAnon},  // private /dev/zero is anonymous
      {"/dev/zero", false, 0, kThreadStack, 0x1800},
      {"[anon:stack]", false, 0, kThreadStack, 0x1800},
      {"", true, 0, kShmem, 0x1800},        // a shared mapping is never a stack
      {"[stack:abc]", false, 0, kSpecial},  // not a tid
      {"[uprobes]", false, 0, kSpecial},
      {"/SYSV0000abcd", true, 0, kFile},  // no " (deleted)": not SysV
      {"/dev/shmx", true, 0, kFile},
  };
  for (const Case& c : cases) {
    SmapsMapping m;
    m.map.start = 0x1000;
    m.map.end = 0x2000;
    m.map.read = m.map.write = true;
    m.map.shared = c.shared;
    m.map.path = c.path;
    m.totals.private_hugetlb = c.private_hugetlb;
    const uint64_t sp[] = {c.sp};
    EXPECT_EQ(MappingCategoryName(CategorizeMapping(m, 1, sp)),
              MappingCategoryName(c.want))
        << "\"" << c.path << "\"";
  }
}

TEST(ParseSyscallStackPointerTest, Table) {
  struct Case {
    std::string_view text;
    uint64_t sp;
  };
  const Case cases[] = {
      {"running\n", 0},
      {"-1 0x7ffc2b3e1a48 0x7f1d5b2e7d36\n", 0x7ffc2b3e1a48},
      {"202 0x7f3a1c7ff910 0x80 0x2 0x0 0x0 0x7f3a1c7ff8e0 0x7f3a1c7ff6c0 "
       "0x7f3a1e891d36\n",
       0x7f3a1c7ff6c0},
      {"0 0x9 0x5590c90e7f90 0x2000 0x1000 0x0 0x0 0x7fff72e75620 "
       "0x7f959cd162ec",
       0x7fff72e75620},  // no newline
      {"", 0},
      {"\n", 0},
      {"garbage", 0},
      {"-1 0x7ffc2b3e1a48\n", 0},                     // too few fields
      {"202 0x1 0x2 0x3 0x4 0x5 0x6 0x7\n", 0},       // too few for a syscall
      {"-1 0x1 0x7ffc2b3e1a48 0x7f1d5b2e7d36\n", 0},  // too many for -1
      {"-1 7ffc2b3e1a48 0x7f1d5b2e7d36\n", 0},        // no 0x
      {"-1 0x 0x7f1d5b2e7d36\n", 0},
      {"-1 0xzz 0x7f1d5b2e7d36\n", 0},
      {"x1 0x7ffc2b3e1a48 0x7f1d5b2e7d36\n", 0},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseSyscallStackPointer(c.text), c.sp) << "\"" << c.text << "\"";
  }
}

}  // namespace
}  // namespace memstats::scan
