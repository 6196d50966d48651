// ParallelFor: tbb::parallel_for, with the happens-before edges oneTBB
// guarantees made visible to ThreadSanitizer.
//
// oneTBB promises that everything the caller did before parallel_for
// happens before every call of the body, and every call of the body
// happens before parallel_for returns. It keeps that promise with atomics
// inside libtbb.so; Debian's libtbb is not built with -fsanitize=thread,
// so TSan cannot see them and reports every read, in the body, of data the
// caller wrote just before (the records vector, an atomic flag's
// initialization) as a race. ParallelFor states exactly those two edges
// with __tsan_release / __tsan_acquire on two addresses of its own: the
// caller releases `start` before the loop and each body call acquires it;
// each body call releases `end` and the caller acquires it after the loop.
// No call acquires `end`, so there is no edge between two body calls, and
// a race between them (two threads writing one variable) is still
// reported. Outside TSan builds the annotations compile to nothing.
//
// Call it where tbb::parallel_for would be called (inside a task_arena's
// execute to choose the threads). Thread-safe as tbb::parallel_for is.
#ifndef MEMSTATS_SCAN_PARALLEL_H_
#define MEMSTATS_SCAN_PARALLEL_H_

#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

#if defined(__SANITIZE_THREAD__)
#define MEMSTATS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MEMSTATS_TSAN 1
#endif
#endif

#ifdef MEMSTATS_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace memstats::scan {
namespace internal {

struct Handoff {
  char start = 0;
  char end = 0;
};
#ifdef MEMSTATS_TSAN
inline void Release(char* addr) { __tsan_release(addr); }
inline void Acquire(char* addr) { __tsan_acquire(addr); }
#else
inline void Release(char*) {}
inline void Acquire(char*) {}
#endif

}  // namespace internal

// body(i) for every i in [first, last).
template <typename Index, typename Body>
void ParallelFor(Index first, Index last, const Body& body) {
  internal::Handoff h;
  internal::Release(&h.start);
  tbb::parallel_for(first, last, [&](Index i) {
    internal::Acquire(&h.start);
    body(i);
    internal::Release(&h.end);
  });
  internal::Acquire(&h.end);
}

// body(subrange) over pieces of `range` (a tbb::blocked_range).
template <typename Value, typename Body>
void ParallelFor(const tbb::blocked_range<Value>& range, const Body& body) {
  internal::Handoff h;
  internal::Release(&h.start);
  tbb::parallel_for(range, [&](const tbb::blocked_range<Value>& r) {
    internal::Acquire(&h.start);
    body(r);
    internal::Release(&h.end);
  });
  internal::Acquire(&h.end);
}

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_PARALLEL_H_
