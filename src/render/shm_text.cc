#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "render/scan_stats.h"
#include "render/shm.h"
#include "render/text_table.h"

namespace memstats::render {
namespace {

using Align = TextTable::Align;
constexpr size_t kMaxPathWidth = 48;
constexpr size_t kMaxListWidth = 60;

std::string Escaped(const std::string& s, size_t width) {
  return EscapeForTerminal(Shorten(s, width));
}

// "1234 postgres, 1240 postgres".
std::string Mappers(const std::vector<machine::Mapper>& ms) {
  if (ms.empty()) return "-";
  std::vector<std::string> parts;
  parts.reserve(ms.size());
  for (const machine::Mapper& m : ms) {
    parts.push_back(absl::StrCat(m.pid, " ", m.comm));
  }
  return Escaped(absl::StrJoin(parts, ", "), kMaxListWidth);
}

std::string Pct(double p) { return absl::StrFormat("%.1f", p); }

std::string MaybeBytes(const std::optional<uint64_t>& b, Unit u) {
  return b ? FormatBytes(*b, u) : std::string("-");
}

void SysvTable(const machine::ShmReport& r, Unit u, std::ostream& out) {
  out << "\nSysV shared memory segments (" << r.sysv.size() << ")\n";
  if (r.sysv.empty()) return;
  TextTable t;
  for (const char* h : {"KEY", "SHMID", "OWNER"}) t.AddColumn(h, Align::kLeft);
  for (const char* h : {"SIZE", "RSS", "SWAP", "NATTCH", "MAPPED", "PAGES_4K",
                        "HUGE_PAGES", "RSS%", "MAPPED%"}) {
    t.AddColumn(h, Align::kRight);
  }
  for (const std::string& s : r.split_names) {
    t.AddColumn(absl::StrCat("GROUPS(", s, ")"), Align::kLeft);
  }
  t.AddColumn("ATTACHED_BY", Align::kLeft);
  for (const machine::SysvRow& row : r.sysv) {
    std::vector<std::string> cells = {
        absl::StrFormat("0x%08x", static_cast<uint32_t>(row.seg.key)),
        absl::StrCat(row.seg.shmid),
        EscapeForTerminal(row.owner),
        FormatBytes(row.seg.size, u),
        FormatBytes(row.seg.rss, u),
        FormatBytes(row.seg.swap, u),
        absl::StrCat(row.seg.nattch),
        FormatBytes(row.mapped.pages * r.page_size, u),
        absl::StrCat(row.mapped.base_pages),
        absl::StrCat(row.mapped.huge_pages),
        Pct(row.rss_percent),
        Pct(row.mapped_percent)};
    for (const std::vector<std::string>& g : row.groups) {
      cells.push_back(
          g.empty() ? "-" : Escaped(absl::StrJoin(g, ","), kMaxListWidth));
    }
    cells.push_back(Mappers(row.attachers));
    t.AddRow(std::move(cells));
  }
  t.Print(out);
  out << "RSS: resident pages of the segment (/proc/sysvipc/shm); MAPPED: "
         "distinct pages in the attachers' page tables (pages no attacher "
         "touched are in RSS only)\n";
}

void MountTable(const machine::ShmReport& r, Unit u, std::ostream& out) {
  out << "\ntmpfs mounts (" << r.mounts.size() << ")\n";
  if (r.mounts.empty()) return;
  TextTable t;
  t.AddColumn("MOUNT", Align::kLeft);
  t.AddColumn("DEVICE", Align::kLeft);
  for (const char* h : {"SIZE", "USED", "INODES", "IUSED"}) {
    t.AddColumn(h, Align::kRight);
  }
  for (const machine::TmpfsMountInfo& m : r.mounts) {
    const bool k = m.usage_known;
    t.AddRow({Escaped(m.mount.mount_point, kMaxPathWidth),
              absl::StrCat(m.mount.major, ":", m.mount.minor,
                           m.duplicate ? " (again)" : "",
                           m.covered ? " (covered)" : ""),
              k ? FormatBytes(m.usage.size_bytes, u) : "-",
              k ? FormatBytes(m.usage.used_bytes, u) : "-",
              k ? absl::StrCat(m.usage.inodes) : "-",
              k ? absl::StrCat(m.usage.inodes_used) : "-"});
  }
  t.Print(out);
}

void FileTable(const machine::ShmReport& r, Unit u, std::ostream& out) {
  out << "\nLargest tmpfs files (" << r.files.size() << " of "
      << r.files_total << ")\n";
  if (r.files.empty()) return;
  TextTable t;
  t.AddColumn("PATH", Align::kLeft);
  for (const char* h : {"SIZE", "ALLOCATED", "SWAP", "MAPPED"}) {
    t.AddColumn(h, Align::kRight);
  }
  t.AddColumn("MAPPED_BY", Align::kLeft);
  for (const machine::TmpfsFileRow& f : r.files) {
    t.AddRow({Escaped(f.file.path, kMaxPathWidth), FormatBytes(f.file.size, u),
              FormatBytes(f.file.allocated, u), MaybeBytes(f.file.swapped, u),
              FormatBytes(f.mapped.pages * r.page_size, u),
              Mappers(f.mappers)});
  }
  t.Print(out);
}

void MemfdTable(const machine::ShmReport& r, Unit u, std::ostream& out) {
  out << "\nmemfd objects in processes' maps (" << r.memfds.size() << ")\n";
  if (r.memfds.empty()) return;
  TextTable t;
  t.AddColumn("NAME", Align::kLeft);
  for (const char* h :
       {"INODE", "MAPPED_SIZE", "RESIDENT", "SWAP", "HUGE_PAGES"}) {
    t.AddColumn(h, Align::kRight);
  }
  t.AddColumn("MAPPED_BY", Align::kLeft);
  for (const machine::MemfdRow& m : r.memfds) {
    std::optional<uint64_t> swapped;
    if (m.usage) swapped = m.usage->swapped;
    t.AddRow({Escaped(m.name, kMaxPathWidth), absl::StrCat(m.inode),
              FormatBytes(m.mapped_extent, u),
              FormatBytes(m.mapped.pages * r.page_size, u),
              MaybeBytes(swapped, u), absl::StrCat(m.mapped.huge_pages),
              Mappers(m.mappers)});
  }
  t.Print(out);
}

void NobodyTable(const machine::ShmReport& r, Unit u, std::ostream& out) {
  out << "\nMemory held by no process (SysV segments with nattch 0, tmpfs "
         "files no process maps)\n";
  if (!r.nobody.empty()) {
    TextTable t;
    t.AddColumn("KIND", Align::kLeft);
    t.AddColumn("OBJECT", Align::kLeft);
    t.AddColumn("BYTES", Align::kRight);
    t.AddColumn("SWAP", Align::kRight);
    for (const machine::NobodyRow& n : r.nobody) {
      t.AddRow({n.kind, Escaped(n.name, kMaxPathWidth), FormatBytes(n.bytes, u),
                MaybeBytes(n.swap_bytes, u)});
    }
    t.Print(out);
  }
  out << "total held by no process: " << FormatBytes(r.nobody_bytes, u)
      << " in " << r.nobody_count
      << (r.nobody_count == 1 ? " object" : " objects");
  if (r.nobody.size() < r.nobody_count) {
    out << " (" << r.nobody.size() << " listed)";
  }
  out << ", " << FormatBytes(r.nobody_swap_bytes, u) << " of it in swap\n";
}

// Swapped shared memory is in no page table; the objects know it.
void SwapLine(const machine::ShmReport& r, Unit u, std::ostream& out) {
  out << "shared memory in swap: " << FormatBytes(r.swap.total(), u)
      << " (SysV " << FormatBytes(r.swap.sysv, u) << ", tmpfs "
      << FormatBytes(r.swap.tmpfs, u) << ", memfd "
      << FormatBytes(r.swap.memfd, u) << ")";
  if (r.swap.unknown > 0) {
    out << "; unknown for " << r.swap.unknown
        << (r.swap.unknown == 1 ? " object" : " objects");
  }
  out << "\n";
}

}  // namespace

void RenderShmText(const machine::ShmReport& r, Unit u, std::ostream& out) {
  out << ScanLine(r.scan);
  if (!r.page_level) out << "note: " << r.page_level_note << "\n";
  SysvTable(r, u, out);
  MountTable(r, u, out);
  FileTable(r, u, out);
  MemfdTable(r, u, out);
  NobodyTable(r, u, out);
  SwapLine(r, u, out);
}

}  // namespace memstats::render
