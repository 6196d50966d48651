#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "render/groups.h"
#include "render/scan_stats.h"
#include "render/shm.h"

namespace memstats::render {
namespace {

using nlohmann::json;

json MappersJson(const std::vector<machine::Mapper>& ms, uint64_t page_size) {
  json a = json::array();
  for (const machine::Mapper& m : ms) {
    a.push_back({{"pid", m.pid},
                 {"uid", m.uid},
                 {"comm", m.comm},
                 {"resident", m.resident_pages * page_size}});
  }
  return a;
}

json ResidencyJson(const machine::Residency& r, uint64_t page_size) {
  return {{"bytes", r.pages * page_size},
          {"base_pages", r.base_pages},
          {"huge_base_pages", r.huge_base_pages},
          {"huge_pages", r.huge_pages}};
}

json MaybeBytes(const std::optional<uint64_t>& b) {
  return b ? json(*b) : json(nullptr);
}

}  // namespace

json ShmJson(const machine::ShmReport& r) {
  json doc;
  doc["schema_version"] = kJsonSchemaVersion;
  doc["page_level"] = r.page_level;
  if (!r.page_level) doc["page_level_note"] = r.page_level_note;
  doc["page_size"] = r.page_size;
  doc["hugepage_size"] = r.hugepage_size;
  doc["scan"] = ScanStatsJson(r.scan);
  doc["splits"] = r.split_names;
  json sysv = json::array();
  for (const machine::SysvRow& s : r.sysv) {
    json groups = json::object();
    for (size_t i = 0; i < s.groups.size() && i < r.split_names.size(); ++i) {
      groups[r.split_names[i]] = s.groups[i];
    }
    sysv.push_back({{"key", s.seg.key},
                    {"shmid", s.seg.shmid},
                    {"uid", s.seg.uid},
                    {"owner", s.owner},
                    {"size", s.seg.size},
                    {"rss", s.seg.rss},
                    {"swap", s.seg.swap},
                    {"nattch", s.seg.nattch},
                    {"hugetlb", s.hugetlb},
                    {"mapped", ResidencyJson(s.mapped, r.page_size)},
                    {"rss_percent", s.rss_percent},
                    {"mapped_percent", s.mapped_percent},
                    {"attached_by", MappersJson(s.attachers, r.page_size)},
                    {"groups", std::move(groups)}});
  }
  doc["sysv"] = std::move(sysv);
  json mounts = json::array();
  for (const machine::TmpfsMountInfo& m : r.mounts) {
    json j = {{"mount_point", m.mount.mount_point},
              {"source", m.mount.source},
              {"device", absl::StrCat(m.mount.major, ":", m.mount.minor)},
              {"duplicate", m.duplicate},
              {"covered", m.covered}};
    if (m.usage_known) {
      j["size"] = m.usage.size_bytes;
      j["used"] = m.usage.used_bytes;
      j["inodes"] = m.usage.inodes;
      j["inodes_used"] = m.usage.inodes_used;
    }
    mounts.push_back(std::move(j));
  }
  doc["tmpfs_mounts"] = std::move(mounts);
  json files = json::array();
  for (const machine::TmpfsFileRow& f : r.files) {
    files.push_back({{"path", f.file.path},
                     {"mount_point", f.mount_point},
                     {"inode", f.file.inode},
                     {"size", f.file.size},
                     {"allocated", f.file.allocated},
                     {"swapped", MaybeBytes(f.file.swapped)},
                     {"mapped", ResidencyJson(f.mapped, r.page_size)},
                     {"mapped_by", MappersJson(f.mappers, r.page_size)}});
  }
  doc["tmpfs_files"] = std::move(files);
  doc["tmpfs_files_total"] = r.files_total;
  json memfds = json::array();
  for (const machine::MemfdRow& m : r.memfds) {
    json j = {{"name", m.name},
              {"inode", m.inode},
              {"mapped_size", m.mapped_extent},
              {"resident", ResidencyJson(m.mapped, r.page_size)},
              {"mapped_by", MappersJson(m.mappers, r.page_size)},
              {"size", nullptr},
              {"allocated", nullptr},
              {"swapped", nullptr}};
    if (m.usage) {
      j["size"] = m.usage->size;
      j["allocated"] = m.usage->allocated;
      j["swapped"] = m.usage->swapped;
    }
    memfds.push_back(std::move(j));
  }
  doc["memfds"] = std::move(memfds);
  json nobody = json::array();
  for (const machine::NobodyRow& n : r.nobody) {
    nobody.push_back({{"kind", n.kind},
                      {"object", n.name},
                      {"bytes", n.bytes},
                      {"swap", MaybeBytes(n.swap_bytes)}});
  }
  doc["nobody"] = {{"objects", std::move(nobody)},
                   {"count", r.nobody_count},
                   {"bytes", r.nobody_bytes},
                   {"swap", r.nobody_swap_bytes}};
  doc["swap"] = {{"sysv", r.swap.sysv},
                 {"tmpfs", r.swap.tmpfs},
                 {"memfd", r.swap.memfd},
                 {"total", r.swap.total()},
                 {"unknown_objects", r.swap.unknown}};
  if (!r.warnings.empty()) doc["warnings"] = r.warnings;
  return doc;
}

void RenderShmJson(const machine::ShmReport& r, std::ostream& out) {
  out << ShmJson(r).dump(2, ' ', false, json::error_handler_t::replace)
      << "\n";
}

}  // namespace memstats::render
