// Owners: the per-item word of the accounting walk (internal to sets/).
#ifndef MEMSTATS_SETS_OWNERS_H_
#define MEMSTATS_SETS_OWNERS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "scan/huge_page_allocator.h"

namespace memstats::sets::internal {

// Groups are numbered below kNone; kNone stands for "no group".
constexpr uint32_t kNone = 0x0fffffff;
constexpr uint32_t kMaxGroups = kNone;

// Per-item word (item: a page, a segment or a swap entry): 0 while no
// group has referenced it; otherwise bits 0-27 hold the last group that
// did, plus one, and bit 31 is set once a second group has. The words
// start as untouched zero memory (scan::ZeroedArray): items a split never
// visits (pages mapped once in all the system, which accounting adds up a
// segment at a time) cost it no memory. A word about to be written is
// written before it is first read (Fresh): a read of untouched memory maps
// the shared zero page, and the write after it would fault again to copy
// it and flush the TLB; a write first faults once.
class Owners {
 public:
  explicit Owners(size_t n)
      : owner_(n), fresh_((n + kWordsPerPage - 1) / kWordsPerPage, 1) {}

  // Notes that `group` references item i. Returns true the first time the
  // group does (the item joins the group's RSS).
  bool Visit(size_t i, uint32_t group) {
    Fresh(i);
    const uint32_t o = owner_[i];
    const uint32_t last = o & kGroupMask;
    if (last == group + 1) return false;
    owner_[i] = (o & kShared) | (group + 1) | (last == 0 ? 0 : kShared);
    return true;
  }
  // Visit by a group that references item i at most once (a process whose
  // counted pages are all distinct): nothing to dedupe, so once the item is
  // shared its word stays as it is and the visit only reads it. Always the
  // group's first visit (an ignored page, which counts nowhere, may come
  // twice).
  bool VisitOnce(size_t i, uint32_t group) {
    Fresh(i);
    const uint32_t o = owner_[i];
    if (o == 0) {
      owner_[i] = group + 1;
    } else if (!(o & kShared)) {
      owner_[i] = o | kShared;
    }
    return true;
  }
  // The only group that referenced item i, or kNone.
  uint32_t SoleOwner(size_t i) const {
    const uint32_t o = owner_[i];
    return (o == 0 || (o & kShared)) ? kNone : (o & kGroupMask) - 1;
  }
  // Makes item i nobody's sole item (SoleOwner: kNone) from now on.
  void MarkDone(size_t i) {
    Fresh(i);
    owner_[i] |= kShared;
  }
  size_t size() const { return owner_.size(); }

 private:
  static constexpr uint32_t kGroupMask = 0x0fffffff;
  static constexpr uint32_t kShared = 0x80000000;
  static constexpr size_t kWordsPerPage = 4096 / sizeof(uint32_t);

  // Before word i is read and written: if its page was never written,
  // writes it (it is zero) so that the page is made writable in one fault.
  void Fresh(size_t i) {
    uint8_t& fresh = fresh_[i / kWordsPerPage];
    if (fresh) {
      fresh = 0;
      owner_[i] = 0;
    }
  }

  scan::ZeroedArray<uint32_t> owner_;
  std::vector<uint8_t> fresh_;  // per page of owner_: never written
};

}  // namespace memstats::sets::internal

#endif  // MEMSTATS_SETS_OWNERS_H_
