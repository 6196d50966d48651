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

// The identity files a scan reads beyond stat and status (which give pid,
// ppid, uid and comm): one bit each, so a caller reads only those its
// filter, splitters and output look at (ScanOptions::identity).
enum IdentityFile : uint8_t {
  kIdCmdline = 1,  // ProcessIdentity::cmdline
  kIdExe = 2,      // ProcessIdentity::exe
  kIdCgroup = 4,   // ProcessIdentity::cgroup
  kIdAll = kIdCmdline | kIdExe | kIdCgroup,
};

// Identity: everything a filter or a splitter may look at. Cheap to read
// (status, stat, and of cmdline, exe link, cgroup and the environment
// variables those that were asked for).
struct ProcessIdentity {
  int pid = 0;
  int ppid = 0;
  uint32_t uid = 0;          // real uid
  std::string comm;          // status Name (at most 15 bytes, may be non-UTF-8)
  // cmdline, exe and cgroup are empty when the scan was told not to read
  // them (ScanOptions::identity).
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

// A shared-memory object with no name left in the file system: a memfd,
// shared anonymous memory ("/dev/zero (deleted)"), or a deleted file (of a
// tmpfs such as /dev/shm, or of any file system), as /proc/PID/maps or an
// fd link shows it. Such an object lives while some process maps it or holds
// it open, and no more: its memory goes when the last holder lets go.
struct UnlinkedObject {
  // 0 when unknown (an fd whose fdinfo has no "ino:"): then any object
  // with the same path may be this one.
  uint64_t inode = 0;
  std::string path;  // as the kernel prints it, " (deleted)" included
  bool operator==(const UnlinkedObject&) const = default;
  bool operator<(const UnlinkedObject& o) const {
    return inode != o.inode ? inode < o.inode : path < o.path;
  }
};

// The segments of one mapping of an unlinked object: record.segments
// [first_segment, end_segment). `object` indexes ProcessRecord::unlinked.
struct UnlinkedMapping {
  uint32_t object = 0;
  uint32_t first_segment = 0;
  uint32_t end_segment = 0;
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
  // Per sysv_shmids entry, the process's maps lines (VMAs) of the segment:
  // /proc/sysvipc/shm's nattch counts VMAs (ipc/shm.c shm_open/shm_close).
  std::vector<uint32_t> sysv_vmas;
  // With ScanOptions::shm_holders: the unlinked objects it maps or holds
  // open (no duplicates), and its mappings of them (with read_pages).
  std::vector<UnlinkedObject> unlinked;
  std::vector<UnlinkedMapping> unlinked_maps;
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
