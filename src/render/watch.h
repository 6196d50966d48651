// Renderers of memstats watch: one sample as TSV rows (smaps-profiler's
// columns) or as one JSON line. They print a profile::Sample and compute no
// number beyond sums.
#ifndef MEMSTATS_RENDER_WATCH_H_
#define MEMSTATS_RENDER_WATCH_H_

#include <ostream>

#include "profile/sample.h"

namespace memstats::render {

struct WatchView {
  bool total_only = false;  // only the total row of each sample
  bool verbose = false;     // -v: RSS, USS and SWAP columns too
};

// TIME PID STACK_PSS HEAP_PSS THREAD_STACK_PSS BIN_TEXT_PSS LIB_TEXT_PSS
// BIN_DATA_PSS LIB_DATA_PSS ANON_MAP_PSS SHM_PSS OTHER_PSS SWAP_PSS
// [RSS USS SWAP] CMD, tab-separated, then a newline.
void RenderWatchTsvHeader(const WatchView& view, std::ostream& out);

// One line per process (ascending pid) unless view.total_only, then the
// total line (PID "total", CMD "N processes"). TIME is the sample's seconds
// since the first sample, three decimals; amounts are bytes. CMD passes
// through EscapeForTerminal (a tab or newline becomes \x09, \x0a).
void RenderWatchTsv(const profile::Sample& sample, const WatchView& view,
                    std::ostream& out);

// One JSON object on one line: {"unix_ms", "seconds", "vanished",
// "processes": [{"pid", "ppid", "uid", "comm", "cmd", "pss": {series:
// bytes}, "swap_pss", "rss", "uss", "swap", "hugetlb", "vm_hwm"}] (left out
// with total_only), "total": {"processes", "pss": {...}, "pss_total",
// "swap_pss", "rss_sum", "uss_sum"}, and "set_pages": {"rss", "uss", "pss",
// "swap"} when the sample has them}. Invalid UTF-8 is replaced.
void RenderWatchJsonLine(const profile::Sample& sample, const WatchView& view,
                         std::ostream& out);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_WATCH_H_
