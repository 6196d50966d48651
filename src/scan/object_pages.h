// ObjectPages: the windows of shared objects as their first mapper's
// pagemap read them, for the mappers after it.
//
// A page of a shared object (a file, a tmpfs or shmem file, a SysV
// segment, shared anonymous memory) at a given offset is the same physical
// page in every process that maps it at that moment. So once one process's
// MAP_SHARED mapping of an object has been read, another process's mapping
// of the same object needs only *which* of its pages are present, which
// PAGEMAP_SCAN tells without a per-page entry (on Linux 6.18 it costs about
// an eighth of reading the entries), and the PFNs come from here.
//
// An object is named as maps names it: device and inode. Windows are the
// scanner's (kWindowPages pages, aligned to the object offset). A window
// is remembered with its present pages' positions (its pattern) and the
// segment its PFNs were stored as; only windows whose every entry was a
// present page of the object (pagemap bit 61, no swap or migration entry,
// no PFN left out) are remembered. A later mapping uses a window only when
// its present pages are at exactly the same positions; the scanner also
// checks one PFN per mapping, so that two objects maps names alike (btrfs
// subvolumes share a device number and may reuse inode numbers) never pass
// for each other.
//
// Thread safety: every method may be called from many threads at once.
#ifndef MEMSTATS_SCAN_OBJECT_PAGES_H_
#define MEMSTATS_SCAN_OBJECT_PAGES_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "scan/memory_budget.h"

namespace memstats::scan {

// An object as /proc/PID/maps names it.
struct ObjectName {
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  uint64_t inode = 0;
  bool operator==(const ObjectName&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const ObjectName& o) {
    return H::combine(std::move(h), o.dev_major, o.dev_minor, o.inode);
  }
};

// The present pages of a window: [from, to) page positions within it,
// ascending and not touching.
using WindowPattern = absl::InlinedVector<std::pair<uint16_t, uint16_t>, 2>;

// Appends positions [from, to) (above every position already in) to
// `pattern`, extending its last range when they touch.
inline void AddToPattern(WindowPattern& pattern, uint16_t from, uint16_t to) {
  if (!pattern.empty() && pattern.back().second == from) {
    pattern.back().second = to;
  } else {
    pattern.push_back({from, to});
  }
}
inline void AddToPattern(WindowPattern& pattern, uint16_t pos) {
  AddToPattern(pattern, pos, static_cast<uint16_t>(pos + 1));
}

class ObjectPages {
 public:
  static constexpr uint32_t kNone = ~uint32_t{0};
  // Patterns kept per window: the mappings of one object rarely cut a
  // window in more ways (a library's segments share its first window).
  static constexpr size_t kMaxPatterns = 4;

  explicit ObjectPages(MemoryBudget* budget = nullptr) : budget_(budget) {}
  // Gives the budget back what the readings were charged.
  ~ObjectPages();
  ObjectPages(const ObjectPages&) = delete;
  ObjectPages& operator=(const ObjectPages&) = delete;

  // Remembers that window `window` of `object` had its pages present at
  // `pattern` (REQUIRES: not empty), stored as segment `segment`. The first
  // reading of a pattern stays. Skipped, silently, when the budget refuses
  // the memory: a window not remembered is only read again.
  void Add(const ObjectName& object, uint64_t window,
           const WindowPattern& pattern, uint32_t segment);

  // The segment of window `window` of `object` read with its pages at
  // exactly `pattern`, or kNone.
  uint32_t Find(const ObjectName& object, uint64_t window,
                const WindowPattern& pattern) const;

  // Whether any window of `object` is remembered.
  bool Knows(const ObjectName& object) const;

 private:
  static constexpr uint32_t kShardBits = 5;
  static constexpr uint32_t kShards = 1u << kShardBits;

  struct WindowKey {
    ObjectName object;
    uint64_t window = 0;
    bool operator==(const WindowKey&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const WindowKey& k) {
      return H::combine(std::move(h), k.object, k.window);
    }
  };
  struct Reading {
    WindowPattern pattern;
    uint32_t segment = kNone;
  };
  struct WindowShard {
    mutable std::mutex mu;
    absl::flat_hash_map<WindowKey, absl::InlinedVector<Reading, 1>> windows;
  };
  // Objects, sharded by name alone (Knows has no window).
  struct NameShard {
    mutable std::mutex mu;
    absl::flat_hash_set<ObjectName> objects;
  };

  MemoryBudget* budget_;
  std::atomic<uint64_t> charged_{0};
  std::array<WindowShard, kShards> windows_;
  std::array<NameShard, kShards> names_;
};

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_OBJECT_PAGES_H_
