// Renderers of a profile::Snapshot (memstats snapshot).
#ifndef MEMSTATS_RENDER_SNAPSHOT_H_
#define MEMSTATS_RENDER_SNAPSHOT_H_

#include <ostream>

#include "nlohmann/json.hpp"
#include "profile/snapshot.h"
#include "render/units.h"

namespace memstats::render {

inline constexpr int kSnapshotSchemaVersion = 1;

// Text: a header line about the scan, then the summary and one section per
// process, each a table of PSS, percent and label (largest first, then the
// "small categories" row followed by the rows folded into it, then hugetlb
// apart), and a SwapPss line. Untrusted text (paths, command lines) is
// escaped for the terminal.
void RenderSnapshotText(const profile::Snapshot& snap, Unit unit,
                        std::ostream& out);

// The JSON document (schema in README.md, "memstats snapshot"); all sizes
// in bytes.
nlohmann::json SnapshotJson(const profile::Snapshot& snap);

// SnapshotJson, dumped with invalid UTF-8 replaced, and a final newline.
void RenderSnapshotJson(const profile::Snapshot& snap, std::ostream& out);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_SNAPSHOT_H_
