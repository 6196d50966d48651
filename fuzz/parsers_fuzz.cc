// Fuzzes the /proc text parsers. The first input byte picks the parser, the
// rest is the file's text. The parsers must return (an error at worst) on
// any text; the sanitizers catch the rest.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "scan/parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace memstats::scan;  // NOLINT: a fuzz entry point
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1,
                              size - 1);
  switch (data[0] % 10) {
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
  }
  return 0;
}
