// Accounting over synthetic page lists: the cost of a split must follow the
// number of page references, not the number of groups. Compare the 2-group
// and the 10,000-group rows for the same reference count.
#include <map>
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

void BM_AccountGroups(benchmark::State& state) {
  const uint64_t refs = static_cast<uint64_t>(state.range(0));
  const uint32_t groups = static_cast<uint32_t>(state.range(1));
  static scan::SegmentStore store;
  static std::map<uint64_t, std::vector<scan::ProcessRecord>> cache;
  auto it = cache.find(refs);
  if (it == cache.end()) it = cache.emplace(refs, MakeRecords(refs, store)).first;
  auto& recs = it->second;
  SyntheticSource src;
  auto catalog = PageCatalog::Build(recs, store, src, nullptr);
  SwapCatalog swap(recs);
  std::vector<uint32_t> group_of(recs.size());
  for (size_t i = 0; i < recs.size(); ++i) group_of[i] = i % groups;
  // What one more split costs: the Accountant (per-process PSS) is built
  // once per scan and shared by every split.
  Accountant accountant(recs, store, &*catalog, swap, {}, 1);
  for (auto _ : state) {
    auto out = accountant.Account(group_of, groups, nullptr);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * refs);
}
BENCHMARK(BM_AccountGroups)
    ->ArgsProduct({{1 << 20, 10 << 20, 100 << 20}, {2, 10000}})
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
