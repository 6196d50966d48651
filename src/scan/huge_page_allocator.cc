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
  char* const base = static_cast<char*>(raw);
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const size_t head = (kHugePageBytes - start % kHugePageBytes) % kHugePageBytes;
  const size_t used = (bytes + 4095) & ~size_t{4095};
  const size_t tail = span - head - used;
  char* const aligned = base + head;
  if (head > 0) ::munmap(base, head);
  if (tail > 0) ::munmap(aligned + used, tail);
  // Advice only: without THP the memory is used in 4 KiB pages.
  (void)::madvise(aligned, bytes, MADV_HUGEPAGE);
  return aligned;
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
