// tmpfs mounts and the files in them, behind a small interface (FsSource)
// so that tests can answer statvfs and directory walks without a real
// tmpfs.
//
// Thread safety: FsSource implementations here are stateless; call them
// from any thread.
#ifndef MEMSTATS_MACHINE_TMPFS_H_
#define MEMSTATS_MACHINE_TMPFS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "scan/mountinfo.h"

namespace memstats::machine {

using scan::ParseTmpfsMounts;
using scan::TmpfsMount;

// statvfs of a mount, in bytes and inodes.
struct FsUsage {
  uint64_t size_bytes = 0;
  uint64_t used_bytes = 0;
  uint64_t inodes = 0;
  uint64_t inodes_used = 0;
};

struct TmpfsMountInfo {
  TmpfsMount mount;
  bool usage_known = false;  // statvfs answered
  FsUsage usage;
  // A later mount of the same file system (a bind mount): its files are
  // listed under the first mount point only.
  bool duplicate = false;
  // Another mount sits on the same mount point: its path reaches the other
  // file system, so this one's files and usage cannot be seen from here.
  bool covered = false;
};

struct TmpfsFile {
  std::string path;        // absolute, under the mount point
  uint64_t inode = 0;
  uint64_t size = 0;       // st_size
  uint64_t allocated = 0;  // st_blocks * 512: pages in RAM or swap
  // Of them, in swap (scan::ShmemUsage::swapped); nullopt when unknown (no
  // cachestat, or the file could not be opened).
  std::optional<uint64_t> swapped;
};

// The files of one mount, and the device the walk actually found at its
// mount point (another file system when the mount is covered).
struct TmpfsListing {
  uint32_t major = 0, minor = 0;
  std::vector<TmpfsFile> files;
};

class FsSource {
 public:
  virtual ~FsSource() = default;
  virtual absl::StatusOr<FsUsage> StatVfs(const std::string& mount_point) = 0;
  // Every regular file under mount_point on the same file system, symbolic
  // links never followed, with its swapped bytes for those that have
  // allocated pages. Fails when the mount point cannot be opened.
  virtual absl::StatusOr<TmpfsListing> ListFiles(
      const std::string& mount_point) = 0;
};

// The real file systems: statvfs(2), and a walk with openat(O_NOFOLLOW |
// O_DIRECTORY) and fstatat(AT_SYMLINK_NOFOLLOW) that never leaves the
// mount's device and never follows a symbolic link. Walks at most 64
// directories deep and 1,000,000 files. A file with allocated pages is
// opened (openat O_NOFOLLOW | O_NONBLOCK, read-only, checked to be the
// inode listed) for its swap (scan::ShmemUsageOfFd).
std::unique_ptr<FsSource> NewLiveFsSource();

// Answers nothing: for sources that are not the live /proc (a fixture
// tree's mounts are not on this machine). StatVfs and ListFiles fail with
// UnavailableError.
std::unique_ptr<FsSource> NewNoFsSource();

}  // namespace memstats::machine

#endif  // MEMSTATS_MACHINE_TMPFS_H_
