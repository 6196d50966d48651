// memstats_alloc_helper: a command for memstats run's tests, with a known
// memory peak. Static, so its own memory besides the allocation is a few
// pages of binary, stack and libc data.
//
//   memstats_alloc_helper [--delay-ms D] [--mib N] [--hold-ms T]
//                         [--populate] [--children K] [--exit C]
//                         [--wait-signal]
//
// Sleeps D ms (default 0), maps N MiB of private anonymous memory (default
// 0), writes every page (with --populate, has the kernel fill it at once
// with MAP_POPULATE instead, so the memory appears within a few ms), holds
// it T ms (default 0), unmaps it, and exits with C (default 0). With
// --children K it first forks K children that each do the same (so the
// tree's peak is (K + 1) x N MiB while they all hold), and waits for them.
// --wait-signal: after the allocation, waits for SIGTERM, SIGINT or SIGHUP
// and exits with 100 + that signal's number (proves forwarding).
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <initializer_list>

#include "e2e/helper_io.h"

namespace {

using memstats::testing::DieWithErrno;
using memstats::testing::WriteStr;

constexpr char kName[] = "memstats_alloc_helper";

volatile sig_atomic_t g_signal = 0;
void OnSignal(int sig) { g_signal = sig; }

void SleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1'000'000};
  while (nanosleep(&ts, &ts) != 0 && g_signal == 0) {
  }
}

void Allocate(long mib, long hold_ms, bool populate) {
  if (mib <= 0) {
    SleepMs(hold_ms);
    return;
  }
  const size_t bytes = static_cast<size_t>(mib) << 20;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0),
                 -1, 0);
  if (p == MAP_FAILED) DieWithErrno(kName, "mmap");
  if (!populate) {
    // No transparent huge pages: each 4 KiB page is written, so RSS is the
    // allocation to the page whatever the THP policy.
    madvise(p, bytes, MADV_NOHUGEPAGE);
    memset(p, 0x5a, bytes);
  }
  SleepMs(hold_ms);
  munmap(p, bytes);
}

}  // namespace

int main(int argc, char** argv) {
  long delay_ms = 0, mib = 0, hold_ms = 0, children = 0, exit_code = 0;
  bool wait_signal = false, populate = false;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (strcmp(argv[i], "--delay-ms") == 0 && has_value) {
      delay_ms = atol(argv[++i]);
    } else if (strcmp(argv[i], "--populate") == 0) {
      populate = true;
    } else if (strcmp(argv[i], "--mib") == 0 && has_value) {
      mib = atol(argv[++i]);
    } else if (strcmp(argv[i], "--hold-ms") == 0 && has_value) {
      hold_ms = atol(argv[++i]);
    } else if (strcmp(argv[i], "--children") == 0 && has_value) {
      children = atol(argv[++i]);
    } else if (strcmp(argv[i], "--exit") == 0 && has_value) {
      exit_code = atol(argv[++i]);
    } else if (strcmp(argv[i], "--wait-signal") == 0) {
      wait_signal = true;
    } else {
      WriteStr(2, "usage: memstats_alloc_helper [--delay-ms D] [--mib N] "
                  "[--hold-ms T] [--populate] [--children K] [--exit C] "
                  "[--wait-signal]\n");
      return 2;
    }
  }
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaction(s, &sa, nullptr);

  SleepMs(delay_ms);
  for (long c = 0; c < children; ++c) {
    const pid_t pid = fork();
    if (pid < 0) DieWithErrno(kName, "fork");
    if (pid == 0) {
      Allocate(mib, hold_ms, populate);
      _exit(0);
    }
  }
  Allocate(mib, hold_ms, populate);
  if (wait_signal) {
    while (g_signal == 0) pause();
  }
  while (wait(nullptr) > 0) {
  }
  if (wait_signal) return 100 + g_signal;
  return static_cast<int>(exit_code);
}
