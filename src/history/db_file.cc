#include "history/db_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace memstats::history {
namespace {

// Every SQLite 3 database starts with these 16 bytes, NUL included
// (https://www.sqlite.org/fileformat.html, "The Database Header").
constexpr char kSqliteMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f',
                                   'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};

absl::Status ErrnoError(const std::string& path, absl::string_view doing,
                        int err) {
  return PathError(path, absl::StrCat(doing, ": ", std::strerror(err)));
}

absl::Status OpenError(const std::string& path, int err) {
  if (err == ELOOP) {
    return PathError(path,
                     "is a symbolic link; memstats does not open databases "
                     "through links (name the file itself)");
  }
  if (err == ENOENT) return PathError(path, "no such file");
  if (err == EISDIR) return PathError(path, "is a directory");
  return ErrnoError(path, "cannot open", err);
}

// Why `st` is not a regular file, or "" when it is.
absl::string_view NotRegular(const struct stat& st) {
  if (S_ISREG(st.st_mode)) return "";
  if (S_ISDIR(st.st_mode)) return "is a directory";
  if (S_ISLNK(st.st_mode)) return "is a symbolic link";
  return "is not a regular file";
}

}  // namespace

absl::Status PathError(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("database '", path, "': ", what));
}

FileDesc::~FileDesc() {
  if (fd_ >= 0) ::close(fd_);
}

FileDesc::FileDesc(FileDesc&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

FileDesc& FileDesc::operator=(FileDesc&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

absl::StatusOr<DbFile> OpenDbFile(const std::string& path, bool create) {
  if (path.empty()) {
    return absl::InvalidArgumentError("database: empty file name");
  }
  DbFile f;
  f.path = path;
  const size_t slash = path.rfind('/');
  f.dir = slash == std::string::npos ? std::string(".")
          : slash == 0               ? std::string("/")
                                     : path.substr(0, slash);
  f.base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (f.base.empty() || f.base == "." || f.base == "..") {
    return PathError(path, "names a directory, not a file");
  }
  f.dir_fd =
      FileDesc(::open(f.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (f.dir_fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return PathError(path,
                       absl::StrCat("directory '", f.dir, "' does not exist"));
    }
    return ErrnoError(path, absl::StrCat("cannot open directory '", f.dir, "'"),
                      err);
  }

  bool created = false;
  if (create) {
    // O_EXCL with O_CREAT does not follow a link at the final component:
    // a planted link gives EEXIST, then ELOOP below.
    int fd =
        ::openat(f.dir_fd.get(), f.base.c_str(),
                 O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      f.fd = FileDesc(fd);
      created = true;
      // The umask may have taken bits away; 0600 exactly, as promised.
      if (::fchmod(fd, 0600) != 0) {
        absl::Status s = ErrnoError(path, "cannot set mode 0600", errno);
        ::unlinkat(f.dir_fd.get(), f.base.c_str(), 0);
        return s;
      }
    } else if (errno != EEXIST) {
      return OpenError(path, errno);
    }
  }
  if (!created) {
    // O_NONBLOCK: opening a FIFO must not hang before fstat refuses it.
    int fd =
        ::openat(f.dir_fd.get(), f.base.c_str(),
                 O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return OpenError(path, errno);
    f.fd = FileDesc(fd);
  }

  struct stat st;
  if (::fstat(f.fd.get(), &st) != 0) {
    return ErrnoError(path, "cannot inspect", errno);
  }
  if (absl::string_view why = NotRegular(st); !why.empty()) {
    return PathError(path, why);
  }
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  if (created) {
    f.is_new = f.created = true;
    return f;
  }
  if (st.st_size == 0) {
    if (create && st.st_uid == ::geteuid() && (st.st_mode & 07777) == 0600) {
      f.is_new = true;
      return f;
    }
    return PathError(path,
                     "is an empty file, not a memstats database; left "
                     "untouched (remove it, or name a new file)");
  }
  char header[sizeof kSqliteMagic] = {};
  ssize_t n = ::pread(f.fd.get(), header, sizeof header, 0);
  if (n < 0) return ErrnoError(path, "cannot read", errno);
  if (static_cast<size_t>(n) != sizeof header ||
      std::memcmp(header, kSqliteMagic, sizeof header) != 0) {
    return PathError(path,
                     "is not a memstats database (not an SQLite file); left "
                     "untouched");
  }
  return f;
}

absl::Status SameFile(const DbFile& f) {
  struct stat st;
  if (::fstatat(f.dir_fd.get(), f.base.c_str(), &st, AT_SYMLINK_NOFOLLOW) !=
      0) {
    return ErrnoError(f.path, "changed while being opened", errno);
  }
  if (!S_ISREG(st.st_mode) || st.st_dev != f.dev || st.st_ino != f.ino) {
    return PathError(f.path, "was replaced while being opened; not used");
  }
  return absl::OkStatus();
}

bool SiblingExists(const DbFile& f, absl::string_view suffix) {
  struct stat st;
  const std::string name = absl::StrCat(f.base, suffix);
  return ::fstatat(f.dir_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

void RemoveIfNew(const DbFile& f) {
  if (!f.created) return;
  struct stat st;
  if (::fstatat(f.dir_fd.get(), f.base.c_str(), &st, AT_SYMLINK_NOFOLLOW) ==
          0 &&
      S_ISREG(st.st_mode) && st.st_dev == f.dev && st.st_ino == f.ino &&
      st.st_size == 0) {
    ::unlinkat(f.dir_fd.get(), f.base.c_str(), 0);
  }
}

}  // namespace memstats::history
