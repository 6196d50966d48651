// Names of the bits of a /proc/kpageflags entry, for the per-page views
// (memstats procinfo --pages, memstats map's legend).
//
// Bits 0-26 are the stable flags of include/uapi/linux/kernel-page-flags.h
// (documented in the kernel's Documentation/admin-guide/mm/pagemap.rst);
// bits 32-41 are the kernel-internal flags fs/proc/page.c exports "for
// kernel hacking" (tools/mm/page-types.c names them). Bit numbers of the
// flags memstats itself interprets are in scan/pagemap.h.
#ifndef MEMSTATS_INSPECT_KPAGEFLAGS_H_
#define MEMSTATS_INSPECT_KPAGEFLAGS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace memstats::inspect {

// The name of kpageflags bit `bit` without the KPF_ prefix ("LOCKED",
// "ZERO_PAGE", "RESERVED"), or "" for a bit with no name (27-31, 42-63)
// and for `bit` outside 0..63.
std::string_view KpageflagName(int bit);

// The names of the bits set in `flags`, by ascending bit number. A set bit
// with no name is given as "BIT<n>" ("BIT30"), so no set bit is hidden.
std::vector<std::string> DecodeKpageflags(uint64_t flags);

// DecodeKpageflags joined with ',' ("UPTODATE,LRU,MMAP,ANON"); "" for 0.
std::string KpageflagsText(uint64_t flags);

}  // namespace memstats::inspect

#endif  // MEMSTATS_INSPECT_KPAGEFLAGS_H_
