// Files memstats writes as root (-o outputs): written whole or not at all,
// never through a symbolic link.
#ifndef MEMSTATS_CLI_OUTPUT_FILE_H_
#define MEMSTATS_CLI_OUTPUT_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace memstats::cli {

// Checks that `path` can be written: its directory exists and its final
// component is absent or a regular file (not a symbolic link, a directory,
// a device or a FIFO). InvalidArgumentError naming the problem otherwise.
// Commands call it before scanning, so bad input fails fast.
absl::Status CheckOutputPath(const std::string& path);

// Writes `content` to `path`: CheckOutputPath, then a temporary file in the
// same directory (created with O_EXCL | O_NOFOLLOW, mode 0600, or the mode
// of the file it replaces), fsync, and rename over `path`. rename() replaces
// a symbolic link planted at `path` between the check and the rename rather
// than following it. SIGINT, SIGTERM and SIGHUP are held while the
// temporary file exists, so Ctrl-C never leaves half a file or a stray
// temporary. Errors: InvalidArgumentError for a bad path (including
// permission denied), InternalError when the write itself fails (ENOSPC).
absl::Status WriteOutputFile(const std::string& path, std::string_view content);

}  // namespace memstats::cli

#endif  // MEMSTATS_CLI_OUTPUT_FILE_H_
