#include "render/scan_stats.h"

#include "absl/strings/str_format.h"

namespace memstats::render {

std::string ScanLine(const scan::ScanStats& s) {
  return absl::StrFormat(
      "memstats: %d processes scanned, %d filtered out, %d kernel threads "
      "(excluded), %d vanished, %d unreadable%s; %.2f s with %d threads\n",
      s.scanned, s.filtered_out, s.kernel_threads, s.vanished, s.unreadable,
      s.self_excluded ? ", memstats itself left out" : "", s.seconds,
      s.threads);
}

nlohmann::json ScanStatsJson(const scan::ScanStats& s) {
  return nlohmann::json{
      {"processes_scanned", s.scanned},
      {"filtered_out", s.filtered_out},
      {"kernel_threads", s.kernel_threads},
      {"vanished", s.vanished},
      {"unreadable", s.unreadable},
      {"unreadable_pids", s.unreadable_pids},
      {"seconds", s.seconds},
      {"threads", s.threads},
      {"self_excluded", s.self_excluded},
  };
}

}  // namespace memstats::render
