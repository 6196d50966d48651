// memstats_kinds_helper (kinds_helper.cc) as kinds_e2e_test.cc sees it:
// KindsHelper starts one layout and parses its ready line; ReadSmaps and
// ReadRollup parse the kernel's own per-mapping and per-process summaries,
// which the tests use for runtime noise (stacks, .data) and to compare PSS.
#ifndef MEMSTATS_TESTS_E2E_KINDS_PROCESS_H_
#define MEMSTATS_TESTS_E2E_KINDS_PROCESS_H_

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/proc_files.h"
#include "subprocess.h"

namespace memstats::testing {

// One running layout: started in the constructor, stopped (stdin closed,
// then reaped) by Stop() or the destructor. Its stderr is the test's.
class KindsHelper {
 public:
  struct Region {
    uint64_t start, bytes;
  };

  explicit KindsHelper(const std::string& layout, const std::string& dir = "")
      : helper_(Argv(layout, dir), std::nullopt, 30000) {
    Parse(helper_.ready_line());
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // The parent first, then the children in the order of their roles.
  const std::vector<pid_t>& pids() const { return pids_; }
  const std::vector<Region>& regions() const { return regions_; }
  // A number of the ready line (-1 when absent).
  int64_t value(const std::string& key) const {
    auto it = values_.find(key);
    return it == values_.end() ? -1 : std::stoll(it->second);
  }
  // smaps AnonHugePages / ShmemPmdMapped of the regions of `pid` (-1: none).
  int64_t thp(pid_t pid) const {
    auto it = thp_.find(pid);
    return it == thp_.end() ? -1 : it->second;
  }
  int Stop() { return helper_.Stop(); }

 private:
  static std::vector<std::string> Argv(const std::string& layout,
                                       const std::string& dir) {
    std::vector<std::string> argv = {KINDS_HELPER, layout};
    if (!dir.empty()) argv.insert(argv.end(), {"--dir", dir});
    return argv;
  }
  static std::vector<std::string> Split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string x; std::getline(in, x, sep);)
      if (!x.empty()) out.push_back(x);
    return out;
  }

  void Parse(const std::string& line) {
    std::istringstream in(line);
    std::string word;
    in >> word;
    if (word != "ready") {
      error_ = "bad ready line from the helper: '" + line + "'";
      return;
    }
    while (in >> word) {
      const size_t eq = word.find('=');
      if (eq != std::string::npos)
        values_[word.substr(0, eq)] = word.substr(eq + 1);
    }
    for (const std::string& p : Split(values_["pids"], ','))
      pids_.push_back(std::stoi(p));
    for (const std::string& r : Split(values_["regions"], ',')) {
      const size_t colon = r.find(':');
      regions_.push_back(
          {std::stoull(r.substr(0, colon)), std::stoull(r.substr(colon + 1))});
    }
    for (const std::string& t : Split(values_["thp"], ',')) {
      const size_t colon = t.find(':');
      thp_[std::stoi(t.substr(0, colon))] = std::stoll(t.substr(colon + 1));
    }
    values_.erase("pids");
    values_.erase("regions");
    values_.erase("thp");
    if (pids_.empty()) error_ = "no pids in the ready line: '" + line + "'";
  }

  ReadyHelper helper_;
  std::vector<pid_t> pids_;
  std::vector<Region> regions_;
  std::map<std::string, std::string> values_;
  std::map<pid_t, int64_t> thp_;
  std::string error_;
};

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_E2E_KINDS_PROCESS_H_
