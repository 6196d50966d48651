// Shared memory objects other than SysV segments (tmpfs and /dev/shm files,
// memfd, shared anonymous memory), and what the kernel says of each whole
// object: its pages in RAM and in swap.
//
// Why: reclaim takes a swapped-out shmem page out of every page table and
// keeps its swap entry in the object, so pagemap shows nothing for it. The
// object itself knows. cachestat(2) (Linux 6.5) counts, over a shmem file,
// the page cache pages (nr_cache) and the swap entries in its page cache
// tree (nr_evicted: for shmem an "evicted" page is a swapped one), without
// faulting or touching a page. That is the same count as the shmem inode's
// `swapped` that smaps `Swap` of a whole-object mapping and
// /proc/sysvipc/shm's swap report. st_blocks (RAM + swap) alone cannot
// tell the two apart, and smaps Swap only covers the mapped range of the
// mappings of one process.
//
// Thread safety: plain functions and structs.
#ifndef MEMSTATS_SCAN_SHMEM_OBJECT_H_
#define MEMSTATS_SCAN_SHMEM_OBJECT_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"

namespace memstats::scan {

struct MapEntry;  // scan/parsers.h

// An object as maps names it: its device and inode.
struct ShmemKey {
  uint32_t major = 0, minor = 0;
  uint64_t inode = 0;
  bool operator==(const ShmemKey& o) const {
    return std::tie(major, minor, inode) == std::tie(o.major, o.minor, o.inode);
  }
  bool operator<(const ShmemKey& o) const {
    return std::tie(major, minor, inode) < std::tie(o.major, o.minor, o.inode);
  }
  template <typename H>
  friend H AbslHashValue(H h, const ShmemKey& k) {
    return H::combine(std::move(h), k.major, k.minor, k.inode);
  }
};

enum class ShmemKind {
  kTmpfsFile,   // a file of a tmpfs mount (/dev/shm: POSIX shm_open)
  kMemfd,       // "/memfd:NAME (deleted)"
  kSharedAnon,  // MAP_SHARED|MAP_ANONYMOUS: "/dev/zero (deleted)",
                // "[anon_shmem:NAME]"
};
const char* ShmemKindName(ShmemKind kind);  // "tmpfs", "memfd", "shared_anon"

// Whole-object figures of one shmem file, in bytes.
struct ShmemUsage {
  uint64_t size = 0;       // st_size
  uint64_t allocated = 0;  // st_blocks * 512: its pages in RAM and in swap
  uint64_t links = 0;      // st_nlink: 0 for memfd, shared anonymous memory
                           // and a deleted tmpfs file
  uint64_t resident = 0;   // cachestat nr_cache
  uint64_t swapped = 0;    // cachestat nr_evicted: its pages in swap
};

// fstat, fstatfs and cachestat of an open file. Fails with
// FailedPreconditionError when the file is not on a tmpfs (shmem) file
// system (a hugetlbfs memfd, anything else), NotFoundError when `expect`
// is given and the file is another object (the mapping or the name changed
// since it was listed), UnimplementedError when the kernel has no
// cachestat (before 6.5).
absl::StatusOr<ShmemUsage> ShmemUsageOfFd(int fd,
                                          const ShmemKey* expect = nullptr);

// A process's mapping of a shmem object: the first one of the object in its
// maps (the range opens /proc/PID/map_files/START-END).
struct ShmemMapRef {
  ShmemKey key;
  ShmemKind kind = ShmemKind::kTmpfsFile;
  uint64_t start = 0, end = 0;
  std::string path;  // as maps shows it
};

// The devices of the tmpfs mounts (major, minor).
using TmpfsDevices = absl::flat_hash_set<std::pair<uint32_t, uint32_t>>;

// The kind of shmem object `m` maps, or nullopt when it maps none (or a
// SysV segment: /proc/sysvipc/shm accounts for those). Shared and private
// mappings alike: a private mapping's pages that were never written are
// the object's.
std::optional<ShmemKind> ShmemMapKind(const MapEntry& m,
                                      const TmpfsDevices& tmpfs_devices);

// The shmem objects of a process's maps, one reference each (its first
// mapping), by key.
std::vector<ShmemMapRef> ShmemMapRefs(const std::vector<MapEntry>& maps,
                                      const TmpfsDevices& tmpfs_devices);

// One object of a scan. `usage` is nullopt when no mapper could answer for
// it: every mapper exited, map_files needs CAP_SYS_ADMIN or
// CAP_CHECKPOINT_RESTORE, a kernel before 6.5, or a source that is not the
// live /proc.
struct ShmemObject {
  ShmemKey key;
  ShmemKind kind = ShmemKind::kTmpfsFile;
  std::string path;  // as the first mapper's maps shows it
  std::optional<ShmemUsage> usage;
  uint64_t swapped() const { return usage ? usage->swapped : 0; }
};

// The devices of the tmpfs mounts in the source's self/mountinfo; empty
// when it cannot be read or parsed.
class ProcSource;
struct ProcessRecord;
TmpfsDevices ReadTmpfsDevices(ProcSource& source);

// Every object the records' shmem_maps name, sorted by key, each asked of
// one of its mappers (in record order, the next one when a mapper exited or
// no longer maps it) through ProcHandle::MappedShmemUsage. Objects that
// turn out not to be shmem (a hugetlbfs memfd) are left out. `unknown`
// counts those with no usage.
std::vector<ShmemObject> ReadShmemObjects(
    ProcSource& source, const std::vector<ProcessRecord>& records,
    size_t* unknown);

// The object of `key` in `objects` (sorted by key), or null.
const ShmemObject* FindShmemObject(std::span<const ShmemObject> objects,
                                   const ShmemKey& key);

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_SHMEM_OBJECT_H_
