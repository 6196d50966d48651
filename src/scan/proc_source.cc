#include "scan/proc_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "scan/pagemap.h"
#include "scan/unique_fd.h"

namespace memstats::scan {

absl::Status ErrnoToStatus(int err, std::string_view what) {
  std::string msg = absl::StrCat(absl::string_view(what.data(), what.size()), ": ",
                                 std::strerror(err));
  switch (err) {
    case ENOENT:
    case ESRCH:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

std::optional<std::string> SystemUserName(uint32_t uid) {
  long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(hint > 0 ? static_cast<size_t>(hint) : 16384);
  for (;;) {
    passwd entry = {};
    passwd* result = nullptr;
    int rc = getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &result);
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0 || result == nullptr) return std::nullopt;
    return std::string(result->pw_name);
  }
}

std::optional<uint32_t> SystemUserId(std::string_view name) {
  if (name.empty() || name.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string user(name);
  long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(hint > 0 ? hint : 16384);
  passwd entry;
  passwd* result = nullptr;
  for (;;) {
    int rc = getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(),
                        &result);
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0 || result == nullptr) return std::nullopt;
    return result->pw_uid;
  }
}

absl::StatusOr<std::string> ProcSource::ReadProcessFile(int pid,
                                                        std::string_view name) {
  auto h = OpenProcess(pid);
  if (!h.ok()) return h.status();
  return (*h)->ReadFile(name);
}

std::optional<std::string> ProcSource::UserName(uint32_t uid) const {
  return SystemUserName(uid);
}

std::optional<uint32_t> ProcSource::UserId(std::string_view name) const {
  return SystemUserId(name);
}

