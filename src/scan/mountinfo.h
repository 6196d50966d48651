// The tmpfs mounts of /proc/PID/mountinfo: the scanner tells tmpfs files
// apart in maps by their device, memstats shm lists the mounts.
#ifndef MEMSTATS_SCAN_MOUNTINFO_H_
#define MEMSTATS_SCAN_MOUNTINFO_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace memstats::scan {

// One line of /proc/PID/mountinfo whose file system type is tmpfs.
struct TmpfsMount {
  uint32_t major = 0, minor = 0;  // the st_dev of its files, as in maps
  std::string mount_point;        // octal escapes (\040) decoded
  std::string source;             // the mount source ("tmpfs", "shm", ...)
};

// The tmpfs mounts of a mountinfo text, in its order. Malformed lines give
// InvalidArgumentError naming the line.
absl::StatusOr<std::vector<TmpfsMount>> ParseTmpfsMounts(std::string_view text);

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_MOUNTINFO_H_
