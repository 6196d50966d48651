// The Prometheus exposition of a groups Report (memstats serve): the text
// format 0.0.4, as node_exporter writes it, or OpenMetrics 1.0.0 when the
// scraper asks for it. Formatting only: the exporter passes in what it
// measured besides the report (src/serve/).
#ifndef MEMSTATS_RENDER_PROMETHEUS_H_
#define MEMSTATS_RENDER_PROMETHEUS_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "sets/report.h"

namespace memstats::render {

enum class MetricsFormat {
  kPrometheusText,  // text/plain; version=0.0.4
  kOpenMetrics,     // application/openmetrics-text; version=1.0.0
};

// The HTTP Content-Type of `format`, with its version and charset.
std::string_view MetricsContentType(MetricsFormat format);

// What the exporter knows about the scan besides its report.
struct ScanFacts {
  double finished_unix_seconds = 0;  // wall clock when the scan completed
  double age_seconds = 0;            // time since then, at the scrape
  uint64_t self_rss_bytes = 0;       // memstats's own RSS after the scan
  uint64_t failed_scans = 0;         // scans that failed since the start
  std::string version;               // memstats's version
};

// Every metric of the report, each family with its HELP and TYPE lines:
// per group (labels split="<splitter>", group="<name>")
// memstats_group_processes and _pss_bytes, and with page-level numbers
// _rss_bytes, _uss_bytes, _anon_uss_bytes, _swap_bytes; then the scan's
// memstats_scan_* gauges, memstats_self_rss_bytes, the failed scans
// counter and memstats_build_info. OpenMetrics ends with "# EOF".
void RenderPrometheus(const sets::Report& report, const ScanFacts& facts,
                      MetricsFormat format, std::ostream& out);

// A label value as both formats quote it: backslash, double quote and
// newline escaped; invalid UTF-8 replaced by U+FFFD.
std::string EscapeLabelValue(std::string_view value);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_PROMETHEUS_H_
