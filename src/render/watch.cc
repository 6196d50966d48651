#include "render/watch.h"

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "render/units.h"

namespace memstats::render {
namespace {

using profile::kNumSeries;
using profile::Series;

void Amounts(const std::array<uint64_t, kNumSeries>& pss, uint64_t swap_pss,
             std::ostream& out) {
  for (uint64_t v : pss) out << '\t' << v;
  out << '\t' << swap_pss;
}

nlohmann::json SeriesJson(const std::array<uint64_t, kNumSeries>& pss) {
  nlohmann::json j = nlohmann::json::object();
  for (int i = 0; i < kNumSeries; ++i) {
    j[std::string(profile::SeriesName(static_cast<Series>(i)))] = pss[i];
  }
  return j;
}

}  // namespace

void RenderWatchTsvHeader(const WatchView& view, std::ostream& out) {
  out << "TIME\tPID";
  for (int i = 0; i < kNumSeries; ++i) {
    out << '\t' << profile::SeriesColumn(static_cast<Series>(i));
  }
  out << "\tSWAP_PSS";
  if (view.verbose) out << "\tRSS\tUSS\tSWAP";
  out << "\tCMD\n";
}

void RenderWatchTsv(const profile::Sample& sample, const WatchView& view,
                    std::ostream& out) {
  const std::string time = absl::StrFormat("%.3f", sample.seconds);
  uint64_t rss = 0, uss = 0, swap = 0;
  for (const profile::ProcessSample& p : sample.processes) {
    rss += p.rss;
    uss += p.uss;
    swap += p.swap;
    if (view.total_only) continue;
    out << time << '\t' << p.pid;
    Amounts(p.pss, p.swap_pss, out);
    if (view.verbose) out << '\t' << p.rss << '\t' << p.uss << '\t' << p.swap;
    out << '\t' << EscapeForTerminal(p.cmd) << '\n';
  }
  out << time << "\ttotal";
  Amounts(sample.TotalPss(), sample.TotalSwapPss(), out);
  if (view.verbose) out << '\t' << rss << '\t' << uss << '\t' << swap;
  out << '\t' << sample.processes.size()
      << (sample.processes.size() == 1 ? " process\n" : " processes\n");
}

void RenderWatchJsonLine(const profile::Sample& sample, const WatchView& view,
                         std::ostream& out) {
  nlohmann::json j;
  j["unix_ms"] = sample.unix_ms;
  j["seconds"] = sample.seconds;
  j["vanished"] = sample.vanished;
  uint64_t rss = 0, uss = 0;
  nlohmann::json procs = nlohmann::json::array();
  for (const profile::ProcessSample& p : sample.processes) {
    rss += p.rss;
    uss += p.uss;
    if (view.total_only) continue;
    procs.push_back({{"pid", p.pid},
                     {"ppid", p.ppid},
                     {"uid", p.uid},
                     {"comm", p.comm},
                     {"cmd", p.cmd},
                     {"pss", SeriesJson(p.pss)},
                     {"swap_pss", p.swap_pss},
                     {"rss", p.rss},
                     {"uss", p.uss},
                     {"swap", p.swap},
                     {"hugetlb", p.hugetlb},
                     {"vm_hwm", p.vm_hwm}});
  }
  if (!view.total_only) j["processes"] = std::move(procs);
  const std::array<uint64_t, kNumSeries> total = sample.TotalPss();
  uint64_t pss_total = 0;
  for (uint64_t v : total) pss_total += v;
  j["total"] = {{"processes", sample.processes.size()},
                {"pss", SeriesJson(total)},
                {"pss_total", pss_total},
                {"swap_pss", sample.TotalSwapPss()},
                {"rss_sum", rss},
                {"uss_sum", uss}};
  if (sample.pages) {
    j["set_pages"] = {{"rss", sample.pages->rss},
                      {"uss", sample.pages->uss},
                      {"pss", sample.pages->pss},
                      {"swap", sample.pages->swap}};
  }
  out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
      << "\n";
}

}  // namespace memstats::render
