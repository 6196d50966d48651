#include "machine/shm.h"

#include <algorithm>
#include <map>
#include <optional>
#include <span>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "scan/pagemap.h"
#include "scan/parsers.h"

namespace memstats::machine {
namespace {

using scan::MapEntry;

// A shared object seen in maps: a SysV segment (by shmid), a memfd or a
// tmpfs file (by device and inode).
enum class Kind { kSysv, kMemfd, kTmpfs };
struct ObjectKey {
  Kind kind;
  uint32_t major, minor;
  uint64_t inode;
  bool operator<(const ObjectKey& o) const {
    return std::tie(kind, major, minor, inode) <
           std::tie(o.kind, o.major, o.minor, o.inode);
  }
};

struct Object {
  std::string name;  // memfd NAME
  uint64_t extent = 0;
  std::vector<uint64_t> pfns;  // of all mappers; sorted and made unique later
  std::vector<Mapper> mappers;
};

constexpr std::string_view kDeleted = " (deleted)";

bool IsMemfd(const MapEntry& m) {
  return m.path.starts_with(scan::kMemfdPrefix);
}

std::string MemfdName(const MapEntry& m) {
  std::string_view p = m.path;
  p.remove_prefix(scan::kMemfdPrefix.size());
  if (p.ends_with(kDeleted)) p.remove_suffix(kDeleted.size());
  return std::string(p);
}

// Present pagemap entries of [m.start, m.end) that are the object's own
// pages: appends their PFNs. Returns their number, or the read's error.
absl::StatusOr<uint64_t> ReadPresent(scan::ProcHandle& h, const MapEntry& m,
                                     uint64_t page_size,
                                     std::vector<uint64_t>& pfns,
                                     uint64_t& zero_pfns) {
  constexpr size_t kChunk = 4096;
  std::vector<uint64_t> buf;
  uint64_t present = 0;
  const uint64_t first = m.start / page_size, last = m.end / page_size;
  for (uint64_t vpn = first; vpn < last; vpn += kChunk) {
    buf.assign(std::min<uint64_t>(kChunk, last - vpn), 0);
    absl::Status s = h.ReadPagemap(vpn, std::span<uint64_t>(buf));
    if (!s.ok()) return s;
    for (uint64_t e : buf) {
      // Without bit 61 the page is anonymous: a private copy a MAP_PRIVATE
      // mapping of the object made on write, not the object's page.
      if (!(e & scan::kPmPresent) || !(e & scan::kPmFileOrShared)) continue;
      ++present;
      const uint64_t pfn = e & scan::kPmPfnMask;
      if (pfn == 0) {
        ++zero_pfns;
      } else {
        pfns.push_back(pfn);
      }
    }
  }
  return present;
}

// Counts the distinct PFNs and, through kpageflags, the hugetlb ones.
// Sorts and dedups `pfns`.
Residency Resident(scan::ProcSource& source, std::vector<uint64_t>& pfns,
                   uint64_t page_size, uint64_t hugepage_size) {
  std::sort(pfns.begin(), pfns.end());
  pfns.erase(std::unique(pfns.begin(), pfns.end()), pfns.end());
  Residency r;
  r.pages = pfns.size();
  // Read kpageflags in runs of consecutive PFNs.
  std::vector<uint64_t> flags;
  for (size_t i = 0; i < pfns.size();) {
    size_t j = i + 1;
    while (j < pfns.size() && pfns[j] == pfns[j - 1] + 1 && j - i < 4096) ++j;
    flags.assign(j - i, 0);
    if (source.ReadKpageflags(pfns[i], std::span<uint64_t>(flags)).ok()) {
      for (uint64_t f : flags) {
        if (f & (uint64_t{1} << scan::kKpfHuge)) ++r.huge_base_pages;
      }
    }
    i = j;
  }
  r.base_pages = r.pages - r.huge_base_pages;
  if (hugepage_size >= page_size) {
    r.huge_pages = r.huge_base_pages / (hugepage_size / page_size);
  }
  return r;
}

double Percent(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) /
                                static_cast<double>(whole);
}

std::vector<Mapper> SortedMappers(std::vector<Mapper> v) {
  std::sort(v.begin(), v.end(),
            [](const Mapper& a, const Mapper& b) { return a.pid < b.pid; });
  return v;
}

}  // namespace

