#include "sampler/schedule.h"

#include <vector>

#include "gtest/gtest.h"
#include "test_util.h"

namespace memstats::sampler {
namespace {

// A clock that only moves when the schedule sleeps or a tick "works".
struct FakeClock {
  double t = 100;
  std::vector<double> sleeps;
  double stop_at = 1e18;  // a stop request arrives at this time
  Clock Get() {
    Clock c;
    c.now = [this] { return t; };
    c.sleep = [this](double s) {
      sleeps.push_back(s);
      if (t + s >= stop_at) {
        t = stop_at;
        return false;
      }
      t += s;
      return true;
    };
    c.stop_requested = [this] { return t >= stop_at; };
    return c;
  }
};

TEST(ScheduleTest, PeriodCountsFromEachTickStart) {
  FakeClock fc;
  std::vector<double> starts;
  Schedule s{.period_seconds = 1, .max_ticks = 4};
  auto end = RunSchedule(s, fc.Get(), [&](int64_t n) -> absl::StatusOr<bool> {
    starts.push_back(fc.t);
    fc.t += 0.25;  // the tick's own cost
    return true;
  });
  ASSERT_OK(end);
  EXPECT_EQ(*end, EndReason::kTicks);
  EXPECT_EQ(starts, (std::vector<double>{100, 101, 102, 103}));
  EXPECT_EQ(fc.sleeps, (std::vector<double>{0.75, 0.75, 0.75}));
}

TEST(ScheduleTest, ASlowTickIsFollowedAtOnceWithoutCatchingUp) {
  FakeClock fc;
  std::vector<double> starts;
  Schedule s{.period_seconds = 1, .max_ticks = 3};
  auto end = RunSchedule(s, fc.Get(), [&](int64_t n) -> absl::StatusOr<bool> {
    starts.push_back(fc.t);
    fc.t += n == 1 ? 2.5 : 0.5;
    return true;
  });
  ASSERT_OK(end);
  // Tick 2 starts when tick 1 ends (102.5), tick 3 one period after it.
  EXPECT_EQ(starts, (std::vector<double>{100, 102.5, 103.5}));
  EXPECT_EQ(fc.sleeps, (std::vector<double>{0.5}));
}

TEST(ScheduleTest, DurationEndsBeforeATickPastIt) {
  FakeClock fc;
  int ticks = 0;
  Schedule s{.period_seconds = 1, .duration_seconds = 2.5};
  auto end = RunSchedule(s, fc.Get(), [&](int64_t) -> absl::StatusOr<bool> {
    ++ticks;
    return true;
  });
  ASSERT_OK(end);
  EXPECT_EQ(*end, EndReason::kDuration);
  EXPECT_EQ(ticks, 3);  // at 0, 1 and 2 s
}

TEST(ScheduleTest, StopDuringASleepEndsTheLoop) {
  FakeClock fc;
  fc.stop_at = 101.5;
  int ticks = 0;
  Schedule s{.period_seconds = 1};
  auto end = RunSchedule(s, fc.Get(), [&](int64_t) -> absl::StatusOr<bool> {
    ++ticks;
    return true;
  });
  ASSERT_OK(end);
  EXPECT_EQ(*end, EndReason::kStopped);
  EXPECT_EQ(ticks, 2);
}

TEST(ScheduleTest, StopDuringATickLetsItFinishAndStartsNoOther) {
  FakeClock fc;
  fc.stop_at = 100.1;
  int ticks = 0;
  Schedule s{.period_seconds = 1};
  auto end = RunSchedule(s, fc.Get(), [&](int64_t) -> absl::StatusOr<bool> {
    ++ticks;
    fc.t += 0.2;
    return true;
  });
  ASSERT_OK(end);
  EXPECT_EQ(*end, EndReason::kStopped);
  EXPECT_EQ(ticks, 1);
  EXPECT_TRUE(fc.sleeps.empty());
}

TEST(ScheduleTest, TickEndsTheLoopOrFails) {
  FakeClock fc;
  Schedule s{.period_seconds = 0.5};
  auto done = RunSchedule(s, fc.Get(), [&](int64_t n) -> absl::StatusOr<bool> {
    return n < 3;
  });
  ASSERT_OK(done);
  EXPECT_EQ(*done, EndReason::kTickDone);
  auto failed = RunSchedule(s, fc.Get(), [&](int64_t n) -> absl::StatusOr<bool> {
    if (n == 2) return absl::InternalError("disk full");
    return true;
  });
  EXPECT_EQ(failed.status(), absl::InternalError("disk full"));
}

}  // namespace
}  // namespace memstats::sampler
