#include "render/sample_chart.h"

#include <time.h>

#include <utility>

namespace memstats::render {

ChartPoint PointOf(const profile::Sample& sample, std::optional<int> pid) {
  ChartPoint p;
  p.seconds = sample.seconds;
  p.unix_ms = sample.unix_ms;
  if (!pid) {
    p.pss = sample.TotalPss();
    return p;
  }
  for (const profile::ProcessSample& ps : sample.processes) {
    if (ps.pid == *pid) p.pss = ps.pss;
  }
  return p;
}

TimeChart SeriesChart(std::string title, const std::vector<ChartPoint>& points,
                      int64_t utc_offset_s) {
  TimeChart c;
  c.title = std::move(title);
  c.series.reserve(profile::kNumSeries);
  c.bytes.resize(profile::kNumSeries);
  for (int i = 0; i < profile::kNumSeries; ++i) {
    c.series.emplace_back(profile::SeriesName(static_cast<profile::Series>(i)));
    c.bytes[i].reserve(points.size());
  }
  c.seconds.reserve(points.size());
  for (const ChartPoint& p : points) {
    c.seconds.push_back(p.seconds);
    for (int i = 0; i < profile::kNumSeries; ++i) c.bytes[i].push_back(p.pss[i]);
  }
  if (!points.empty()) {
    // The first point's clock time, less its offset from the start.
    c.start_unix_ms = points.front().unix_ms -
                      static_cast<int64_t>(points.front().seconds * 1000);
    c.utc_offset_s = utc_offset_s;
  }
  return c;
}

int64_t LocalUtcOffsetSeconds(int64_t unix_ms) {
  const time_t t = static_cast<time_t>(unix_ms / 1000);
  struct tm tm = {};
  localtime_r(&t, &tm);
  return tm.tm_gmtoff;
}

}  // namespace memstats::render
