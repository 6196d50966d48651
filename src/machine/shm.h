// The machine's shared memory: SysV segments, tmpfs mounts and files,
// memfd objects, and the memory no process holds (memstats shm).
//
// Resident pages of a shared object are counted from the page tables of the
// processes that map it: their /proc/PID/maps ranges of the object, read in
// pagemap, the distinct PFNs over all mappers, with kpageflags for hugetlb
// pages. Nothing touches the objects' pages. A page no mapper has in its
// page tables (never touched by a mapper, or left over after the mappers
// exited) is not seen this way: /proc/sysvipc/shm's rss counts it for SysV
// segments, st_blocks for tmpfs files.
//
// Thread safety: CollectShm is a plain function; call it from one thread.
#ifndef MEMSTATS_MACHINE_SHM_H_
#define MEMSTATS_MACHINE_SHM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "machine/tmpfs.h"
#include "scan/parsers.h"
#include "scan/proc_source.h"
#include "scan/process_record.h"
#include "scan/scanner.h"
#include "scan/shmem_object.h"
#include "splitters/splitter.h"

namespace memstats::machine {

// A process that maps an object, and the object's pages in its page tables.
struct Mapper {
  int pid = 0;
  uint32_t uid = 0;
  std::string comm;
  uint64_t resident_pages = 0;  // present pagemap entries of its mappings
};

// Distinct resident pages of an object over all its mappers.
struct Residency {
  uint64_t pages = 0;            // base pages, hugetlb ones included
  uint64_t base_pages = 0;       // of them, not in a hugetlb page
  uint64_t huge_base_pages = 0;  // of them, in hugetlb pages (kpageflags HUGE)
  // huge_base_pages in units of ShmReport::hugepage_size (0 when unknown).
  uint64_t huge_pages = 0;
};

struct SysvRow {
  scan::SysvSegment seg;
  std::string owner;  // user name of seg.uid, or the uid as text
  bool hugetlb = false;  // SHM_HUGETLB: some mapped page is HUGE
  Residency mapped;      // from the attachers' page tables
  // seg.rss and mapped.pages as % of seg.size (0 for an empty segment).
  double rss_percent = 0;
  double mapped_percent = 0;
  std::vector<Mapper> attachers;  // scanned processes attaching it, by pid
  // Per splitter (ShmReport::split_names), the groups of the attachers,
  // sorted.
  std::vector<std::vector<std::string>> groups;
};

struct MemfdRow {
  std::string name;      // NAME of "/memfd:NAME (deleted)"
  uint64_t inode = 0;
  uint64_t mapped_extent = 0;  // highest offset+length mapped, bytes
  Residency mapped;
  std::vector<Mapper> mappers;
  // The whole object (scan::ShmemObject): size, allocated, swapped. nullopt
  // when unknown, and for a hugetlbfs memfd (never swapped).
  std::optional<scan::ShmemUsage> usage;
};

struct TmpfsFileRow {
  TmpfsFile file;
  std::string mount_point;
  Residency mapped;
  std::vector<Mapper> mappers;
};

// An object no process maps: a SysV segment with nattch 0 (bytes = its rss
// + swap) or a tmpfs file that no process maps (bytes = st_blocks * 512).
struct NobodyRow {
  std::string kind;  // "sysv" or "tmpfs"
  std::string name;  // "key 0x... shmid N" or the file's path
  uint64_t bytes = 0;
  // Of `bytes`, in swap (sysvipc swap; the file's swapped pages); nullopt
  // when unknown.
  std::optional<uint64_t> swap_bytes;
};

// Shared memory in swap, by kind of object, in bytes: every SysV segment
// (/proc/sysvipc/shm), every tmpfs file walked, every memfd seen mapped.
struct ShmSwap {
  uint64_t sysv = 0;
  uint64_t tmpfs = 0;
  uint64_t memfd = 0;
  size_t unknown = 0;  // tmpfs files and memfds whose swap is unknown
  uint64_t total() const { return sysv + tmpfs + memfd; }
};

struct ShmReport {
  std::vector<std::string> split_names;
  std::vector<SysvRow> sysv;            // by shmid
  std::vector<TmpfsMountInfo> mounts;   // tmpfs mounts, mountinfo order
  std::vector<TmpfsFileRow> files;      // largest first, at most `top`
  size_t files_total = 0;               // regular files found in all mounts
  std::vector<MemfdRow> memfds;         // largest resident first
  std::vector<NobodyRow> nobody;        // largest first, at most `top`
  size_t nobody_count = 0;              // all of them
  uint64_t nobody_bytes = 0;            // all of them
  uint64_t nobody_swap_bytes = 0;       // of nobody_bytes, in swap
  ShmSwap swap;
  bool page_level = true;  // false when pagemap hides PFNs (no CAP_SYS_ADMIN)
  std::string page_level_note;
  uint64_t page_size = 4096;
  uint64_t hugepage_size = 0;  // meminfo Hugepagesize, 0 when unknown
  std::vector<std::string> warnings;  // mounts that could not be walked
  scan::ScanStats scan;
};

struct ShmOptions {
  size_t top = 10;  // files and nobody rows listed
  std::vector<const splitters::Splitter*> splits;
  splitters::UidNamer namer;  // user names for SysV owners; may be null
};

// Builds the report from a scan (identity only: its page lists are not
// used) and the source: reads /proc/sysvipc/shm, self/mountinfo, each
// scanned process's maps and the pagemap of its shared mappings, and
// kpageflags of the PFNs found. Processes that vanish meanwhile are left
// out. `fs` answers statvfs and the tmpfs file walks.
absl::StatusOr<ShmReport> CollectShm(scan::ProcSource& source, FsSource& fs,
                                     const scan::ScanResult& scan,
                                     const ShmOptions& options);

}  // namespace memstats::machine

#endif  // MEMSTATS_MACHINE_SHM_H_
