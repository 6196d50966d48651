// memstats_churn_helper: starts and ends short-lived processes without pause,
// so that a scan running at the same time sees processes vanish between the
// pid listing and the reads of their files (tests/e2e/churn_test.cc).
//
// Usage: memstats_churn_helper PARENT_PID SECONDS MAX_LIVE
//
// Children, in turn:
//   - exit at once after fork;
//   - sleep 1 to 8 ms, then exit;
//   - exec `sleep 60` and are SIGKILLed by the helper after 2 to 40 ms;
//   - (one in 16) map 4 MiB, write every page, and exit.
// About kStartsPerSecond children start a second; at most MAX_LIVE are alive
// (not yet reaped) at once, and starts due while MAX_LIVE are alive are
// skipped.
//
// Stopping: the helper ends after SECONDS, or on SIGTERM/SIGINT; it then
// SIGKILLs every child and reaps them all before it exits 0. It dies with
// PARENT_PID (PR_SET_PDEATHSIG) and its children die with it, so no process
// outlives the test even when the helper itself is SIGKILLed. It runs in a
// process group of its own (its pid), which the test checks is empty
// afterwards. On exit it prints what it did on stderr.
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>

namespace memstats::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Enough that every scan of the 2-core test machine sees several processes
// vanish, few enough to leave the scans most of the CPU.
constexpr double kStartsPerSecond = 600;

volatile sig_atomic_t g_stop = 0;

void OnStop(int) { g_stop = 1; }

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "memstats_churn_helper: %s: %s\n", what,
               std::strerror(errno));
  std::exit(1);
}

void SleepMs(int ms) {
  timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// Runs in every child right after fork: die with the helper. Checking the
// parent after the prctl closes the race where the helper died before it.
void BindToHelper(pid_t helper) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != helper) _exit(0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

enum class Kind { kExitNow, kShortSleep, kKilledSleep, kTouchMemory };

struct Counts {
  uint64_t started = 0;
  uint64_t killed = 0;
  uint64_t reaped = 0;
  uint64_t skipped = 0;  // due while MAX_LIVE children were alive
  uint64_t fork_failures = 0;
  size_t max_live = 0;
};

class Churner {
 public:
  Churner(size_t max_live, const char* sleep_path)
      : max_live_(max_live), sleep_path_(sleep_path), self_(getpid()) {}

  // Starts kStartsPerSecond children a second (fewer when MAX_LIVE is
  // reached), in a burst every millisecond or so.
  void Run(Clock::time_point deadline) {
    const Clock::time_point start = Clock::now();
    for (Clock::time_point now = start; g_stop == 0 && now < deadline;
         now = Clock::now()) {
      Reap(/*block=*/false);
      KillExpired();
      const double due = std::chrono::duration<double>(now - start).count() *
                         kStartsPerSecond;
      while (static_cast<double>(counts_.started + counts_.skipped) < due) {
        if (live_.size() >= max_live_) {
          ++counts_.skipped;
          continue;
        }
        if (!Start()) break;
      }
      counts_.max_live = std::max(counts_.max_live, live_.size());
      SleepMs(1);
    }
  }

  // SIGKILLs every child still alive and reaps them all.
  void Finish() {
    for (const auto& [pid, kill_at] : live_) ::kill(pid, SIGKILL);
    while (!live_.empty()) Reap(/*block=*/true);
  }

  const Counts& counts() const { return counts_; }

 private:
  // Forks one child; false when fork failed.
  bool Start() {
    const uint64_t n = counts_.started;
    Kind kind = Kind::kExitNow;
    if (n % 16 == 15) {
      kind = Kind::kTouchMemory;
    } else if (n % 3 == 1) {
      kind = Kind::kShortSleep;
    } else if (n % 3 == 2) {
      kind = Kind::kKilledSleep;
    }
    const int ms = static_cast<int>(rng_() % 8) + 1;
    const pid_t pid = fork();
    if (pid < 0) {
      ++counts_.fork_failures;
      return false;
    }
    if (pid == 0) ChildMain(kind, ms);
    ++counts_.started;
    Clock::time_point kill_at = Clock::time_point::max();
    if (kind == Kind::kKilledSleep) {
      kill_at = Clock::now() +
                std::chrono::milliseconds(2 + static_cast<int>(rng_() % 39));
    }
    live_[pid] = kill_at;
    return true;
  }

  [[noreturn]] void ChildMain(Kind kind, int ms) {
    BindToHelper(self_);
    switch (kind) {
      case Kind::kExitNow:
        break;
      case Kind::kShortSleep:
        SleepMs(ms);
        break;
      case Kind::kKilledSleep: {
        char arg[] = "60";
        char* argv[] = {const_cast<char*>(sleep_path_), arg, nullptr};
        execv(sleep_path_, argv);
        // No sleep binary: sleep here instead, until killed.
        SleepMs(60000);
        break;
      }
      case Kind::kTouchMemory: {
        constexpr size_t kBytes = 4 << 20;
        void* p = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
          for (size_t off = 0; off < kBytes; off += 4096)
            static_cast<volatile char*>(p)[off] = 1;
        }
        break;
      }
    }
    _exit(0);
  }

  void Reap(bool block) {
    for (;;) {
      int status = 0;
      const pid_t pid = waitpid(-1, &status, block ? 0 : WNOHANG);
      if (pid > 0) {
        live_.erase(pid);
        ++counts_.reaped;
        if (block) return;
        continue;
      }
      if (pid < 0 && errno == EINTR) continue;
      if (pid < 0 && errno == ECHILD) live_.clear();
      return;
    }
  }

  void KillExpired() {
    const Clock::time_point now = Clock::now();
    for (auto& [pid, kill_at] : live_) {
      if (kill_at <= now) {
        ::kill(pid, SIGKILL);
        ++counts_.killed;
        kill_at = Clock::time_point::max();
      }
    }
  }

  const size_t max_live_;
  const char* const sleep_path_;
  const pid_t self_;
  std::map<pid_t, Clock::time_point> live_;  // pid -> when to SIGKILL it
  std::minstd_rand rng_{12345};
  Counts counts_;
};

