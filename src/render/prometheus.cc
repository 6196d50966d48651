#include "render/prometheus.h"

#include <cstddef>
#include <functional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "render/utf8.h"
#include "scan/pagemap.h"

namespace memstats::render {
namespace {

using sets::GroupTotals;

// One per-group metric: its name without the "memstats_group_" prefix, its
// help text, and its value. Page-level metrics are left out, family and
// all, when the report has no page-level numbers.
struct GroupMetric {
  const char* name;
  const char* help;
  bool page_level;
  std::function<uint64_t(const GroupTotals&)> value;
};

const std::vector<GroupMetric>& GroupMetrics() {
  static const auto* kMetrics = new std::vector<GroupMetric>{
      {"processes", "Processes in the group.", false,
       [](const GroupTotals& g) { return g.processes; }},
      {"rss_bytes",
       "Distinct physical pages mapped by the group's processes (group RSS).",
       true,
       [](const GroupTotals& g) {
         return g.rss_total_pages() * scan::kPageSize;
       }},
      {"uss_bytes",
       "Pages mapped by the group and by no process outside it (group USS).",
       true,
       [](const GroupTotals& g) {
         return g.uss_total_pages() * scan::kPageSize;
       }},
      {"pss_bytes", "Sum of the PSS of the group's processes.", false,
       [](const GroupTotals& g) { return g.pss_bytes; }},
      {"anon_uss_bytes",
       "Anonymous pages of the group's USS: freed when the group exits.", true,
       [](const GroupTotals& g) { return g.uss_pages[0] * scan::kPageSize; }},
      {"swap_bytes",
       "Distinct swap entries in the group's page tables (SWAP).", true,
       [](const GroupTotals& g) { return g.swap_rss_pages * scan::kPageSize; }},
  };
  return *kMetrics;
}

// Seconds with millisecond precision, "." as the point.
std::string Seconds(double s) { return absl::StrFormat("%.3f", s); }

class Writer {
 public:
  Writer(MetricsFormat format, std::ostream& out)
      : open_metrics_(format == MetricsFormat::kOpenMetrics), out_(out) {}

  // HELP and TYPE of a family. OpenMetrics names a counter's family
  // without its "_total" suffix and an info family without "_info".
  void Family(const std::string& name, std::string_view type,
              std::string_view help) {
    std::string family = name;
    if (open_metrics_) {
      for (const std::string suffix : {"_total", "_info"}) {
        if (absl::EndsWith(family, suffix)) {
          family.resize(family.size() - suffix.size());
        }
      }
    }
    const std::string_view shown =
        !open_metrics_ && type == "info" ? "gauge" : type;
    out_ << "# HELP " << family << " " << help << "\n"
         << "# TYPE " << family << " " << shown << "\n";
  }
  void Sample(std::string_view name, std::string_view labels,
              std::string_view value) {
    out_ << name;
    if (!labels.empty()) out_ << "{" << labels << "}";
    out_ << " " << value << "\n";
  }
  void End() {
    if (open_metrics_) out_ << "# EOF\n";
  }

 private:
  bool open_metrics_;
  std::ostream& out_;
};

}  // namespace

std::string_view MetricsContentType(MetricsFormat format) {
  return format == MetricsFormat::kOpenMetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size();) {
    uint32_t cp = 0;
    const size_t n = DecodeUtf8(value, i, &cp);
    if (n == 0) {
      out += kReplacementChar;
      ++i;
      continue;
    }
    switch (cp) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.append(value.substr(i, n));
    }
    i += n;
  }
  return out;
}

void RenderPrometheus(const sets::Report& report, const ScanFacts& facts,
                      MetricsFormat format, std::ostream& out) {
  Writer w(format, out);
  for (const GroupMetric& m : GroupMetrics()) {
    if (m.page_level && !report.page_level) continue;
    const std::string name = absl::StrCat("memstats_group_", m.name);
    w.Family(name, "gauge", m.help);
    for (const sets::SplitReport& split : report.splits) {
      const std::string split_label =
          absl::StrCat("split=\"", EscapeLabelValue(split.splitter), "\"");
      for (const sets::GroupReport& g : split.groups) {
        w.Sample(name,
                 absl::StrCat(split_label, ",group=\"",
                              EscapeLabelValue(g.name), "\""),
                 absl::StrCat(m.value(g.totals)));
      }
    }
  }

  const scan::ScanStats& s = report.scan;
  w.Family("memstats_scan_timestamp_seconds", "gauge",
           "When the last completed scan finished, in seconds since the "
           "epoch.");
  w.Sample("memstats_scan_timestamp_seconds", "",
           Seconds(facts.finished_unix_seconds));
  w.Family("memstats_scan_age_seconds", "gauge",
           "Seconds since the last completed scan finished, at this scrape.");
  w.Sample("memstats_scan_age_seconds", "", Seconds(facts.age_seconds));
  w.Family("memstats_scan_duration_seconds", "gauge",
           "How long the last completed scan and its accounting took.");
  w.Sample("memstats_scan_duration_seconds", "", Seconds(s.seconds));
  w.Family("memstats_scan_processes", "gauge",
           "Processes the last completed scan read whole.");
  w.Sample("memstats_scan_processes", "", absl::StrCat(s.scanned));
  w.Family("memstats_scan_vanished_processes", "gauge",
           "Processes that exited during the last completed scan.");
  w.Sample("memstats_scan_vanished_processes", "", absl::StrCat(s.vanished));
  w.Family("memstats_scan_page_level", "gauge",
           "1 when the scan had page-level numbers (RSS, USS by page; needs "
           "root), else 0.");
  w.Sample("memstats_scan_page_level", "", report.page_level ? "1" : "0");
  w.Family("memstats_scan_failures_total", "counter",
           "Scans that failed since memstats serve started.");
  w.Sample("memstats_scan_failures_total", "",
           absl::StrCat(facts.failed_scans));
  w.Family("memstats_self_rss_bytes", "gauge",
           "memstats's own resident memory after the last completed scan.");
  w.Sample("memstats_self_rss_bytes", "", absl::StrCat(facts.self_rss_bytes));
  w.Family("memstats_build_info", "info", "memstats's version.");
  w.Sample("memstats_build_info",
           absl::StrCat("version=\"", EscapeLabelValue(facts.version), "\""),
           "1");
  w.End();
}

}  // namespace memstats::render
