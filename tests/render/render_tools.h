// For the tests that hand a rendered file to another program (python3's
// XML parser, rsvg-convert, Chromium through Selenium): a temporary file,
// and the check that those programs are installed.
#ifndef MEMSTATS_TESTS_RENDER_RENDER_TOOLS_H_
#define MEMSTATS_TESTS_RENDER_RENDER_TOOLS_H_

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace memstats::testing {

// The Debian packages scripts/build.sh installs for these tests.
inline constexpr char kRenderToolPackages[] =
    "librsvg2-bin chromium chromium-driver python3-selenium";

// "" when every file (program or module) in `paths` exists; otherwise a message
// naming the missing ones. The caller skips on it, except under CI=true, where
// every test must run and a missing tool is a failure.
inline std::string MissingTools(const std::vector<std::string>& paths) {
  std::string missing;
  for (const std::string& p : paths) {
    if (::access(p.c_str(), F_OK) != 0) missing += " " + p;
  }
  if (missing.empty()) return "";
  return "missing" + missing + " (scripts/install_packages.sh " +
         kRenderToolPackages + ")";
}

inline bool UnderCi() {
  const char* ci = ::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

#define MEMSTATS_REQUIRE_TOOLS(...)                                        \
  do {                                                                     \
    std::string missing_ = ::memstats::testing::MissingTools(__VA_ARGS__); \
    if (!missing_.empty()) {                                               \
      if (::memstats::testing::UnderCi()) FAIL() << missing_;              \
      GTEST_SKIP() << missing_;                                            \
    }                                                                      \
  } while (0)

// A directory under $TMPDIR (or /tmp), removed with its files at the end
// of the test.
class TempDir {
 public:
  TempDir() {
    const char* tmp = ::getenv("TMPDIR");
    std::string tmpl =
        std::string(tmp ? tmp : "/tmp") + "/memstats-render-XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    for (const std::string& f : files_) std::remove(f.c_str());
    if (!path_.empty()) ::rmdir(path_.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to the directory's file `name`; returns its path.
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = path_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    files_.push_back(path);
    return path;
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_RENDER_RENDER_TOOLS_H_
