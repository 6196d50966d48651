#include "profile/peak.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace memstats::profile {
namespace {

const ProcessSample* FindProcess(const Sample& s, int pid) {
  // Processes are in ascending pid order.
  auto it =
      std::lower_bound(s.processes.begin(), s.processes.end(), pid,
                       [](const ProcessSample& p, int v) { return p.pid < v; });
  return it != s.processes.end() && it->pid == pid ? &*it : nullptr;
}

uint64_t ProcessMeasure(const ProcessSample& p, PeakMeasure m) {
  switch (m) {
    case PeakMeasure::kRss:
      return p.rss;
    case PeakMeasure::kUss:
      return p.uss;
    case PeakMeasure::kPss:
      break;
  }
  return p.PssTotal();
}

void AddTo(PeakRow& row, const SampledMapping& m) {
  row.rss += m.rss;
  row.pss += m.pss;
  row.swap += m.swap;
}

}  // namespace

std::string_view PeakMeasureName(PeakMeasure m) {
  switch (m) {
    case PeakMeasure::kRss:
      return "rss";
    case PeakMeasure::kPss:
      return "pss";
    case PeakMeasure::kUss:
      break;
  }
  return "uss";
}

std::optional<PeakMeasure> ParsePeakMeasure(std::string_view name) {
  for (PeakMeasure m :
       {PeakMeasure::kRss, PeakMeasure::kPss, PeakMeasure::kUss}) {
    if (name == PeakMeasureName(m)) return m;
  }
  return std::nullopt;
}

std::optional<uint64_t> MeasureOf(const Sample& s, PeakMeasure m,
                                  std::optional<int> pid) {
  if (pid) {
    const ProcessSample* p = FindProcess(s, *pid);
    if (p == nullptr) return std::nullopt;
    return ProcessMeasure(*p, m);
  }
  if (s.pages && m == PeakMeasure::kRss) return s.pages->rss;
  if (s.pages && m == PeakMeasure::kUss) return s.pages->uss;
  uint64_t sum = 0;
  for (const ProcessSample& p : s.processes) sum += ProcessMeasure(p, m);
  return sum;
}

bool PeakFinder::Add(int64_t seq, const Sample& s) {
  std::optional<uint64_t> v = MeasureOf(s, measure_, pid_);
  if (!v) return false;
  ++measured_;
  if (found_ && *v <= value_) return false;
  found_ = true;
  seq_ = seq;
  value_ = *v;
  return true;
}

std::optional<size_t> FindPeak(std::span<const Sample> samples, PeakMeasure m,
                               std::optional<int> pid) {
  PeakFinder finder(m, pid);
  for (size_t i = 0; i < samples.size(); ++i) {
    finder.Add(static_cast<int64_t>(i), samples[i]);
  }
  if (!finder.found()) return std::nullopt;
  return static_cast<size_t>(finder.seq());
}

PeakTable BuildPeakTable(const Sample& s, PeakMeasure by,
                         std::optional<int> pid, size_t top_files) {
  PeakTable t;
  t.unix_ms = s.unix_ms;
  t.seconds = s.seconds;
  t.by = by;
  t.pid = pid;
  PeakRow heap{PeakRowKind::kHeap, "heap"};
  PeakRow threads{PeakRowKind::kThreadStacks, "thread stacks"};
  PeakRow anon{PeakRowKind::kAnonymous, "anonymous"};
  PeakRow shm{PeakRowKind::kSharedMemory, "shared memory"};
  PeakRow other{PeakRowKind::kOtherMappings, "other mappings"};
  absl::flat_hash_map<std::string, PeakRow> files;

  for (const ProcessSample& p : s.processes) {
    if (pid && p.pid != *pid) continue;
    ++t.processes;
    for (const SampledMapping& m : p.mappings) {
      PeakRow* row = &other;
      switch (m.series) {
        case Series::kHeap:
          row = &heap;
          break;
        case Series::kThreadStack:
          row = &threads;
          break;
        case Series::kStack:
        case Series::kAnonMap:
          row = &anon;
          break;
        case Series::kOther:
          break;
        case Series::kShm:
        case Series::kBinText:
        case Series::kLibText:
        case Series::kBinData:
        case Series::kLibData:
          if (!m.path.empty()) {
            auto [it, added] = files.try_emplace(m.path);
            if (added) it->second = {PeakRowKind::kFile, m.path};
            row = &it->second;
          } else if (m.series == Series::kShm) {
            row = &shm;
          }
          break;
      }
      AddTo(*row, m);
    }
  }

  std::vector<PeakRow> sorted;
  sorted.reserve(files.size());
  for (auto& [path, row] : files) sorted.push_back(std::move(row));
  const bool by_rss = by == PeakMeasure::kRss;
  std::sort(sorted.begin(), sorted.end(),
            [by_rss](const PeakRow& a, const PeakRow& b) {
              const uint64_t ka = by_rss ? a.rss : a.pss;
              const uint64_t kb = by_rss ? b.rss : b.pss;
              if (ka != kb) return ka > kb;
              return a.name < b.name;
            });
  for (size_t i = top_files; i < sorted.size(); ++i) {
    other.rss += sorted[i].rss;
    other.pss += sorted[i].pss;
    other.swap += sorted[i].swap;
    ++t.other_files;
  }
  if (sorted.size() > top_files) sorted.resize(top_files);

  t.rows = {std::move(heap), std::move(threads), std::move(anon),
            std::move(shm)};
  for (PeakRow& r : sorted) t.rows.push_back(std::move(r));
  t.rows.push_back(std::move(other));
  t.total = {PeakRowKind::kTotal, "total"};
  for (const PeakRow& r : t.rows) {
    t.total.rss += r.rss;
    t.total.pss += r.pss;
    t.total.swap += r.swap;
  }
  return t;
}

}  // namespace memstats::profile
