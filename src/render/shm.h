// Renderers of memstats shm's report (machine::ShmReport).
#ifndef MEMSTATS_RENDER_SHM_H_
#define MEMSTATS_RENDER_SHM_H_

#include <ostream>

#include "machine/shm.h"
#include "nlohmann/json.hpp"
#include "render/units.h"

namespace memstats::render {

// Text: the scan line, then tables of SysV segments, tmpfs mounts, the
// largest tmpfs files, memfd objects and the memory no process holds, with
// its total line.
void RenderShmText(const machine::ShmReport& report, Unit unit,
                   std::ostream& out);

// The JSON document; all sizes in bytes.
nlohmann::json ShmJson(const machine::ShmReport& report);
void RenderShmJson(const machine::ShmReport& report, std::ostream& out);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_SHM_H_
