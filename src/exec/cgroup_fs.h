// The file system operations the run's cgroup needs, behind one door so
// tests can run the same code on a fake tree.
//
// memstats runs as root, and a cgroup tree may hold directories delegated
// to users: no operation follows a symbolic link. Paths are opened one
// component at a time with O_NOFOLLOW, and everything below works relative
// to an open directory (mkdirat, openat, unlinkat).
//
// The live implementation takes a root directory (default "/") under which
// the absolute paths from mountinfo are looked up; a test gives a temporary
// directory, and a subclass that acts as the kernel would (creating a
// cgroup's files on MakeDir, moving pids on a write to cgroup.procs).
//
// Thread safety: the live implementation has no state besides its root and
// may be used from many threads.
#ifndef MEMSTATS_EXEC_CGROUP_FS_H_
#define MEMSTATS_EXEC_CGROUP_FS_H_

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "scan/unique_fd.h"

namespace memstats::exec {

using scan::UniqueFd;

class CgroupFs {
 public:
  explicit CgroupFs(std::string root = "/") : root_(std::move(root)) {}
  virtual ~CgroupFs() = default;

  // Opens the directory at absolute `path` (below the root). NotFound on
  // ENOENT, PermissionDenied on EACCES/EPERM; a symbolic link on the way
  // fails (ELOOP or ENOTDIR: Internal) and is never followed.
  virtual absl::StatusOr<UniqueFd> OpenDir(std::string_view path);
  // Opens the directory `name` inside `dir_fd`.
  virtual absl::StatusOr<UniqueFd> OpenDirAt(int dir_fd, const std::string& name);
  // mkdirat with mode 0755. AlreadyExists on EEXIST.
  virtual absl::Status MakeDir(int dir_fd, const std::string& name);
  // unlinkat(AT_REMOVEDIR). FailedPrecondition on EBUSY or ENOTEMPTY.
  virtual absl::Status RemoveDir(int dir_fd, const std::string& name);
  // The whole file `name` in `dir_fd`.
  virtual absl::StatusOr<std::string> ReadFile(int dir_fd, const std::string& name);
  // One write(2) of `data` to the existing file `name` (a cgroup file takes
  // one value per write). NotFound on ESRCH (a pid that exited).
  virtual absl::Status WriteFile(int dir_fd, const std::string& name, std::string_view data);
  // Opens the existing file `name` for writing, O_CLOEXEC.
  virtual absl::StatusOr<UniqueFd> OpenForWrite(int dir_fd, const std::string& name);

  // The root, for messages and for the fakes.
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace memstats::exec

#endif  // MEMSTATS_EXEC_CGROUP_FS_H_
