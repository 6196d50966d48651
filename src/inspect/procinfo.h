// procinfo: one process's memory, mapping by mapping and page by page
// (memstats procinfo PID).
//
// Reads through a ProcSource only (so fixture trees work): the process's
// stat (kernel thread? zombie?), status, exe, smaps (the list of mappings and
// the kernel's own figures for each), the pagemap entries of every mapping,
// and /proc/kpageflags and /proc/kpagecount for the PFNs found.
//
// Page-level figures, per mapping, in bytes:
//  - RSS: present pages, each page-table entry once (as smaps Rss counts),
//    leaving out the zero page (KPF_ZERO_PAGE), hugetlb pages (KPF_HUGE
//    without KPF_THP; counted apart, as smaps does) and entries whose PFN
//    has kpagecount 0 (PFN-mapped memory such as [vvar], which no page
//    count covers and smaps leaves out too; counted as `unmapped`).
//  - PSS: for each such entry, page_size / mapcount, summed in fixed point
//    (sets::kPssShift fraction bits) and truncated to bytes, as smaps does.
//    mapcount = max(kpagecount, the process's own entries for that PFN).
//  - USS: the same shares, for pages no other process maps (kpagecount <=
//    the process's own entries for the PFN, counted over the whole process).
//    A page the process maps twice (KSM, or two mappings of one object)
//    counts half at each entry, so USS sums to whole distinct pages.
//  - swap: swap entries (pagemap bit 62, swap types below MAX_SWAPFILES).
// and counts of page-table entries: THP (KPF_THP), hugetlb, KSM (KPF_KSM),
// zero pages (KPF_ZERO_PAGE).
//
// Without CAP_SYS_ADMIN pagemap reads PFN 0 for every present page: then
// page_level is false, page_level_off says why, and only the counts that
// need no PFN are filled in (present, swap); the smaps figures are always
// there.
#ifndef MEMSTATS_INSPECT_PROCINFO_H_
#define MEMSTATS_INSPECT_PROCINFO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "scan/mapping_category.h"
#include "scan/parsers.h"
#include "scan/proc_source.h"
#include "scan/process_record.h"

namespace memstats::inspect {

// [start, end) in bytes of virtual address space.
struct AddressRange {
  uint64_t start = 0;
  uint64_t end = 0;
  bool operator==(const AddressRange&) const = default;
};

// "ADDR-ADDR", both hexadecimal with or without "0x"; the end is exclusive.
// InvalidArgumentError naming what is wrong for anything else, and for an
// empty range (start >= end).
absl::StatusOr<AddressRange> ParseAddressRange(std::string_view text);

struct ProcinfoRequest {
  // Only mappings and pages that intersect it; mappings are cut to it.
  std::optional<AddressRange> range;
  bool pages = false;  // fill ProcInfo::pages
};

// Page-level figures of a mapping (or of the whole process).
struct PageFigures {
  uint64_t present = 0;  // present entries, whatever their page (pages)
  uint64_t swap = 0;     // swap entries (pages)
  // The rest is filled only with page_level (see the file comment).
  uint64_t rss = 0;  // bytes
  uint64_t pss = 0;  // bytes, truncated from pss_fixed
  uint64_t uss = 0;  // bytes, truncated from uss_fixed
  uint64_t swap_bytes = 0;
  uint64_t thp = 0;       // pages
  uint64_t hugetlb = 0;   // pages
  uint64_t ksm = 0;       // pages
  uint64_t zero = 0;      // pages
  uint64_t unmapped = 0;  // present entries whose PFN has kpagecount 0
  uint64_t pss_fixed = 0;  // bytes << sets::kPssShift
  uint64_t uss_fixed = 0;
  bool operator==(const PageFigures&) const = default;
};

struct MappingInfo {
  // As in maps, with start and end cut to the request's range (the offset
  // moves with the start).
  scan::MapEntry map;
  scan::MappingCategory category = scan::MappingCategory::kAnon;
  PageFigures pages;
  // smaps's figures for the whole mapping (not cut to the range).
  scan::SmapsTotals smaps;
};

// One present or swapped page-table entry.
struct PageInfo {
  uint64_t address = 0;
  uint64_t entry = 0;  // the raw pagemap entry
  size_t mapping = 0;  // index into ProcInfo::mappings
  // With page_level, for entries that name a page (present, or a migration
  // entry): its kpageflags and kpagecount. Else both 0.
  bool has_page = false;
  uint64_t pfn = 0;
  uint64_t kpageflags = 0;
  uint64_t kpagecount = 0;
};

struct ProcInfo {
  int pid = 0;
  std::string comm;  // status Name
  std::string exe;   // "" when unreadable
  uint64_t page_size = 0;
  std::optional<AddressRange> range;
  bool page_level = false;
  std::string page_level_off;  // why not, when !page_level
  std::vector<MappingInfo> mappings;  // in address order
  PageFigures total;
  scan::SmapsTotals smaps_total;  // of the mappings listed
  std::vector<PageInfo> pages;    // with ProcinfoRequest::pages
  uint64_t pte_markers = 0;  // non-present entries that are neither (guards)
};

// Reads process `pid`. Errors:
//  - NotFoundError "no process with pid N" when there is none, "process N
//    exited while it was read" when it vanished or began to exit meanwhile;
//  - FailedPreconditionError for a kernel thread ("pid 2 (kthreadd) is a
//    kernel thread: it has no user memory") and a zombie;
//  - PermissionDeniedError naming the file when a file may not be read;
//  - the ProcSource's other errors.
absl::StatusOr<ProcInfo> ReadProcInfo(scan::ProcSource& source, int pid,
                                      const ProcinfoRequest& request);

}  // namespace memstats::inspect

#endif  // MEMSTATS_INSPECT_PROCINFO_H_
