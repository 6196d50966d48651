#include "serve/module_file.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "scan/unique_fd.h"

namespace memstats::serve {
namespace {

// Owned by root, the effective user or the binary's owner, writable by no
// one else.
absl::Status CheckOwner(const struct stat& st, uid_t binary_owner,
                        const std::string& what) {
  const uid_t euid = ::geteuid();
  if (st.st_uid != 0 && st.st_uid != euid && st.st_uid != binary_owner) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: owned by uid %d, neither root, this user nor the owner of "
        "memstats",
        what, static_cast<int>(st.st_uid)));
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: writable by %s (mode %04o)", what,
        (st.st_mode & S_IWOTH) ? "others" : absl::StrCat("group ", st.st_gid),
        static_cast<unsigned>(st.st_mode & 07777)));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> ModuleDirs(const std::string& exe) {
  const size_t slash = exe.rfind('/');
  if (slash == std::string::npos) return {};
  const std::string dir = exe.substr(0, slash == 0 ? 1 : slash);
  return {dir, absl::StrCat(dir, "/../", MEMSTATS_MODULE_DIR)};
}

absl::Status CheckModuleFile(int dir_fd, int fd, uid_t binary_owner,
                             const std::string& path) {
  struct stat st = {};
  if (::fstat(fd, &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": not a regular file"));
  }
  if (absl::Status s = CheckOwner(st, binary_owner, path); !s.ok()) {
    return s;
  }
  struct stat dir = {};
  if (::fstat(dir_fd, &dir) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": its directory: ", std::strerror(errno)));
  }
  return CheckOwner(dir, binary_owner, absl::StrCat(path, ": its directory"));
}

absl::StatusOr<void*> LoadModule(const std::string& name) {
  std::vector<char> exe(4096);
  const ssize_t n = ::readlink("/proc/self/exe", exe.data(), exe.size() - 1);
  if (n <= 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot find ", name, ": /proc/self/exe: ", std::strerror(errno)));
  }
  const std::vector<std::string> dirs =
      ModuleDirs(std::string(exe.data(), static_cast<size_t>(n)));
  // Whoever owns the binary decides what it runs already: root running a
  // user's build (sudo build/src/cli/memstats serve) may load that user's
  // module beside it.
  struct stat self = {};
  const uid_t binary_owner =
      ::stat("/proc/self/exe", &self) == 0 ? self.st_uid : 0;
  for (const std::string& dir : dirs) {
    const std::string path = absl::StrCat(dir, "/", name);
    scan::UniqueFd dir_fd(
        ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd.valid()) continue;
    scan::UniqueFd fd(::openat(dir_fd.get(), name.c_str(),
                               O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": ", std::strerror(errno)));
    }
    if (absl::Status s =
            CheckModuleFile(dir_fd.get(), fd.get(), binary_owner, path);
        !s.ok()) {
      return s;
    }
    // Loaded through the descriptor checked, not the path again.
    const std::string via = absl::StrCat("/proc/self/fd/", fd.get());
    void* handle = ::dlopen(via.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": ", why != nullptr ? why : "cannot load"));
    }
    return handle;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("cannot find ", name, " in ", absl::StrJoin(dirs, " or ")));
}

}  // namespace memstats::serve
