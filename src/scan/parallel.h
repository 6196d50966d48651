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
// caller releases the body wrapper's address before the loop and each body
// call acquires it; each body call releases `end` and the caller acquires
// it after the loop. No call acquires `end`, so there is no edge between
// two body calls, and a race between them (two threads writing one
// variable) is still reported. Outside TSan builds the annotations compile
// to nothing.
//
// Call it where tbb::parallel_for would be called (inside a task_arena's
// execute to choose the threads). Thread-safe as tbb::parallel_for is.
#ifndef MEMSTATS_SCAN_PARALLEL_H_
#define MEMSTATS_SCAN_PARALLEL_H_

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

#ifdef MEMSTATS_TSAN
inline void Release(const void* addr) {
  __tsan_release(const_cast<void*>(addr));
}
inline void Acquire(const void* addr) {
  __tsan_acquire(const_cast<void*>(addr));
}
#else
inline void Release(const void*) {}
inline void Acquire(const void*) {}
#endif

// The body as tbb::parallel_for calls it (by reference: `this` is the
// address of the caller's object). A call acquires `this` before it reads
// any memory, even its own members, which the caller wrote.
template <typename Index, typename Body>
struct AnnotatedBody {
  const Body& body;
  const char* end;
  void operator()(Index i) const {
    Acquire(this);
    body(i);
    Release(end);
  }
};

}  // namespace internal

// body(i) for every i in [first, last).
template <typename Index, typename Body>
void ParallelFor(Index first, Index last, const Body& body) {
  const char end = 0;
  const internal::AnnotatedBody<Index, Body> annotated{body, &end};
  internal::Release(&annotated);
  tbb::parallel_for(first, last, annotated);
  internal::Acquire(&end);
}

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_PARALLEL_H_
