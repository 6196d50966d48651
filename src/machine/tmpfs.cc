#include "machine/tmpfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "scan/proc_source.h"

namespace memstats::machine {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() &&
        s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 +
                                      (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

class LiveFsSource : public FsSource {
 public:
  absl::StatusOr<FsUsage> StatVfs(const std::string& mount_point) override {
    struct statvfs st;
    if (statvfs(mount_point.c_str(), &st) != 0) {
      return scan::ErrnoToStatus(errno, mount_point);
    }
    FsUsage u;
    u.size_bytes = uint64_t{st.f_blocks} * st.f_frsize;
    u.used_bytes = uint64_t{st.f_blocks - st.f_bfree} * st.f_frsize;
    u.inodes = st.f_files;
    u.inodes_used = st.f_files - st.f_ffree;
    return u;
  }

  absl::StatusOr<TmpfsListing> ListFiles(
      const std::string& mount_point) override {
    int fd = open(mount_point.c_str(),
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return scan::ErrnoToStatus(errno, mount_point);
    struct stat st;
    if (fstat(fd, &st) != 0) {
      int err = errno;
      close(fd);
      return scan::ErrnoToStatus(err, mount_point);
    }
    TmpfsListing listing;
    listing.major = major(st.st_dev);
    listing.minor = minor(st.st_dev);
    std::string prefix = mount_point == "/" ? "" : mount_point;
    Walk(fd, st.st_dev, prefix, 0, listing.files);
    return listing;
  }

 private:
  static constexpr int kMaxDepth = 64;
  static constexpr size_t kMaxFiles = 1000000;

  // Takes ownership of dir_fd.
  static void Walk(int dir_fd, dev_t dev, const std::string& path, int depth,
                   std::vector<TmpfsFile>& files) {
    DIR* dir = fdopendir(dir_fd);
    if (dir == nullptr) {
      close(dir_fd);
      return;
    }
    while (struct dirent* e = readdir(dir)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) {
        continue;
      }
      struct stat st;
      if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (st.st_dev != dev) continue;  // another file system mounted here
      std::string child = absl::StrCat(path, "/", e->d_name);
      if (S_ISREG(st.st_mode)) {
        if (files.size() >= kMaxFiles) break;
        files.push_back({child, static_cast<uint64_t>(st.st_ino),
                         static_cast<uint64_t>(st.st_size),
                         static_cast<uint64_t>(st.st_blocks) * 512});
      } else if (S_ISDIR(st.st_mode) && depth < kMaxDepth) {
        int sub = openat(dirfd(dir), e->d_name,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) Walk(sub, dev, child, depth + 1, files);
      }
    }
    closedir(dir);
  }
};

class NoFsSource : public FsSource {
 public:
  absl::StatusOr<FsUsage> StatVfs(const std::string& mount_point) override {
    return absl::UnavailableError("not the live /proc");
  }
  absl::StatusOr<TmpfsListing> ListFiles(
      const std::string& mount_point) override {
    return absl::UnavailableError("not the live /proc");
  }
};

}  // namespace

// mountinfo (proc(5)): "id parent major:minor root mount-point options
// [optional fields...] - fstype source super-options".
absl::StatusOr<std::vector<TmpfsMount>> ParseTmpfsMounts(std::string_view text) {
  std::vector<TmpfsMount> mounts;
  int line_no = 0;
  // Debian's abseil has its own string_view.
  const absl::string_view all(text.data(), text.size());
  for (absl::string_view line : absl::StrSplit(all, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    std::vector<absl::string_view> f =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (f.size() < 7 || dash + 2 >= f.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("mountinfo line ", line_no, ": expected 'id parent "
                       "major:minor root mount-point options ... - fstype "
                       "source'"));
    }
    if (f[dash + 1] != "tmpfs") continue;
    TmpfsMount m;
    std::pair<absl::string_view, absl::string_view> dev =
        absl::StrSplit(f[2], absl::MaxSplits(':', 1));
    if (!absl::SimpleAtoi(dev.first, &m.major) ||
        !absl::SimpleAtoi(dev.second, &m.minor)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "mountinfo line ", line_no, ": bad device '", f[2], "'"));
    }
    m.mount_point = Unescape({f[4].data(), f[4].size()});
    m.source = Unescape({f[dash + 2].data(), f[dash + 2].size()});
    mounts.push_back(std::move(m));
  }
  return mounts;
}

std::unique_ptr<FsSource> NewLiveFsSource() {
  return std::make_unique<LiveFsSource>();
}

std::unique_ptr<FsSource> NewNoFsSource() {
  return std::make_unique<NoFsSource>();
}

}  // namespace memstats::machine
