// Fuzzes the /proc text parsers. The first input byte picks the parser, the
// rest is the file's text. The parsers must return (an error at worst) on
// any text; the sanitizers catch the rest. A parsed smaps is also
// categorized (SummarizeMappings), whose rows must add up to the mappings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "scan/mapping_category.h"
#include "scan/parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace memstats::scan;  // NOLINT: a fuzz entry point
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1,
                              size - 1);
  switch (data[0] % 12) {
    case 0:
      (void)ParseStatus(text);
      break;
    case 1:
      (void)ParseStat(text);
      break;
    case 2:
      (void)ParseCmdline(text);
      break;
    case 3: {
      static const absl::flat_hash_set<std::string>* keys =
          new absl::flat_hash_set<std::string>{"HOME", "PATH", "LANG", ""};
      (void)ParseEnviron(text, *keys);
      break;
    }
    case 4:
      if (auto maps = ParseMaps(text); maps.ok()) {
        for (const MapEntry& m : *maps) (void)IsSysvMapping(m);
      }
      break;
    case 5:
      (void)ParseSmapsRollup(text);
      break;
    case 6:
      if (auto smaps = ParseSmaps(text); smaps.ok()) {
        for (const SmapsMapping& m : *smaps) (void)IsSysvMapping(m.map);
      }
      break;
    case 7:
      (void)ParseCgroup(text);
      break;
    case 8:
      (void)ParseSysvShm(text);
      break;
    case 9:
      (void)ParseMeminfo(text);
      break;
    case 10:
      (void)ParseSyscallStackPointer(text);
      break;
    case 11:
      if (auto smaps = ParseSmaps(text); smaps.ok()) {
        // Stack pointers inside the first mappings, as threads' would be.
        std::vector<uint64_t> sps;
        for (size_t i = 0; i < smaps->size() && i < 3; ++i) {
          sps.push_back((*smaps)[i].map.start + 8);
        }
        for (bool keep_paths : {false, true}) {
          uint64_t rss = 0, pss = 0, swap = 0;
          for (const SmapsMapping& m : *smaps) {
            rss += m.totals.rss;
            pss += m.totals.pss;
            swap += m.totals.swap;
          }
          for (const UsageRow& r :
               SummarizeMappings(*smaps, /*pid=*/42, sps, keep_paths)) {
            rss -= r.rss;
            pss -= r.pss;
            swap -= r.swap;
          }
          if (rss != 0 || pss != 0 || swap != 0) abort();
        }
      }
      break;
  }
  return 0;
}
