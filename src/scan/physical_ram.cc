#include "scan/physical_ram.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "scan/pagemap.h"
#include "scan/parsers.h"

namespace memstats::scan {

// iomem lines look like "  00100000-bfffffff : System RAM", nested by
// indentation; the end address is inclusive.
std::vector<PfnRange> RamPfnRanges(ProcSource& source) {
  std::vector<PfnRange> ranges;
  auto text = source.ReadSystemFile("iomem");
  if (!text.ok()) return ranges;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (!absl::EndsWith(line, ": System RAM")) continue;
    line = absl::StripLeadingAsciiWhitespace(line);
    size_t dash = line.find('-');
    size_t space = line.find(' ');
    if (dash == absl::string_view::npos || space == absl::string_view::npos ||
        space < dash) {
      continue;
    }
    uint64_t first = 0;
    uint64_t last = 0;
    if (!absl::SimpleHexAtoi(line.substr(0, dash), &first) ||
        !absl::SimpleHexAtoi(line.substr(dash + 1, space - dash - 1), &last) ||
        last < first) {
      continue;
    }
    ranges.push_back({first >> kPageShift, (last >> kPageShift) + 1});
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const PfnRange& a, const PfnRange& b) {
              return a.first < b.first;
            });
  std::vector<PfnRange> merged;
  for (const PfnRange& r : ranges) {
    if (!merged.empty() && r.first <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, r.end);
    } else {
      merged.push_back(r);
    }
  }
  // Without root every address reads as 0: "00000000-00000000".
  if (merged.size() == 1 && merged[0].end <= 1) merged.clear();
  return merged;
}

uint64_t RamEndPfn(ProcSource& source) {
  std::vector<PfnRange> ranges = RamPfnRanges(source);
  return ranges.empty() ? 0 : ranges.back().end;
}

uint64_t PfnLimit(ProcSource& source) {
  if (uint64_t end = RamEndPfn(source); end != 0) {
    return std::min(end, kMaxPhysPfn);
  }
  auto text = source.ReadSystemFile("meminfo");
  if (!text.ok()) return kMaxPhysPfn;
  auto info = ParseMeminfo(*text);
  if (!info.ok()) return kMaxPhysPfn;
  auto it = info->find("MemTotal");
  if (it == info->end() || it->second == 0) return kMaxPhysPfn;
  constexpr uint64_t kHolePfns = (uint64_t{4} << 30) >> kPageShift;
  const uint64_t ram_pfns = std::min(it->second >> kPageShift, kMaxPhysPfn);
  return std::min(2 * ram_pfns + kHolePfns, kMaxPhysPfn);
}

}  // namespace memstats::scan
