// memstats top as JSON: one document per round, on one line.
#include "nlohmann/json.hpp"
#include "render/groups.h"
#include "render/top.h"

namespace memstats::render {
namespace {

using ordered_json = nlohmann::ordered_json;
using profile::TopColumn;
using profile::TopGroup;

ordered_json Optional(const std::optional<uint64_t>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json GroupJson(const TopGroup& g, bool by_pid, bool rollup_read) {
  ordered_json j;
  j["key"] = g.key;
  if (by_pid && !g.name.empty()) j["command"] = g.name;
  j["processes"] = g.processes;
  if (by_pid) j["pid"] = g.pid;
  for (TopColumn c :
       {TopColumn::kPswap, TopColumn::kShSysv, TopColumn::kShOth,
        TopColumn::kStack, TopColumn::kText, TopColumn::kData, TopColumn::kAnon,
        TopColumn::kHugetlb, TopColumn::kPtotal, TopColumn::kPss}) {
    j[std::string(TopColumnName(c))] = g.figures.Get(c);
  }
  // pss is smaps_rollup's, read only when asked for (--columns pss, -k).
  if (!rollup_read) j["pss"] = nullptr;
  j["new"] = g.is_new;
  j["gone"] = g.gone;
  j["change"] = g.change ? ordered_json(*g.change) : ordered_json(nullptr);
  return j;
}

}  // namespace

void RenderTopJson(const profile::TopRound& r, std::ostream& out) {
  const bool by_pid = r.group_by == "pid";
  ordered_json j;
  j["schema_version"] = kJsonSchemaVersion;
  j["command"] = "top";
  j["round"] = r.round;
  j["time"] = r.time;
  j["group_by"] = r.group_by;
  j["meminfo"] = {{"MemTotal", Optional(r.mem_total)},
                  {"MemAvailable", Optional(r.mem_available)},
                  {"Dirty", Optional(r.dirty)}};
  j["processes"] = {{"contributing", r.contributing},
                    {"existing", r.existing},
                    {"unreadable", r.unreadable},
                    {"vanished", r.vanished},
                    {"self_excluded", r.self_excluded}};
  ordered_json groups = ordered_json::array();
  for (const TopGroup& g : r.rows) {
    groups.push_back(GroupJson(g, by_pid, r.rollup_read));
  }
  j["groups"] = std::move(groups);
  if (r.others) {
    ordered_json o = GroupJson(*r.others, false, r.rollup_read);
    o["groups"] = r.others->folded_groups;
    j["others"] = std::move(o);
  } else {
    j["others"] = nullptr;
  }
  j["total"] = GroupJson(r.total, false, r.rollup_read);
  out << j.dump(-1, ' ', false, ordered_json::error_handler_t::replace) << "\n";
}

}  // namespace memstats::render
