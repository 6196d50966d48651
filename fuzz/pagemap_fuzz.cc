// Fuzzes the page-level path end to end: scan::Scan() reads one process from
// an in-memory ProcSource whose maps text and pagemap entries come from the
// input, so pagemap decoding, windowing, the PAGEMAP_SCAN fallback and the
// SegmentStore see arbitrary entries; then a PageCatalog is built over
// fuzzed kpageflags/kpagecount and AccountGroups splits the process and a
// copy of part of it into groups. A group's USS can never exceed its RSS.
//
// Input layout (short inputs read as zeros):
//   byte 0      options: bits 0-1 PAGEMAP_SCAN (0, 3: works; 1: unsupported;
//               2: InvalidArgument), bit 2 read_smaps, bit 3 a small memory
//               budget, bit 4 both records in one group
//   bytes 1-2   L, length of the maps text (little-endian)
//   L bytes     the maps text
//   byte        K, entries of the kpage table
//   K * 9 bytes kpageflags (8 bytes, little-endian) and kpagecount (1 byte);
//               PFN p reads entry p % K (K = 0: a file page mapped once)
//   rest        pagemap records of 9 bytes: a skip byte s, then an entry
//               (8 bytes). Records fill the mappings' pages in order, each
//               after skipping s pages (s < 128) or (s - 127) * 256 pages,
//               so a short input can describe a sparse mapping. Pages no
//               record reaches read as not present.
// When PAGEMAP_SCAN works (and no budget is set), the process is scanned a
// second time with plain reads only: both must give the same pages, swap
// entries and counts.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "scan/pagemap.h"
#include "scan/parsers.h"
#include "scan/proc_source.h"
#include "scan/scanner.h"
#include "sets/accounting.h"
#include "sets/page_catalog.h"

namespace memstats::fuzz {
namespace {

constexpr int kPid = 100;
// Address space the maps may cover, so that one input stays fast.
constexpr uint64_t kMaxPages = uint64_t{1} << 21;
// PFNs at or above this are not RAM (ScanOptions::pfn_limit).
constexpr uint64_t kPfnLimit = uint64_t{1} << 22;

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint64_t Word(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{Byte()} << (8 * i);
    return v;
  }
  std::string Text(size_t n) {
    n = std::min(n, size_ - pos_);
    std::string s(reinterpret_cast<const char*>(data_) + pos_, n);
    pos_ += n;
    return s;
  }
  size_t left() const { return size_ - pos_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

struct Kpage {
  uint64_t flags;
  uint64_t count;
};

class FuzzSource : public scan::ProcSource {
 public:
  int scan_mode = 0;
  std::string maps;
  std::map<uint64_t, uint64_t> pagemap;  // vpn -> entry (non-zero only)
  std::vector<Kpage> kpages;

  absl::StatusOr<std::vector<int>> ListPids() override {
    return std::vector<int>{kPid};
  }
  absl::StatusOr<std::unique_ptr<scan::ProcHandle>> OpenProcess(
      int pid) override {
    if (pid != kPid) return absl::NotFoundError("no such process");
    return std::unique_ptr<scan::ProcHandle>(new Handle(this));
  }
  absl::StatusOr<std::string> ReadSystemFile(std::string_view name) override {
    return absl::NotFoundError(std::string(name));
  }
  absl::Status ReadKpagecount(uint64_t first,
                              std::span<uint64_t> out) override {
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = kpages.empty() ? 1 : kpages[(first + i) % kpages.size()].count;
    }
    return absl::OkStatus();
  }
  absl::Status ReadKpageflags(uint64_t first,
                              std::span<uint64_t> out) override {
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = kpages.empty() ? 0 : kpages[(first + i) % kpages.size()].flags;
    }
    return absl::OkStatus();
  }
  std::string Describe() const override { return "fuzz"; }

