#include "scan/segment_store.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace memstats::scan {

uint32_t SegmentStore::Intern(std::span<const PfnRun> runs, bool exclusive,
                              bool anon) {
  // Two cheap accumulators the compiler can keep in registers; a collision
  // only costs a comparison, since equal hashes are checked run by run.
  uint64_t a = 0, b = 0;
  for (const PfnRun& r : runs) {
    a += r.pfn * 0x9e3779b97f4a7c15ULL + r.count;
    b ^= (r.pfn + (r.count << 40)) * 0xc2b2ae3d27d4eb4fULL;
  }
  const uint64_t h = absl::HashOf(a, b, runs.size());
  const uint32_t shard_index = static_cast<uint32_t>(h) & kShardMask;
  Shard& shard = shards_[shard_index];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto& ids = shard.by_hash[h];
  for (uint32_t id : ids) {
    const Segment& seg = shard.segments[id >> kShardBits];
    if (std::equal(seg.runs, seg.runs + seg.size, runs.begin(), runs.end())) {
      // The same pages read again (another process, another mapping):
      // whatever the first read said, they are not mapped once any more.
      shard.exclusive[id >> kShardBits] = 0;
      return id;
    }
  }
  // A new segment: its runs, its slot, and a share of the hash table.
  const uint64_t bytes = runs.size() * sizeof(PfnRun) + 64;
  if (budget_ != nullptr && !budget_->TryCharge(bytes)) {
    if (ids.empty()) shard.by_hash.erase(h);
    return kFailed;
  }
  const uint32_t id =
      (static_cast<uint32_t>(shard.segments.size()) << kShardBits) |
      shard_index;
  if (shard.blocks.empty() || shard.blocks.back().size() + runs.size() >
                                  shard.blocks.back().capacity()) {
    shard.blocks.emplace_back().reserve(std::max(kBlockRuns, runs.size()));
  }
  std::vector<PfnRun>& block = shard.blocks.back();
  const PfnRun* at = block.data() + block.size();
  block.insert(block.end(), runs.begin(), runs.end());
  shard.segments.push_back({at, runs.size()});
  shard.exclusive.push_back(!exclusive ? 0 : anon ? kExclusiveAnon : kExclusive);
  shard.bytes += bytes;
  ids.push_back(id);
  return id;
}

uint32_t SegmentStore::id_limit() const {
  size_t most = 0;
  for (const Shard& s : shards_) most = std::max(most, s.segments.size());
  return static_cast<uint32_t>(most << kShardBits);
}

size_t SegmentStore::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) n += s.segments.size();
  return n;
}

uint64_t SegmentStore::bytes_used() const {
  uint64_t n = 0;
  for (const Shard& s : shards_) n += s.bytes;
  return n;
}

std::vector<PfnRun> ExpandPages(const SegmentStore& store,
                                const ProcessRecord& rec) {
  std::vector<PfnRun> out;
  for (uint32_t id : rec.segments) {
    for (const PfnRun& r : store.Get(id)) {
      if (!out.empty() && out.back().pfn + out.back().count == r.pfn) {
        out.back().count += r.count;
      } else {
        out.push_back(r);
      }
    }
  }
  return out;
}

}  // namespace memstats::scan
