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
#include "scan/shmem_object.h"
#include "scan/unique_fd.h"

namespace memstats::machine {
namespace {

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

  // The swapped bytes of the regular file `name` in dir_fd, which fstatat
  // found as `st`; nullopt when it cannot be told.
  static std::optional<uint64_t> SwappedOf(int dir_fd, const char* name,
                                           const struct stat& st) {
    scan::UniqueFd fd(openat(dir_fd, name,
                             O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
                                 O_CLOEXEC));
    if (!fd.valid()) return std::nullopt;
    const scan::ShmemKey key{major(st.st_dev), minor(st.st_dev),
                             static_cast<uint64_t>(st.st_ino)};
    auto usage = scan::ShmemUsageOfFd(fd.get(), &key);
    if (!usage.ok()) return std::nullopt;
    return usage->swapped;
  }

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
        TmpfsFile f{child, static_cast<uint64_t>(st.st_ino),
                    static_cast<uint64_t>(st.st_size),
                    static_cast<uint64_t>(st.st_blocks) * 512, std::nullopt};
        f.swapped = f.allocated == 0 ? std::optional<uint64_t>(0)
                                     : SwappedOf(dirfd(dir), e->d_name, st);
        files.push_back(std::move(f));
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

std::unique_ptr<FsSource> NewLiveFsSource() {
  return std::make_unique<LiveFsSource>();
}

std::unique_ptr<FsSource> NewNoFsSource() {
  return std::make_unique<NoFsSource>();
}

}  // namespace memstats::machine
