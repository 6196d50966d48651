// What the scanner knows about one process after reading it once.
#ifndef MEMSTATS_SCAN_PROCESS_RECORD_H_
#define MEMSTATS_SCAN_PROCESS_RECORD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "scan/mapping_category.h"
#include "scan/shmem_object.h"

namespace memstats::scan {

// Identity: everything a filter or a splitter may look at. Cheap to read
// (status, stat, cmdline, exe link, cgroup, and the environment variables
// that were asked for).
struct ProcessIdentity {
  int pid = 0;
  int ppid = 0;
  uint32_t uid = 0;          // real uid
  std::string comm;          // status Name (at most 15 bytes, may be non-UTF-8)
  std::string exe;           // target of /proc/PID/exe, empty if unreadable
  std::vector<std::string> cmdline;  // argv, empty for kernel threads
  std::string cgroup;        // see ParseCgroup
  // Only the variables some filter or splitter named; unset ones are absent.
  absl::flat_hash_map<std::string, std::string> env;
  bool kernel_thread = false;
};

// Sums from /proc/PID/smaps_rollup, in bytes.
struct SmapsTotals {
  uint64_t rss = 0;
  uint64_t pss = 0;
  uint64_t pss_anon = 0;
  uint64_t pss_file = 0;
  uint64_t pss_shmem = 0;
  uint64_t shared_clean = 0;
  uint64_t shared_dirty = 0;
  uint64_t private_clean = 0;
  uint64_t private_dirty = 0;
  uint64_t anonymous = 0;
  uint64_t swap = 0;
  uint64_t swap_pss = 0;
  uint64_t shared_hugetlb = 0;
  uint64_t private_hugetlb = 0;
};

// A run of `count` physical pages starting at page frame `pfn`, each
// referenced once by the process (one page-table entry each).
struct PfnRun {
  uint64_t pfn = 0;
  uint64_t count = 0;
  bool operator==(const PfnRun&) const = default;
};

struct ProcessRecord {
  ProcessIdentity id;
  SmapsTotals smaps;
  // Present pages with a real PFN, in virtual address order, as ids of
  // segments in the scan's SegmentStore (one per 2 MiB window that has
  // any). Empty when PFNs are hidden (not root).
  std::vector<uint32_t> segments;
  // Swapped-out pages, as PmSwapKey() values, in virtual address order.
  std::vector<uint64_t> swap;
  // SysV segments the process attaches (shmid, from the maps inode field).
  std::vector<int> sysv_shmids;
  // Other shared memory objects it maps (tmpfs files, memfd, shared
  // anonymous memory), one reference each, by key.
  std::vector<ShmemMapRef> shmem_maps;
  uint64_t vm_pte_bytes = 0;  // page tables, status VmPTE
  uint64_t vm_hwm_bytes = 0;  // peak resident set size, status VmHWM
  // With ScanOptions::mapping_detail: the process's full smaps summed per
  // (category, path, perms); paths kept only for kFiles. `usage_pss` is the
  // sum of every mapping's Pss (what the rows add up to), `threads` the
  // number of tasks listed (0 when the task list could not be read).
  // `unknown_thread_stacks` counts the threads other than the main one whose
  // stack pointer could not be read (on a CPU at that moment, exited, or
  // task/TID/syscall unreadable: it needs ptrace attach permission); their
  // stacks are in the kAnon rows.
  std::vector<UsageRow> usage;
  uint64_t usage_pss = 0;
  int threads = 0;
  int unknown_thread_stacks = 0;
};

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_PROCESS_RECORD_H_
