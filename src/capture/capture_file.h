// The capture file: one SQLite database (as `memstats record` writes),
// whose blobs are zstd frames with content checksums.
//
//   meta(key TEXT PRIMARY KEY, value TEXT)   format, version, host, kernel,
//       page_size, unix_ms, self_pid, memstats_version, env_values,
//       checksum (FNV-1a 64 over the other rows and every blob as stored)
//   blobs(name TEXT PRIMARY KEY, raw_size INTEGER, data BLOB)
//       system (with the pid list), users, processes, pagemap, kpages
//
// The content of each blob is byte_codec.h varints and strings; the
// layout is in capture_file.cc.
#ifndef MEMSTATS_CAPTURE_CAPTURE_FILE_H_
#define MEMSTATS_CAPTURE_CAPTURE_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "capture/capture_data.h"

namespace memstats::capture {

// The capture as the bytes of its file. InternalError when SQLite or zstd
// fails (out of memory).
absl::StatusOr<std::string> SerializeCapture(const CaptureData& data);

struct ParseOptions {
  // Off only in the fuzzer, so that it reaches the decoders behind the
  // checksum.
  bool verify_checksum = true;
  // Threads that decode the processes' page runs side by side.
  int threads = 1;
};
// Reads a capture from the bytes of its file. `name` (the path) starts
// every message. DataLossError for a file that is not a capture, was
// truncated or corrupted; FailedPreconditionError for another format
// version (newer or older).
absl::StatusOr<CaptureData> ParseCapture(std::string_view bytes,
                                         const std::string& name,
                                         ParseOptions options = {});

// Reads the file `path` (never through a symbolic link; a regular file)
// and parses it on `threads` threads. InvalidArgumentError when it cannot
// be opened.
absl::StatusOr<CaptureData> ReadCaptureFile(const std::string& path,
                                            int threads = 1);

}  // namespace memstats::capture

#endif  // MEMSTATS_CAPTURE_CAPTURE_FILE_H_
