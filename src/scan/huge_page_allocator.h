// HugePageAllocator: for the scan's large per-page arrays (the page
// catalog's, the accounting's owner words), memory the kernel may back with
// transparent huge pages.
//
// These arrays are filled right after they are allocated, so every 4 KiB
// of them costs a page fault: on 20 processes x 256 MiB of private memory,
// faults and zeroing were a fifth of a `groups` run (perf). An allocation
// of 2 MiB or more is mapped at a 2 MiB boundary and marked MADV_HUGEPAGE,
// which the kernel honours when THP is "always" or "madvise": then one
// fault fills 2 MiB. With THP "never" (or a failed madvise) it is plain
// memory, as from malloc. The tail past the last 2 MiB boundary stays in
// 4 KiB pages, so memstats's RSS grows by nothing it does not touch.
// Smaller allocations come from operator new.
#ifndef MEMSTATS_SCAN_HUGE_PAGE_ALLOCATOR_H_
#define MEMSTATS_SCAN_HUGE_PAGE_ALLOCATOR_H_

#include <cstddef>
#include <new>
#include <vector>

namespace memstats::scan {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// bytes >= kHugePageBytes. nullptr when mmap fails.
void* MapHugePages(size_t bytes);
void UnmapHugePages(void* p, size_t bytes);

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);

  HugePageAllocator() = default;
  template <typename U>
  explicit HugePageAllocator(const HugePageAllocator<U>& /*other*/) {}

  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePageBytes) return static_cast<T*>(::operator new(bytes));
    void* p = MapHugePages(bytes);
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePageBytes) {
      ::operator delete(p);
    } else {
      UnmapHugePages(p, bytes);
    }
  }
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) {
    return true;
  }
};

template <typename T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

// bytes > 0: anonymous memory the kernel zeroes page by page on first
// touch (no huge-page advice), or nullptr when mmap fails.
void* MapZeroedPages(size_t bytes);

// A fixed-size array of zeroed T, mapped so that only the 4 KiB pages
// touched take memory: for per-item words a walk may visit sparsely.
template <typename T>
class ZeroedArray {
 public:
  explicit ZeroedArray(size_t n) : n_(n) {
    if (n_ == 0) return;
    data_ = static_cast<T*>(MapZeroedPages(n_ * sizeof(T)));
    if (data_ == nullptr) throw std::bad_alloc();
  }
  ~ZeroedArray() {
    if (data_ != nullptr) UnmapHugePages(data_, n_ * sizeof(T));
  }
  ZeroedArray(const ZeroedArray&) = delete;
  ZeroedArray& operator=(const ZeroedArray&) = delete;

  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  size_t size() const { return n_; }

 private:
  size_t n_ = 0;
  T* data_ = nullptr;
};

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_HUGE_PAGE_ALLOCATOR_H_
