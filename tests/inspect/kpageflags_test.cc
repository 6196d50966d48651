#include "inspect/kpageflags.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace memstats::inspect {
namespace {

// Every stable bit, as numbered in include/uapi/linux/kernel-page-flags.h.
TEST(KpageflagsTest, StableBitNames) {
  const std::vector<std::string> expected = {
      "LOCKED",     "ERROR",         "REFERENCED",    "UPTODATE",
      "DIRTY",      "LRU",           "ACTIVE",        "SLAB",
      "WRITEBACK",  "RECLAIM",       "BUDDY",         "MMAP",
      "ANON",       "SWAPCACHE",     "SWAPBACKED",    "COMPOUND_HEAD",
      "COMPOUND_TAIL", "HUGE",       "UNEVICTABLE",   "HWPOISON",
      "NOPAGE",     "KSM",           "THP",           "OFFLINE",
      "ZERO_PAGE",  "IDLE",          "PGTABLE"};
  ASSERT_EQ(expected.size(), 27u);
  for (int bit = 0; bit < 27; ++bit) {
    EXPECT_EQ(KpageflagName(bit), expected[static_cast<size_t>(bit)])
        << "bit " << bit;
  }
}

TEST(KpageflagsTest, KernelInternalAndUnnamedBits) {
  EXPECT_EQ(KpageflagName(32), "RESERVED");
  EXPECT_EQ(KpageflagName(33), "MLOCKED");
  EXPECT_EQ(KpageflagName(40), "SOFTDIRTY");
  EXPECT_EQ(KpageflagName(41), "ARCH_2");
  EXPECT_EQ(KpageflagName(27), "");
  EXPECT_EQ(KpageflagName(31), "");
  EXPECT_EQ(KpageflagName(42), "");
  EXPECT_EQ(KpageflagName(63), "");
  EXPECT_EQ(KpageflagName(-1), "");
  EXPECT_EQ(KpageflagName(64), "");
}

TEST(KpageflagsTest, DecodeInBitOrder) {
  // An anonymous page on the active LRU: UPTODATE 3, DIRTY 4, LRU 5,
  // ACTIVE 6, MMAP 11, ANON 12, SWAPBACKED 14.
  const uint64_t anon = (1ULL << 3) | (1ULL << 4) | (1ULL << 5) |
                        (1ULL << 6) | (1ULL << 11) | (1ULL << 12) |
                        (1ULL << 14);
  EXPECT_EQ(DecodeKpageflags(anon),
            (std::vector<std::string>{"UPTODATE", "DIRTY", "LRU", "ACTIVE",
                                      "MMAP", "ANON", "SWAPBACKED"}));
  EXPECT_EQ(KpageflagsText(anon),
            "UPTODATE,DIRTY,LRU,ACTIVE,MMAP,ANON,SWAPBACKED");
  // The zero page as the fixture has it: ZERO_PAGE 24 and RESERVED 32.
  EXPECT_EQ(KpageflagsText((1ULL << 24) | (1ULL << 32)), "ZERO_PAGE,RESERVED");
  // A THP tail of an anonymous huge page: COMPOUND_TAIL 16, THP 22.
  EXPECT_EQ(KpageflagsText((1ULL << 16) | (1ULL << 22) | (1ULL << 12)),
            "ANON,COMPOUND_TAIL,THP");
}

TEST(KpageflagsTest, UnnamedBitsAreShownByNumber) {
  EXPECT_EQ(KpageflagsText((1ULL << 0) | (1ULL << 30) | (1ULL << 63)),
            "LOCKED,BIT30,BIT63");
  EXPECT_EQ(KpageflagsText(0), "");
  EXPECT_TRUE(DecodeKpageflags(0).empty());
  EXPECT_EQ(DecodeKpageflags(~uint64_t{0}).size(), 64u);
}

}  // namespace
}  // namespace memstats::inspect
