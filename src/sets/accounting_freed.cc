// The shared-memory parts of FREED (GroupTotals::freed_*): which SysV
// segments and unlinked objects a group's exit destroys, and their size.
#include <algorithm>
#include <map>
#include <span>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "scan/unlinked.h"
#include "sets/accounting.h"
#include "sets/owners.h"

namespace memstats::sets {

using internal::kNone;
using internal::Owners;

void Accountant::IndexUnlinked(
    const std::vector<scan::UnlinkedObject>& held_outside,
    std::span<const scan::ShmemObject> shmem) {
  std::map<scan::UnlinkedObject, uint32_t> ids;
  std::vector<const scan::UnlinkedObject*> objects;
  unlinked_ids_.resize(records_.size());
  for (size_t r = 0; r < records_.size(); ++r) {
    for (const scan::UnlinkedObject& o : records_[r].unlinked) {
      auto [it, added] =
          ids.try_emplace(o, static_cast<uint32_t>(objects.size()));
      if (added) objects.push_back(&it->first);
      unlinked_ids_[r].push_back(it->second);
    }
  }
  if (objects.empty()) return;
  // Objects by path: an fd whose inode is unknown may be any of them.
  absl::flat_hash_map<std::string, std::vector<uint32_t>> by_path;
  for (uint32_t id = 0; id < objects.size(); ++id) {
    by_path[objects[id]->path].push_back(id);
  }
  unlinked_aliases_.resize(objects.size());
  unlinked_unknown_.assign(objects.size(), 0);
  for (uint32_t id = 0; id < objects.size(); ++id) {
    if (objects[id]->inode != 0) continue;
    unlinked_unknown_[id] = 1;
    for (uint32_t other : by_path[objects[id]->path]) {
      if (other == id) continue;
      unlinked_aliases_[id].push_back(other);
      unlinked_aliases_[other].push_back(id);
    }
  }
  // Each object's swap: the shmem object of the same inode and path (maps
  // names both the same way; an fd of unknown inode matches none).
  unlinked_swap_.assign(objects.size(), 0);
  for (const scan::ShmemObject& o : shmem) {
    if (o.swapped() == 0) continue;
    auto it = ids.find(scan::UnlinkedObject{o.key.inode, o.path});
    if (it != ids.end()) unlinked_swap_[it->second] = o.swapped();
  }
  unlinked_outside_.assign(objects.size(), 0);
  for (const scan::UnlinkedObject& o : held_outside) {
    auto it = by_path.find(o.path);
    if (it == by_path.end()) continue;
    for (uint32_t id : it->second) {
      if (scan::SameUnlinkedObject(o, *objects[id])) unlinked_outside_[id] = 1;
    }
  }
}

uint64_t Accountant::UnlinkedBytes() const {
  const uint64_t n = unlinked_outside_.size();
  if (n == 0) return 0;
  uint64_t bytes = n * (sizeof(uint32_t) + sizeof(uint64_t) + 1);
  if (pages_ != nullptr) bytes += (pages_->size() + segments_.id_limit()) / 8;
  return bytes;
}

void Accountant::CountFreedSysv(std::vector<std::pair<int, uint32_t>>& shmids,
                                GroupTotals& t) const {
  std::sort(shmids.begin(), shmids.end());
  for (size_t i = 0; i < shmids.size();) {
    const int id = shmids[i].first;
    uint64_t vmas = 0;
    for (; i < shmids.size() && shmids[i].first == id; ++i) {
      vmas += shmids[i].second;
    }
    auto it = sysv_.find(id);
    if (it == sysv_.end()) continue;
    const SysvUse& seg = it->second;
    t.sysv_rss_bytes += seg.rss;
    t.sysv_swap_bytes += seg.swap;
    // nattch counts VMAs; /proc/sysvipc/shm is read after the maps, so a
    // member that detached meanwhile leaves the group with more.
    if (seg.marked_for_removal && vmas >= static_cast<uint64_t>(seg.nattch)) {
      t.freed_sysv_rss_bytes += seg.rss;
      t.freed_sysv_swap_bytes += seg.swap;
      ++t.freed_sysv_segments;
    }
  }
}

void Accountant::CountFreedUnlinked(const std::vector<uint32_t>& group_of,
                                    const std::vector<uint32_t>& order,
                                    std::vector<GroupTotals>& out) const {
  // Without page-level data the objects' pages are unknown, and so is
  // which objects are shared memory at all (a deleted regular file looks
  // the same in maps): nothing is counted.
  const size_t n = unlinked_outside_.size();
  if (n == 0 || pages_ == nullptr) return;
  // Which group alone holds each object (an alias counts as a holder too).
  Owners owners(n);
  for (uint32_t r : order) {
    for (uint32_t id : unlinked_ids_[r]) {
      owners.Visit(id, group_of[r]);
      for (uint32_t a : unlinked_aliases_[id]) owners.Visit(a, group_of[r]);
    }
  }
  auto sole = [&](uint32_t id) {
    return unlinked_outside_[id] ? kNone : owners.SoleOwner(id);
  };

  // An object's pages are its shmem pages in its mappings (a private
  // mapping's copies are anonymous, counted in anon USS). Each belongs to
  // one object, and a destroyed object to one group: one bit per page
  // dedupes them. A page an unscanned process maps keeps the object alive.
  std::vector<uint64_t> object_pages(n, 0);
  std::vector<uint8_t> alive(n, 0);
  {
    std::vector<bool> seen(pages_->size(), false);
    std::vector<bool> segment_seen(segments_.id_limit(), false);
    for (uint32_t r = 0; r < records_.size(); ++r) {
      const scan::ProcessRecord& rec = records_[r];
      for (const scan::UnlinkedMapping& m : rec.unlinked_maps) {
        const uint32_t id = unlinked_ids_[r][m.object];
        if (sole(id) != group_of[r]) continue;
        for (uint32_t s = m.first_segment; s < m.end_segment; ++s) {
          const uint32_t seg = rec.segments[s];
          if (segment_seen[seg]) continue;
          segment_seen[seg] = true;
          for (const scan::PfnRun& run : segments_.Get(seg)) {
            const uint32_t base = pages_->IndexOf(run.pfn);
            for (uint32_t i = base; i < base + run.count; ++i) {
              if (pages_->kind(i) != PageKind::kShmem || seen[i]) continue;
              seen[i] = true;
              ++object_pages[id];
              if (pages_->mapped_outside(i)) alive[id] = 1;
            }
          }
        }
      }
    }
  }
  for (uint32_t id = 0; id < n; ++id) {
    // Objects with no shmem page in the members' page tables count
    // nowhere: deleted regular files (page cache), objects only held open.
    // An fd of unknown inode has no pages of its own.
    const uint32_t g = sole(id);
    if (g == kNone || alive[id] || object_pages[id] == 0) continue;
    ++out[g].freed_unlinked_objects;
    out[g].freed_unlinked_pages += object_pages[id];
    out[g].freed_unlinked_swap_bytes += unlinked_swap_[id];
  }
}

}  // namespace memstats::sets
