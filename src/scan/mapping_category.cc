#include "scan/mapping_category.h"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "scan/parsers.h"

namespace memstats::scan {
namespace {

// Debian's abseil has its own string_view type.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

// True when one of the sorted `sps` lies in [start, end).
bool HoldsStackPointer(const MapEntry& m, std::span<const uint64_t> sps) {
  auto it = std::lower_bound(sps.begin(), sps.end(), m.start);
  return it != sps.end() && *it < m.end;
}

// "[stack:N]" (kernels before 4.5 named every thread's stack so): N, or
// -1 when `path` is not of that form.
int StackOwner(std::string_view path) {
  constexpr std::string_view kPrefix = "[stack:";
  if (!path.starts_with(kPrefix) || !path.ends_with("]")) return -1;
  path.remove_prefix(kPrefix.size());
  path.remove_suffix(1);
  int tid = 0;
  if (!absl::SimpleAtoi(Absl(path), &tid) || tid <= 0) return -1;
  return tid;
}

}  // namespace

std::string_view MappingCategoryName(MappingCategory c) {
  switch (c) {
    case MappingCategory::kHeap:
      return "heap";
    case MappingCategory::kStack:
      return "stack";
    case MappingCategory::kThreadStack:
      return "thread_stack";
    case MappingCategory::kAnon:
      return "anon";
    case MappingCategory::kSysv:
      return "sysv";
    case MappingCategory::kShmem:
      return "shmem";
    case MappingCategory::kSpecial:
      return "special";
    case MappingCategory::kFile:
      return "file";
    case MappingCategory::kHugetlb:
      return "hugetlb";
  }
  return "?";
}

uint8_t MappingPerms(const MapEntry& m) {
  return (m.read ? kPermRead : 0) | (m.write ? kPermWrite : 0) |
         (m.exec ? kPermExec : 0) | (m.shared ? kPermShared : 0);
}

std::string FormatPerms(uint8_t perms) {
  std::string s = "----";
  if (perms & kPermRead) s[0] = 'r';
  if (perms & kPermWrite) s[1] = 'w';
  if (perms & kPermExec) s[2] = 'x';
  s[3] = (perms & kPermShared) ? 's' : 'p';
  return s;
}

// The order of the tests matters where names overlap:
// - hugetlb first: a SysV segment (SHM_HUGETLB) or a memfd (MFD_HUGETLB) may
//   be backed by huge pages. Its Pss is 0 whatever its name (the kernel
//   counts hugetlb pages only in *_Hugetlb), so it goes where its bytes are
//   shown: kHugetlb. A hugetlb mapping with no huge page mapped yet has
//   nothing to show and is categorized by its name.
// - "[anon:NAME]" (prctl PR_SET_VMA_ANON_NAME, Linux 5.17) is private
//   anonymous memory and "[anon_shmem:NAME]" shared anonymous memory, not
//   special mappings.
// - A memfd shows as "/memfd:NAME (deleted)" (the file lives on the
//   kernel's internal shm mount); "memfd:NAME" is accepted too.
// - Shared anonymous memory is shmem-backed and shows as "/dev/zero
//   (deleted)"; a private mapping of /dev/zero is plain anonymous memory.
MappingCategory CategorizeMapping(
    const SmapsMapping& m, int pid,
    std::span<const uint64_t> thread_stack_pointers) {
  const std::string_view path = m.map.path;
  if (m.totals.shared_hugetlb + m.totals.private_hugetlb > 0 ||
      path.starts_with("/anon_hugepage") ||
      path.starts_with("/dev/hugepages/")) {
    return MappingCategory::kHugetlb;
  }
  if (path == "[heap]") return MappingCategory::kHeap;
  if (path == "[stack]") return MappingCategory::kStack;
  if (int owner = StackOwner(path); owner > 0) {
    return owner == pid ? MappingCategory::kStack
                        : MappingCategory::kThreadStack;
  }
  if (IsSysvMapping(m.map)) return MappingCategory::kSysv;
  if (path == "/dev/zero (deleted)" || path.starts_with("/dev/shm/") ||
      path.starts_with("/memfd:") || path.starts_with("memfd:") ||
      path.starts_with("[anon_shmem:")) {
    return MappingCategory::kShmem;
  }
  const bool anonymous =
      path.empty() || path.starts_with("[anon:") || path == "/dev/zero";
  if (anonymous) {
    if (m.map.shared) return MappingCategory::kShmem;
    return HoldsStackPointer(m.map, thread_stack_pointers)
               ? MappingCategory::kThreadStack
               : MappingCategory::kAnon;
  }
  if (path.starts_with("[")) return MappingCategory::kSpecial;
  return MappingCategory::kFile;
}

std::vector<UsageRow> SummarizeMappings(
    std::span<const SmapsMapping> mappings, int pid,
    std::span<const uint64_t> thread_stack_pointers, bool keep_paths,
    std::string_view exe) {
  std::vector<UsageRow> rows;
  using Key = std::tuple<MappingCategory, std::string_view, uint8_t>;
  absl::flat_hash_map<Key, size_t> index;  // views into `mappings`' paths
  for (const SmapsMapping& m : mappings) {
    const bool own_binary =
        !exe.empty() && !m.map.shared && m.map.path == exe;
    const MappingCategory c =
        own_binary ? MappingCategory::kFile
                   : CategorizeMapping(m, pid, thread_stack_pointers);
    const uint8_t perms = MappingPerms(m.map);
    std::string_view path;
    if (keep_paths && c == MappingCategory::kFile) path = m.map.path;
    auto [it, inserted] = index.try_emplace(Key{c, path, perms}, rows.size());
    if (inserted) {
      UsageRow& r = rows.emplace_back();
      r.category = c;
      r.path = std::string(path);
      r.perms = perms;
    }
    UsageRow& r = rows[it->second];
    ++r.mappings;
    r.size += m.size;
    r.rss += m.totals.rss;
    r.pss += m.totals.pss;
    r.swap += m.totals.swap;
    r.swap_pss += m.totals.swap_pss;
    r.hugetlb += m.totals.shared_hugetlb + m.totals.private_hugetlb;
  }
  return rows;
}

// The kernel prints (fs/proc/base.c, proc_pid_syscall) "running" when the
// task is on a CPU, "%d 0x%llx 0x%llx" (nr, sp, pc) with a negative nr when
// it is blocked outside a system call, and otherwise nr, the six arguments,
// sp and pc: nine fields. The stack pointer is the second last field.
uint64_t ParseSyscallStackPointer(std::string_view text) {
  std::vector<absl::string_view> f =
      absl::StrSplit(absl::StripTrailingAsciiWhitespace(Absl(text)), ' ');
  int nr = 0;
  if (f.empty() || !absl::SimpleAtoi(f[0], &nr)) return 0;
  if (f.size() != (nr < 0 ? 3u : 9u)) return 0;
  absl::string_view sp = f[f.size() - 2];
  if (!absl::ConsumePrefix(&sp, "0x")) return 0;
  uint64_t value = 0;
  if (sp.empty() || !absl::SimpleHexAtoi(sp, &value)) return 0;
  return value;
}

}  // namespace memstats::scan
