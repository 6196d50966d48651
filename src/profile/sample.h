// Memory over time: what one sample of a set of processes holds (memstats
// watch, record, run, plot). A sample is a scan reduced to numbers: per
// process, its smaps Pss split into smaps-profiler's series and its
// mappings summed per (series, file, permissions). Pure data and the
// conversion from scan records; no I/O.
//
// Usage row -> series (every byte of a process's smaps Pss lands in exactly
// one series, so the series add up to ProcessRecord::usage_pss):
//   stack        [stack] (the main thread's)
//   heap         [heap]
//   thread_stack the stacks of the other threads
//   bin_text     the process's own executable, not writable (code, rodata)
//   bin_data     the process's own executable, writable (.data, .bss)
//   lib_text     other files, not writable (libraries' code, fonts, ...)
//   lib_data     other files, writable and private
//   anon_map     other private anonymous memory (malloc arenas, mmap)
//   shm          SysV, POSIX, memfd and shared anonymous memory, and shared
//                writable file mappings
//   other        [vdso], [vvar] and other special mappings, hugetlb rows
//                (whose Pss the kernel leaves at 0)
// SwapPss is carried beside them (SWAP_PSS), never in them.
#ifndef MEMSTATS_PROFILE_SAMPLE_H_
#define MEMSTATS_PROFILE_SAMPLE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scan/process_record.h"

namespace memstats::profile {

enum class Series : uint8_t {
  kStack,
  kHeap,
  kThreadStack,
  kBinText,
  kLibText,
  kBinData,
  kLibData,
  kAnonMap,
  kShm,
  kOther,
};
inline constexpr int kNumSeries = 10;

// "stack", "heap", "thread_stack", "bin_text", "lib_text", "bin_data",
// "lib_data", "anon_map", "shm", "other".
std::string_view SeriesName(Series s);
// smaps-profiler's column: "STACK_PSS", "HEAP_PSS", ..., "OTHER_PSS".
std::string_view SeriesColumn(Series s);
// The inverse of SeriesName; nullopt for anything else.
std::optional<Series> ParseSeriesName(std::string_view name);

// The series of one usage row of a process whose executable is `exe` (the
// target of /proc/PID/exe, "" when unknown).
Series SeriesOf(const scan::UsageRow& row, std::string_view exe);

// One process's mappings of one series, file and permissions, summed.
struct SampledMapping {
  Series series = Series::kOther;
  std::string path;   // the file for bin_* and lib_* rows, "" otherwise
  uint8_t perms = 0;  // scan::MappingPerm bits ("s" = shared)
  uint32_t mappings = 0;
  uint64_t size = 0, rss = 0, pss = 0, swap = 0, swap_pss = 0, hugetlb = 0;
  bool operator==(const SampledMapping&) const = default;
};

struct ProcessSample {
  int pid = 0;
  int ppid = 0;
  uint32_t uid = 0;
  std::string comm;
  std::string cmd;  // argv joined by spaces; comm in brackets when empty
  std::array<uint64_t, kNumSeries> pss{};  // bytes, indexed by Series
  uint64_t swap_pss = 0;
  // From the process's smaps (summed over its mappings): Rss, USS (its
  // Private_Clean + Private_Dirty), Swap, hugetlb bytes; status VmHWM.
  uint64_t rss = 0, uss = 0, swap = 0, hugetlb = 0, vm_hwm = 0;
  // smaps_rollup's Pss: what the series add up to when there are mappings,
  // and the process's PSS when a sampler reads no mappings (memstats run).
  // Not recorded in a history database (the series are).
  uint64_t smaps_pss = 0;
  std::vector<SampledMapping> mappings;  // in the order of the smaps

  uint64_t PssTotal() const;  // the sum of pss[]
  bool operator==(const ProcessSample&) const = default;
};

// Page-level figures of all of a sample's processes taken together, from
// their page tables (distinct physical pages; USS: pages no process outside
// the set maps). Only some samplers compute them (memstats run).
struct SetPages {
  uint64_t rss = 0, uss = 0, pss = 0, swap = 0;
  bool operator==(const SetPages&) const = default;
};

struct Sample {
  int64_t unix_ms = 0;  // when the sample's scan started
  double seconds = 0;   // since the first sample of the series
  std::vector<ProcessSample> processes;  // ascending pid
  std::optional<SetPages> pages;
  size_t vanished = 0;  // processes that exited while being read

  // Every process's series summed.
  std::array<uint64_t, kNumSeries> TotalPss() const;
  uint64_t TotalSwapPss() const;
  bool operator==(const Sample&) const = default;
};

// The sample of one scanned process. Needs the record's usage rows with
// paths (ScanOptions::MappingDetail::kFiles) and its smaps totals.
ProcessSample SampleProcess(const scan::ProcessRecord& rec);

}  // namespace memstats::profile

#endif  // MEMSTATS_PROFILE_SAMPLE_H_
