// Unlinked shared-memory objects (memfds, shared anonymous memory, deleted
// tmpfs files) and who holds them: what `memstats groups` needs to tell
// whether stopping a group destroys an object (README, "FREED").
//
// A process holds such an object by mapping it (a /proc/PID/maps line whose
// path ends in " (deleted)") or by an open file descriptor (a /proc/PID/fd
// link to such a path; the link is read, never followed, and fdinfo's "ino:"
// gives the inode). SysV segments are not here: /proc/sysvipc/shm counts
// their attachments (nattch).
//
// Thread safety: plain functions over one process's handle; call them from
// the thread that reads that process.
#ifndef MEMSTATS_SCAN_UNLINKED_H_
#define MEMSTATS_SCAN_UNLINKED_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "scan/parsers.h"
#include "scan/proc_source.h"
#include "scan/process_record.h"

namespace memstats::scan {

// Whether a mapping is of an unlinked object (not a SysV segment, whose
// maps path also ends in " (deleted)").
bool IsUnlinkedMapping(const MapEntry& m);

// The "ino:" field of a /proc/PID/fdinfo/N text, or 0 when it has none
// (kernels before 5.14) or it does not parse.
uint64_t ParseFdinfoInode(std::string_view text);

// Collects one process's unlinked objects, without duplicates, into `out`
// (which may hold some already: they keep their indices).
class UnlinkedCollector {
 public:
  explicit UnlinkedCollector(std::vector<UnlinkedObject>& out);
  // Index in `out` of m's object (added when new), or -1 when m is not a
  // mapping of an unlinked object.
  int AddMapping(const MapEntry& m);
  // Adds the objects the process holds through its open fds. Best effort:
  // an fd directory or link that cannot be read (the process exited, no
  // permission) adds nothing; the caller decides from its other reads
  // whether the process vanished.
  void AddFds(ProcHandle& h);

 private:
  int Add(UnlinkedObject o);
  std::vector<UnlinkedObject>& out_;
  absl::flat_hash_map<uint64_t, std::vector<int>> by_inode_;
};

// The unlinked objects a process maps or holds open, into `out` (a
// process the scan leaves out). Best effort: what cannot be read (the
// process exited, no permission) adds nothing.
void ReadUnlinkedHolds(ProcHandle& h, std::vector<UnlinkedObject>& out);

// rec.sysv_shmids and rec.sysv_vmas from the process's maps.
void NoteSysvAttachments(const std::vector<MapEntry>& maps,
                         ProcessRecord& rec);

// Whether holder `a` may be object `b`: same path, and same inode or one of
// them unknown (0).
bool SameUnlinkedObject(const UnlinkedObject& a, const UnlinkedObject& b);

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_UNLINKED_H_
