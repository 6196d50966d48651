// ProcSource: the one door to the operating system's process information.
//
// Thread safety: a ProcSource may be used from many threads at once (the
// scanner calls it from oneTBB tasks). A ProcHandle it returns belongs to one
// thread at a time.
//
// Every /proc path the program reads goes through here, so tests can point
// memstats at a directory tree shaped like /proc (tests/fixtures/) or at a
// fake that records reads and injects failures.
//
// Errors: a process that exited is reported as absl::NotFoundError (ENOENT,
// ESRCH); a file the caller may not read as absl::PermissionDeniedError. The
// scanner counts both and carries on.
#ifndef MEMSTATS_SCAN_PROC_SOURCE_H_
#define MEMSTATS_SCAN_PROC_SOURCE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "scan/shmem_object.h"

namespace memstats::scan {

// One process, opened once. The live implementation holds a directory fd on
// /proc/PID, so a process that exits afterwards reads as NotFound and a
// recycled pid is never read by mistake.
class ProcHandle {
 public:
  virtual ~ProcHandle() = default;
  virtual int pid() const = 0;

  // Reads the whole file /proc/PID/<name>, e.g. "status", "smaps_rollup".
  virtual absl::StatusOr<std::string> ReadFile(std::string_view name) = 0;

  // Reads the target of the symbolic link /proc/PID/<name> ("exe").
  virtual absl::StatusOr<std::string> ReadLink(std::string_view name) = 0;

  // Reads out.size() pagemap entries starting at virtual page number
  // first_vpn. Entries beyond the end of the file read as 0 (not present).
  virtual absl::Status ReadPagemap(uint64_t first_vpn,
                                   std::span<uint64_t> out) = 0;

  // Thread ids of the process (the entries of /proc/PID/task), ascending.
  // Their files are read as ReadFile("task/TID/syscall").
  virtual absl::StatusOr<std::vector<int>> ListTasks() {
    return std::vector<int>{pid()};
  }

  // Open file descriptors of the process (the entries of /proc/PID/fd),
  // ascending; read one with ReadLink("fd/N"), never followed. Sources
  // without fd directories (fixture trees) answer none.
  virtual absl::StatusOr<std::vector<int>> ListFds() {
    return std::vector<int>{};
  }

  // Finds present or swapped pages in [start, end) with the PAGEMAP_SCAN
  // ioctl (Linux 6.7+): appends to `ranges` [start, end) byte ranges, cut
  // where the category changes. Returns UnimplementedError when the kernel
  // or source cannot do it.
  struct Range {
    uint64_t start;
    uint64_t end;
    // kPageIsPresent or kPageIsSwapped (pagemap.h): every page of the range
    // is; 0 when the source cannot tell which.
    uint64_t categories = 0;
  };
  virtual absl::Status ScanPresent(uint64_t start, uint64_t end,
                                   std::vector<Range>& ranges) {
    return absl::UnimplementedError("PAGEMAP_SCAN not supported");
  }

  // The whole-object figures (ShmemUsageOfFd) of the shmem object mapped
  // at [start, end), opened through /proc/PID/map_files (needs
  // CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE) without a path lookup. Fails
  // as ShmemUsageOfFd, with NotFoundError when the process exited or the
  // range maps another object than `key` by now, and with
  // UnimplementedError when the source cannot open mapped files.
  virtual absl::StatusOr<ShmemUsage> MappedShmemUsage(uint64_t start,
                                                      uint64_t end,
                                                      const ShmemKey& key) {
    return absl::UnimplementedError("mapped files cannot be opened");
  }
};

class ProcSource {
 public:
  virtual ~ProcSource() = default;

  // Numeric entries of the process directory, ascending.
  virtual absl::StatusOr<std::vector<int>> ListPids() = 0;

  virtual absl::StatusOr<std::unique_ptr<ProcHandle>> OpenProcess(int pid) = 0;

  // Reads /proc/PID/<name> whole, as OpenProcess(pid)->ReadFile(name) does.
  // The live source opens the file itself (openat2 with no symbolic link
  // on the way), without the directory's open and close: the scan's first
  // pass reads stat of every process this way.
  virtual absl::StatusOr<std::string> ReadProcessFile(int pid,
                                                      std::string_view name);

  // Reads a file of the proc root, e.g. "meminfo", "sysvipc/shm".
  virtual absl::StatusOr<std::string> ReadSystemFile(std::string_view name) = 0;

  // Reads out.size() 8-byte entries of /proc/kpagecount or /proc/kpageflags
  // starting at first_pfn. Past the end of the file (a PFN beyond the end of
  // RAM) kpagecount entries read as 0 and kpageflags entries as KPF_NOPAGE.
  virtual absl::Status ReadKpagecount(uint64_t first_pfn,
                                      std::span<uint64_t> out) = 0;
  virtual absl::Status ReadKpageflags(uint64_t first_pfn,
                                      std::span<uint64_t> out) = 0;

  // A short description for messages ("/proc", "tests/fixtures/basic").
  virtual std::string Describe() const = 0;

  // The base page size of the system whose processes these are, in bytes:
  // the unit of pagemap offsets and of kpageflags/kpagecount entries. The
  // live source asks the running kernel; fixtures and fakes are 4 KiB
  // systems unless they say otherwise.
  virtual uint64_t PageSize() const { return 4096; }

  // Host facts: what a capture must answer for the machine it was taken
  // on, not the one that reads it.
  //
  // The user name of `uid` and the uid of a user name. The live sources
  // (and fixtures) ask this machine's passwd database (SystemUserName).
  virtual std::optional<std::string> UserName(uint32_t uid) const;
  virtual std::optional<uint32_t> UserId(std::string_view name) const;
  // True only when no page of the system is a KSM page now: the live
  // /proc's kernel has no KSM, or /sys/kernel/mm/ksm/pages_shared reads 0.
  // False when that cannot be told (fixture trees, captures, fakes).
  virtual bool NoKsmPages() const { return false; }
  // memstats's own pid among this source's processes, or 0 when it is not
  // one of them (a fixture tree). Commands leave it out unless --self.
  virtual int SelfPid() const { return 0; }
  // OK when the values of the environment variables `keys` can be read
  // from /proc/PID/environ. A capture holds only the values it was asked
  // to keep: FailedPreconditionError naming the ones it holds otherwise.
  virtual absl::Status CheckEnvKeys(
      const absl::flat_hash_set<std::string>& keys) const {
    return absl::OkStatus();
  }
  // The first call this source could not answer because it does not hold
  // the data (a capture asked for what it did not record), or OK. The
  // scanner counts a process whose files fail as vanished; callers check
  // this after a scan so that a capture never gives a quietly smaller
  // answer.
  virtual absl::Status Incomplete() const { return absl::OkStatus(); }
};

// This machine's passwd database (getpwuid_r, getpwnam_r).
std::optional<std::string> SystemUserName(uint32_t uid);
std::optional<uint32_t> SystemUserId(std::string_view name);

// Maps an errno from a /proc read to a Status: ENOENT/ESRCH -> NotFound,
// EACCES/EPERM -> PermissionDenied, others -> Internal. `what` names the file.
absl::Status ErrnoToStatus(int err, std::string_view what);

// The real /proc, or any directory shaped like it (--procfs-root). Fails
// when root cannot be opened as a directory. SelfPid() is getpid() when
// `root` is the live /proc, else 0.
absl::StatusOr<std::unique_ptr<ProcSource>> NewLiveProcSource(
    std::string root = "/proc");

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_PROC_SOURCE_H_
