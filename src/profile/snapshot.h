// Snapshot: what kind of memory a set of processes uses, in proportional
// (PSS) bytes, for `memstats snapshot`. Pure computation over the usage rows
// the scanner made from each process's smaps (ScanOptions::mapping_detail);
// renderers print a Snapshot and compute nothing.
//
// For the set as a whole (the summary) and for each process: one row per
// category (heap, stack, thread stacks, anonymous, SysV, other shared memory,
// special mappings) and one row per file-backed key, where the key of a
// file mapping is chosen by a FileKeyMask. Every smaps mapping lands in
// exactly one row, so the rows of a process add up exactly to its smaps Pss.
// SwapPss and hugetlb bytes (which the kernel leaves out of Pss) are carried
// beside the PSS total, never in it.
#ifndef MEMSTATS_PROFILE_SNAPSHOT_H_
#define MEMSTATS_PROFILE_SNAPSHOT_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "scan/mapping_category.h"
#include "scan/process_record.h"
#include "scan/scanner.h"

namespace memstats::profile {

// What file rows are aggregated by (`-m MASK`, letters from "bfrwxsp").
struct FileKeyMask {
  bool binary = false;  // 'b': the process's own executable vs a library
  bool path = false;    // 'f': the mapping's path
  bool read = false, write = false, exec = false;  // 'r' 'w' 'x'
  bool shared = false, private_ = false;           // 's' 'p'
  bool operator==(const FileKeyMask&) const = default;
  // Whether any permission letter is part of the key.
  bool any_perm() const { return read || write || exec || shared || private_; }
};

// The default when -m is absent: path and full permissions.
inline constexpr std::string_view kDefaultFileKeyMask = "frwxsp";

// Parses a mask; "" aggregates all file mappings into one row. A mask
// without 'b' keys by path too, whether or not it names 'f' ("rx" is path
// plus r and x); "b" and "brx" key by binary vs library instead. Letters may
// repeat. InvalidArgumentError naming the first unknown letter otherwise.
absl::StatusOr<FileKeyMask> ParseFileKeyMask(std::string_view text);

// The permission part of a key: four characters as in maps ("r-xp"), with
// the letters the mask leaves out, and those not set, as '-': with mask
// "rx" an "r-xp" mapping shows "r-x-".
std::string MaskedPerms(uint8_t perms, const FileKeyMask& mask);

// Whether a file row is the process's own executable.
enum class FileRole : uint8_t { kNone, kBinary, kLibrary };

struct SnapshotRow {
  scan::MappingCategory category = scan::MappingCategory::kAnon;
  // kFile rows only: the parts of the key the mask keeps ("" / kNone for the
  // parts it leaves out).
  FileRole role = FileRole::kNone;
  std::string path;
  std::string perms;  // MaskedPerms, "" when the mask has no perm letter
  uint32_t mappings = 0;
  uint64_t size = 0;
  uint64_t rss = 0;
  uint64_t pss = 0;
  uint64_t swap_pss = 0;
  double percent = 0;  // pss / the section's pss_total * 100; 0 if total 0
  bool operator==(const SnapshotRow&) const = default;
};

// One section of the output: the summary, or one process.
struct SnapshotSection {
  uint64_t pss_total = 0;  // sum of every row's pss (rows + small_rows)
  uint64_t swap_pss = 0;   // SwapPss, not in pss_total
  uint64_t hugetlb = 0;    // Shared_Hugetlb + Private_Hugetlb, not in Pss
  uint32_t hugetlb_mappings = 0;
  // Rows at or above the small threshold, largest PSS first (ties: category
  // order, then role, path, perms).
  std::vector<SnapshotRow> rows;
  // Rows below it ("small categories"), in the same order.
  std::vector<SnapshotRow> small_rows;
  uint64_t small_pss = 0;  // sum of small_rows' pss
  double small_percent = 0;
};

struct ProcessSnapshot {
  int pid = 0;
  int ppid = 0;
  uint32_t uid = 0;
  std::string comm;
  std::string cmdline;  // argv joined by spaces
  int threads = 0;
  int unknown_thread_stacks = 0;  // their stacks are in the anonymous row
  SnapshotSection section;
};

struct SnapshotOptions {
  FileKeyMask mask;  // default-constructed: every file mapping in one row
  // Rows whose PSS is below this percentage of their section's total are
  // folded into small_rows. 0 folds nothing.
  double small_percent = 0.5;
};

struct Snapshot {
  // Filled by the caller, for the renderers: the scan's counts, and the
  // mask as the user gave it.
  scan::ScanStats scan;
  std::string mask_text;
  double small_percent = 0;  // as in SnapshotOptions
  SnapshotSection summary;   // every process of the set taken together
  std::vector<ProcessSnapshot> processes;  // in the order of the records
};

// Builds the summary and one section per record from the records' usage
// rows. REQUIRES: the records were scanned with mapping_detail kFiles when
// the mask has 'f' or 'b' (kCategories leaves no path to key by). Hugetlb
// rows go to the hugetlb fields; a hugetlb mapping's Pss (0 as the kernel
// prints it) still counts in pss_total, in a row of its own.
Snapshot BuildSnapshot(std::span<const scan::ProcessRecord> records,
                       const SnapshotOptions& options);

// The row's label as memstats prints it: "Heap", "Stack", "Thread stacks",
// "Anonymous mappings", "SysV shm", "Other shared memory",
// "vdso/vvar/vsyscall", "Hugetlb"; for file rows the kept key parts joined
// by spaces ("binary /usr/bin/bash r-xp"), or "file-backed mappings" when
// the mask keeps none (and before the perms when only perms are kept).
// Paths are returned raw: text renderers escape them.
std::string RowLabel(const SnapshotRow& row);

}  // namespace memstats::profile

#endif  // MEMSTATS_PROFILE_SNAPSHOT_H_
