#include "profile/sample.h"

#include <array>
#include <numeric>

#include "absl/strings/str_join.h"
#include "scan/mapping_category.h"

namespace memstats::profile {
namespace {

struct SeriesNames {
  Series series;
  std::string_view name;
  std::string_view column;
};
constexpr std::array<SeriesNames, kNumSeries> kSeries = {{
    {Series::kStack, "stack", "STACK_PSS"},
    {Series::kHeap, "heap", "HEAP_PSS"},
    {Series::kThreadStack, "thread_stack", "THREAD_STACK_PSS"},
    {Series::kBinText, "bin_text", "BIN_TEXT_PSS"},
    {Series::kLibText, "lib_text", "LIB_TEXT_PSS"},
    {Series::kBinData, "bin_data", "BIN_DATA_PSS"},
    {Series::kLibData, "lib_data", "LIB_DATA_PSS"},
    {Series::kAnonMap, "anon_map", "ANON_MAP_PSS"},
    {Series::kShm, "shm", "SHM_PSS"},
    {Series::kOther, "other", "OTHER_PSS"},
}};

}  // namespace

std::string_view SeriesName(Series s) {
  return kSeries[static_cast<size_t>(s)].name;
}

std::string_view SeriesColumn(Series s) {
  return kSeries[static_cast<size_t>(s)].column;
}

std::optional<Series> ParseSeriesName(std::string_view name) {
  for (const SeriesNames& n : kSeries) {
    if (n.name == name) return n.series;
  }
  return std::nullopt;
}

Series SeriesOf(const scan::UsageRow& row, std::string_view exe) {
  using scan::MappingCategory;
  switch (row.category) {
    case MappingCategory::kHeap:
      return Series::kHeap;
    case MappingCategory::kStack:
      return Series::kStack;
    case MappingCategory::kThreadStack:
      return Series::kThreadStack;
    case MappingCategory::kAnon:
      return Series::kAnonMap;
    case MappingCategory::kSysv:
    case MappingCategory::kShmem:
      return Series::kShm;
    case MappingCategory::kSpecial:
    case MappingCategory::kHugetlb:
      return Series::kOther;
    case MappingCategory::kFile:
      break;
  }
  const bool writable = (row.perms & scan::kPermWrite) != 0;
  if (writable && (row.perms & scan::kPermShared) != 0) return Series::kShm;
  // SummarizeMappings makes the process's own executable a kFile row even
  // when it lives in a memfd; the path says which file it is.
  const bool binary = !exe.empty() && row.path == exe;
  if (binary) return writable ? Series::kBinData : Series::kBinText;
  return writable ? Series::kLibData : Series::kLibText;
}

uint64_t ProcessSample::PssTotal() const {
  return std::accumulate(pss.begin(), pss.end(), uint64_t{0});
}

std::array<uint64_t, kNumSeries> Sample::TotalPss() const {
  std::array<uint64_t, kNumSeries> total{};
  for (const ProcessSample& p : processes) {
    for (int i = 0; i < kNumSeries; ++i) total[i] += p.pss[i];
  }
  return total;
}

uint64_t Sample::TotalSwapPss() const {
  uint64_t total = 0;
  for (const ProcessSample& p : processes) total += p.swap_pss;
  return total;
}

ProcessSample SampleProcess(const scan::ProcessRecord& rec) {
  ProcessSample p;
  p.pid = rec.id.pid;
  p.ppid = rec.id.ppid;
  p.uid = rec.id.uid;
  p.comm = rec.id.comm;
  p.cmd = rec.id.cmdline.empty() ? "[" + rec.id.comm + "]"
                                 : absl::StrJoin(rec.id.cmdline, " ");
  p.rss = rec.smaps.rss;
  p.uss = rec.smaps.private_clean + rec.smaps.private_dirty;
  p.swap = rec.smaps.swap;
  p.hugetlb = rec.smaps.shared_hugetlb + rec.smaps.private_hugetlb;
  p.vm_hwm = rec.vm_hwm_bytes;
  p.smaps_pss = rec.smaps.pss;
  p.mappings.reserve(rec.usage.size());
  for (const scan::UsageRow& r : rec.usage) {
    const Series s = SeriesOf(r, rec.id.exe);
    p.pss[static_cast<size_t>(s)] += r.pss;
    p.swap_pss += r.swap_pss;
    SampledMapping& m = p.mappings.emplace_back();
    m.series = s;
    m.path = r.path;
    m.perms = r.perms;
    m.mappings = r.mappings;
    m.size = r.size;
    m.rss = r.rss;
    m.pss = r.pss;
    m.swap = r.swap;
    m.swap_pss = r.swap_pss;
    m.hugetlb = r.hugetlb;
  }
  return p;
}

}  // namespace memstats::profile
