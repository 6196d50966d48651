#include "scan/huge_page_allocator.h"

#include <sys/mman.h>

#include <cstdint>

namespace memstats::scan {

void* MapHugePages(size_t bytes) {
  // Map a huge page more than asked, keep the aligned part, give back the
  // rest.
  const size_t span = bytes + kHugePageBytes;
  void* raw = ::mmap(nullptr, span, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned =
      (start + kHugePageBytes - 1) & ~(uintptr_t{kHugePageBytes} - 1);
  const uintptr_t end = start + span;
  const uintptr_t used_end = (aligned + bytes + 4095) & ~uintptr_t{4095};
  if (aligned > start) ::munmap(raw, aligned - start);
  if (end > used_end) {
    ::munmap(reinterpret_cast<void*>(used_end), end - used_end);
  }
  void* p = reinterpret_cast<void*>(aligned);
  // Advice only: without THP the memory is used in 4 KiB pages.
  (void)::madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

void* MapZeroedPages(size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void UnmapHugePages(void* p, size_t bytes) {
  const size_t length = (bytes + 4095) & ~size_t{4095};
  ::munmap(p, length);
}

}  // namespace memstats::scan
