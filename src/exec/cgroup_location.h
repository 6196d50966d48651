// Where memstats itself sits in the cgroup hierarchy that has the memory
// controller: from the text of /proc/self/mountinfo (which hierarchies are
// mounted where) and /proc/self/cgroup (memstats's path in each one). Pure
// parsing, so tests hand in fixture texts for hybrid, pure v2, pure v1 and
// cgroup-less systems.
#ifndef MEMSTATS_EXEC_CGROUP_LOCATION_H_
#define MEMSTATS_EXEC_CGROUP_LOCATION_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace memstats::exec {

// One line of /proc/PID/mountinfo (proc(5)), the fields used here.
struct MountInfoEntry {
  std::string root;         // the directory of the file system mounted there
  std::string mount_point;  // absolute, octal escapes (\040) undone
  std::string fstype;       // "cgroup", "cgroup2", "ext4", ...
  std::vector<std::string> super_options;  // "rw", "memory", ...
};

// InvalidArgument naming the line when one is malformed.
absl::StatusOr<std::vector<MountInfoEntry>> ParseMountInfo(std::string_view text);

// One line of /proc/PID/cgroup: "hierarchy-ID:controller-list:path".
struct ProcCgroupEntry {
  int hierarchy_id = 0;  // 0 for the unified (v2) hierarchy
  std::vector<std::string> controllers;  // empty for v2
  std::string path;                      // "/process_api/abc"
};

// InvalidArgument naming the line when one is malformed.
absl::StatusOr<std::vector<ProcCgroupEntry>> ParseProcCgroup(std::string_view text);

enum class CgroupVersion { kNone, kV1, kV2 };

struct MemoryCgroupLocation {
  CgroupVersion version = CgroupVersion::kNone;
  // The directory of memstats's own cgroup: in the v1 hierarchy that has
  // the memory controller, or in the unified hierarchy (which may still
  // lack the memory controller: that needs a look at cgroup.subtree_control,
  // done when the run's cgroup is made).
  std::string dir;
  std::string why_none;  // when version is kNone, for messages
};

// A v1 memory hierarchy wins: when one is mounted, the controller cannot be
// in the unified hierarchy too (hybrid systems mount both).
MemoryCgroupLocation LocateMemoryCgroup(const std::vector<MountInfoEntry>& mounts,
                                        const std::vector<ProcCgroupEntry>& cgroups);

}  // namespace memstats::exec

#endif  // MEMSTATS_EXEC_CGROUP_LOCATION_H_
