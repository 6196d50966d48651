#include "profile/snapshot.h"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "scan/exe_name.h"

namespace memstats::profile {
namespace {

using scan::MappingCategory;

// Rows are merged by this key; for non-file rows only the category counts.
using RowKey = std::tuple<MappingCategory, FileRole, std::string, std::string>;

RowKey KeyOf(const SnapshotRow& r) {
  return {r.category, r.role, r.path, r.perms};
}

// Sums rows by key, keeping the order first seen (sorting fixes it later).
class RowSum {
 public:
  void Add(const SnapshotRow& in) {
    auto [it, inserted] = index_.try_emplace(KeyOf(in), rows_.size());
    if (inserted) {
      SnapshotRow& r = rows_.emplace_back();
      r.category = in.category;
      r.role = in.role;
      r.path = in.path;
      r.perms = in.perms;
    }
    SnapshotRow& r = rows_[it->second];
    r.mappings += in.mappings;
    r.size += in.size;
    r.rss += in.rss;
    r.pss += in.pss;
    r.swap_pss += in.swap_pss;
  }
  std::vector<SnapshotRow>& rows() { return rows_; }

 private:
  absl::flat_hash_map<RowKey, size_t> index_;
  std::vector<SnapshotRow> rows_;
};

// Largest first; ties in a fixed order so that output never depends on the
// order processes or mappings were seen.
bool Before(const SnapshotRow& a, const SnapshotRow& b) {
  if (a.pss != b.pss) return a.pss > b.pss;
  return KeyOf(a) < KeyOf(b);
}

double Percent(uint64_t part, uint64_t total) {
  if (total == 0) return 0;
  return 100.0 * static_cast<double>(part) / static_cast<double>(total);
}

// Turns summed rows into a section: totals, percents, order, folding.
// Hugetlb rows leave their bytes in the hugetlb fields; one keeps a row only
// when its Pss is not 0 (never, as the kernel counts huge pages).
SnapshotSection Finish(std::vector<SnapshotRow> summed, uint64_t hugetlb,
                       uint32_t hugetlb_mappings, double small_percent) {
  SnapshotSection s;
  s.hugetlb = hugetlb;
  s.hugetlb_mappings = hugetlb_mappings;
  std::vector<SnapshotRow> rows;
  for (SnapshotRow& r : summed) {
    s.pss_total += r.pss;
    s.swap_pss += r.swap_pss;
    if (r.category == MappingCategory::kHugetlb && r.pss == 0) continue;
    rows.push_back(std::move(r));
  }
  std::sort(rows.begin(), rows.end(), Before);
  for (SnapshotRow& r : rows) {
    r.percent = Percent(r.pss, s.pss_total);
    if (r.percent < small_percent) {
      s.small_pss += r.pss;
      s.small_rows.push_back(std::move(r));
    } else {
      s.rows.push_back(std::move(r));
    }
  }
  s.small_percent = Percent(s.small_pss, s.pss_total);
  return s;
}

std::string JoinCmdline(const std::vector<std::string>& argv) {
  return absl::StrJoin(argv, " ");
}

}  // namespace

absl::StatusOr<FileKeyMask> ParseFileKeyMask(std::string_view text) {
  FileKeyMask m;
  for (char c : text) {
    switch (c) {
      case 'b':
        m.binary = true;
        break;
      case 'f':
        m.path = true;
        break;
      case 'r':
        m.read = true;
        break;
      case 'w':
        m.write = true;
        break;
      case 'x':
        m.exec = true;
        break;
      case 's':
        m.shared = true;
        break;
      case 'p':
        m.private_ = true;
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown letter '", std::string(1, c), "' in '", std::string(text),
            "' (expected letters from bfrwxsp)"));
    }
  }
  // Permission letters alone still key by path ("-m rx": path + r/x);
  // 'b' keys by binary vs library instead of the path.
  if (!text.empty() && !m.binary) m.path = true;
  return m;
}

