#include "cli/output_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace memstats::cli {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() gives (NFS reports write errors
  // there).
  int Close() {
    int r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

// Holds the signals that would kill us between creating the temporary file
// and renaming or removing it; they are delivered when this goes away.
class SignalHold {
 public:
  SignalHold() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&set, sig);
    held_ = ::pthread_sigmask(SIG_BLOCK, &set, &old_) == 0;
  }
  ~SignalHold() {
    if (held_) ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_;
  bool held_ = false;
};

struct SplitPath {
  std::string dir;   // "." for a bare file name
  std::string base;
};

SplitPath Split(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

absl::Status PathError(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("-o '", path, "': ", what));
}

absl::Status ErrnoPathError(const std::string& path, absl::string_view doing,
                            int err) {
  return PathError(path, absl::StrCat(doing, ": ", std::strerror(err)));
}

// Opens the directory of `path` and checks its final component. `mode` gets
// the mode of the file being replaced, or 0600 for a new file.
absl::Status OpenChecked(const std::string& path, const SplitPath& sp,
                         int& dirfd, mode_t& mode) {
  if (path.empty()) return absl::InvalidArgumentError("-o: empty file name");
  if (sp.base.empty() || sp.base == "." || sp.base == "..") {
    return PathError(path, "names a directory, not a file");
  }
  dirfd = ::open(sp.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return PathError(path, absl::StrCat("directory '", sp.dir,
                                          "' does not exist"));
    }
    return ErrnoPathError(path, absl::StrCat("cannot open directory '",
                                             sp.dir, "'"),
                          err);
  }
  mode = 0600;
  struct stat st;
  if (::fstatat(dirfd, sp.base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) {
      return PathError(path,
                       "is a symbolic link; memstats does not write through "
                       "links (remove it or name the target)");
    }
    if (S_ISDIR(st.st_mode)) return PathError(path, "is a directory");
    if (!S_ISREG(st.st_mode)) return PathError(path, "is not a regular file");
    mode = st.st_mode & 07777;
  } else if (errno != ENOENT) {
    return ErrnoPathError(path, "cannot inspect", errno);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckOutputPath(const std::string& path) {
  SplitPath sp = Split(path);
  int raw = -1;
  mode_t mode = 0;
  absl::Status s = OpenChecked(path, sp, raw, mode);
  Fd dir(raw);
  if (!s.ok()) return s;
  if (::faccessat(dir.get(), ".", W_OK, AT_EACCESS) != 0) {
    return ErrnoPathError(path, absl::StrCat("cannot write in '", sp.dir, "'"),
                          errno);
  }
  return absl::OkStatus();
}

absl::Status WriteOutputFile(const std::string& path, std::string_view content) {
  SplitPath sp = Split(path);
  int raw = -1;
  mode_t mode = 0;
  absl::Status s = OpenChecked(path, sp, raw, mode);
  Fd dir(raw);
  if (!s.ok()) return s;

  SignalHold hold;
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    uint64_t r = 0;
    if (::getrandom(&r, sizeof r, 0) != sizeof r) r ^= ::getpid() + attempt;
    tmp = absl::StrFormat(".%s.%016x.tmp", sp.base, r);
    fd = ::openat(dir.get(), tmp.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) {
      return ErrnoPathError(path, absl::StrCat("cannot create a file in '",
                                               sp.dir, "'"),
                            errno);
    }
  }
  if (fd < 0) return PathError(path, "cannot create a temporary file");
  Fd file(fd);
  auto fail = [&](absl::string_view doing, int err) {
    ::unlinkat(dir.get(), tmp.c_str(), 0);
    return absl::InternalError(absl::StrCat("-o '", path, "': ", doing, ": ",
                                            std::strerror(err)));
  };
  for (size_t done = 0; done < content.size();) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write failed", errno);
    }
    done += static_cast<size_t>(n);
  }
  if (mode != 0600 && ::fchmod(fd, mode) != 0) return fail("chmod", errno);
  if (::fsync(fd) != 0) return fail("fsync", errno);
  if (file.Close() != 0) return fail("close", errno);
  if (::renameat(dir.get(), tmp.c_str(), dir.get(), sp.base.c_str()) != 0) {
    return fail("rename", errno);
  }
  return absl::OkStatus();
}

}  // namespace memstats::cli
