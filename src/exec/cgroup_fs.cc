#include "exec/cgroup_fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "scan/proc_source.h"

namespace memstats::exec {

namespace {

// Debian's abseil has its own string_view type.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// scan::ErrnoToStatus, plus the two outcomes of mkdir and rmdir that
// callers act on: a name taken, a cgroup still in use.
absl::Status ErrnoStatus(int err, std::string_view what) {
  switch (err) {
    case EEXIST:
      return absl::AlreadyExistsError(absl::StrCat(Sv(what), ": ", std::strerror(err)));
    case EBUSY:
    case ENOTEMPTY:
      return absl::FailedPreconditionError(absl::StrCat(Sv(what), ": ", std::strerror(err)));
    default:
      return scan::ErrnoToStatus(err, what);
  }
}

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

}  // namespace

absl::StatusOr<UniqueFd> CgroupFs::OpenDir(std::string_view path) {
  UniqueFd dir(open(root_.c_str(), kDirFlags));
  if (!dir.valid()) return ErrnoStatus(errno, root_);
  for (absl::string_view part : absl::StrSplit(Sv(path), '/', absl::SkipEmpty())) {
    if (part == "." || part == "..") {
      return absl::InvalidArgumentError(absl::StrCat(Sv(path), ": not a plain absolute path"));
    }
    const std::string name(part.data(), part.size());
    UniqueFd next(openat(dir.get(), name.c_str(), kDirFlags));
    if (!next.valid()) return ErrnoStatus(errno, path);
    dir = std::move(next);
  }
  return dir;
}

absl::StatusOr<UniqueFd> CgroupFs::OpenDirAt(int dir_fd, const std::string& name) {
  UniqueFd dir(openat(dir_fd, name.c_str(), kDirFlags));
  if (!dir.valid()) return ErrnoStatus(errno, name);
  return dir;
}

absl::Status CgroupFs::MakeDir(int dir_fd, const std::string& name) {
  if (mkdirat(dir_fd, name.c_str(), 0755) != 0) return ErrnoStatus(errno, absl::StrCat("mkdir ", name));
  return absl::OkStatus();
}

absl::Status CgroupFs::RemoveDir(int dir_fd, const std::string& name) {
  if (unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0) {
    return ErrnoStatus(errno, absl::StrCat("rmdir ", name));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CgroupFs::ReadFile(int dir_fd, const std::string& name) {
  UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, name);
  // cgroup files report size 0 (or 4096): read until end of file.
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, name);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

absl::Status CgroupFs::WriteFile(int dir_fd, const std::string& name, std::string_view data) {
  absl::StatusOr<UniqueFd> fd = OpenForWrite(dir_fd, name);
  if (!fd.ok()) return fd.status();
  ssize_t n;
  do {
    n = write(fd->get(), data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoStatus(errno, absl::StrCat("write ", name));
  if (static_cast<size_t>(n) != data.size()) {
    return absl::InternalError(absl::StrCat("write ", name, ": short write"));
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> CgroupFs::OpenForWrite(int dir_fd, const std::string& name) {
  // No O_CREAT: a cgroup's files exist, and creating one would be a bug.
  UniqueFd fd(openat(dir_fd, name.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, name);
  return fd;
}

}  // namespace memstats::exec