absl::StatusOr<ShmReport> CollectShm(scan::ProcSource& source, FsSource& fs,
                                     const scan::ScanResult& scan,
                                     const ShmOptions& options) {
  ShmReport report;
  report.scan = scan.stats;
  report.page_size = source.PageSize();
  for (const splitters::Splitter* s : options.splits) {
    report.split_names.push_back(s->name());
  }
  if (auto meminfo = source.ReadSystemFile("meminfo"); meminfo.ok()) {
    if (auto info = scan::ParseMeminfo(*meminfo); info.ok()) {
      auto it = info->find("Hugepagesize");
      if (it != info->end()) report.hugepage_size = it->second;
    }
  }

  // tmpfs mounts: their devices tell tmpfs files apart in maps.
  auto mountinfo = source.ReadSystemFile("self/mountinfo");
  if (mountinfo.ok()) {
    auto mounts = ParseTmpfsMounts(*mountinfo);
    if (!mounts.ok()) return mounts.status();
    absl::flat_hash_set<std::pair<uint32_t, uint32_t>> seen;
    for (TmpfsMount& m : *mounts) {
      TmpfsMountInfo info;
      info.duplicate = !seen.insert({m.major, m.minor}).second;
      if (auto u = fs.StatVfs(m.mount_point); u.ok()) {
        info.usage_known = true;
        info.usage = *u;
      }
      info.mount = std::move(m);
      report.mounts.push_back(std::move(info));
    }
  }
  absl::flat_hash_set<std::pair<uint32_t, uint32_t>> tmpfs_devs;
  for (const TmpfsMountInfo& m : report.mounts) {
    tmpfs_devs.insert({m.mount.major, m.mount.minor});
  }

  // One pass over the scanned processes' maps and the pagemap of their
  // shared memory mappings.
  std::map<ObjectKey, Object> objects;
  uint64_t zero_pfns = 0, present_total = 0;
  const uint64_t page_size = report.page_size;
  for (const scan::ProcessRecord& rec : scan.processes) {
    auto handle = source.OpenProcess(rec.id.pid);
    if (!handle.ok()) continue;
    auto text = (*handle)->ReadFile("maps");
    if (!text.ok()) continue;
    auto maps = scan::ParseMaps(*text);
    if (!maps.ok()) continue;
    std::map<ObjectKey, Mapper> mine;
    bool vanished = false;
    for (const MapEntry& m : *maps) {
      ObjectKey key{Kind::kTmpfs, m.dev_major, m.dev_minor, m.inode};
      if (scan::IsSysvMapping(m)) {
        key = {Kind::kSysv, 0, 0, m.inode};
      } else if (IsMemfd(m)) {
        key.kind = Kind::kMemfd;
      } else if (!m.shared || m.inode == 0 ||
                 !tmpfs_devs.contains({m.dev_major, m.dev_minor})) {
        continue;
      }
      Object& obj = objects[key];
      if (key.kind == Kind::kMemfd) obj.name = MemfdName(m);
      obj.extent = std::max(obj.extent, m.offset + (m.end - m.start));
      auto present = ReadPresent(**handle, m, page_size, obj.pfns, zero_pfns);
      if (!present.ok()) {
        vanished = true;
        break;
      }
      present_total += *present;
      Mapper& me = mine[key];
      me.pid = rec.id.pid;
      me.uid = rec.id.uid;
      me.comm = rec.id.comm;
      me.resident_pages += *present;
    }
    if (vanished) continue;  // its PFNs stay: they were mapped when read
    for (auto& [key, me] : mine) objects[key].mappers.push_back(std::move(me));
  }
  if (zero_pfns > 0 && zero_pfns == present_total) {
    report.page_level = false;
    report.page_level_note =
        "pagemap hides page frame numbers (no CAP_SYS_ADMIN): pages mapped "
        "are per process only, not distinct over the mappers";
  }

  // SysV segments: every one in /proc/sysvipc/shm, mapped or not.
  if (!scan.sysv.empty()) {
    absl::flat_hash_map<int, const scan::ProcessRecord*> by_pid;
    for (const scan::ProcessRecord& rec : scan.processes) {
      by_pid[rec.id.pid] = &rec;
    }
    for (const scan::SysvSegment& seg : scan.sysv) {
      SysvRow row;
      row.seg = seg;
      std::optional<std::string> name;
      if (options.namer) name = options.namer(seg.uid);
      row.owner = name ? *name : absl::StrCat(seg.uid);
      auto it = objects.find({Kind::kSysv, 0, 0,
                              static_cast<uint64_t>(seg.shmid)});
      if (it != objects.end()) {
        row.mapped = Resident(source, it->second.pfns, page_size, report.hugepage_size);
        row.attachers = SortedMappers(std::move(it->second.mappers));
      }
      row.hugetlb = row.mapped.huge_base_pages > 0;
      row.rss_percent = Percent(seg.rss, seg.size);
      row.mapped_percent = Percent(row.mapped.pages * page_size, seg.size);
      for (const splitters::Splitter* s : options.splits) {
        std::vector<std::string> keys;
        for (const Mapper& m : row.attachers) {
          auto rec = by_pid.find(m.pid);
          if (rec != by_pid.end()) {
            keys.push_back(s->KeyOf(rec->second->id, scan.parents));
          }
        }
        std::sort(keys.begin(), keys.end());
        keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
        row.groups.push_back(std::move(keys));
      }
      report.swap.sysv += seg.swap;
      if (seg.nattch == 0) {
        report.nobody.push_back(
            {"sysv",
             absl::StrFormat("SysV key 0x%08x shmid %d",
                             static_cast<uint32_t>(seg.key), seg.shmid),
             seg.rss + seg.swap, seg.swap});
      }
      report.sysv.push_back(std::move(row));
    }
    std::sort(report.sysv.begin(), report.sysv.end(),
              [](const SysvRow& a, const SysvRow& b) {
                return a.seg.shmid < b.seg.shmid;
              });
  }

  // memfd objects.
  for (auto& [key, obj] : objects) {
    if (key.kind != Kind::kMemfd) continue;
    MemfdRow row;
    row.name = obj.name;
    row.inode = key.inode;
    row.mapped_extent = obj.extent;
    row.mapped = Resident(source, obj.pfns, page_size, report.hugepage_size);
    row.mappers = SortedMappers(std::move(obj.mappers));
    const scan::ShmemObject* whole = scan::FindShmemObject(
        scan.shmem_objects, {key.major, key.minor, key.inode});
    if (whole != nullptr && whole->usage) {
      row.usage = whole->usage;
      report.swap.memfd += whole->usage->swapped;
    } else if (row.mapped.huge_base_pages == 0) {
      ++report.swap.unknown;  // not a hugetlbfs memfd, whose pages stay
    }
    report.memfds.push_back(std::move(row));
  }
  std::stable_sort(report.memfds.begin(), report.memfds.end(),
                   [](const MemfdRow& a, const MemfdRow& b) {
                     return a.mapped.pages > b.mapped.pages;
                   });

  // tmpfs files: every mount's files, once per file system.
  std::vector<TmpfsFileRow> files;
  absl::flat_hash_set<std::pair<uint32_t, uint32_t>> walked;
  for (TmpfsMountInfo& m : report.mounts) {
    if (m.duplicate) continue;
    auto listed = fs.ListFiles(m.mount.mount_point);
    if (!listed.ok()) {
      if (!absl::IsUnavailable(listed.status())) {
        report.warnings.push_back(absl::StrCat(
            "cannot list ", m.mount.mount_point, ": ",
            listed.status().message()));
      }
      continue;
    }
    if (listed->major != m.mount.major || listed->minor != m.mount.minor) {
      m.covered = true;  // statvfs answered for the mount on top of it
      m.usage_known = false;
      continue;
    }
    if (!walked.insert({listed->major, listed->minor}).second) continue;
    for (TmpfsFile& f : listed->files) {
      TmpfsFileRow row;
      auto it = objects.find({Kind::kTmpfs, m.mount.major, m.mount.minor,
                              f.inode});
      if (it != objects.end()) {
        row.mapped = Resident(source, it->second.pfns, page_size,
                              report.hugepage_size);
        row.mappers = SortedMappers(std::move(it->second.mappers));
      }
      row.file = std::move(f);
      row.mount_point = m.mount.mount_point;
      if (row.file.swapped) {
        report.swap.tmpfs += *row.file.swapped;
      } else {
        ++report.swap.unknown;
      }
      if (row.mappers.empty() && row.file.allocated > 0) {
        report.nobody.push_back(
            {"tmpfs", row.file.path, row.file.allocated, row.file.swapped});
      }
      files.push_back(std::move(row));
    }
  }
  report.files_total = files.size();
  std::stable_sort(files.begin(), files.end(),
                   [](const TmpfsFileRow& a, const TmpfsFileRow& b) {
                     return a.file.allocated > b.file.allocated;
                   });
  if (files.size() > options.top) files.resize(options.top);
  report.files = std::move(files);

  std::stable_sort(report.nobody.begin(), report.nobody.end(),
                   [](const NobodyRow& a, const NobodyRow& b) {
                     return a.bytes > b.bytes;
                   });
  report.nobody_count = report.nobody.size();
  for (const NobodyRow& n : report.nobody) {
    report.nobody_bytes += n.bytes;
    report.nobody_swap_bytes += n.swap_bytes.value_or(0);
  }
  if (report.nobody.size() > options.top) report.nobody.resize(options.top);
  return report;
}

}  // namespace memstats::machine
