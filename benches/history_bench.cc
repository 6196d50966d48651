// history::Store on a synthetic recording: N processes of 30 mapping rows
// each (the shape of a real process: heap, stack, a thread stack,
// anonymous memory, its binary and seven libraries in three permission
// rows each, [vdso], shared memory), 5% of the rows changing from one sample to
// the next. Reports the time of AddSample and, as counters, the bytes the file
// grows by per sample (bytes_per_sample, after the first) and the size of
// the first sample (first_sample_bytes), measured on the checkpointed
// file. Run by hand:
//   build/benches/history_bench --benchmark_counters_tabular=true
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "history/store.h"
#include "scan/mapping_category.h"

namespace memstats::history {
namespace {

using profile::Series;
constexpr int kRowsPerProcess = 30;
constexpr double kChangingFraction = 0.05;

std::string TempDirectory() {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "memstats_hist_bench.XXXXXX")
          .string();
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

profile::SampledMapping MakeRow(Series s, std::string path, uint8_t perms,
                                std::mt19937_64& rng) {
  profile::SampledMapping m;
  m.series = s;
  m.path = std::move(path);
  m.perms = perms;
  m.mappings = 1 + static_cast<uint32_t>(rng() % 4);
  m.rss = 4096 * (1 + rng() % 2048);
  m.pss = m.rss / (1 + rng() % 4) / 4096 * 4096;
  m.size = m.rss * 2;
  if (rng() % 8 == 0) {
    m.swap = 4096 * (rng() % 64);
    m.swap_pss = m.swap / 2;
  }
  return m;
}

// Process `pid`'s 30 rows; the libraries come from a pool of 40 shared
// by all processes, as on a real host.
profile::ProcessSample MakeProcess(int pid, std::mt19937_64& rng) {
  constexpr uint8_t kR = scan::kPermRead, kW = scan::kPermWrite,
                    kX = scan::kPermExec, kS = scan::kPermShared;
  profile::ProcessSample p;
  p.pid = pid;
  p.ppid = 1;
  p.uid = 1000;
  p.comm = "worker" + std::to_string(pid % 7);
  p.cmd = "/usr/bin/" + p.comm + " --config /etc/app/" + std::to_string(pid);
  const std::string bin = "/usr/bin/" + p.comm;
  auto add = [&](Series s, std::string path, uint8_t perms) {
    p.mappings.push_back(MakeRow(s, std::move(path), perms, rng));
  };
  add(Series::kHeap, "", kR | kW);
  add(Series::kStack, "", kR | kW);
  add(Series::kThreadStack, "", kR | kW);
  add(Series::kAnonMap, "", kR | kW);
  add(Series::kBinText, bin, kR);
  add(Series::kBinText, bin, kR | kX);
  add(Series::kBinData, bin, kR | kW);
  for (int i = 0; i < 7; ++i) {
    const std::string lib = "/usr/lib/x86_64-linux-gnu/lib" +
                            std::to_string((pid * 7 + i * 3) % 40) + ".so.1";
    add(Series::kLibText, lib, kR);
    add(Series::kLibText, lib, kR | kX);
    add(Series::kLibData, lib, kR | kW);
  }
  add(Series::kOther, "", kR | kX);
  add(Series::kShm, "", kR | kW | kS);
  for (const profile::SampledMapping& m : p.mappings) {
    p.pss[static_cast<size_t>(m.series)] += m.pss;
    p.swap_pss += m.swap_pss;
    p.rss += m.rss;
    p.swap += m.swap;
  }
  p.uss = p.rss / 3;
  p.vm_hwm = p.rss + 65536;
  return p;
}

void BM_AddSample(benchmark::State& state) {
  const int processes = static_cast<int>(state.range(0));
  std::mt19937_64 rng(42);
  profile::Sample s;
  for (int i = 0; i < processes; ++i) {
    s.processes.push_back(MakeProcess(1000 + i, rng));
    if (s.processes.back().mappings.size() != kRowsPerProcess) std::abort();
  }
  const size_t rows = static_cast<size_t>(processes) * kRowsPerProcess;
  const auto changing = static_cast<size_t>(rows * kChangingFraction);

  const std::string dir = TempDirectory();
  const std::string path = dir + "/bench.db";
  auto store = Store::Create(path, RecordingInfo{"bench", "6.1", 0, 4096,
                                                 "history_bench", "synthetic"});
  if (!store.ok()) {
    state.SkipWithError(std::string(store.status().message()).c_str());
    return;
  }
  if (!(*store)->AddSample(s).ok()) std::abort();
  store->reset();  // closing checkpoints the WAL into the file
  const uint64_t first = FileSize(path);
  store = Store::Create(path, RecordingInfo{"bench", "6.1", 0, 4096,
                                            "history_bench", "synthetic"});
  if (!store.ok() || !(*store)->AddSample(s).ok()) std::abort();
  const uint64_t before = FileSize(path);  // two first samples in it

  int64_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (size_t k = 0; k < changing; ++k) {
      const size_t at = rng() % rows;
      profile::ProcessSample& p = s.processes[at / kRowsPerProcess];
      profile::SampledMapping& m = p.mappings[at % kRowsPerProcess];
      const uint64_t grow = 4096 * (1 + rng() % 16);
      m.rss += grow;
      m.pss += grow;
      p.rss += grow;
      p.pss[static_cast<size_t>(m.series)] += grow;
    }
    s.unix_ms += 200;
    s.seconds += 0.2;
    state.ResumeTiming();
    if (!(*store)->AddSample(s).ok()) std::abort();
    ++n;
  }
  store->reset();
  const uint64_t after = FileSize(path);
  state.counters["first_sample_bytes"] = static_cast<double>(first);
  state.counters["bytes_per_sample"] =
      n > 0 ? static_cast<double>(after - before) / static_cast<double>(n) : 0;
  state.counters["rows_changed"] = static_cast<double>(changing);
  // HISTORY_BENCH_KEEP=1 keeps the file, to look into it
  // (sqlite3 FILE "SELECT name, sum(pgsize) FROM dbstat GROUP BY name").
  if (std::getenv("HISTORY_BENCH_KEEP") != nullptr) {
    std::fprintf(stderr, "history_bench: kept %s\n", path.c_str());
  } else {
    std::filesystem::remove_all(dir);
  }
}
BENCHMARK(BM_AddSample)
    ->Arg(200)
    ->Iterations(300)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace memstats::history

BENCHMARK_MAIN();
