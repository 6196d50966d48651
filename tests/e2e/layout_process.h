// The layout helper (layout_helper.cc) as the e2e tests see it: a running
// parent and kChildren children with the memory layout below, started by
// LayoutHelper and stopped when it goes out of scope. e2e_test.cc describes
// what each part of the layout must count as.
#ifndef MEMSTATS_TESTS_E2E_LAYOUT_PROCESS_H_
#define MEMSTATS_TESTS_E2E_LAYOUT_PROCESS_H_

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "subprocess.h"

namespace memstats::testing {

// The environment variable that names each process's role: "parent" in the
// parent, "childA" in even children, "childB" in odd ones.
inline constexpr const char* kEnvKey = "MEMSTATS_E2E_ROLE";

// The layout every test uses, in MiB (counts for kChildren).
inline constexpr int64_t kShared = 64, kSysv = 32, kCow = 48, kParentPriv = 16,
                         kChildPriv = 24, kZero = 64;
inline constexpr int kChildren = 3;

// The layout helper, running: started in the constructor, stopped (stdin
// closed, then reaped) by Stop() or the destructor. Its stderr is the test's.
class LayoutHelper {
 public:
  // Waits up to 60 s for the ready line: touching ~500 MiB takes well under
  // 1 s.
  LayoutHelper() : helper_(Argv(), Env(), 60000) {
    ParseReady(helper_.ready_line());
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  pid_t parent() const { return parent_; }
  const std::vector<pid_t>& children() const { return children_; }
  int shmid() const { return shmid_; }
  // Closes the helper's stdin and reaps it (SIGKILL after 10 s); returns its
  // exit code.
  int Stop() { return helper_.Stop(); }

 private:
  static std::vector<std::string> Argv() {
    auto n = [](int64_t v) { return std::to_string(v); };
    return {LAYOUT_HELPER, "--shared-mib", n(kShared), "--sysv-mib", n(kSysv),
            "--cow-mib", n(kCow), "--parent-private-mib", n(kParentPriv),
            "--child-private-mib", n(kChildPriv), "--zero-mib", n(kZero),
            "--children", n(kChildren), "--env-key", kEnvKey};
  }
  // This process's environment with the parent's role.
  static std::vector<std::string> Env() {
    std::vector<std::string> env;
    const std::string prefix = std::string(kEnvKey) + "=";
    for (const std::string& e : CurrentEnvironment())
      if (e.rfind(prefix, 0) != 0) env.push_back(e);
    env.push_back(prefix + "parent");
    return env;
  }

  // "ready parent=<pid> children=<pid>,<pid>,... shmid=<id>\n"
  void ParseReady(const std::string& line) {
    std::istringstream in(line);
    std::string word, p, c, s;
    in >> word >> p >> c >> s;
    if (word != "ready" || p.rfind("parent=", 0) != 0 ||
        c.rfind("children=", 0) != 0 || s.rfind("shmid=", 0) != 0) {
      error_ = "bad ready line from the helper: '" + line + "'";
      return;
    }
    parent_ = std::stoi(p.substr(7));
    std::stringstream cs(c.substr(9));
    for (std::string x; std::getline(cs, x, ',');)
      children_.push_back(std::stoi(x));
    shmid_ = std::stoi(s.substr(6));
  }

  ReadyHelper helper_;
  pid_t parent_ = -1;
  std::vector<pid_t> children_;
  int shmid_ = -1;
  std::string error_;
};

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_E2E_LAYOUT_PROCESS_H_
