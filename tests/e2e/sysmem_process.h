// memstats_sysmem_helper (sysmem_helper.cc, which describes the layouts) as
// the sysmem tests see it: started by the constructor with a mode and its
// options, stopped (stdin closed, then reaped) by Stop() or the destructor.
// Its stderr is the test's.
#ifndef MEMSTATS_TESTS_E2E_SYSMEM_PROCESS_H_
#define MEMSTATS_TESTS_E2E_SYSMEM_PROCESS_H_

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "subprocess.h"

namespace memstats::testing {

class SysmemHelper {
 public:
  // Runs `memstats_sysmem_helper <args>` and reads its ready line (up to
  // 20 s: paging out and KSM setup take well under a second).
  explicit SysmemHelper(const std::vector<std::string>& args)
      : helper_(Argv(args), std::nullopt, 20000) {
    Parse(helper_.ready_line());
  }
  SysmemHelper(const SysmemHelper&) = delete;
  SysmemHelper& operator=(const SysmemHelper&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  pid_t parent() const { return Int("parent"); }
  pid_t child() const { return Int("child"); }
  // A number from the ready line ("shmid"); -1 when absent.
  int Int(const std::string& key) const {
    auto it = fields_.find(key);
    return it == fields_.end() ? -1 : std::stoi(it->second);
  }

  // Closes the helper's stdin and reaps it (SIGKILL after 10 s); returns
  // its exit code.
  int Stop() { return helper_.Stop(); }

 private:
  static std::vector<std::string> Argv(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {SYSMEM_HELPER};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // "ready key=value key=value ...\n", with at least parent= and child=.
  void Parse(const std::string& line) {
    std::istringstream in(line);
    std::string word;
    in >> word;
    for (std::string kv; in >> kv;) {
      const size_t eq = kv.find('=');
      if (eq != std::string::npos)
        fields_[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (word != "ready" || !fields_.count("parent") || !fields_.count("child"))
      error_ = "bad ready line from the helper: '" + line + "'";
  }

  ReadyHelper helper_;
  std::map<std::string, std::string> fields_;
  std::string error_;
};

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_E2E_SYSMEM_PROCESS_H_
