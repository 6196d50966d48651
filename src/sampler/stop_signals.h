// Process-wide handling of the signals that end a loop (SIGINT, SIGTERM,
// SIGHUP, SIGQUIT). The handler only records the signal; loops poll
// StopRequested() between ticks and sleep in short steps, so a signal ends
// a wait within 50 ms and a tick in progress always finishes whole (no half
// sample in a database, no half round on a terminal).
#ifndef MEMSTATS_SAMPLER_STOP_SIGNALS_H_
#define MEMSTATS_SAMPLER_STOP_SIGNALS_H_

#include <functional>
#include <initializer_list>

namespace memstats::sampler {

// Installs the handler for `signals` (SA_RESTART: a /proc read interrupted
// by the signal is restarted, not failed, which would count a process as
// vanished). Call once, before the loop.
void InstallStopSignals(std::initializer_list<int> signals);

// True once one of the installed signals arrived (or RequestStop ran).
bool StopRequested();
// The last signal that arrived, 0 if none.
int LastStopSignal();
// Signals that arrived and were not taken yet: returns the oldest pending
// one and forgets it, 0 if none (memstats run forwards each to its child).
int TakePendingSignal();
// Asks every loop to stop, as a signal would (for callers that end a loop
// for their own reasons, e.g. the command memstats runs has exited).
void RequestStop();

// Sleeps `seconds` in steps of at most 50 ms, asking `wake` before each
// step; returns false as soon as it returns true.
bool SleepUntil(double seconds, const std::function<bool()>& wake);

// SleepUntil(seconds, StopRequested).
bool SleepUnlessStopped(double seconds);

}  // namespace memstats::sampler

#endif  // MEMSTATS_SAMPLER_STOP_SIGNALS_H_
