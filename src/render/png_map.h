// memstats map's outputs: the picture as a PNG (through libpng), and its
// legend as text and as JSON. Formatting only: every number comes from the
// inspect::PhysMap.
#ifndef MEMSTATS_RENDER_PNG_MAP_H_
#define MEMSTATS_RENDER_PNG_MAP_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "inspect/map.h"
#include "render/units.h"

namespace memstats::render {

// The PNG's rows: the map (layout.height rows), kPngGapRows of background,
// then kPngStripRows of the legend strip. 8-bit RGB, no alpha.
inline constexpr uint32_t kPngGapRows = 4;
inline constexpr uint32_t kPngStripRows = 24;
uint32_t PngHeight(const inspect::PhysMap& map);

// The whole PNG file, in memory (the caller writes it atomically).
// InternalError when libpng fails.
absl::StatusOr<std::string> EncodeMapPng(const inspect::PhysMap& map);

// Where the picture went and what it holds, for the legend's header.
struct MapOutput {
  std::string path;
  uint64_t page_size = 4096;
  double seconds = 0;
};

// "memstats map: host.png, 4096 x 2076 pixels ..." and one line per class:
// colour (#rrggbb), pages, size, pixels, name.
void RenderMapText(const inspect::PhysMap& map, const MapOutput& out,
                   Unit unit, std::ostream& os);
void RenderMapJson(const inspect::PhysMap& map, const MapOutput& out,
                   std::ostream& os);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_PNG_MAP_H_
