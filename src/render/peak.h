// Renderers of memstats peak (a profile::PeakReport), and the peak table
// of any one sample as JSON for the HTML report. They format; every number
// comes from profile/peak.h.
#ifndef MEMSTATS_RENDER_PEAK_H_
#define MEMSTATS_RENDER_PEAK_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "nlohmann/json.hpp"
#include "profile/peak.h"

namespace memstats::render {

inline constexpr int kPeakSchemaVersion = 1;

// "2026-12-04 18:06:50.200 UTC".
std::string FormatUnixMs(int64_t unix_ms);

// Text: where the peak is, what it measures, then the table: NAME, RSS,
// PSS, SWAP in bytes with thousands separators, a rule, the total.
// Untrusted text (paths, host, target, comm) is escaped for the terminal.
//   recording 2 of app.db: pid 1234 and its descendants, on web1
//   40 samples from 2026-12-04 18:06:38.000 UTC
//   peak RSS 3,211,264 bytes at 2026-12-04 18:06:50.200 UTC (+12.200 s,
//   sample 61), 3 processes
//   NAME            RSS        PSS  SWAP
//   heap      1,048,576  1,048,576     0
//   ...
void RenderPeakText(const profile::PeakReport& r, std::ostream& out);

// The table alone, as the HTML report renders it for any sample:
//   {"time": "2026-12-04 18:06:50.200 UTC (+12.200 s)", "unix_ms": ...,
//    "seconds": ..., "by": "rss", "pid": null,
//    "columns": ["name", "rss", "pss", "swap"],
//    "rows": [["heap", 1048576, 1048576, 0], ...],
//    "footer": ["total", ...], "other_files": 0}
// Row order as in the text; sizes in bytes.
nlohmann::json PeakTableJson(const profile::PeakTable& t);

// The whole report (schema in README.md, "memstats peak"):
//   {"schema_version": 1, "database", "recording", "host", "target",
//    "start_unix_ms", "samples", "measured", "by", "pid", "comm",
//    "peak": {"seq", "unix_ms", "seconds", "value", "source":
//             "pages"|"smaps", "processes"},
//    "table": PeakTableJson}
nlohmann::json PeakJson(const profile::PeakReport& r);

// PeakJson, dumped with invalid UTF-8 replaced, and a final newline.
void RenderPeakJson(const profile::PeakReport& r, std::ostream& out);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_PEAK_H_
