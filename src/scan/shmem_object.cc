#include "scan/shmem_object.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "absl/strings/str_cat.h"
#include "scan/mountinfo.h"
#include "scan/parsers.h"
#include "scan/process_record.h"
#include "scan/proc_source.h"

namespace memstats::scan {
namespace {

// cachestat(2) (Linux 6.5, include/uapi/linux/mman.h). Older userspace
// headers lack it; the number is the same on every architecture.
#ifdef SYS_cachestat
constexpr long kSysCachestat = SYS_cachestat;
#else
constexpr long kSysCachestat = 451;
#endif
struct CachestatRange {
  uint64_t off;
  uint64_t len;  // 0: to the end of the file
};
struct Cachestat {
  uint64_t nr_cache;
  uint64_t nr_dirty;
  uint64_t nr_writeback;
  uint64_t nr_evicted;
  uint64_t nr_recently_evicted;
};

constexpr std::string_view kSharedAnonPath = "/dev/zero (deleted)";
constexpr std::string_view kNamedShmemPrefix = "[anon_shmem:";

}  // namespace

const char* ShmemKindName(ShmemKind kind) {
  switch (kind) {
    case ShmemKind::kTmpfsFile:
      return "tmpfs";
    case ShmemKind::kMemfd:
      return "memfd";
    case ShmemKind::kSharedAnon:
      return "shared_anon";
  }
  return "?";
}

absl::StatusOr<ShmemUsage> ShmemUsageOfFd(int fd, const ShmemKey* expect) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoToStatus(errno, "fstat");
  if (expect != nullptr &&
      (major(st.st_dev) != expect->major || minor(st.st_dev) != expect->minor ||
       static_cast<uint64_t>(st.st_ino) != expect->inode)) {
    return absl::NotFoundError("another object than the one listed");
  }
  struct statfs fs;
  if (::fstatfs(fd, &fs) != 0) return ErrnoToStatus(errno, "fstatfs");
  if (static_cast<uint64_t>(fs.f_type) != TMPFS_MAGIC) {
    return absl::FailedPreconditionError("not a tmpfs (shmem) file");
  }
  CachestatRange range{0, 0};
  Cachestat cs{};
  if (::syscall(kSysCachestat, fd, &range, &cs, 0) != 0) {
    if (errno == ENOSYS) {
      return absl::UnimplementedError("no cachestat(2) (Linux 6.5)");
    }
    return ErrnoToStatus(errno, "cachestat");
  }
  // cachestat counts in the kernel's base pages.
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  ShmemUsage u;
  u.size = static_cast<uint64_t>(st.st_size);
  u.allocated = static_cast<uint64_t>(st.st_blocks) * 512;
  u.links = st.st_nlink;
  u.resident = cs.nr_cache * page;
  u.swapped = cs.nr_evicted * page;
  return u;
}

std::optional<ShmemKind> ShmemMapKind(const MapEntry& m,
                                      const TmpfsDevices& tmpfs_devices) {
  if (m.inode == 0 || IsSysvMapping(m)) return std::nullopt;
  if (m.path.starts_with(kMemfdPrefix)) return ShmemKind::kMemfd;
  if (m.path == kSharedAnonPath || m.path.starts_with(kNamedShmemPrefix)) {
    return ShmemKind::kSharedAnon;
  }
  if (tmpfs_devices.contains({m.dev_major, m.dev_minor})) {
    return ShmemKind::kTmpfsFile;
  }
  return std::nullopt;
}

TmpfsDevices ReadTmpfsDevices(ProcSource& source) {
  TmpfsDevices devices;
  auto text = source.ReadSystemFile("self/mountinfo");
  if (!text.ok()) return devices;
  auto mounts = ParseTmpfsMounts(*text);
  if (!mounts.ok()) return devices;
  for (const TmpfsMount& m : *mounts) devices.insert({m.major, m.minor});
  return devices;
}

std::vector<ShmemObject> ReadShmemObjects(
    ProcSource& source, const std::vector<ProcessRecord>& records,
    size_t* unknown) {
  // Each object with its mappers' references, in record order.
  struct Refs {
    std::vector<std::pair<int, const ShmemMapRef*>> mappers;  // pid, ref
  };
  std::map<ShmemKey, Refs> by_key;
  for (const ProcessRecord& rec : records) {
    for (const ShmemMapRef& ref : rec.shmem_maps) {
      by_key[ref.key].mappers.emplace_back(rec.id.pid, &ref);
    }
  }
  std::vector<ShmemObject> objects;
  objects.reserve(by_key.size());
  *unknown = 0;
  for (const auto& [key, refs] : by_key) {
    const ShmemMapRef& first = *refs.mappers.front().second;
    ShmemObject obj{key, first.kind, first.path, std::nullopt};
    bool not_shmem = false;
    for (const auto& [pid, ref] : refs.mappers) {
      auto handle = source.OpenProcess(pid);
      if (!handle.ok()) continue;
      auto usage = (*handle)->MappedShmemUsage(ref->start, ref->end, key);
      if (usage.ok()) {
        obj.usage = *usage;
        break;
      }
      if (absl::IsFailedPrecondition(usage.status())) {
        not_shmem = true;
        break;
      }
      // The kernel or the source cannot answer: no other mapper will.
      if (absl::IsUnimplemented(usage.status()) ||
          absl::IsPermissionDenied(usage.status())) {
        break;
      }
    }
    if (not_shmem) continue;
    if (!obj.usage) ++*unknown;
    objects.push_back(std::move(obj));
  }
  return objects;
}

std::vector<ShmemMapRef> ShmemMapRefs(const std::vector<MapEntry>& maps,
                                      const TmpfsDevices& tmpfs_devices) {
  std::vector<ShmemMapRef> refs;
  for (const MapEntry& m : maps) {
    if (auto kind = ShmemMapKind(m, tmpfs_devices)) {
      refs.push_back(
          {{m.dev_major, m.dev_minor, m.inode}, *kind, m.start, m.end, m.path});
    }
  }
  std::stable_sort(refs.begin(), refs.end(),
                   [](const ShmemMapRef& a, const ShmemMapRef& b) {
                     return a.key < b.key;
                   });
  refs.erase(std::unique(refs.begin(), refs.end(),
                         [](const ShmemMapRef& a, const ShmemMapRef& b) {
                           return a.key == b.key;
                         }),
             refs.end());
  return refs;
}

const ShmemObject* FindShmemObject(std::span<const ShmemObject> objects,
                                   const ShmemKey& key) {
  auto it = std::lower_bound(
      objects.begin(), objects.end(), key,
      [](const ShmemObject& o, const ShmemKey& k) { return o.key < k; });
  if (it == objects.end() || it->key != key) return nullptr;
  return &*it;
}

}  // namespace memstats::scan
