// memstats peak: the sample of a recording where memory was highest, and a
// table of what it was made of. Pure computation on samples (sample.h).
//
// The measure of a sample (PeakMeasure):
//   rss  SetPages::rss when the sample has page-level figures (distinct
//        pages of all its processes), else the sum of its processes' rss;
//   uss  likewise with SetPages::uss and the processes' uss;
//   pss  the sum of the processes' PssTotal() (SetPages::pss is the same
//        sum, taken from page tables; the smaps one is used always).
// With a pid: that process's rss, uss or PssTotal(), and samples without
// the process do not count.
//
// The table (PeakTable): every mapping row of the sample's processes (of
// the one process, with a pid) lands in exactly one table row, so each
// column's total is the sum over those mapping rows: RSS the processes'
// smaps Rss summed (a page two processes map counts twice, unlike
// SetPages::rss), PSS their Pss, SWAP their Swap. Rows, in this order:
//   heap            series heap ([heap])
//   thread stacks   series thread_stack
//   anonymous       series anon_map and stack (the main thread's stack):
//                   private anonymous memory outside the heap
//   shared memory   series shm without a file (SysV, POSIX, memfd, shared
//                   anonymous)
//   one row per file, by path, summed over processes, permissions and
//                   series (code, data, shared writable mappings): the
//                   top_files largest by the table's order measure
//   other mappings  the remaining files, special mappings ([vdso], ...),
//                   hugetlb rows (which have no Rss or Pss) and file rows
//                   without a path.
// Files are ordered by RSS for --by rss, by PSS otherwise. smaps gives no
// USS per mapping row that a sample keeps, so a uss peak shows the same
// RSS, PSS and SWAP columns, ordered by PSS (of all per-mapping figures
// the closest to what a process owns), and its USS as the peak's value.
#ifndef MEMSTATS_PROFILE_PEAK_H_
#define MEMSTATS_PROFILE_PEAK_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "profile/sample.h"

namespace memstats::profile {

enum class PeakMeasure { kRss, kPss, kUss };

// "rss", "pss", "uss".
std::string_view PeakMeasureName(PeakMeasure m);
// The inverse of PeakMeasureName; nullopt for anything else.
std::optional<PeakMeasure> ParsePeakMeasure(std::string_view name);

// The measure of `s` (see above); nullopt when `pid` is given and `s` has
// no such process.
std::optional<uint64_t> MeasureOf(const Sample& s, PeakMeasure m,
                                  std::optional<int> pid);

// Finds the peak among samples given one at a time (a recording may be too
// long to hold): the highest measure, the earliest of equal ones.
class PeakFinder {
 public:
  PeakFinder(PeakMeasure m, std::optional<int> pid) : measure_(m), pid_(pid) {}
  // Returns true when `s` (number `seq` of its recording) is the peak so
  // far.
  bool Add(int64_t seq, const Sample& s);

  bool found() const { return found_; }
  int64_t seq() const { return seq_; }       // REQUIRES: found()
  uint64_t value() const { return value_; }  // REQUIRES: found()
  // Samples that had a measure (with a pid: those with the process).
  int64_t measured() const { return measured_; }

 private:
  PeakMeasure measure_;
  std::optional<int> pid_;
  bool found_ = false;
  int64_t seq_ = 0;
  uint64_t value_ = 0;
  int64_t measured_ = 0;
};

// The index of the peak of `samples`, nullopt when none has a measure.
std::optional<size_t> FindPeak(std::span<const Sample> samples, PeakMeasure m,
                               std::optional<int> pid);

enum class PeakRowKind {
  kHeap,
  kThreadStacks,
  kAnonymous,
  kSharedMemory,
  kFile,
  kOtherMappings,
  kTotal,
};

struct PeakRow {
  PeakRowKind kind = PeakRowKind::kOtherMappings;
  std::string name;  // "heap", ..., the file's path, "other mappings"
  uint64_t rss = 0, pss = 0, swap = 0;
  bool operator==(const PeakRow&) const = default;
};

inline constexpr size_t kDefaultTopFiles = 10;

struct PeakTable {
  int64_t unix_ms = 0;  // of the sample
  double seconds = 0;   // since the recording's first sample
  PeakMeasure by = PeakMeasure::kRss;
  std::optional<int> pid;
  size_t processes = 0;  // whose mapping rows the table sums
  // The four fixed rows, the files (largest first, then by path), other
  // mappings. Fixed rows and other mappings are present even when zero.
  std::vector<PeakRow> rows;
  size_t other_files = 0;  // files folded into "other mappings"
  PeakRow total;           // kTotal, "total": the column sums
};

// The table of `s` (see above), for any sample of a recording.
PeakTable BuildPeakTable(const Sample& s, PeakMeasure by,
                         std::optional<int> pid,
                         size_t top_files = kDefaultTopFiles);

// Everything `memstats peak` prints.
struct PeakReport {
  std::string database;
  int64_t recording = 0;
  std::string host;
  std::string target;
  int64_t start_unix_ms = 0;  // of the recording
  int64_t samples = 0;        // in the recording
  int64_t measured = 0;       // of them, with a measure (PeakFinder)
  int64_t seq = 0;            // the peak sample
  uint64_t value = 0;         // its measure
  // The measure's source: page tables (SetPages) or smaps sums.
  bool from_pages = false;
  std::string comm;  // with a pid: the process's
  PeakTable table;
};

}  // namespace memstats::profile

#endif  // MEMSTATS_PROFILE_PEAK_H_
