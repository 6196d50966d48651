// Renderers of a groups Report (memstats groups, memstats single).
#ifndef MEMSTATS_RENDER_GROUPS_H_
#define MEMSTATS_RENDER_GROUPS_H_

#include <ostream>

#include "nlohmann/json.hpp"
#include "render/units.h"
#include "sets/report.h"

namespace memstats::render {

inline constexpr int kJsonSchemaVersion = 1;

// Columns shown on request.
struct GroupsTextOptions {
  bool ksm = false;  // KSM: distinct KSM-merged pages (part of ANON)
};

// Text: a header line about the scan, then one table per split, then the
// process table when the report lists processes.
void RenderGroupsText(const sets::Report& report, Unit unit, std::ostream& out,
                      const GroupsTextOptions& options = {});

// The JSON document (schema in README.md, "JSON output"); all sizes in
// bytes, page-level fields null when the report is not page-level.
nlohmann::json GroupsJson(const sets::Report& report);

// GroupsJson, dumped with invalid UTF-8 replaced, and a final newline.
void RenderGroupsJson(const sets::Report& report, std::ostream& out);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_GROUPS_H_
