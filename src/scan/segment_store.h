// SegmentStore: page lists stored once however many processes map them.
//
// The scanner cuts every mapping into windows of kWindowPages pages and
// stores a window's present pages (PFN runs) as a segment. Windows are
// aligned to the object offset for file and shared-memory mappings and to
// the address for anonymous ones, so the same window of a shared object, or
// copy-on-write pages a child has not copied yet, give the same runs in
// every process: Intern() keeps one copy and hands out its id. Memory then
// follows the distinct pages of the system, not the page references, and
// accounting can skip a segment its group has already visited.
//
// Thread safety: Intern() may be called from many threads at once. Get()
// and the accessors may run concurrently with each other but not with
// Intern() (the scan is over when accounting starts).
#ifndef MEMSTATS_SCAN_SEGMENT_STORE_H_
#define MEMSTATS_SCAN_SEGMENT_STORE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "scan/memory_budget.h"
#include "scan/process_record.h"

namespace memstats::scan {

inline constexpr uint64_t kWindowPages = 512;  // 2 MiB, one THP

class SegmentStore {
 public:
  static constexpr uint32_t kFailed = ~uint32_t{0};

  explicit SegmentStore(MemoryBudget* budget = nullptr) : budget_(budget) {}

  // Returns the id of the segment equal to `runs` (REQUIRES: not empty),
  // adding it when new; kFailed when the memory budget refuses a new one.
  // `exclusive`: pagemap marked every page of the runs exclusively mapped
  // (PM_MMAP_EXCLUSIVE, bit 56); `anon`, besides, none of them a file or
  // shared page (PM_FILE, bit 61, clear: an anonymous folio). The segment
  // stays so only while every Intern() of it says so.
  uint32_t Intern(std::span<const PfnRun> runs, bool exclusive = false,
                  bool anon = false);

  // Segment `id` is used once more without being read again (ObjectPages
  // gave it): its pages are not mapped once any more.
  void MarkShared(uint32_t id) {
    Shard& s = shards_[id & kShardMask];
    std::lock_guard<std::mutex> lock(s.mu);
    s.exclusive[id >> kShardBits] = 0;
  }

  // The first PFN of segment `id`; may run while Intern() does.
  uint64_t FirstPfn(uint32_t id) {
    Shard& s = shards_[id & kShardMask];
    std::lock_guard<std::mutex> lock(s.mu);
    return s.segments[id >> kShardBits].runs->pfn;
  }

  // Whether every page of segment `id` was read exclusively mapped: the
  // kernel saw one page-table reference to it in the whole system (see
  // PageCatalog, which then needs no kpagecount for it).
  bool exclusive(uint32_t id) const {
    const Shard& s = shards_[id & kShardMask];
    return (s.exclusive[id >> kShardBits] & kExclusive) != 0;
  }
  // Whether every page of segment `id` was read exclusively mapped and
  // anonymous (see PageCatalog, which may then need no kpageflags for it).
  bool exclusive_anon(uint32_t id) const {
    const Shard& s = shards_[id & kShardMask];
    return (s.exclusive[id >> kShardBits] & kExclusiveAnon) == kExclusiveAnon;
  }

  std::span<const PfnRun> Get(uint32_t id) const {
    const Segment& seg = shards_[id & kShardMask].segments[id >> kShardBits];
    return {seg.runs, seg.size};
  }

  // Calls f(id) for every segment.
  template <typename F>
  void ForEach(F&& f) const {
    for (uint32_t shard = 0; shard < kShards; ++shard) {
      const uint32_t n = static_cast<uint32_t>(shards_[shard].segments.size());
      for (uint32_t i = 0; i < n; ++i) f((i << kShardBits) | shard);
    }
  }

  // One more than the largest id handed out (ids are sparse below it).
  uint32_t id_limit() const;
  size_t size() const;
  uint64_t bytes_used() const;

 private:
  // Bits of Shard::exclusive.
  static constexpr uint8_t kExclusive = 1;
  static constexpr uint8_t kExclusiveAnon = 3;  // exclusive and anonymous
  static constexpr uint32_t kShardBits = 6;
  static constexpr uint32_t kShards = 1u << kShardBits;
  static constexpr uint32_t kShardMask = kShards - 1;

  // Runs are stored in blocks of kBlockRuns, a segment's runs in one block
  // (a segment has at most kWindowPages runs): one allocation per block,
  // not one per segment (a small process adds a dozen segments), and a
  // block never moves.
  static constexpr size_t kBlockRuns = 4096;
  struct Segment {
    const PfnRun* runs;
    size_t size;
  };
  struct Shard {
    std::mutex mu;
    // content hash -> ids with that hash
    absl::flat_hash_map<uint64_t, absl::InlinedVector<uint32_t, 1>> by_hash;
    std::vector<Segment> segments;
    // Each reserved to its full size once: appending never moves it.
    std::vector<std::vector<PfnRun>> blocks;
    std::vector<uint8_t> exclusive;  // per segment: kExclusive, kExclusiveAnon
    uint64_t bytes = 0;
  };

  MemoryBudget* budget_;
  std::array<Shard, kShards> shards_;
};

// The pages of a record, segment after segment, with runs that continue
// across segments merged (as a plain list of its runs would have them).
std::vector<PfnRun> ExpandPages(const SegmentStore& store,
                                const ProcessRecord& rec);

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_SEGMENT_STORE_H_
