// The scanner's own work, without the kernel: /proc text parsing in MB/s,
// and pagemap decoding (entries -> windows -> interned segments) through the
// real Scan() over a synthetic in-memory ProcSource.
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "scan/pagemap.h"
#include "scan/parsers.h"
#include "scan/scanner.h"

namespace memstats::scan {
namespace {

// smaps text of `n` mappings, in the kernel's format.
std::string SmapsText(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    uint64_t start = 0x7f0000000000ULL + uint64_t(i) * 0x200000;
    absl::StrAppendFormat(
        &out, "%x-%x r-xp 00000000 fe:01 %d /usr/lib/x86_64-linux-gnu/lib%d.so\n",
        start, start + 0x200000, 1000 + i, i);
    for (const char* k :
         {"Size", "KernelPageSize", "MMUPageSize", "Rss", "Pss", "Pss_Dirty",
          "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty",
          "Referenced", "Anonymous", "KSM", "LazyFree", "AnonHugePages",
          "ShmemPmdMapped", "FilePmdMapped", "Shared_Hugetlb",
          "Private_Hugetlb", "Swap", "SwapPss", "Locked"}) {
      absl::StrAppendFormat(&out, "%-16s%8d kB\n", absl::StrCat(k, ":"),
                            (i * 7) % 2048);
    }
    out += "THPeligible:    0\nVmFlags: rd ex mr mw me sd \n";
  }
  return out;
}

std::string MapsText(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    uint64_t start = 0x7f0000000000ULL + uint64_t(i) * 0x200000;
    absl::StrAppendFormat(
        &out, "%x-%x rw-p 00001000 fe:01 %d /usr/lib/x86_64-linux-gnu/lib%d.so\n",
        start, start + 0x200000, 1000 + i, i);
  }
  return out;
}

void BM_ParseMaps(benchmark::State& state) {
  const std::string text = MapsText(10000);
  for (auto _ : state) benchmark::DoNotOptimize(ParseMaps(text));
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_ParseMaps);

void BM_ParseSmaps(benchmark::State& state) {
  const std::string text = SmapsText(2000);
  for (auto _ : state) benchmark::DoNotOptimize(ParseSmaps(text));
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_ParseSmaps);

void BM_ParseSmapsRollup(benchmark::State& state) {
  const std::string text = SmapsText(2000);
  for (auto _ : state) benchmark::DoNotOptimize(ParseSmapsRollup(text));
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_ParseSmapsRollup);

// Processes that each map one `pages`-page shared region (same PFNs in
// every process, scattered so no runs merge) and read as fully present.
class SyntheticProc : public ProcSource {
 public:
  SyntheticProc(int procs, uint64_t pages) : procs_(procs), pages_(pages) {}

  absl::StatusOr<std::vector<int>> ListPids() override {
    std::vector<int> pids;
    for (int i = 1; i <= procs_; ++i) pids.push_back(i + 100);
    return pids;
  }
  absl::StatusOr<std::unique_ptr<ProcHandle>> OpenProcess(int pid) override {
    return std::unique_ptr<ProcHandle>(new Handle(pid, pages_));
  }
  absl::StatusOr<std::string> ReadSystemFile(std::string_view) override {
    return absl::NotFoundError("synthetic");
  }
  absl::Status ReadKpagecount(uint64_t, std::span<uint64_t>) override {
    return absl::OkStatus();
  }
  absl::Status ReadKpageflags(uint64_t, std::span<uint64_t>) override {
    return absl::OkStatus();
  }
  std::string Describe() const override { return "synthetic"; }

 private:
  static constexpr uint64_t kBase = 0x10000000;
  class Handle : public ProcHandle {
   public:
    Handle(int pid, uint64_t pages) : pid_(pid), pages_(pages) {}
    int pid() const override { return pid_; }
    absl::StatusOr<std::string> ReadFile(std::string_view name) override {
      if (name == "stat") return absl::StrCat(pid_, " (w) S 1 1 1 0 -1 0");
      if (name == "status") return std::string("Name:\tw\nPPid:\t1\nUid:\t0\n");
      if (name == "maps") {
        return absl::StrFormat("%x-%x rw-s 00000000 00:01 77 /dev/zero (deleted)\n",
                               kBase, kBase + pages_ * kPageSize);
      }
      return std::string("w");
    }
    absl::StatusOr<std::string> ReadLink(std::string_view) override {
      return std::string("/usr/bin/w");
    }
    absl::Status ReadPagemap(uint64_t vpn, std::span<uint64_t> out) override {
      const uint64_t first = kBase >> kPageShift;
      for (size_t i = 0; i < out.size(); ++i) {
        out[i] = kPmPresent | kPmFileOrShared | (0x1000 + 2 * (vpn - first + i));
      }
      return absl::OkStatus();
    }

   private:
    int pid_;
    uint64_t pages_;
  };
  int procs_;
  uint64_t pages_;
};

void BM_ScanDecode(benchmark::State& state) {
  const int procs = static_cast<int>(state.range(0));
  const uint64_t pages = static_cast<uint64_t>(state.range(1));
  SyntheticProc src(procs, pages);
  ScanOptions o;
  o.threads = 1;
  o.read_smaps = false;
  for (auto _ : state) {
    auto r = Scan(src, o, [](const ProcessIdentity&, const ParentMap&) {
      return true;
    });
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * procs * pages);
}
BENCHMARK(BM_ScanDecode)->Args({100, 65536})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace memstats::scan

BENCHMARK_MAIN();
