// memstats_map_helper: two processes of two uids with a known layout, for
// memstats map's live test (map_e2e_test.cc).
//
//   memstats_map_helper UID_A UID_B PAGES_A PAGES_B SHARED_PAGES
//
// The parent maps SHARED_PAGES pages MAP_SHARED|MAP_ANONYMOUS and writes
// them, then forks. The parent becomes UID_A and writes PAGES_A pages of
// its own private anonymous memory; the child becomes UID_B, writes
// PAGES_B private pages and reads every shared page (a forked child has no
// page-table entry for a shared page until it touches it). All regions get
// MADV_NOHUGEPAGE: 4 KiB pages only. The binary is static, so besides the
// layout each process has only its stack, its .data/.bss and the pages of
// its own binary (shared by the two: page cache mapped by both).
//
// When both are ready the parent prints "ready a=<pid> b=<pid>" and waits
// for its stdin to reach EOF; the child (PR_SET_PDEATHSIG) waits on a pipe
// the parent closes, then both exit.
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

#include "e2e/helper_io.h"

namespace {

using memstats::testing::DieWithErrno;
using memstats::testing::WriteStr;

constexpr char kProgram[] = "memstats_map_helper";
constexpr size_t kPage = 4096;

char* MapPages(uint64_t pages, int flags) {
  void* p = mmap(nullptr, pages * kPage, PROT_READ | PROT_WRITE,
                 flags | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) DieWithErrno(kProgram, "mmap");
  madvise(p, pages * kPage, MADV_NOHUGEPAGE);
  return static_cast<char*>(p);
}

void Write(char* p, uint64_t pages, char value) {
  for (uint64_t i = 0; i < pages; ++i) p[i * kPage] = value;
}

void BecomeUid(uint64_t uid) {
  if (setresgid(uid, uid, uid) != 0) DieWithErrno(kProgram, "setresgid");
  if (setresuid(uid, uid, uid) != 0) DieWithErrno(kProgram, "setresuid");
}

uint64_t Arg(const char* s) {
  char* end = nullptr;
  const unsigned long long v = strtoull(s, &end, 10);
  if (*s == '\0' || *end != '\0') DieWithErrno(kProgram, "bad number");
  return v;
}

void PutNumber(char* buf, uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (int i = 0; i < n; ++i) buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    WriteStr(2, "usage: memstats_map_helper UID_A UID_B PAGES_A PAGES_B "
                "SHARED_PAGES\n");
    return 2;
  }
  const uint64_t uid_a = Arg(argv[1]), uid_b = Arg(argv[2]);
  const uint64_t pages_a = Arg(argv[3]), pages_b = Arg(argv[4]);
  const uint64_t shared_pages = Arg(argv[5]);

  char* shared = MapPages(shared_pages, MAP_SHARED);
  Write(shared, shared_pages, 1);
  int ready[2], release[2];
  if (pipe(ready) != 0 || pipe(release) != 0) DieWithErrno(kProgram, "pipe");
  const pid_t child = fork();
  if (child < 0) DieWithErrno(kProgram, "fork");
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(ready[0]);
    close(release[1]);
    BecomeUid(uid_b);
    char* own = MapPages(pages_b, MAP_PRIVATE);
    Write(own, pages_b, 2);
    volatile char sum = 0;
    for (uint64_t i = 0; i < shared_pages; ++i)
      sum = static_cast<char>(sum + shared[i * kPage]);
    (void)sum;
    if (write(ready[1], "r", 1) != 1) _exit(2);
    char c;
    while (read(release[0], &c, 1) > 0) {
    }
    _exit(0);
  }
  close(ready[1]);
  close(release[0]);
  BecomeUid(uid_a);
  char* own = MapPages(pages_a, MAP_PRIVATE);
  Write(own, pages_a, 3);
  char c;
  if (read(ready[0], &c, 1) != 1) DieWithErrno(kProgram, "child not ready");
  char a[24], b[24];
  PutNumber(a, static_cast<uint64_t>(getpid()));
  PutNumber(b, static_cast<uint64_t>(child));
  WriteStr(1, "ready a=");
  WriteStr(1, a);
  WriteStr(1, " b=");
  WriteStr(1, b);
  WriteStr(1, "\n");
  while (read(0, &c, 1) > 0) {
  }
  close(release[1]);
  int status = 0;
  waitpid(child, &status, 0);
  return 0;
}
