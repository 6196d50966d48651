#include <string>

#include "render/snapshot.h"
#include "render/scan_stats.h"

namespace memstats::render {
namespace {

using nlohmann::json;
using profile::FileRole;
using profile::SnapshotRow;
using profile::SnapshotSection;

json Row(const SnapshotRow& r) {
  json j{
      {"category", scan::MappingCategoryName(r.category)},
      {"label", profile::RowLabel(r)},
      {"pss", r.pss},
      {"percent", r.percent},
      {"rss", r.rss},
      {"size", r.size},
      {"swap_pss", r.swap_pss},
      {"mappings", r.mappings},
  };
  if (r.category == scan::MappingCategory::kFile) {
    if (r.role != FileRole::kNone) j["binary"] = r.role == FileRole::kBinary;
    if (!r.path.empty()) j["path"] = r.path;
    if (!r.perms.empty()) j["perms"] = r.perms;
  }
  return j;
}

json Rows(const std::vector<SnapshotRow>& rows) {
  json a = json::array();
  for (const SnapshotRow& r : rows) a.push_back(Row(r));
  return a;
}

json Section(const SnapshotSection& s) {
  return json{
      {"pss", s.pss_total},
      {"swap_pss", s.swap_pss},
      {"hugetlb", s.hugetlb},
      {"hugetlb_mappings", s.hugetlb_mappings},
      {"rows", Rows(s.rows)},
      {"small", json{{"pss", s.small_pss},
                     {"percent", s.small_percent},
                     {"rows", Rows(s.small_rows)}}},
  };
}

}  // namespace

json SnapshotJson(const profile::Snapshot& snap) {
  const scan::ScanStats& s = snap.scan;
  json doc;
  doc["schema_version"] = kSnapshotSchemaVersion;
  doc["command"] = "snapshot";
  doc["scan"] = ScanStatsJson(s);
  doc["file_key"] = snap.mask_text;
  doc["small_percent"] = snap.small_percent;
  json summary = Section(snap.summary);
  summary["processes"] = snap.processes.size();
  doc["summary"] = std::move(summary);
  json procs = json::array();
  for (const profile::ProcessSnapshot& p : snap.processes) {
    json j = Section(p.section);
    j["pid"] = p.pid;
    j["ppid"] = p.ppid;
    j["uid"] = p.uid;
    j["comm"] = p.comm;
    j["cmdline"] = p.cmdline;
    j["threads"] = p.threads;
    j["unknown_thread_stacks"] = p.unknown_thread_stacks;
    procs.push_back(std::move(j));
  }
  doc["processes"] = std::move(procs);
  return doc;
}

void RenderSnapshotJson(const profile::Snapshot& snap, std::ostream& out) {
  out << SnapshotJson(snap).dump(2, ' ', false, json::error_handler_t::replace)
      << "\n";
}

}  // namespace memstats::render
