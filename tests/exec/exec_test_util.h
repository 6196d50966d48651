// Helpers of the tests of src/exec: a temporary directory, whole-file reads
// and writes, and the rule for tests that need root.
#ifndef MEMSTATS_TESTS_EXEC_EXEC_TEST_UTIL_H_
#define MEMSTATS_TESTS_EXEC_EXEC_TEST_UTIL_H_

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include "gtest/gtest.h"

namespace memstats::testing {

// A fresh directory under /tmp, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/memstats_exec_XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Path(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// The whole file; "" when it cannot be read.
inline std::string ReadText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream text;
  text << f.rdbuf();
  return text.str();
}

inline bool WriteText(const std::string& path, std::string_view text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  return static_cast<bool>(f);
}

// Waits up to timeout_ms for `path` to exist.
inline bool WaitForFile(const std::string& path, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!std::filesystem::exists(path)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

inline bool UnderCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

}  // namespace memstats::testing

// Tests that need root: skipped for a developer without it, a failure
// under CI=true (CI runs the suite as root; a skip there would hide that
// the test never ran).
#define MEMSTATS_REQUIRE_ROOT()                                              \
  do {                                                                       \
    if (::geteuid() != 0) {                                                  \
      if (::memstats::testing::UnderCi()) FAIL() << "needs root (CI=true)"; \
      GTEST_SKIP() << "needs root";                                          \
    }                                                                        \
  } while (0)

#endif  // MEMSTATS_TESTS_EXEC_EXEC_TEST_UTIL_H_
