// Shared test helpers: status assertions. The fake ProcSource lives in
// tests/fake_proc_source.h.
#ifndef MEMSTATS_TESTS_TEST_UTIL_H_
#define MEMSTATS_TESTS_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace memstats::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

// The whole text of tests/fixtures/<relative>; "" when it cannot be read.
inline std::string ReadFixture(std::string_view relative) {
  std::ifstream f(std::string(MEMSTATS_FIXTURES_DIR "/") + std::string(relative),
                  std::ios::binary);
  std::ostringstream text;
  text << f.rdbuf();
  return text.str();
}

}  // namespace memstats::testing

#define ASSERT_OK(expr) \
  ASSERT_TRUE(::memstats::testing::GetStatus(expr).ok()) \
      << ::memstats::testing::GetStatus(expr)
#define EXPECT_OK(expr) \
  EXPECT_TRUE(::memstats::testing::GetStatus(expr).ok()) \
      << ::memstats::testing::GetStatus(expr)

#endif  // MEMSTATS_TESTS_TEST_UTIL_H_
