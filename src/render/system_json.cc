#include "render/scan_stats.h"
#include "render/system.h"

namespace memstats::render {

using nlohmann::json;

json SystemJson(const machine::SystemView& v, const scan::ScanStats& s) {
  json sections = json::array();
  for (const machine::Section& sec : v.sections) {
    json lines = json::array();
    for (const machine::Line& l : sec.lines) {
      lines.push_back(json{{"key", l.key},
                           {"label", l.label},
                           {"from", l.source},
                           {"bytes", l.bytes}});
    }
    sections.push_back(
        json{{"key", sec.key}, {"title", sec.title}, {"lines", lines}});
  }
  return json{
      {"schema_version", kSystemSchemaVersion},
      {"mem_total", v.mem_total},
      {"mem_free", v.mem_free},
      {"used", v.used},
      {"sections", std::move(sections)},
      {"remainder", v.remainder},
      {"remainder_pcp_free",
       v.remainder_pcp_free ? json(*v.remainder_pcp_free) : json(nullptr)},
      {"remainder_rest",
       v.remainder_rest ? json(*v.remainder_rest) : json(nullptr)},
      {"page_level", v.page_level},
      {"stacks_in_vmalloc", v.stacks_in_vmalloc},
      {"ksm_saved", v.ksm_saved},
      {"notes", v.notes},
      {"scan", ScanStatsJson(s)},
  };
}

void RenderSystemJson(const machine::SystemView& v, const scan::ScanStats& s,
                      std::ostream& out) {
  out << SystemJson(v, s).dump(2, ' ', false, json::error_handler_t::replace)
      << "\n";
}

}  // namespace memstats::render