 private:
  class Handle : public scan::ProcHandle {
   public:
    explicit Handle(FuzzSource* src) : src_(src) {}
    int pid() const override { return kPid; }
    absl::StatusOr<std::string> ReadFile(std::string_view name) override {
      if (name == "stat") {
        return std::string("100 (fuzz) S 1 100 100 0 -1 4194304 0 0 0 0\n");
      }
      if (name == "status") {
        return std::string(
            "Name:\tfuzz\nPPid:\t1\nUid:\t1000\t1000\t1000\t1000\n"
            "VmPTE:\t      48 kB\n");
      }
      if (name == "cmdline") return std::string("fuzz\0-x\0", 8);
      if (name == "maps") return src_->maps;
      if (name == "smaps_rollup") {
        return std::string(
            "00400000-7fffffffffff ---p 00000000 00:00 0  [rollup]\n"
            "Rss:                 100 kB\nPss:                  60 kB\n"
            "Swap:                  8 kB\nSwapPss:               4 kB\n");
      }
      return absl::NotFoundError(std::string(name));
    }
    absl::StatusOr<std::string> ReadLink(std::string_view name) override {
      return std::string("/usr/bin/fuzz");
    }
    absl::Status ReadPagemap(uint64_t vpn, std::span<uint64_t> out) override {
      std::fill(out.begin(), out.end(), 0);
      auto& pm = src_->pagemap;
      for (auto it = pm.lower_bound(vpn);
           it != pm.end() && it->first - vpn < out.size(); ++it) {
        out[it->first - vpn] = it->second;
      }
      return absl::OkStatus();
    }
    // As the kernel's PAGEMAP_SCAN asked for memstats's categories: each
    // entry's categories as fs/proc/task_mmu.c computes them, with the
    // values of include/uapi/linux/fs.h written out here (PRESENT 1<<3,
    // SWAPPED 1<<4, FILE 1<<2, WRITTEN 1<<1 unless userfaultfd
    // write-protected it: entry bit 57), matched against
    // scan::kScanPresentCategories.
    static uint64_t KernelCategories(uint64_t e) {
      const bool present = (e >> 63) & 1, swapped = (e >> 62) & 1;
      if (!present && !swapped) return 0;
      uint64_t c = present ? uint64_t{1} << 3 : uint64_t{1} << 4;
      if (present && ((e >> 61) & 1)) c |= uint64_t{1} << 2;
      if (!((e >> 57) & 1)) c |= uint64_t{1} << 1;
      return c;
    }
    absl::Status ScanPresent(uint64_t start, uint64_t end,
                             std::vector<Range>& ranges) override {
      if (src_->scan_mode == 1) return absl::UnimplementedError("no scan");
      if (src_->scan_mode == 2) return absl::InvalidArgumentError("EINVAL");
      const uint64_t first = start >> scan::kPageShift;
      const uint64_t stop = end >> scan::kPageShift;
      auto& pm = src_->pagemap;
      for (auto it = pm.lower_bound(first); it != pm.end() && it->first < stop;
           ++it) {
        if (!(KernelCategories(it->second) & scan::kScanPresentCategories)) {
          continue;
        }
        const uint64_t a = it->first << scan::kPageShift;
        if (!ranges.empty() && ranges.back().end == a) {
          ranges.back().end += scan::kPageSize;
        } else {
          ranges.push_back({a, a + scan::kPageSize});
        }
      }
      return absl::OkStatus();
    }

