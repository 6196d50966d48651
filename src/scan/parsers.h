// Parsers for the text files under /proc. Each takes the whole file's text
// and never touches the file system. Malformed input gives
// InvalidArgumentError naming the file and the line; fields a parser does
// not know are ignored (kernels add fields over time).
#ifndef MEMSTATS_SCAN_PARSERS_H_
#define MEMSTATS_SCAN_PARSERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "scan/process_record.h"

namespace memstats::scan {

// /proc/PID/status: Name, PPid, Uid (real), Kthread (kernels >= 6.2),
// VmPTE and VmHWM (bytes). Name is kept as the kernel prints it (it escapes "\n" and
// "\\").
struct StatusInfo {
  std::string name;
  int ppid = 0;
  uint32_t uid = 0;
  std::optional<bool> kthread;  // absent on kernels without the field
  uint64_t vm_pte_bytes = 0;
  uint64_t vm_hwm_bytes = 0;  // peak resident set size
  char state = '?';           // State's letter (R, S, Z, ...)
  int threads = 0;            // Threads: live threads; 0 without the line
};
absl::StatusOr<StatusInfo> ParseStatus(std::string_view text);

// /proc/PID/stat: "pid (comm) state ppid ... flags ...". comm may hold
// spaces and ')' so the parser splits at the last ')'.
struct StatInfo {
  int pid = 0;
  std::string comm;
  char state = '?';
  int ppid = 0;
  uint64_t flags = 0;  // PF_* flags; PF_KTHREAD = 0x00200000
};
inline constexpr uint64_t kPfKthread = 0x00200000;
// Set by do_exit() before the process's memory is torn down.
inline constexpr uint64_t kPfExiting = 0x00000004;
absl::StatusOr<StatInfo> ParseStat(std::string_view text);

// /proc/PID/cmdline: NUL-separated argv (a trailing NUL is optional).
std::vector<std::string> ParseCmdline(std::string_view text);

// /proc/PID/environ: NUL-separated KEY=VALUE; returns only the keys asked
// for. A key with no '=' is skipped.
absl::flat_hash_map<std::string, std::string> ParseEnviron(
    std::string_view text, const absl::flat_hash_set<std::string>& keys);

// How maps names the memory of a memfd: "/memfd:NAME", with " (deleted)"
// after it (the kernel's memfd_create prefix; memfd has no path otherwise).
inline constexpr std::string_view kMemfdPrefix = "/memfd:";

// One line of /proc/PID/maps (also the header line of each smaps entry).
struct MapEntry {
  uint64_t start = 0;
  uint64_t end = 0;
  bool read = false, write = false, exec = false, shared = false;
  uint64_t offset = 0;
  uint32_t dev_major = 0, dev_minor = 0;
  uint64_t inode = 0;
  std::string path;  // "" for anonymous; "[heap]", "/SYSV0000abcd (deleted)"
  bool operator==(const MapEntry&) const = default;
};
absl::StatusOr<std::vector<MapEntry>> ParseMaps(std::string_view text);

// True for "/SYSV<8 hex digits> (deleted)"; the shmid is the inode.
bool IsSysvMapping(const MapEntry& m);

// /proc/PID/smaps_rollup (or a whole smaps: every mapping's fields summed).
absl::StatusOr<SmapsTotals> ParseSmapsRollup(std::string_view text);

// /proc/PID/smaps: one entry per mapping with its own totals.
struct SmapsMapping {
  MapEntry map;
  SmapsTotals totals;
  uint64_t size = 0;  // Size:, bytes
};
absl::StatusOr<std::vector<SmapsMapping>> ParseSmaps(std::string_view text);

// /proc/PID/cgroup. Prefers the cgroup v1 "memory" controller path when
// there is one, else the unified (v2) "0::" path. "" when neither exists.
std::string ParseCgroup(std::string_view text);

// /proc/sysvipc/shm, one entry per segment. Sizes in bytes (rss and swap as
// the kernel prints them, already in bytes).
struct SysvSegment {
  int32_t key = 0;
  int shmid = 0;
  uint64_t size = 0;
  int nattch = 0;
  uint32_t uid = 0;
  uint64_t rss = 0;
  uint64_t swap = 0;
  // The perms column: shm_perm.mode, permission bits and the segment's
  // state bits (kShmDest, SHM_LOCKED 02000). 0 when the column is missing.
  uint32_t mode = 0;
  // Marked for removal (IPC_RMID while attached): the kernel destroys it
  // when the last attachment goes. ipc/shm.c do_shm_rmid() also turns its
  // key into IPC_PRIVATE (0), but key 0 alone is any private segment.
  bool marked_for_removal() const { return mode & kShmDest; }
  static constexpr uint32_t kShmDest = 01000;  // SHM_DEST, linux/shm.h
};
absl::StatusOr<std::vector<SysvSegment>> ParseSysvShm(std::string_view text);

// /proc/meminfo: key -> bytes ("MemTotal" -> 25165824000). Values given in
// kB are converted; unit-less ones (HugePages_Total) are kept as they are.
absl::StatusOr<absl::flat_hash_map<std::string, uint64_t>> ParseMeminfo(
    std::string_view text);

// /proc/zoneinfo: the pages on every zone's per-CPU free lists (the sum of
// the pagesets' "count:" lines). The kernel takes these pages out of
// MemFree while they wait on a CPU's list.
absl::StatusOr<uint64_t> ParseZoneinfoPcpPages(std::string_view text);

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_PARSERS_H_
