// Accounting over synthetic page lists: the cost of a split must follow the
// number of page references, not the number of groups. Compare the 2-group
// and the 10,000-group rows for the same reference count.
#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <random>

#include "benchmark/benchmark.h"
#include "scan/pagemap.h"
#include "sets/accounting.h"
#include "sets/page_catalog.h"

namespace memstats::sets {
namespace {

// Every PFN is an anonymous page mapped once per reference seen.
class SyntheticSource : public scan::ProcSource {
 public:
  absl::StatusOr<std::vector<int>> ListPids() override {
    return std::vector<int>{};
  }
  absl::StatusOr<std::unique_ptr<scan::ProcHandle>> OpenProcess(int) override {
    return absl::NotFoundError("synthetic");
  }
  absl::StatusOr<std::string> ReadSystemFile(std::string_view) override {
    return absl::NotFoundError("synthetic");
  }
  absl::Status ReadKpagecount(uint64_t, std::span<uint64_t> out) override {
    for (auto& e : out) e = 2;
    return absl::OkStatus();
  }
  absl::Status ReadKpageflags(uint64_t, std::span<uint64_t> out) override {
    for (auto& e : out) e = uint64_t{1} << scan::kKpfAnon;
    return absl::OkStatus();
  }
  std::string Describe() const override { return "synthetic"; }
};

// 10,000 processes; `refs` page references in runs of 1 to 16 pages over a
// PFN space 4x smaller than the references, so pages are shared.
std::vector<scan::ProcessRecord> MakeRecords(uint64_t refs,
                                             scan::SegmentStore& store) {
  std::mt19937_64 rng(42);
  const size_t procs = 10000;
  const uint64_t pfns = std::max<uint64_t>(refs / 4, 1024);
  std::vector<scan::ProcessRecord> recs(procs);
  std::vector<std::vector<scan::PfnRun>> pages(procs);
  for (uint64_t done = 0; done < refs;) {
    uint64_t len = 1 + rng() % 16;
    uint64_t start = rng() % (pfns - len);
    pages[rng() % procs].push_back({start, len});
    done += len;
  }
  // Segments of up to 32 runs, as windows of a scan would hold.
  for (size_t i = 0; i < procs; ++i) {
    for (size_t at = 0; at < pages[i].size(); at += 32) {
      size_t n = std::min<size_t>(32, pages[i].size() - at);
      recs[i].segments.push_back(
          store.Intern(std::span(pages[i].data() + at, n)));
    }
  }
  for (size_t i = 0; i < procs; ++i) recs[i].id.pid = static_cast<int>(i + 1);
  return recs;
}

// One scan's synthetic records, catalog and Accountant, built once per
// reference count and shared by the benchmarks below.
struct Fixture {
  std::vector<scan::ProcessRecord> recs;
  std::optional<PageCatalog> catalog;
  std::optional<SwapCatalog> swap;
  std::optional<Accountant> accountant;
};

Fixture& GetFixture(uint64_t refs) {
  static scan::SegmentStore store;
  static std::map<uint64_t, Fixture> cache;
  auto [it, added] = cache.try_emplace(refs);
  Fixture& f = it->second;
  if (added) {
    f.recs = MakeRecords(refs, store);
    SyntheticSource src;
    f.catalog.emplace(*PageCatalog::Build(f.recs, store, src, nullptr));
    f.swap.emplace(f.recs);
    // What one more split costs: the Accountant (per-process PSS) is built
    // once per scan and shared by every split.
    f.accountant.emplace(f.recs, store, &*f.catalog, *f.swap,
                         std::vector<scan::SysvSegment>{}, 1);
  }
  return f;
}

// Record i in group i % groups: 10,000 groups of one process each, 5,000
// groups of two, or 2 groups of 5,000.
std::vector<uint32_t> RoundRobin(size_t records, uint32_t groups) {
  std::vector<uint32_t> group_of(records);
  for (size_t i = 0; i < records; ++i) group_of[i] = i % groups;
  return group_of;
}

void BM_AccountGroups(benchmark::State& state) {
  const uint64_t refs = static_cast<uint64_t>(state.range(0));
  const uint32_t groups = static_cast<uint32_t>(state.range(1));
  Fixture& f = GetFixture(refs);
  const std::vector<uint32_t> group_of = RoundRobin(f.recs.size(), groups);
  for (auto _ : state) {
    auto out = f.accountant->Account(group_of, groups, nullptr);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * refs);
}
BENCHMARK(BM_AccountGroups)
    ->ArgsProduct({{1 << 20, 10 << 20, 100 << 20}, {2, 5000, 10000}})
    ->Unit(benchmark::kMillisecond);

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Issue 3's target as one number: each iteration times a 2-group split and a
// 10,000-group split of the same pages back to back, so that load from
// other work on the machine hits both alike. Counters: the median time of
// each (ms), ratio = median(10,000 groups) / median(2 groups), the target
// being <= 1.1, and ratio_min, the same over the fastest runs (the least
// disturbed by other load).
void BM_SplitRatio(benchmark::State& state) {
  const uint64_t refs = static_cast<uint64_t>(state.range(0));
  Fixture& f = GetFixture(refs);
  const std::vector<uint32_t> two = RoundRobin(f.recs.size(), 2);
  const std::vector<uint32_t> many = RoundRobin(f.recs.size(), 10000);
  std::vector<double> t_two, t_many;
  auto time_split = [&](const std::vector<uint32_t>& group_of,
                        uint32_t groups) {
    const auto start = std::chrono::steady_clock::now();
    auto out = f.accountant->Account(group_of, groups, nullptr);
    benchmark::DoNotOptimize(out);
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now() - start)
        .count();
  };
  for (auto _ : state) {
    // Alternate which goes first, so neither always runs on a warm cache.
    if (t_two.size() % 2 == 0) {
      t_two.push_back(time_split(two, 2));
      t_many.push_back(time_split(many, 10000));
    } else {
      t_many.push_back(time_split(many, 10000));
      t_two.push_back(time_split(two, 2));
    }
  }
  state.counters["ms_2_groups"] = Median(t_two);
  state.counters["ms_10000_groups"] = Median(t_many);
  state.counters["ratio"] = Median(t_many) / Median(t_two);
  state.counters["ratio_min"] = *std::min_element(t_many.begin(), t_many.end()) /
                                *std::min_element(t_two.begin(), t_two.end());
  state.SetItemsProcessed(state.iterations() * refs * 2);
}
BENCHMARK(BM_SplitRatio)
    ->Arg(1 << 20)
    ->Arg(10 << 20)
    ->Arg(100 << 20)
    ->MinTime(2)
    ->Unit(benchmark::kMillisecond);

void BM_BuildCatalog(benchmark::State& state) {
  const uint64_t refs = static_cast<uint64_t>(state.range(0));
  scan::SegmentStore store;
  auto recs = MakeRecords(refs, store);
  SyntheticSource src;
  for (auto _ : state) {
    auto c = PageCatalog::Build(recs, store, src, nullptr);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * refs);
}
BENCHMARK(BM_BuildCatalog)->Arg(1 << 20)->Arg(10 << 20)->Unit(
    benchmark::kMillisecond);

}  // namespace
}  // namespace memstats::sets

BENCHMARK_MAIN();
