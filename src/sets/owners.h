// Owners: the per-item word of the accounting walk (internal to sets/).
#ifndef MEMSTATS_SETS_OWNERS_H_
#define MEMSTATS_SETS_OWNERS_H_

#include <cstdint>
#include <vector>

#include "scan/huge_page_allocator.h"
#include "sets/page_catalog.h"

namespace memstats::sets::internal {

// Per-item word (item: a page, a segment or a swap entry): bits 0-27 the
// last group that referenced it (kNone: none yet), bit 31 set once a second
// group has, bits 28-30 a tag fixed at construction (a page's kind), so
// that a group's first visit of a page costs one memory access.
constexpr uint32_t kNone = 0x0fffffff;
constexpr uint32_t kGroupMask = 0x0fffffff;
constexpr uint32_t kTagShift = 28;
constexpr uint32_t kTagMask = 0x70000000;
constexpr uint32_t kShared = 0x80000000;
// Groups are numbered below kNone.
constexpr uint32_t kMaxGroups = kNone;

class Owners {
 public:
  explicit Owners(size_t n) : owner_(n, kNone) {}
  // Tagged with each page's kind.
  explicit Owners(const PageCatalog& pages) : owner_(pages.size()) {
    for (uint32_t i = 0; i < owner_.size(); ++i) {
      owner_[i] = (static_cast<uint32_t>(pages.kind(i)) << kTagShift) | kNone;
    }
  }

  // Notes that `group` references item i. Returns true the first time the
  // group does (the item joins the group's RSS).
  bool Visit(uint32_t i, uint32_t group) {
    const uint32_t o = owner_[i];
    const uint32_t last = o & kGroupMask;
    if (last == group) return false;
    owner_[i] = (o & (kTagMask | kShared)) | group |
                (last == kNone ? 0 : kShared);
    return true;
  }
  // Visit by a group that references item i at most once (a process whose
  // counted pages are all distinct): nothing to dedupe, so once the item is
  // shared its word stays as it is and the visit only reads it. Always the
  // group's first visit (an ignored page, which counts nowhere, may come
  // twice).
  bool VisitOnce(uint32_t i, uint32_t group) {
    const uint32_t o = owner_[i];
    if ((o & kGroupMask) == kNone) {
      owner_[i] = (o & ~kGroupMask) | group;
    } else if (!(o & kShared)) {
      owner_[i] = o | kShared;
    }
    return true;
  }
  uint32_t tag(uint32_t i) const { return (owner_[i] & kTagMask) >> kTagShift; }
  // The only group that referenced item i, or kNone.
  uint32_t SoleOwner(uint32_t i) const {
    const uint32_t o = owner_[i];
    return (o & kShared) ? kNone : (o & kGroupMask);
  }
  size_t size() const { return owner_.size(); }

 private:
  scan::HugeVector<uint32_t> owner_;  // huge pages: one per page seen
};

}  // namespace memstats::sets::internal

#endif  // MEMSTATS_SETS_OWNERS_H_
