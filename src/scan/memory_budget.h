// MemoryBudget: a cap on memstats's own large allocations (--mem-limit).
//
// Thread safety: TryCharge and Release may be called from many threads.
//
// Code that is about to grow a large buffer (page lists, accounting arrays)
// charges the growth first; when the charge would pass the limit it fails,
// the caller stops, and the command exits with a clear message instead of
// pushing the host towards OOM or printing partial numbers.
#ifndef MEMSTATS_SCAN_MEMORY_BUDGET_H_
#define MEMSTATS_SCAN_MEMORY_BUDGET_H_

#include <atomic>
#include <cstdint>
#include <limits>

namespace memstats::scan {

class MemoryBudget {
 public:
  // `limit` bytes in all; `baseline` is already in use (the process's own
  // resident size when the budget is created).
  explicit MemoryBudget(uint64_t limit = std::numeric_limits<uint64_t>::max(),
                        uint64_t baseline = 0)
      : limit_(limit), used_(baseline), peak_(baseline) {}

  // Returns false, charging nothing, when `bytes` more would pass the limit.
  bool TryCharge(uint64_t bytes) {
    uint64_t cur = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ || cur > limit_ - bytes) {
        exceeded_.store(true, std::memory_order_relaxed);
        return false;
      }
    } while (!used_.compare_exchange_weak(cur, cur + bytes,
                                          std::memory_order_relaxed));
    uint64_t now = cur + bytes;
    uint64_t peak = peak_.load(std::memory_order_relaxed);
    while (now > peak &&
           !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
    return true;
  }

  void Release(uint64_t bytes) {
    used_.fetch_sub(bytes, std::memory_order_relaxed);
  }

  uint64_t limit() const { return limit_; }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }
  // True once any charge was refused.
  bool exceeded() const { return exceeded_.load(std::memory_order_relaxed); }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> used_;
  std::atomic<uint64_t> peak_;
  std::atomic<bool> exceeded_{false};
};

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_MEMORY_BUDGET_H_
