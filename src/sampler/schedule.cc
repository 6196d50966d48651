#include "sampler/schedule.h"

#include <time.h>

#include "sampler/stop_signals.h"

namespace memstats::sampler {

Clock SystemClock() {
  Clock c;
  c.now = [] {
    struct timespec ts = {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  c.sleep = SleepUnlessStopped;
  c.stop_requested = StopRequested;
  return c;
}

absl::StatusOr<EndReason> RunSchedule(
    const Schedule& schedule, const Clock& clock,
    const std::function<absl::StatusOr<bool>(int64_t tick)>& tick) {
  const double first = clock.now();
  double start = first;
  for (int64_t n = 1;; ++n) {
    absl::StatusOr<bool> go_on = tick(n);
    if (!go_on.ok()) return go_on.status();
    if (!*go_on) return EndReason::kTickDone;
    if (schedule.max_ticks && n >= *schedule.max_ticks) return EndReason::kTicks;
    if (clock.stop_requested()) return EndReason::kStopped;
    const double next = start + schedule.period_seconds;
    if (schedule.duration_seconds && next - first > *schedule.duration_seconds) {
      return EndReason::kDuration;
    }
    const double wait = next - clock.now();
    if (wait > 0 && !clock.sleep(wait)) return EndReason::kStopped;
    if (clock.stop_requested()) return EndReason::kStopped;
    // A late tick starts now, and the period counts from there: no burst
    // of ticks to catch up after a slow one.
    start = wait > 0 ? next : clock.now();
  }
}

}  // namespace memstats::sampler
