// Helpers for the scanner tests over FakeProcSource (scanner_fault_test.cc,
// scanner_usage_test.cc).
#ifndef MEMSTATS_TESTS_SCAN_SCANNER_FAULT_UTIL_H_
#define MEMSTATS_TESTS_SCAN_SCANNER_FAULT_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fake_proc_source.h"
#include "scan/pagemap.h"
#include "scan/scanner.h"

namespace memstats::scan {

inline constexpr uint64_t kBase = 0x10000;  // first mapped address
inline constexpr uint64_t kBaseVpn = kBase >> kPageShift;

// A process with one 8-page mapping at kBase; `pfns` gives the PFN of each
// present page from the start of the mapping (0 = not present).
inline testing::FakeProcSource::Process& AddProcess(
    testing::FakeProcSource& src, int pid, std::vector<uint64_t> pfns,
    std::string comm = "worker") {
  testing::FakeProcSource::Process& p = src.Add(pid);
  p.files["stat"] = absl::StrCat(pid, " (", comm, ") S 1 ", pid, " ", pid,
                                 " 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100");
  p.files["status"] = absl::StrCat("Name:\t", comm, "\nPPid:\t1\nUid:\t1000\t",
                                   "1000\t1000\t1000\nVmPTE:\t      48 kB\n");
  p.files["cmdline"] =
      absl::StrCat(comm, std::string(1, '\0'), "--flag", std::string(1, '\0'));
  p.files["cgroup"] = "0::/user.slice\n";
  p.files["smaps_rollup"] =
      "00010000-7ffff000 ---p 00000000 00:00 0    [rollup]\n"
      "Rss:                  32 kB\nPss:                  32 kB\n";
  p.files["maps"] = "00010000-00018000 rw-p 00000000 00:00 0 \n";
  p.exe = "/usr/bin/" + comm;
  for (size_t i = 0; i < pfns.size(); ++i) {
    if (pfns[i] != 0) p.pagemap[kBaseVpn + i] = kPmPresent | pfns[i];
  }
  return p;
}

inline KeepFn KeepAll() {
  return [](const ProcessIdentity&, const ParentMap&) { return true; };
}

inline ScanOptions Options() {
  ScanOptions o;
  o.threads = 2;
  return o;
}

}  // namespace memstats::scan

#endif  // MEMSTATS_TESTS_SCAN_SCANNER_FAULT_UTIL_H_
