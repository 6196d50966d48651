// What every report says about its scan, in one wording for all commands.
#ifndef MEMSTATS_RENDER_SCAN_STATS_H_
#define MEMSTATS_RENDER_SCAN_STATS_H_

#include <string>

#include "nlohmann/json.hpp"
#include "scan/scanner.h"

namespace memstats::render {

// "memstats: 5 processes scanned, 6 filtered out, 58 kernel threads
// (excluded), 0 vanished, 0 unreadable; 0.03 s with 2 threads\n", with
// ", memstats itself left out" after "unreadable" when s.self_excluded.
std::string ScanLine(const scan::ScanStats& s);

// {"processes_scanned", "filtered_out", "kernel_threads", "vanished",
//  "unreadable", "unreadable_pids", "seconds", "threads", "self_excluded"};
// commands add their own fields to it.
nlohmann::json ScanStatsJson(const scan::ScanStats& s);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_SCAN_STATS_H_
