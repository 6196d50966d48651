#include "sampler/stop_signals.h"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace memstats::sampler {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_last{0};
// Pending signals, one bit each; a handler sets, TakePendingSignal clears.
std::atomic<uint64_t> g_pending{0};

void OnSignal(int sig) {
  g_last.store(sig);
  if (sig > 0 && sig < 64) g_pending.fetch_or(uint64_t{1} << sig);
  g_stop.store(true);
}

}  // namespace

void InstallStopSignals(std::initializer_list<int> signals) {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int s : signals) sigaction(s, &sa, nullptr);
}

bool StopRequested() { return g_stop.load(); }

int LastStopSignal() { return g_last.load(); }

int TakePendingSignal() {
  uint64_t bits = g_pending.load();
  while (bits != 0) {
    const int sig = __builtin_ctzll(bits);
    if (g_pending.compare_exchange_weak(bits, bits & ~(uint64_t{1} << sig))) {
      return sig;
    }
  }
  return 0;
}

void RequestStop() { g_stop.store(true); }

bool SleepUntil(double seconds, const std::function<bool()>& wake) {
  const auto total_ns = static_cast<int64_t>(seconds * 1e9);
  for (int64_t slept = 0; slept < total_ns;) {
    if (wake()) return false;
    const int64_t step = std::min<int64_t>(50'000'000, total_ns - slept);
    struct timespec ts = {static_cast<time_t>(step / 1'000'000'000),
                          static_cast<long>(step % 1'000'000'000)};
    nanosleep(&ts, nullptr);
    slept += step;
  }
  return !wake();
}

bool SleepUnlessStopped(double seconds) {
  return SleepUntil(seconds, StopRequested);
}

}  // namespace memstats::sampler