namespace {

// True when `root` is the live /proc, where memstats itself is a process.
bool IsLiveProc(const std::string& root) {
  struct stat a, b;
  return ::stat(root.c_str(), &a) == 0 && ::stat("/proc", &b) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// PAGEMAP_SCAN (Linux 6.7, include/uapi/linux/fs.h). Debian 12's headers
// predate it; the layout is part of the kernel ABI.
#ifndef PAGEMAP_SCAN
struct page_region {
  uint64_t start;
  uint64_t end;
  uint64_t categories;
};
struct pm_scan_arg {
  uint64_t size;
  uint64_t flags;
  uint64_t start;
  uint64_t end;
  uint64_t walk_end;
  uint64_t vec;
  uint64_t vec_len;
  uint64_t max_pages;
  uint64_t category_inverted;
  uint64_t category_mask;
  uint64_t category_anyof_mask;
  uint64_t return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#else
// Newer headers: the categories in pagemap.h must be the kernel's.
static_assert(PAGE_IS_PRESENT == kPageIsPresent);
static_assert(PAGE_IS_SWAPPED == kPageIsSwapped);
static_assert(PAGE_IS_WRITTEN == kPageIsWritten);
static_assert(PAGE_IS_FILE == kPageIsFile);
#endif

using Fd = UniqueFd;

// Reads a whole file. Files in /proc report size 0, so read until EOF, or,
// with `short_read_ends`, until a read returns less than it was asked for.
absl::StatusOr<std::string> ReadAll(int fd, std::string_view what,
                                    bool short_read_ends = false) {
  // A seq_file (maps, smaps) returns at most its buffer, a page or more, per
  // read: every read asks at least a page, so that none is spent on the few
  // bytes left at the end of the buffer. The text is read into a buffer of
  // the thread's, kept between files (released when a file made it large),
  // and copied out at its size.
  constexpr size_t kMinRead = 4096;
  constexpr size_t kKeep = size_t{1} << 20;
  thread_local std::vector<char> buf(4 * kMinRead);
  size_t len = 0;
  while (true) {
    if (buf.size() - len < kMinRead) buf.resize(buf.size() * 2);
    const size_t want = buf.size() - len;
    ssize_t n = ::read(fd, buf.data() + len, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, what);
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
    if (short_read_ends && static_cast<size_t>(n) < want) break;
  }
  std::string out(buf.data(), len);
  if (buf.size() > kKeep) {
    buf.resize(4 * kMinRead);
    buf.shrink_to_fit();
  }
  return out;
}

// Files of /proc/PID whose first short read is their end, so reading them
// takes one read(2), not two. The kernel makes each in one go: stat,
// status, statm, cgroup, smaps_rollup and task/TID/syscall are single-record
// seq_files (single_open: the whole text is produced before the first
// read returns any of it), and cmdline and environ copy the argument or
// environment area until the buffer is full or the area ends. Not so maps
// and smaps, whose reads stop at a page of text however much is asked. A
// regular file (a --procfs-root tree) ends at a short read too.
bool ShortReadEnds(std::string_view name) {
  if (name.starts_with("task/") && name.ends_with("/syscall")) return true;
  return name == "stat" || name == "status" || name == "statm" ||
         name == "cgroup" || name == "smaps_rollup" || name == "cmdline" ||
         name == "environ";
}

// O_NOFOLLOW: a --procfs-root tree may sit in a directory others can write;
// never follow a link planted at the final component.
absl::StatusOr<std::string> ReadFileAt(int dirfd, std::string_view name,
                                       std::string_view what) {
  std::string path(name);
  Fd fd(::openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return ErrnoToStatus(errno, what);
  return ReadAll(fd.get(), what, ShortReadEnds(name));
}

// The numeric entries (pids, tids, fds) of the directory `name` under
// `dirfd`, ascending; 0 only when `with_zero` (fd 0).
absl::StatusOr<std::vector<int>> ListNumericEntries(int dirfd, const char* name,
                                                    int flags,
                                                    std::string_view what,
                                                    bool with_zero = false) {
  Fd fd(::openat(dirfd, name, flags | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoToStatus(errno, what);
  // getdents64 itself: readdir's fdopendir costs three more system calls
  // (fstat, two fcntl) per directory, and a process's task list is read
  // for every process.
  thread_local std::vector<char> buf(32768);
  std::vector<int> ids;
  while (true) {
    const ssize_t n = ::getdents64(fd.get(), buf.data(), buf.size());
    // getdents64 of /proc/PID/task fails with ENOENT/ESRCH once the
    // process is gone.
    if (n < 0) return ErrnoToStatus(errno, what);
    if (n == 0) break;
    for (ssize_t at = 0; at < n;) {
      dirent64 entry;
      std::memcpy(&entry, buf.data() + at,
                  std::min(sizeof entry, static_cast<size_t>(n - at)));
      if (entry.d_reclen == 0) break;  // never from the kernel
      at += entry.d_reclen;
      const char* name_at = entry.d_name;
      int id;
      const char c = name_at[0];
      if (((c >= '1' && c <= '9') || (with_zero && c == '0')) &&
          absl::SimpleAtoi(name_at, &id) && (id > 0 || with_zero) &&
          (c != '0' || name_at[1] == '\0')) {
        ids.push_back(id);
      }
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

// pread of 8-byte entries; a short read (end of file) leaves `fill` in the
// rest of `out`.
absl::Status PreadEntries(int fd, uint64_t first, std::span<uint64_t> out,
                          uint64_t fill, std::string_view what) {
  char* buf = reinterpret_cast<char*>(out.data());
  size_t want = out.size_bytes();
  size_t got = 0;
  off_t offset = static_cast<off_t>(first * sizeof(uint64_t));
  while (got < want) {
    ssize_t n = ::pread(fd, buf + got, want - got,
                        offset + static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      // Past the end of kpageflags the kernel may answer EINVAL.
      if (errno == EINVAL && got % 8 == 0) break;
      return ErrnoToStatus(errno, what);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  for (size_t i = got / sizeof(uint64_t); i < out.size(); ++i) out[i] = fill;
  return absl::OkStatus();
}

class LiveProcHandle : public ProcHandle {
 public:
  LiveProcHandle(int pid, Fd dir, std::string what)
      : pid_(pid), dir_(std::move(dir)), what_(std::move(what)) {}

  int pid() const override { return pid_; }

  absl::StatusOr<std::string> ReadFile(std::string_view name) override {
    return ReadFileAt(dir_.get(), name, absl::StrCat(what_, "/", std::string(name)));
  }

  absl::StatusOr<std::string> ReadLink(std::string_view name) override {
    std::string path(name);
    std::string out(4096, '\0');
    ssize_t n = ::readlinkat(dir_.get(), path.c_str(), out.data(), out.size());
    if (n < 0) return ErrnoToStatus(errno, absl::StrCat(what_, "/", std::string(name)));
    out.resize(static_cast<size_t>(n));
    return out;
  }

  // A thread's files are read as ReadFile("task/TID/syscall"): openat
  // resolves the relative path below the process directory.
  absl::StatusOr<std::vector<int>> ListTasks() override {
    return ListNumericEntries(dir_.get(), "task", O_RDONLY | O_NOFOLLOW,
                              absl::StrCat(what_, "/task"));
  }

  // A fixture tree's "fd" may be a link planted by whoever can write there:
  // O_NOFOLLOW. The kernel's fd links are only ever read, never followed.
  absl::StatusOr<std::vector<int>> ListFds() override {
    return ListNumericEntries(dir_.get(), "fd", O_RDONLY | O_NOFOLLOW,
                              absl::StrCat(what_, "/fd"), /*with_zero=*/true);
  }

  absl::Status ReadPagemap(uint64_t first_vpn,
                           std::span<uint64_t> out) override {
    if (!pagemap_.valid()) {
      pagemap_ = Fd(::openat(dir_.get(), "pagemap",
                             O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!pagemap_.valid())
        return ErrnoToStatus(errno, absl::StrCat(what_, "/pagemap"));
    }
    return PreadEntries(pagemap_.get(), first_vpn, out, 0,
                        absl::StrCat(what_, "/pagemap"));
  }

  absl::Status ScanPresent(uint64_t start, uint64_t end,
                           std::vector<Range>& ranges) override {
    if (!pagemap_.valid()) {
      uint64_t probe;
      absl::Status s = ReadPagemap(start >> 12, std::span<uint64_t>(&probe, 1));
      if (!s.ok()) return s;
    }
    page_region regions[512];
    while (start < end) {
      pm_scan_arg arg{};
      arg.size = sizeof(arg);
      arg.start = start;
      arg.end = end;
      arg.vec = reinterpret_cast<uint64_t>(regions);
      arg.vec_len = std::size(regions);
      arg.category_anyof_mask = kScanPresentCategories;
      arg.return_mask = kScanPresentCategories;
      long n = ::ioctl(pagemap_.get(), PAGEMAP_SCAN, &arg);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == ENOTTY || errno == EINVAL) {
          // A kernel before 6.7, or a file that is not a real pagemap.
          return absl::UnimplementedError("PAGEMAP_SCAN not supported");
        }
        return ErrnoToStatus(errno, absl::StrCat(what_, "/pagemap"));
      }
      for (long i = 0; i < n; ++i) {
        ranges.push_back(
            {regions[i].start, regions[i].end, regions[i].categories});
      }
      if (arg.walk_end <= start || arg.walk_end >= end) break;
      start = arg.walk_end;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ShmemUsage> MappedShmemUsage(uint64_t start, uint64_t end,
                                              const ShmemKey& key) override {
    const std::string name = absl::StrFormat("map_files/%x-%x", start, end);
    // O_NONBLOCK | O_NOCTTY: whatever the range maps by now, opening it
    // neither waits nor takes a terminal.
    Fd fd(::openat(dir_.get(), name.c_str(),
                   O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd.valid()) {
      return ErrnoToStatus(errno, absl::StrCat(what_, "/", name));
    }
    return ShmemUsageOfFd(fd.get(), &key);
  }

 private:
  int pid_;
  Fd dir_;
  Fd pagemap_;
  std::string what_;
};

class LiveProcSource : public ProcSource {
 public:
  LiveProcSource(std::string root, Fd root_fd, int self_pid)
      : root_(std::move(root)),
        root_fd_(std::move(root_fd)),
        self_pid_(self_pid) {}

  int SelfPid() const override { return self_pid_; }

  absl::StatusOr<std::vector<int>> ListPids() override {
    return ListNumericEntries(root_fd_.get(), ".", O_RDONLY, root_);
  }

  absl::StatusOr<std::unique_ptr<ProcHandle>> OpenProcess(int pid) override {
    std::string name = absl::StrCat(pid);
    std::string what = absl::StrCat(root_, "/", pid);
    Fd dir(::openat(root_fd_.get(), name.c_str(),
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!dir.valid()) return ErrnoToStatus(errno, what);
    return std::unique_ptr<ProcHandle>(
        new LiveProcHandle(pid, std::move(dir), std::move(what)));
  }

  absl::StatusOr<std::string> ReadProcessFile(int pid,
                                              std::string_view name) override {
    const std::string path = absl::StrCat(pid, "/", std::string(name));
    // Beneath the root and through no symbolic link (a --procfs-root tree
    // may be writable by others), as OpenProcess's O_NOFOLLOW directory.
    open_how how = {};
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
    const long fd =
        ::syscall(SYS_openat2, root_fd_.get(), path.c_str(), &how, sizeof how);
    if (fd < 0) {
      if (errno == ENOSYS) return ProcSource::ReadProcessFile(pid, name);
      return ErrnoToStatus(errno, absl::StrCat(root_, "/", path));
    }
    Fd file(static_cast<int>(fd));
    return ReadAll(file.get(), absl::StrCat(root_, "/", path),
                   ShortReadEnds(name));
  }

  absl::StatusOr<std::string> ReadSystemFile(std::string_view name) override {
    return ReadFileAt(root_fd_.get(), name, absl::StrCat(root_, "/", std::string(name)));
  }

  absl::Status ReadKpagecount(uint64_t first_pfn,
                              std::span<uint64_t> out) override {
    return ReadK(kpagecount_, "kpagecount", first_pfn, out, 0);
  }
  absl::Status ReadKpageflags(uint64_t first_pfn,
                              std::span<uint64_t> out) override {
    return ReadK(kpageflags_, "kpageflags", first_pfn, out,
                 1ULL << kKpfNoPage);
  }

  std::string Describe() const override { return root_; }

  bool NoKsmPages() const override {
    if (self_pid_ == 0) return false;  // not this machine's /proc
    auto text = ReadFileAt(AT_FDCWD, "/sys/kernel/mm/ksm/pages_shared",
                           "/sys/kernel/mm/ksm/pages_shared");
    if (!text.ok()) {
      // No ksm directory where sysfs shows the memory manager's: a kernel
      // built without KSM.
      struct stat st;
      return absl::IsNotFound(text.status()) &&
             ::stat("/sys/kernel/mm/transparent_hugepage", &st) == 0 &&
             ::stat("/sys/kernel/mm/ksm", &st) != 0 && errno == ENOENT;
    }
    uint64_t shared = 0;
    return absl::SimpleAtoi(*text, &shared) && shared == 0;
  }

  // A /proc-shaped tree read with --procfs-root was made on a machine of
  // this one's page size (the files hold no page size of their own).
  uint64_t PageSize() const override {
    const long size = ::sysconf(_SC_PAGESIZE);
    return size > 0 ? static_cast<uint64_t>(size) : kPageSize;
  }

 private:
  struct Lazy {
    std::once_flag once;
    Fd fd;
    absl::Status status;
  };

  absl::Status ReadK(Lazy& f, const char* name, uint64_t first,
                     std::span<uint64_t> out, uint64_t fill) {
    std::string what = absl::StrCat(root_, "/", std::string(name));
    std::call_once(f.once, [&] {
      f.fd = Fd(::openat(root_fd_.get(), name,
                         O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!f.fd.valid()) f.status = ErrnoToStatus(errno, what);
    });
    if (!f.status.ok()) return f.status;
    return PreadEntries(f.fd.get(), first, out, fill, what);
  }

  std::string root_;
  Fd root_fd_;
  int self_pid_;
  Lazy kpagecount_;
  Lazy kpageflags_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ProcSource>> NewLiveProcSource(
    std::string root) {
  Fd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoToStatus(errno, root);
  const int self = IsLiveProc(root) ? static_cast<int>(::getpid()) : 0;
  return std::unique_ptr<ProcSource>(
      new LiveProcSource(std::move(root), std::move(fd), self));
}

}  // namespace memstats::scan
