// Renderers of memstats procinfo (an inspect::ProcInfo). They format; every
// number comes from inspect/procinfo.h.
#ifndef MEMSTATS_RENDER_PROCINFO_H_
#define MEMSTATS_RENDER_PROCINFO_H_

#include <ostream>

#include "inspect/procinfo.h"
#include "nlohmann/json.hpp"
#include "render/units.h"

namespace memstats::render {

inline constexpr int kProcinfoSchemaVersion = 1;

// Text: a line naming the process (and the range), a line saying what the
// numbers are (or, without page-level data, what cannot be shown and
// why), then one row per mapping and a total row:
//   START  END  PERMS  OFFSET  KIND  RSS  PSS  USS  SWAP  THP  HUGETLB  KSM
//   ZERO  PATH
// (without page-level data: PRESENT SWAPPED, then smaps's RSS PSS SWAP).
// Sizes in `unit`; THP .. ZERO are page counts. With info.pages, the page
// table follows: ADDRESS  PFN  PAGEMAP  COUNT  KPAGEFLAGS. Paths and the
// command name are escaped for the terminal.
void RenderProcinfoText(const inspect::ProcInfo& info, Unit unit,
                        std::ostream& out);

// The JSON document (schema in README.md, "memstats procinfo"): addresses
// and offsets as "0x..." strings, sizes in bytes, page-level figures null
// without page-level data.
nlohmann::json ProcinfoJson(const inspect::ProcInfo& info, bool pages);

// ProcinfoJson, dumped with invalid UTF-8 replaced, and a final newline.
void RenderProcinfoJson(const inspect::ProcInfo& info, bool pages,
                        std::ostream& out);

// What a view without page-level data cannot show (both renderers say it).
inline constexpr const char* kProcinfoNotShown =
    "PFNs, RSS/PSS/USS by page, and the kpageflags of pages (THP, hugetlb, "
    "KSM and zero pages)";

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_PROCINFO_H_
