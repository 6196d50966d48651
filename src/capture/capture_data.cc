#include "capture/capture_data.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "scan/pagemap.h"

namespace memstats::capture {

Answer ToAnswer(const absl::StatusOr<std::string>& s) {
  if (s.ok()) return Answer{absl::StatusCode::kOk, *s};
  return Answer{s.status().code(), std::string{s.status().message()}};
}

absl::StatusOr<std::string> FromAnswer(const Answer& a) {
  if (a.code == absl::StatusCode::kOk) return a.data;
  return absl::Status(a.code, a.data);
}

// A swap entry keeps its type in bits 0-4 and its offset above: the next
// offset is 32 further. A present entry's PFN is in the low bits.
uint64_t PagemapStep(uint64_t entry) {
  if (scan::PmIsPresent(entry)) return 1;
  if (scan::PmIsSwapped(entry)) return 32;
  return 0;
}

bool Continues(const PagemapRun& run, uint64_t vpn, uint64_t entry) {
  return run.vpn + run.count == vpn &&
         run.entry + PagemapStep(run.entry) * run.count == entry &&
         (entry >> 55) == (run.entry >> 55);
}

void AppendPagemapRuns(uint64_t first_vpn, std::span<const uint64_t> entries,
                       std::vector<PagemapRun>& runs) {
  for (size_t i = 0; i < entries.size(); ++i) {
    const uint64_t e = entries[i];
    if (e == 0) continue;
    const uint64_t vpn = first_vpn + i;
    if (!runs.empty() && Continues(runs.back(), vpn, e)) {
      ++runs.back().count;
      continue;
    }
    runs.push_back({vpn, 1, e});
  }
}

void MergeRanges(std::vector<VpnRange>& ranges) {
  std::sort(
      ranges.begin(), ranges.end(),
      [](const VpnRange& a, const VpnRange& b) { return a.first < b.first; });
  std::vector<VpnRange> out;
  for (const VpnRange& r : ranges) {
    if (r.end <= r.first) continue;
    if (!out.empty() && r.first <= out.back().end) {
      out.back().end = std::max(out.back().end, r.end);
    } else {
      out.push_back(r);
    }
  }
  ranges = std::move(out);
}

std::string JoinIds(const std::vector<int>& ids) {
  return absl::StrJoin(ids, " ");
}

std::optional<std::vector<int>> SplitIds(const std::string& text) {
  std::vector<int> ids;
  for (absl::string_view part : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    int id = 0;
    if (!absl::SimpleAtoi(part, &id) || id < 0) return std::nullopt;
    ids.push_back(id);
  }
  return ids;
}

}  // namespace memstats::capture