std::string MaskedPerms(uint8_t perms, const FileKeyMask& mask) {
  std::string s = "----";
  if (mask.read && (perms & scan::kPermRead)) s[0] = 'r';
  if (mask.write && (perms & scan::kPermWrite)) s[1] = 'w';
  if (mask.exec && (perms & scan::kPermExec)) s[2] = 'x';
  const bool shared = perms & scan::kPermShared;
  if (mask.shared && shared) s[3] = 's';
  if (mask.private_ && !shared) s[3] = 'p';
  return s;
}

Snapshot BuildSnapshot(std::span<const scan::ProcessRecord> records,
                       const SnapshotOptions& options) {
  Snapshot snap;
  snap.small_percent = options.small_percent;
  const FileKeyMask& mask = options.mask;
  RowSum all;
  uint64_t all_hugetlb = 0;
  uint32_t all_hugetlb_mappings = 0;
  for (const scan::ProcessRecord& rec : records) {
    RowSum mine;
    uint64_t hugetlb = 0;
    uint32_t hugetlb_mappings = 0;
    for (const scan::UsageRow& u : rec.usage) {
      SnapshotRow r;
      r.category = u.category;
      if (u.category == MappingCategory::kFile) {
        // The process's own executable, even deleted or run from a memfd
        // (scan::SummarizeMappings files its mappings); shown by the name
        // an operator recognizes ("binary_backend (memfd)").
        const bool own_binary = !rec.id.exe.empty() && u.path == rec.id.exe;
        if (mask.binary) {
          r.role = own_binary ? FileRole::kBinary : FileRole::kLibrary;
        }
        if (mask.path) {
          r.path = own_binary
                       ? scan::ExeDisplayName(rec.id.exe, rec.id.cmdline)
                       : u.path;
        }
        if (mask.any_perm()) r.perms = MaskedPerms(u.perms, mask);
      }
      if (u.category == MappingCategory::kHugetlb) {
        hugetlb += u.hugetlb;
        hugetlb_mappings += u.mappings;
      }
      r.mappings = u.mappings;
      r.size = u.size;
      r.rss = u.rss;
      r.pss = u.pss;
      r.swap_pss = u.swap_pss;
      mine.Add(r);
      all.Add(r);
    }
    all_hugetlb += hugetlb;
    all_hugetlb_mappings += hugetlb_mappings;
    ProcessSnapshot& p = snap.processes.emplace_back();
    p.pid = rec.id.pid;
    p.ppid = rec.id.ppid;
    p.uid = rec.id.uid;
    p.comm = rec.id.comm;
    p.cmdline = JoinCmdline(rec.id.cmdline);
    p.threads = rec.threads;
    p.unknown_thread_stacks = rec.unknown_thread_stacks;
    p.section = Finish(std::move(mine.rows()), hugetlb, hugetlb_mappings,
                       options.small_percent);
  }
  snap.summary = Finish(std::move(all.rows()), all_hugetlb,
                        all_hugetlb_mappings, options.small_percent);
  return snap;
}

std::string RowLabel(const SnapshotRow& row) {
  switch (row.category) {
    case MappingCategory::kHeap:
      return "Heap";
    case MappingCategory::kStack:
      return "Stack";
    case MappingCategory::kThreadStack:
      return "Thread stacks";
    case MappingCategory::kAnon:
      return "Anonymous mappings";
    case MappingCategory::kSysv:
      return "SysV shm";
    case MappingCategory::kShmem:
      return "Other shared memory";
    case MappingCategory::kSpecial:
      return "vdso/vvar/vsyscall";
    case MappingCategory::kHugetlb:
      return "Hugetlb";
    case MappingCategory::kFile:
      break;
  }
  std::vector<std::string> parts;
  if (row.role == FileRole::kBinary) parts.emplace_back("binary");
  if (row.role == FileRole::kLibrary) parts.emplace_back("library");
  if (!row.path.empty()) parts.push_back(row.path);
  if (parts.empty()) parts.emplace_back("file-backed mappings");
  if (!row.perms.empty()) parts.push_back(row.perms);
  return absl::StrJoin(parts, " ");
}

}  // namespace memstats::profile