int Main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr,
                 "usage: memstats_churn_helper PARENT_PID SECONDS MAX_LIVE\n");
    return 2;
  }
  const pid_t parent = static_cast<pid_t>(std::atol(argv[1]));
  const int seconds = std::atoi(argv[2]);
  const size_t max_live = static_cast<size_t>(std::atol(argv[3]));
  if (seconds <= 0 || max_live == 0) {
    std::fprintf(stderr, "memstats_churn_helper: bad SECONDS or MAX_LIVE\n");
    return 2;
  }

  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) Die("prctl");
  if (getppid() != parent) return 1;  // the test is already gone
  if (setpgid(0, 0) != 0) Die("setpgid");

  struct sigaction sa = {};
  sa.sa_handler = OnStop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  // A backstop should the loop ever hang: the default action of SIGALRM
  // ends the helper, and PR_SET_PDEATHSIG then ends its children.
  alarm(static_cast<unsigned>(seconds) + 30);

  const char* sleep_path =
      access("/bin/sleep", X_OK) == 0 ? "/bin/sleep" : "/usr/bin/sleep";
  Churner churner(max_live, sleep_path);
  churner.Run(Clock::now() + std::chrono::seconds(seconds));
  churner.Finish();

  const Counts& c = churner.counts();
  std::fprintf(stderr,
               "memstats_churn_helper: started %llu, killed %llu, reaped %llu, "
               "skipped %llu, fork failures %llu, at most %zu alive\n",
               static_cast<unsigned long long>(c.started),
               static_cast<unsigned long long>(c.killed),
               static_cast<unsigned long long>(c.reaped),
               static_cast<unsigned long long>(c.skipped),
               static_cast<unsigned long long>(c.fork_failures), c.max_live);
  return 0;
}

}  // namespace
}  // namespace memstats::testing

int main(int argc, char** argv) {
  return memstats::testing::Main(argc, argv);
}
