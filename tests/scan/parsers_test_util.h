// Helpers shared by the parsers_*_test.cc files.
#ifndef MEMSTATS_TESTS_SCAN_PARSERS_TEST_UTIL_H_
#define MEMSTATS_TESTS_SCAN_PARSERS_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "scan/parsers.h"
#include "scan/process_record.h"

namespace memstats::scan {

inline constexpr uint64_t kKiB = 1024;

// An input and the exact error it must give.
struct ErrorCase {
  std::string_view input;
  std::string_view message;
};

template <typename T>
void ExpectError(const absl::StatusOr<T>& result, std::string_view message) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(result.status().message()), std::string(message));
}

// A MapEntry from the fields of a maps line; perms as in maps ("r-xp").
inline MapEntry Map(uint64_t start, uint64_t end, std::string_view perms,
                    uint64_t offset, uint32_t major, uint32_t minor,
                    uint64_t inode, std::string_view path) {
  MapEntry m;
  m.start = start;
  m.end = end;
  m.read = perms[0] == 'r';
  m.write = perms[1] == 'w';
  m.exec = perms[2] == 'x';
  m.shared = perms[3] == 's';
  m.offset = offset;
  m.dev_major = major;
  m.dev_minor = minor;
  m.inode = inode;
  m.path = path;
  return m;
}

inline void ExpectTotals(const SmapsTotals& got, const SmapsTotals& want) {
  EXPECT_EQ(got.rss, want.rss);
  EXPECT_EQ(got.pss, want.pss);
  EXPECT_EQ(got.pss_anon, want.pss_anon);
  EXPECT_EQ(got.pss_file, want.pss_file);
  EXPECT_EQ(got.pss_shmem, want.pss_shmem);
  EXPECT_EQ(got.shared_clean, want.shared_clean);
  EXPECT_EQ(got.shared_dirty, want.shared_dirty);
  EXPECT_EQ(got.private_clean, want.private_clean);
  EXPECT_EQ(got.private_dirty, want.private_dirty);
  EXPECT_EQ(got.anonymous, want.anonymous);
  EXPECT_EQ(got.swap, want.swap);
  EXPECT_EQ(got.swap_pss, want.swap_pss);
  EXPECT_EQ(got.shared_hugetlb, want.shared_hugetlb);
  EXPECT_EQ(got.private_hugetlb, want.private_hugetlb);
}

}  // namespace memstats::scan

#endif  // MEMSTATS_TESTS_SCAN_PARSERS_TEST_UTIL_H_
