// Loading a module of memstats's own (memstats-http.so) without trusting
// what others could have put in its place: memstats runs as root.
#ifndef MEMSTATS_SERVE_MODULE_FILE_H_
#define MEMSTATS_SERVE_MODULE_FILE_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace memstats::serve {

// The directories a module of the binary at `exe` is looked for in, in
// order: the binary's own (a build tree), then ../lib/<multiarch>/memstats
// from it (an installed memstats: /usr/bin/memstats and
// /usr/lib/x86_64-linux-gnu/memstats/).
std::vector<std::string> ModuleDirs(const std::string& exe);

// Why `fd` (open on the module file) and `dir_fd` (its directory) may not
// be loaded, or OK: the file must be a regular file, and both must be
// owned by root, the effective user or `binary_owner` (the owner of the
// running binary, who controls what it runs anyway) and writable by no
// one else (group or others). `path` names the file in the message.
absl::Status CheckModuleFile(int dir_fd, int fd, uid_t binary_owner,
                             const std::string& path);

// dlopen()s `name` from the first of ModuleDirs(/proc/self/exe) that holds
// it, never following a symbolic link at the file itself and only after
// CheckModuleFile. Returns the handle (never closed), or
// FailedPreconditionError naming the file and what was wrong.
absl::StatusOr<void*> LoadModule(const std::string& name);

}  // namespace memstats::serve

#endif  // MEMSTATS_SERVE_MODULE_FILE_H_
