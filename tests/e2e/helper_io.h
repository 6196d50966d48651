// Output of the static layout helpers (kinds_helper.cc, sysmem_helper.cc):
// plain write(2), no stdio buffers or heap, so printing adds no memory to
// the layout they build.
#ifndef MEMSTATS_TESTS_E2E_HELPER_IO_H_
#define MEMSTATS_TESTS_E2E_HELPER_IO_H_

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace memstats::testing {

// Writes all of `s` to `fd` (gives up on an error other than EINTR).
inline void WriteStr(int fd, const char* s) {
  for (size_t n = strlen(s); n > 0;) {
    const ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

// "<program>: <what>[: <strerror(errno)>]" on stderr, then exit code 2.
[[noreturn]] inline void DieWithErrno(const char* program, const char* what) {
  const int e = errno;
  WriteStr(2, program);
  WriteStr(2, ": ");
  WriteStr(2, what);
  if (e != 0) {
    WriteStr(2, ": ");
    WriteStr(2, strerror(e));
  }
  WriteStr(2, "\n");
  _exit(2);
}

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_E2E_HELPER_IO_H_
