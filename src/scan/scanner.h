// Scanner: reads every process once, in parallel, through a ProcSource.
//
// Thread safety: one Scan() at a time per Scanner; Scan() itself runs its
// work on a oneTBB arena of `threads` threads.
//
// For each pid it reads the identity (stat, status, cmdline, exe, cgroup and
// the environment variables asked for), asks `keep` whether the process is
// wanted, and for the wanted ones reads smaps_rollup, maps and the pagemap
// entries of every mapping (and, with mapping_detail, the full smaps and the
// threads' stack pointers). Processes that exit mid-scan are counted as
// vanished and dropped whole (a half-read process would make totals
// silently wrong); processes it may not read are counted as unreadable.
#ifndef MEMSTATS_SCAN_SCANNER_H_
#define MEMSTATS_SCAN_SCANNER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "scan/memory_budget.h"
#include "scan/parsers.h"
#include "scan/physical_ram.h"
#include "scan/proc_source.h"
#include "scan/process_record.h"
#include "scan/segment_store.h"
#include "scan/shmem_object.h"

namespace memstats::scan {

// pid -> ppid of every process listed, read before the filter runs.
using ParentMap = absl::flat_hash_map<int, int>;

using KeepFn = std::function<bool(const ProcessIdentity&, const ParentMap&)>;

struct ScanOptions {
  int threads = 1;
  // PFNs at or above this are not RAM (device memory behind VM_PFNMAP
  // mappings, or garbage): counted in ScanStats::out_of_range_pfns and left
  // out. 0 means kMaxPhysPfn. See PfnLimit(). The PageCatalog's bitmap has
  // one bit per PFN below the highest one kept, so this also caps it.
  uint64_t pfn_limit = 0;
  absl::flat_hash_set<std::string> env_keys;  // variables to read
  // Which of cmdline, exe and cgroup to read (IdentityFile bits); `keep`,
  // and everything after the scan, sees the others empty. Each costs a
  // file a process, which is much of a small process's cost.
  uint8_t identity = kIdAll;
  bool read_pages = true;                     // pagemap (page-level numbers)
  // smaps_rollup for every process. Page-level accounting does not need it
  // (PSS comes from kpagecount): then it is read only for processes with
  // swap entries, for SwapPss. The kernel computes smaps by walking every
  // page table and takes the process's mmap lock, so skipping it is the
  // largest saving of a scan.
  bool read_smaps = true;
  // Full /proc/PID/smaps, categorized into ProcessRecord::usage (for memstats
  // top and snapshot). Thread stacks are found from the stack pointer in
  // /proc/PID/task/TID/syscall of each thread. kCategories keeps one row
  // per (category, perms); kFiles also keeps the path of file mappings.
  // The smaps read decides, as for the other files, whether the process
  // vanished or is unreadable; a task list or syscall file that cannot be
  // read only leaves thread stacks unknown (ProcessRecord
  // ::unknown_thread_stacks). Independent of read_smaps and read_pages.
  enum class MappingDetail { kNone, kCategories, kFiles };
  MappingDetail mapping_detail = MappingDetail::kNone;
  // With mapping_detail, ProcessRecord::smaps is the sum of the full smaps
  // the detail comes from rather than a second read (smaps_rollup): the
  // kernel walks the page tables once, not twice. The sum differs from
  // smaps_rollup only in Pss rounding (each mapping's Pss is rounded down to
  // a KiB; the rollup rounds the total). The samplers set it; top keeps
  // the rollup, whose Pss its pss column shows beside the categories' sum.
  bool rollup_from_smaps = false;
  // Who holds unlinked shared memory (memfds, deleted tmpfs files): each
  // scanned process's ProcessRecord::unlinked and unlinked_maps, and for
  // the processes `keep` rejects, ScanResult::unlinked_held_outside (their
  // maps and fd links are read too). The fd links of every process are
  // read after the scan, and only when a scanned process maps an unlinked
  // object: otherwise there is nothing a holder could keep alive.
  bool shm_holders = false;
  // A MAP_SHARED mapping of an object whose windows another process's
  // read already holds (ObjectPages) is walked with PAGEMAP_SCAN, and a
  // window whose pages are present where they were then takes that read's
  // PFNs instead of reading its entries again. Off for a capture, which
  // must hold every entry it answers with.
  bool object_pages = true;
  MemoryBudget* budget = nullptr;             // may be null: no cap
  // Called from the scan threads as processes finish; must be thread-safe.
  std::function<void(size_t done, size_t total)> progress;
};

struct ScanStats {
  size_t listed = 0;          // pids in the process directory
  size_t scanned = 0;         // wanted and read whole (records returned)
  size_t filtered_out = 0;    // rejected by `keep`
  size_t kernel_threads = 0;  // excluded
  size_t vanished = 0;        // exited during the scan
  std::vector<int> vanished_pids;    // ascending
  size_t unreadable = 0;      // memory files not readable (permissions)
  std::vector<int> unreadable_pids;  // ascending
  // Present pagemap entries that read PFN 0: PFNs are hidden from us (no
  // CAP_SYS_ADMIN); page-level numbers must not be computed.
  uint64_t zero_pfn_entries = 0;
  bool pfns_hidden = false;
  uint64_t out_of_range_pfns = 0;
  // Non-present entries with bit 62 set that are not swap (pagemap.h
  // PmSwapEntryKind): those naming a resident page (migration, hwpoison,
  // device-private), counted as that page, and PTE markers, counted nowhere.
  uint64_t pfn_swap_entries = 0;
  uint64_t pte_markers = 0;
  // Windows (kWindowPages) of shared objects whose PFNs came from another
  // process's read (ScanOptions::object_pages), not from pagemap.
  uint64_t object_windows_reused = 0;
  // Why page-level numbers (RSS/USS by page) cannot be had from this scan,
  // or empty: PFNs hidden (no CAP_SYS_ADMIN), or a page size other than
  // scan::kPageSize. Then every record has its smaps_rollup read, so PSS
  // and the other smaps-based numbers are still there.
  std::string page_level_off;
  // Shmem objects (ScanResult::shmem_objects) whose swap could not be
  // read: no mapper left, map_files denied (it needs CAP_SYS_ADMIN or
  // CAP_CHECKPOINT_RESTORE), no cachestat.
  size_t shmem_objects_unknown = 0;
  double seconds = 0;
  int threads = 1;
  // The caller left memstats's own process out of the scan (counted in no
  // other field; see cli::RunScan).
  bool self_excluded = false;
};

struct ScanResult {
  std::vector<ProcessRecord> processes;  // ascending pid
  std::unique_ptr<SegmentStore> segments;  // the records' page lists
  ScanStats stats;
  ParentMap parents;
  std::vector<SysvSegment> sysv;  // empty when /proc/sysvipc/shm is missing
  // With ScanOptions::shm_holders: unlinked objects mapped or held open by
  // processes the filter left out (sorted, unique).
  std::vector<UnlinkedObject> unlinked_held_outside;
  // The tmpfs, memfd and shared anonymous objects the records map, sorted
  // by key (ReadShmemObjects): each object's swapped pages, which pagemap
  // cannot show.
  std::vector<ShmemObject> shmem_objects;
};

// Reads smaps_rollup for every record of `result` (Scan() does, when a scan
// with read_smaps off finds PFNs hidden). Records whose process vanished or
// turned unreadable are dropped and counted.
void ReadSmapsRollups(ProcSource& source, ScanResult& result, int threads);

// Adds every field of `from` to `to` (a whole smaps summed, as
// smaps_rollup sums it).
void AddSmapsTotals(const SmapsTotals& from, SmapsTotals& to);

// The user stack pointers of the process's threads other than the main
// one, ascending (for CategorizeMapping), from task/TID/syscall. Sets
// *threads to the number of tasks listed (left alone when the task list
// cannot be read) and adds to *unknown the threads whose pointer could not
// be read (on a CPU, exited, or no ptrace permission).
std::vector<uint64_t> ReadThreadStackPointers(ProcHandle& h, int* threads,
                                              int* unknown);

// Page-level availability is decided from what the scan found, not from
// privileges: when every present entry read PFN 0 (no CAP_SYS_ADMIN, as
// for root in a default container), or the source's page size is not
// kPageSize (then no pagemap is read at all), stats.page_level_off says so
// and every record's smaps_rollup is read, whatever options.read_smaps.
//
// Fails with ResourceExhaustedError when the memory budget is exceeded, and
// with the ProcSource's error when the process list cannot be read.
absl::StatusOr<ScanResult> Scan(ProcSource& source, const ScanOptions& options,
                                const KeepFn& keep);

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_SCANNER_H_
