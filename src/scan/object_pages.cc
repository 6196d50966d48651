#include "scan/object_pages.h"

#include "absl/hash/hash.h"

namespace memstats::scan {
namespace {

// What one more reading costs: its slot and a share of the hash table.
constexpr uint64_t kReadingBytes = 96;

}  // namespace

ObjectPages::~ObjectPages() {
  if (budget_ != nullptr) budget_->Release(charged_.load());
}

void ObjectPages::Add(const ObjectName& object, uint64_t window,
                      const WindowPattern& pattern, uint32_t segment) {
  const WindowKey key{object, window};
  WindowShard& ws = windows_[absl::HashOf(key) % kShards];
  {
    std::lock_guard<std::mutex> lock(ws.mu);
    auto it = ws.windows.find(key);
    if (it != ws.windows.end()) {
      auto& readings = it->second;
      if (readings.size() >= kMaxPatterns) return;
      for (const Reading& r : readings) {
        if (r.pattern == pattern) return;
      }
    }
    if (budget_ != nullptr) {
      if (!budget_->TryCharge(kReadingBytes)) return;
      charged_.fetch_add(kReadingBytes, std::memory_order_relaxed);
    }
    ws.windows[key].push_back({pattern, segment});
  }
  NameShard& ns = names_[absl::HashOf(object) % kShards];
  std::lock_guard<std::mutex> lock(ns.mu);
  ns.objects.insert(object);
}

uint32_t ObjectPages::Find(const ObjectName& object, uint64_t window,
                           const WindowPattern& pattern) const {
  const WindowKey key{object, window};
  const WindowShard& ws = windows_[absl::HashOf(key) % kShards];
  std::lock_guard<std::mutex> lock(ws.mu);
  auto it = ws.windows.find(key);
  if (it == ws.windows.end()) return kNone;
  for (const Reading& r : it->second) {
    if (r.pattern == pattern) return r.segment;
  }
  return kNone;
}

bool ObjectPages::Knows(const ObjectName& object) const {
  const NameShard& ns = names_[absl::HashOf(object) % kShards];
  std::lock_guard<std::mutex> lock(ns.mu);
  return ns.objects.contains(object);
}

}  // namespace memstats::scan
