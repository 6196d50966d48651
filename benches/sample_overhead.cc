// sample_overhead: what one sample of memstats watch/record and of memstats
// run costs, as a ratio to reading the sampled processes' smaps once (the
// least a smaps-based sampler such as smaps-profiler or memory-watcher
// does per sample), measured in the same process on the same processes.
//
//   sample_overhead [--processes N] [--mib M] [--large-mib L] [--rounds R]
//
// Two workloads, each started as children of this program and torn down
// at the end: one large process (L MiB of touched anonymous memory, default
// 2048) and N processes (default 200) of M MiB each (default 8). For each,
// R rounds (default 11) interleave:
//   smaps    read /proc/PID/smaps of every process (the baseline);
//   watch    sampler::TakeSample with mappings (full smaps by series and
//            file, smaps_rollup): a sample of watch and record;
//   run      sampler::TakeSample with page-level numbers and no mappings
//            (pagemap, kpageflags, kpagecount, smaps_rollup): a sample of
//            memstats run.
// Prints the median of each and its ratio to smaps. Needs root for run's
// page-level numbers.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "sampler/sampler.h"
#include "scan/proc_source.h"

namespace {

using memstats::sampler::SampleOptions;
using memstats::sampler::ScanFn;
using memstats::sampler::TakeSample;
namespace scan = memstats::scan;

// Forks `n` children that each touch `mib` MiB and wait for SIGTERM.
std::vector<pid_t> StartChildren(int n, long mib) {
  std::vector<pid_t> pids;
  int ready[2];
  if (pipe(ready) != 0) std::exit(1);
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid < 0) std::exit(1);
    if (pid == 0) {
      close(ready[0]);
      const size_t bytes = static_cast<size_t>(mib) << 20;
      void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) _exit(1);
      memset(p, 1, bytes);
      char c = 'r';
      if (write(ready[1], &c, 1) != 1) _exit(1);
      pause();
      _exit(0);
    }
    pids.push_back(pid);
  }
  close(ready[1]);
  for (int i = 0; i < n; ++i) {
    char c;
    if (read(ready[0], &c, 1) != 1) std::exit(1);
  }
  close(ready[0]);
  return pids;
}

void StopChildren(const std::vector<pid_t>& pids) {
  for (pid_t p : pids) kill(p, SIGTERM);
  for (pid_t p : pids) waitpid(p, nullptr, 0);
}

double Seconds(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void Measure(const char* name, const std::vector<pid_t>& pids, int rounds) {
  auto source = scan::NewLiveProcSource("/proc");
  if (!source.ok()) std::exit(1);
  absl::flat_hash_set<int> wanted(pids.begin(), pids.end());
  scan::KeepFn keep = [&wanted](const scan::ProcessIdentity& p,
                                const scan::ParentMap&) {
    return wanted.contains(p.pid);
  };
  ScanFn scan_fn = [&](scan::ScanOptions& o, const scan::KeepFn& k) {
    o.threads = 1;
    return scan::Scan(**source, o, k);
  };
  std::vector<double> smaps, watch, run;
  size_t bytes = 0;
  for (int r = 0; r < rounds; ++r) {
    smaps.push_back(Seconds([&] {
      for (pid_t p : pids) {
        std::ifstream f("/proc/" + std::to_string(p) + "/smaps");
        std::string text((std::istreambuf_iterator<char>(f)),
                         std::istreambuf_iterator<char>());
        bytes += text.size();
      }
    }));
    watch.push_back(Seconds([&] {
      SampleOptions o;
      o.mappings = true;
      auto t = TakeSample(scan_fn, **source, o, keep, 1, nullptr, 0, 0);
      if (!t.ok() || t->sample.processes.size() != pids.size()) std::exit(1);
    }));
    run.push_back(Seconds([&] {
      SampleOptions o;
      o.mappings = false;
      o.page_level = true;
      auto t = TakeSample(scan_fn, **source, o, keep, 1, nullptr, 0, 0);
      if (!t.ok() || !t->sample.pages) std::exit(1);
    }));
  }
  const double base = Median(smaps);
  std::printf("%-26s smaps %8.4f s   watch %8.4f s (%.2fx)   run %8.4f s (%.2fx)\n",
              name, base, Median(watch), Median(watch) / base, Median(run),
              Median(run) / base);
}

}  // namespace

int main(int argc, char** argv) {
  int processes = 200, rounds = 11;
  long mib = 8, large_mib = 2048;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const long v = std::atol(argv[i + 1]);
    if (flag == "--processes") processes = static_cast<int>(v);
    else if (flag == "--mib") mib = v;
    else if (flag == "--large-mib") large_mib = v;
    else if (flag == "--rounds") rounds = static_cast<int>(v);
  }
  {
    std::vector<pid_t> one = StartChildren(1, large_mib);
    Measure(("1 process x " + std::to_string(large_mib) + " MiB").c_str(), one,
            rounds);
    StopChildren(one);
  }
  {
    std::vector<pid_t> many = StartChildren(processes, mib);
    Measure((std::to_string(processes) + " processes x " + std::to_string(mib) +
             " MiB")
                .c_str(),
            many, rounds);
    StopChildren(many);
  }
  return 0;
}
