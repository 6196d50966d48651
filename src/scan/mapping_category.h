// What kind of memory each mapping of a process is, from its smaps entry:
// the basis of the proportional views (memstats top, memstats snapshot).
//
// Every mapping gets exactly one category, so a process's categories add
// up exactly to the sum of its smaps Pss. SwapPss and hugetlb memory (which
// the kernel leaves out of Rss and Pss) are carried beside Pss, never in it.
#ifndef MEMSTATS_SCAN_MAPPING_CATEGORY_H_
#define MEMSTATS_SCAN_MAPPING_CATEGORY_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace memstats::scan {

// From scan/parsers.h, which cannot be included here: it includes
// scan/process_record.h, which includes this header for UsageRow.
struct MapEntry;
struct SmapsMapping;

enum class MappingCategory : uint8_t {
  kHeap,         // [heap]
  kStack,        // [stack] (the main thread's; "[stack:PID]" on old kernels)
  kThreadStack,  // holds a thread's stack pointer, or "[stack:TID]"
  kAnon,         // other anonymous private mappings (malloc arenas, mmap,
                 // "[anon:NAME]"), and thread stacks whose stack pointer
                 // could not be read
  kSysv,         // /SYSV<key> (deleted)
  kShmem,        // other shared memory: shared anonymous ("/dev/zero
                 // (deleted)"), /dev/shm/..., "/memfd:NAME (deleted)"
  kSpecial,      // [vdso], [vvar], [vvar_vclock], [vsyscall], other [...]
  kFile,         // file-backed (including "(deleted)" files, anon_inode:...)
  kHugetlb,      // hugetlb pages (Pss 0; the size is in hugetlb bytes),
                 // also a SysV segment or memfd backed by huge pages
};
inline constexpr int kNumMappingCategories = 9;

// "heap", "stack", "thread_stack", "anon", "sysv", "shmem", "special",
// "file", "hugetlb".
std::string_view MappingCategoryName(MappingCategory c);

// Permission bits of a mapping, as in the maps "rwxs" field.
enum MappingPerm : uint8_t {
  kPermRead = 1,
  kPermWrite = 2,
  kPermExec = 4,
  kPermShared = 8,  // 's'; without it the mapping is private ('p')
};
uint8_t MappingPerms(const MapEntry& m);
// "r-xp" etc.
std::string FormatPerms(uint8_t perms);

// The category of one mapping. `thread_stack_pointers`, sorted ascending,
// are the user stack pointers of the process's threads other than the main
// one (see ScanOptions::mapping_detail); a private anonymous mapping that
// holds one of them is a thread stack. `pid` tells "[stack:PID]" (main) from
// "[stack:TID]" (a thread) on kernels before 4.5.
MappingCategory CategorizeMapping(
    const SmapsMapping& m, int pid,
    std::span<const uint64_t> thread_stack_pointers);

// One process's smaps, summed per (category, path, perms). Bytes.
struct UsageRow {
  MappingCategory category = MappingCategory::kAnon;
  // The mapping's path for kFile rows when paths are kept ("/usr/lib/x.so",
  // "/tmp/gone (deleted)", "anon_inode:[perf_event]"); "" otherwise.
  std::string path;
  uint8_t perms = 0;  // MappingPerm bits
  uint32_t mappings = 0;
  uint64_t size = 0;
  uint64_t rss = 0;
  uint64_t pss = 0;
  uint64_t swap = 0;
  uint64_t swap_pss = 0;
  uint64_t hugetlb = 0;  // Shared_Hugetlb + Private_Hugetlb
  bool operator==(const UsageRow&) const = default;
};

// Sums `mappings` into rows, one per distinct (category, path, perms) in
// the order first seen. With keep_paths false every row's path is "" (so
// file mappings fold into one row per perms). `exe` is the target of
// /proc/PID/exe ("" when unknown): a private mapping of the process's own
// executable is kFile wherever it lives, so a program run from a memfd
// ("/memfd:NAME (deleted)", otherwise kShmem) still has its binary.
std::vector<UsageRow> SummarizeMappings(
    std::span<const SmapsMapping> mappings, int pid,
    std::span<const uint64_t> thread_stack_pointers, bool keep_paths,
    std::string_view exe = {});

// Parses /proc/PID/task/TID/syscall ("NR arg1 .. arg6 SP PC", "-1 SP PC"
// when blocked outside a syscall, "running" when on a CPU) and returns the
// stack pointer, or 0 when the file does not give one.
uint64_t ParseSyscallStackPointer(std::string_view text);

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_MAPPING_CATEGORY_H_
