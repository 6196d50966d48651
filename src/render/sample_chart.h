// Samples as a chart: the projection shared by memstats watch -g and
// memstats plot (the SVG, and each view of the HTML report). Only sums; the
// drawing is svg_chart's.
#ifndef MEMSTATS_RENDER_SAMPLE_CHART_H_
#define MEMSTATS_RENDER_SAMPLE_CHART_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "profile/sample.h"
#include "render/svg_chart.h"

namespace memstats::render {

// One point of a chart: the PSS series of every process of a sample, or of
// one process (zero when it is not in the sample).
struct ChartPoint {
  double seconds = 0;
  int64_t unix_ms = 0;
  std::array<uint64_t, profile::kNumSeries> pss{};
};
ChartPoint PointOf(const profile::Sample& sample,
                   std::optional<int> pid = std::nullopt);

// The stacked chart of `points`: the ten series, bottom to top in the
// order of profile::Series, named by profile::SeriesName; x labels are
// clock times shifted by utc_offset_s when there is a point.
TimeChart SeriesChart(std::string title, const std::vector<ChartPoint>& points,
                      int64_t utc_offset_s);

// The offset of the local time zone from UTC at `unix_ms`, in seconds.
int64_t LocalUtcOffsetSeconds(int64_t unix_ms);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_SAMPLE_CHART_H_
