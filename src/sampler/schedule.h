// The one periodic loop of memstats (top -l, watch, record, run, serve):
// a tick every period until a signal, a duration, a number of ticks, or the
// tick itself says to stop. Everything that touches the world (clocks,
// sleeping, signals) is injected through Clock, so a test runs many ticks
// without sleeping.
#ifndef MEMSTATS_SAMPLER_SCHEDULE_H_
#define MEMSTATS_SAMPLER_SCHEDULE_H_

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/status/statusor.h"

namespace memstats::sampler {

struct Schedule {
  // Ticks start every period_seconds, measured from the start of the
  // previous tick, so a tick's own cost does not stretch the period; a tick
  // that takes longer than the period is followed at once by the next.
  double period_seconds = 1;
  // No tick starts after this many seconds from the first tick's start.
  std::optional<double> duration_seconds;
  std::optional<int64_t> max_ticks;
};

struct Clock {
  // Seconds on a monotonic clock.
  std::function<double()> now;
  // Waits `seconds`; returns false when a stop request cut the wait short.
  std::function<bool(double seconds)> sleep;
  // True once the loop should end (SIGINT, SIGTERM, ...): the tick in
  // progress finishes whole, no other starts.
  std::function<bool()> stop_requested;
};

// The real clock: CLOCK_MONOTONIC, and StopSignals (stop_signals.h) for
// sleep and stop_requested.
Clock SystemClock();

enum class EndReason {
  kTicks,     // max_ticks done
  kDuration,  // duration_seconds reached
  kStopped,   // stop_requested
  kTickDone,  // the tick returned false (what it follows is gone)
};

// Runs tick(1), tick(2), ... on `schedule`. A tick returns true to go on,
// false to end the loop, or an error, which ends the loop and is returned.
// REQUIRES: schedule.period_seconds > 0.
absl::StatusOr<EndReason> RunSchedule(
    const Schedule& schedule, const Clock& clock,
    const std::function<absl::StatusOr<bool>(int64_t tick)>& tick);

}  // namespace memstats::sampler

#endif  // MEMSTATS_SAMPLER_SCHEDULE_H_
