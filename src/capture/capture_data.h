// What a capture holds: the answers a live ProcSource gave during one scan
// (memstats capture), kept so that a replaying source (--from) gives the
// same answers to the same calls. Plain data; capture_file.h writes and
// reads it, recording_source.h fills it, replay_source.h answers from it.
#ifndef MEMSTATS_CAPTURE_CAPTURE_DATA_H_
#define MEMSTATS_CAPTURE_CAPTURE_DATA_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "capture/page_windows.h"
#include "scan/shmem_object.h"

namespace memstats::capture {

// The name and version in a capture's meta table. A reader refuses any
// other version. 2: the checksum covers the compressed blobs, and each
// process's page runs carry their length (decoded side by side). 3: the
// page runs are stored window by window, beside the present and swapped
// stretches (page_windows.h), and decoded only when a read needs them.
inline constexpr char kFormatName[] = "memstats-capture";
inline constexpr int kFormatVersion = 3;

// One answer of the live source: its text, or the error it gave (code and
// message), replayed as the same Status.
struct Answer {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string data;  // the text when ok, the message otherwise
  bool operator==(const Answer&) const = default;
};
Answer ToAnswer(const absl::StatusOr<std::string>& s);
absl::StatusOr<std::string> FromAnswer(const Answer& a);

// `count` pagemap entries from virtual page `vpn`, each the one before it
// plus Step(entry): a present page's PFN goes up by one with equal flags, a
// swap entry's offset likewise.
struct PagemapRun {
  uint64_t vpn = 0;
  uint64_t count = 0;
  uint64_t entry = 0;  // of the first page
  bool operator==(const PagemapRun&) const = default;
};
uint64_t PagemapStep(uint64_t entry);
// Whether `entry` at page `vpn` continues `run`: the next page, the next
// PFN or swap offset, the same flags.
bool Continues(const PagemapRun& run, uint64_t vpn, uint64_t entry);
// Appends the non-zero entries of out (entries of first_vpn...) as runs,
// extending the last run of `runs` when it continues.
void AppendPagemapRuns(uint64_t first_vpn, std::span<const uint64_t> entries,
                       std::vector<PagemapRun>& runs);

// [first, end) of virtual page numbers.
struct VpnRange {
  uint64_t first = 0;
  uint64_t end = 0;
  bool operator==(const VpnRange&) const = default;
};
// Sorts and merges touching or overlapping ranges.
void MergeRanges(std::vector<VpnRange>& ranges);

// ProcHandle::MappedShmemUsage's answer for one range and object.
struct ShmemAnswer {
  uint64_t start = 0;
  uint64_t end = 0;
  scan::ShmemKey key;
  Answer status;  // data unused when ok
  scan::ShmemUsage usage;
};

struct CapturedProcess {
  Answer open;  // OpenProcess: ok, or vanished / denied
  // "f:NAME" ReadFile(NAME), "l:NAME" ReadLink(NAME), "tasks" and "fds"
  // ListTasks()/ListFds() as space-separated numbers.
  std::map<std::string, Answer> answers;
  // The pages whose pagemap entries were read (every mapping), and the
  // non-zero entries among them, sorted by vpn: as recorded (`pagemap`,
  // what a capture writes), or as a capture file stores them
  // (`page_windows`, what reading one gives; `pagemap` is then empty).
  std::vector<VpnRange> covered;
  std::vector<PagemapRun> pagemap;
  PageWindows page_windows;
  std::vector<ShmemAnswer> shmem;
};

// `count` consecutive PFNs from `pfn` with the same kpageflags and
// kpagecount.
struct KpageRun {
  uint64_t pfn = 0;
  uint64_t count = 0;
  uint64_t flags = 0;
  uint64_t mapcount = 0;
  bool operator==(const KpageRun&) const = default;
};

struct CaptureInfo {
  std::string host;
  std::string kernel;
  uint64_t page_size = 4096;
  int64_t unix_ms = 0;  // when the capture was taken
  int self_pid = 0;     // memstats capture's own pid
  std::string memstats_version;
  // The variables whose values the capture holds (capture --env), sorted.
  std::vector<std::string> env_values;
};

struct CaptureData {
  CaptureInfo info;
  Answer pids;                           // ListPids, space-separated
  std::map<std::string, Answer> system;  // ReadSystemFile
  std::map<int, CapturedProcess> processes;
  // kpageflags/kpagecount of every PFN referenced (sorted runs), or the
  // error reading them gave (not root).
  Answer kpage_status;
  std::vector<KpageRun> kpages;
  std::map<uint32_t, std::string> users;  // uid -> name
};

// "1 2 3" <-> {1, 2, 3}; nullopt for anything but numbers and spaces.
std::string JoinIds(const std::vector<int>& ids);
std::optional<std::vector<int>> SplitIds(const std::string& text);

}  // namespace memstats::capture

#endif  // MEMSTATS_CAPTURE_CAPTURE_DATA_H_
