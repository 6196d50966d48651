#include <string>

#include "absl/strings/str_format.h"
#include "inspect/kpageflags.h"
#include "render/procinfo.h"
#include "scan/pagemap.h"

namespace memstats::render {
namespace {

using json = nlohmann::json;
using inspect::PageFigures;

std::string HexAddress(uint64_t v) { return absl::StrFormat("0x%x", v); }

json PagesJson(const PageFigures& p, bool page_level) {
  json j = {{"present", p.present}, {"swap", p.swap}};
  const bool l = page_level;
  auto v = [l](uint64_t x) { return l ? json(x) : json(nullptr); };
  j["rss"] = v(p.rss);
  j["pss"] = v(p.pss);
  j["uss"] = v(p.uss);
  j["swap_bytes"] = p.swap_bytes;  // swap entries need no PFN
  j["thp"] = v(p.thp);
  j["hugetlb"] = v(p.hugetlb);
  j["ksm"] = v(p.ksm);
  j["zero"] = v(p.zero);
  j["unmapped"] = v(p.unmapped);
  return j;
}

json SmapsJson(const scan::SmapsTotals& s) {
  return {{"rss", s.rss},
          {"pss", s.pss},
          {"swap", s.swap},
          {"swap_pss", s.swap_pss},
          {"hugetlb", s.shared_hugetlb + s.private_hugetlb}};
}

json PageJson(const inspect::PageInfo& p) {
  const uint64_t e = p.entry;
  const bool swap = !scan::PmIsPresent(e) && !p.has_page;
  json j = {{"address", HexAddress(p.address)},
            {"mapping", p.mapping},
            {"present", scan::PmIsPresent(e)},
            {"swapped", scan::PmIsSwapped(e)},
            {"file_or_shared", (e & scan::kPmFileOrShared) != 0},
            {"exclusive", (e & scan::kPmExclusive) != 0},
            {"soft_dirty", (e & scan::kPmSoftDirty) != 0}};
  j["pfn"] = p.has_page ? json(p.pfn) : json(nullptr);
  j["swap_type"] = swap ? json(scan::PmSwapType(e)) : json(nullptr);
  j["swap_offset"] = swap ? json(scan::PmSwapOffset(e)) : json(nullptr);
  j["kpagecount"] = p.has_page ? json(p.kpagecount) : json(nullptr);
  j["kpageflags"] =
      p.has_page ? json(inspect::DecodeKpageflags(p.kpageflags)) : json(nullptr);
  return j;
}

}  // namespace

json ProcinfoJson(const inspect::ProcInfo& info, bool pages) {
  json j;
  j["schema_version"] = kProcinfoSchemaVersion;
  j["pid"] = info.pid;
  j["comm"] = info.comm;
  j["exe"] = info.exe;
  j["page_size"] = info.page_size;
  j["range"] = info.range ? json{{"start", HexAddress(info.range->start)},
                                 {"end", HexAddress(info.range->end)}}
                          : json(nullptr);
  j["page_level"] = info.page_level;
  j["page_level_off"] =
      info.page_level ? json(nullptr) : json(info.page_level_off);
  j["not_shown"] = info.page_level ? json(nullptr) : json(kProcinfoNotShown);
  json maps = json::array();
  for (const inspect::MappingInfo& m : info.mappings) {
    maps.push_back({{"start", HexAddress(m.map.start)},
                    {"end", HexAddress(m.map.end)},
                    {"perms", scan::FormatPerms(scan::MappingPerms(m.map))},
                    {"offset", HexAddress(m.map.offset)},
                    {"dev", absl::StrFormat("%02x:%02x", m.map.dev_major,
                                            m.map.dev_minor)},
                    {"inode", m.map.inode},
                    {"path", m.map.path},
                    {"kind", std::string(scan::MappingCategoryName(m.category))},
                    {"pages", PagesJson(m.pages, info.page_level)},
                    {"smaps", SmapsJson(m.smaps)}});
  }
  j["mappings"] = std::move(maps);
  j["total"] = {{"mappings", info.mappings.size()},
                {"pages", PagesJson(info.total, info.page_level)},
                {"smaps", SmapsJson(info.smaps_total)}};
  j["pte_markers"] = info.pte_markers;
  if (pages) {
    json list = json::array();
    for (const inspect::PageInfo& p : info.pages) list.push_back(PageJson(p));
    j["pages"] = std::move(list);
  }
  return j;
}

void RenderProcinfoJson(const inspect::ProcInfo& info, bool pages,
                        std::ostream& out) {
  out << ProcinfoJson(info, pages).dump(2, ' ', false,
                                        json::error_handler_t::replace)
      << "\n";
}

}  // namespace memstats::render