   private:
    FuzzSource* src_;
  };
};

[[noreturn]] void Fail(const char* what, size_t group, uint64_t uss,
                       uint64_t rss) {
  std::fprintf(stderr, "invariant broken: %s (group %zu: uss %llu > rss %llu)\n",
               what, group, static_cast<unsigned long long>(uss),
               static_cast<unsigned long long>(rss));
  std::abort();
}

void Run(const uint8_t* data, size_t size) {
  Input in(data, size);
  FuzzSource src;
  const uint8_t options = in.Byte();
  src.scan_mode = options & 3;
  src.maps = in.Text(in.Word(2));
  const size_t k = in.Byte();
  for (size_t i = 0; i < k; ++i) {
    const uint64_t flags = in.Word(8);
    src.kpages.push_back({flags, in.Byte()});
  }

  // The scanner parses maps itself; parse it here only to bound the work
  // and to lay the pagemap entries over the mappings' pages.
  auto maps = scan::ParseMaps(src.maps);
  if (maps.ok()) {
    uint64_t pages = 0;
    for (const scan::MapEntry& m : *maps) {
      if (m.end > m.start) pages += (m.end - m.start) >> scan::kPageShift;
    }
    if (pages > kMaxPages) return;
    uint64_t skip = 0;
    for (const scan::MapEntry& m : *maps) {
      if (m.path == "[vsyscall]") continue;
      for (uint64_t vpn = m.start >> scan::kPageShift;
           vpn < m.end >> scan::kPageShift && in.left() >= 9; ++vpn) {
        if (skip == 0) {
          const uint8_t s = in.Byte();
          skip = (s < 128 ? s : uint64_t{s - 127u} * 256) + 1;
        }
        if (--skip != 0) continue;
        const uint64_t e = in.Word(8);
        if (e != 0) src.pagemap[vpn] = e;
      }
    }
  }

  scan::MemoryBudget small_budget(64 << 10);
  scan::ScanOptions opts;
  opts.threads = 1;
  opts.pfn_limit = kPfnLimit;
  opts.read_smaps = (options & 4) != 0;
  opts.budget = (options & 8) ? &small_budget : nullptr;
  auto result = scan::Scan(src, opts, [](const scan::ProcessIdentity&,
                                         const scan::ParentMap&) {
    return true;
  });
  if (!result.ok()) return;

  // The PAGEMAP_SCAN path must find exactly what plain reads find.
  if ((src.scan_mode == 0 || src.scan_mode == 3) && opts.budget == nullptr) {
    src.scan_mode = 1;
    auto plain = scan::Scan(src, opts, [](const scan::ProcessIdentity&,
                                          const scan::ParentMap&) {
      return true;
    });
    src.scan_mode = options & 3;
    if (plain.ok() && plain->processes.size() == result->processes.size()) {
      for (size_t i = 0; i < plain->processes.size(); ++i) {
        if (scan::ExpandPages(*plain->segments, plain->processes[i]) !=
                scan::ExpandPages(*result->segments, result->processes[i]) ||
            plain->processes[i].swap != result->processes[i].swap) {
          std::fprintf(stderr, "PAGEMAP_SCAN and plain reads disagree\n");
          std::abort();
        }
      }
      if (plain->stats.zero_pfn_entries != result->stats.zero_pfn_entries ||
          plain->stats.pfn_swap_entries != result->stats.pfn_swap_entries ||
          plain->stats.pte_markers != result->stats.pte_markers) {
        std::fprintf(stderr, "PAGEMAP_SCAN and plain reads count apart\n");
        std::abort();
      }
    } else if (plain.ok() != result.ok()) {
      std::fprintf(stderr, "PAGEMAP_SCAN and plain reads fail apart\n");
      std::abort();
    }
  }

  // A second record holding every other segment and swap entry of the
  // first, so that groups share some pages and not others.
  std::vector<scan::ProcessRecord> records = std::move(result->processes);
  if (!records.empty()) {
    scan::ProcessRecord half;
    half.id = records[0].id;
    half.id.pid = kPid + 1;
    for (size_t i = 0; i < records[0].segments.size(); i += 2) {
      half.segments.push_back(records[0].segments[i]);
    }
    for (size_t i = 1; i < records[0].swap.size(); i += 2) {
      half.swap.push_back(records[0].swap[i]);
    }
    records.push_back(std::move(half));
  }
  const scan::SegmentStore& store = *result->segments;
  for (const scan::ProcessRecord& r : records) {
    (void)scan::ExpandPages(store, r);
  }

  std::unique_ptr<sets::PageCatalog> catalog;
  if (!result->stats.pfns_hidden) {
    auto c = sets::PageCatalog::Build(records, store, src, opts.budget);
    if (!c.ok()) return;
    catalog = std::make_unique<sets::PageCatalog>(std::move(*c));
  }
  sets::SwapCatalog swap(records);
  const bool one_group = (options & 16) != 0;
  std::vector<uint32_t> group_of;
  for (size_t i = 0; i < records.size(); ++i) {
    group_of.push_back(one_group ? 0 : static_cast<uint32_t>(i));
  }
  const uint32_t groups = one_group ? 1 : static_cast<uint32_t>(records.size());
  auto totals = sets::AccountGroups(records, store, group_of, groups,
                                    catalog.get(), swap, result->sysv,
                                    opts.budget);
  if (!totals.ok()) return;
  for (size_t g = 0; g < totals->size(); ++g) {
    const sets::GroupTotals& t = (*totals)[g];
    for (int kind = 0; kind < sets::kNumKinds; ++kind) {
      if (t.uss_pages[kind] > t.rss_pages[kind]) {
        Fail("uss_pages <= rss_pages", g, t.uss_pages[kind],
             t.rss_pages[kind]);
      }
    }
    if (t.uss_total_pages() > t.rss_total_pages()) {
      Fail("uss_total <= rss_total", g, t.uss_total_pages(),
           t.rss_total_pages());
    }
    if (t.swap_uss_pages > t.swap_rss_pages) {
      Fail("swap_uss <= swap_rss", g, t.swap_uss_pages, t.swap_rss_pages);
    }
  }
}

}  // namespace
}  // namespace memstats::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  memstats::fuzz::Run(data, size);
  return 0;
}
