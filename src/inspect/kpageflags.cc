#include "inspect/kpageflags.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace memstats::inspect {
namespace {

// Index = bit number. Bit 1 (ERROR) is unused since Linux 6.9 but keeps
// its name; bit 23 was BALLOON before it became OFFLINE (Linux 5.0).
constexpr std::array<std::string_view, 64> kNames = {
    "LOCKED",         // 0
    "ERROR",          // 1
    "REFERENCED",     // 2
    "UPTODATE",       // 3
    "DIRTY",          // 4
    "LRU",            // 5
    "ACTIVE",         // 6
    "SLAB",           // 7
    "WRITEBACK",      // 8
    "RECLAIM",        // 9
    "BUDDY",          // 10
    "MMAP",           // 11
    "ANON",           // 12
    "SWAPCACHE",      // 13
    "SWAPBACKED",     // 14
    "COMPOUND_HEAD",  // 15
    "COMPOUND_TAIL",  // 16
    "HUGE",           // 17
    "UNEVICTABLE",    // 18
    "HWPOISON",       // 19
    "NOPAGE",         // 20
    "KSM",            // 21
    "THP",            // 22
    "OFFLINE",        // 23
    "ZERO_PAGE",      // 24
    "IDLE",           // 25
    "PGTABLE",        // 26
    "", "", "", "", "",  // 27-31
    "RESERVED",       // 32
    "MLOCKED",        // 33
    "MAPPEDTODISK",   // 34
    "PRIVATE",        // 35
    "PRIVATE_2",      // 36
    "OWNER_PRIVATE",  // 37
    "ARCH",           // 38
    "UNCACHED",       // 39
    "SOFTDIRTY",      // 40
    "ARCH_2",         // 41
};

}  // namespace

std::string_view KpageflagName(int bit) {
  if (bit < 0 || bit >= static_cast<int>(kNames.size())) return {};
  return kNames[static_cast<size_t>(bit)];
}

std::vector<std::string> DecodeKpageflags(uint64_t flags) {
  std::vector<std::string> names;
  for (int bit = 0; bit < 64; ++bit) {
    if (((flags >> bit) & 1) == 0) continue;
    std::string_view name = KpageflagName(bit);
    if (name.empty()) {
      names.push_back(absl::StrCat("BIT", bit));
    } else {
      names.emplace_back(name);
    }
  }
  return names;
}

std::string KpageflagsText(uint64_t flags) {
  return absl::StrJoin(DecodeKpageflags(flags), ",");
}

}  // namespace memstats::inspect
