// Pagemap entries of adjacent small mappings, read with one pread.
//
// A process maps its binary and each shared library as four to six
// mappings side by side (one per permission), plus their data, bss and
// guard pages: a small process is twenty to forty mappings of a few pages
// each. Reading each mapping's entries with its own pread costs a system
// call, a page-table lock and a walk set-up per mapping, which for such a
// process is most of the cost of reading its pagemap (small1000 in
// benches/whole_command.py: 0.14 s against 0.09 s for 1,000 processes).
// The scanner asks Prepare() before each mapping; when the mapping starts a
// stretch of at least two adjacent mappings whose entries together fit
// `limit`, the stretch is read at once and the mappings' reads are served
// from it (Find). Only adjacent mappings are joined, so a stretch covers no
// address outside a mapping: a capture's replay answers it from the
// mappings' covered ranges, as it answers one read per mapping.
#ifndef MEMSTATS_SCAN_PAGEMAP_AHEAD_H_
#define MEMSTATS_SCAN_PAGEMAP_AHEAD_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "scan/parsers.h"
#include "scan/proc_source.h"

namespace memstats::scan {

class PagemapAhead {
 public:
  // Forgets the entries held (another process is read next).
  void Clear() { first_ = end_ = 0; }

  // Before maps[k] is read: unless its pages are held already, reads the
  // entries of the stretch of adjacent mappings it starts (maps[k],
  // maps[k+1], ... while each starts where the previous ends and all end
  // within `limit` pages of maps[k]'s start), when that stretch holds two
  // mappings or more. `page_shift`: log2 of the page size. A failed read
  // holds nothing and returns its status (the process vanished).
  absl::Status Prepare(ProcHandle& h, std::span<const MapEntry> maps, size_t k,
                       uint64_t limit, int page_shift) {
    const uint64_t first = maps[k].start >> page_shift;
    if (first >= first_ && (maps[k].end >> page_shift) <= end_) {
      return absl::OkStatus();
    }
    Clear();
    size_t j = k + 1;
    while (j < maps.size() && maps[j].start == maps[j - 1].end &&
           (maps[j].end >> page_shift) - first <= limit) {
      ++j;
    }
    if (j - k < 2) return absl::OkStatus();
    const uint64_t end = maps[j - 1].end >> page_shift;
    entries_.resize(end - first);
    absl::Status s = h.ReadPagemap(first, std::span<uint64_t>(entries_));
    if (!s.ok()) return s;
    first_ = first;
    end_ = end;
    return absl::OkStatus();
  }

  // The entries of [vpn, vpn + n) when all are held, else an empty span.
  std::span<const uint64_t> Find(uint64_t vpn, uint64_t n) const {
    if (n == 0 || vpn < first_ || vpn + n > end_) return {};
    return std::span<const uint64_t>(entries_).subspan(vpn - first_, n);
  }

 private:
  uint64_t first_ = 0;  // [first_, end_): the virtual pages held
  uint64_t end_ = 0;
  std::vector<uint64_t> entries_;
};

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_PAGEMAP_AHEAD_H_
