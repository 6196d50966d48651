// Where the machine's RAM is, in page frame numbers: which PFNs can name a
// page of RAM, so that the scan leaves out the rest (device memory behind
// VM_PFNMAP mappings, garbage) and the page catalog's bitmap stays bounded.
#ifndef MEMSTATS_SCAN_PHYSICAL_RAM_H_
#define MEMSTATS_SCAN_PHYSICAL_RAM_H_

#include <cstdint>
#include <vector>

#include "scan/proc_source.h"

namespace memstats::scan {

// The PFNs of "System RAM" in <root>/iomem: [first, end) ranges, ascending
// and merged, a PFN counting as RAM when any of its bytes is. Empty when
// the file is unreadable or shows no RAM (addresses read as 0 without root).
struct PfnRange {
  uint64_t first = 0;
  uint64_t end = 0;
};
std::vector<PfnRange> RamPfnRanges(ProcSource& source);

// One past the highest PFN of "System RAM" in <root>/iomem, or 0 when the
// file is unreadable or shows no RAM (addresses read as 0 without root).
uint64_t RamEndPfn(ProcSource& source);

// No PFN reaches this: 52 bits of physical address (the architectural
// maximum of x86-64 and arm64) in 4 KiB pages.
inline constexpr uint64_t kMaxPhysPfn = uint64_t{1} << (52 - 12);

// The PFN limit for ScanOptions::pfn_limit: RamEndPfn() when iomem shows
// RAM; else, from meminfo's MemTotal, twice the RAM's pages plus 4 GiB of
// address space (RAM ends above MemTotal by the holes below it: the PCI
// hole under 4 GiB, firmware ranges); else kMaxPhysPfn. Never above
// kMaxPhysPfn.
uint64_t PfnLimit(ProcSource& source);

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_PHYSICAL_RAM_H_
