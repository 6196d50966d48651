// Renderers of memstats system (a machine::SystemView). They format; every
// number comes from machine/reconcile.h.
#ifndef MEMSTATS_RENDER_SYSTEM_H_
#define MEMSTATS_RENDER_SYSTEM_H_

#include <ostream>

#include "machine/reconcile.h"
#include "nlohmann/json.hpp"
#include "render/units.h"
#include "scan/scanner.h"

namespace memstats::render {

inline constexpr int kSystemSchemaVersion = 1;

// Text: the scan line, then one table: MemTotal, MemFree, used, each
// section's lines, the remainder (and, with zoneinfo, its per-CPU free
// lists and the rest); then what KSM saves and the notes.
//   WHAT                                SIZE  FROM
//   MemTotal                           23.5G  MemTotal
//   ...
//   what processes map
//     anonymous, mapped by one process  9.0M  AnonPages (scan: kpagecount 1)
// Negative sizes print with a leading '-'.
void RenderSystemText(const machine::SystemView& v, const scan::ScanStats& s,
                      Unit unit, std::ostream& out);

// {"schema_version", "mem_total", "mem_free", "used", "sections": [{"key",
//  "title", "lines": [{"key", "label", "from", "bytes"}]}], "remainder",
//  "remainder_pcp_free", "remainder_rest" (null without zoneinfo),
//  "page_level", "stacks_in_vmalloc", "ksm_saved", "notes", "scan"}; bytes.
nlohmann::json SystemJson(const machine::SystemView& v,
                          const scan::ScanStats& s);

// SystemJson dumped with a final newline.
void RenderSystemJson(const machine::SystemView& v, const scan::ScanStats& s,
                      std::ostream& out);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_SYSTEM_H_
