// memstats_system_helper: a parent and one child with a known layout for
// system_e2e_test.cc (memstats system).
//
//   memstats_system_helper PRIVATE_MIB COW_MIB SHARED_MIB
//
// Before fork the parent maps and writes COW_MIB of private anonymous
// memory (after fork parent and child map the same pages, copy-on-write:
// anonymous pages with kpagecount 2) and SHARED_MIB of MAP_SHARED |
// MAP_ANONYMOUS (shmem); after fork the child reads every page of the
// shared mapping (so both map it) and maps and writes PRIVATE_MIB of its
// own private anonymous memory (kpagecount 1). Every region has
// MADV_NOHUGEPAGE and distinct page contents (nothing for KSM or the zero
// page). Prints "ready parent=P child=C\n" and waits until stdin closes,
// then kills and reaps the child and exits 0. The child also dies with the
// parent (PR_SET_PDEATHSIG). Static, no iostream: little runtime noise.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kMiB = 1 << 20;

char* Map(size_t bytes, int flags) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  madvise(p, bytes, MADV_NOHUGEPAGE);
  return static_cast<char*>(p);
}

// Writes a word that differs per page and per region into every page.
void Write(char* p, size_t bytes, unsigned salt) {
  for (size_t off = 0; off < bytes; off += kPage) {
    const unsigned long v = (static_cast<unsigned long>(salt) << 40) ^ off ^
                            static_cast<unsigned long>(getpid());
    memcpy(p + off, &v, sizeof v);
  }
}

unsigned long ReadAll(const char* p, size_t bytes) {
  unsigned long sum = 0;
  for (size_t off = 0; off < bytes; off += kPage) {
    sum += *reinterpret_cast<const volatile unsigned long*>(p + off);
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PRIVATE_MIB COW_MIB SHARED_MIB\n", argv[0]);
    return 2;
  }
  const size_t private_bytes = strtoul(argv[1], nullptr, 10) * kMiB;
  const size_t cow_bytes = strtoul(argv[2], nullptr, 10) * kMiB;
  const size_t shared_bytes = strtoul(argv[3], nullptr, 10) * kMiB;
  char* cow = Map(cow_bytes, MAP_PRIVATE | MAP_ANONYMOUS);
  Write(cow, cow_bytes, 1);
  char* shared = Map(shared_bytes, MAP_SHARED | MAP_ANONYMOUS);
  Write(shared, shared_bytes, 2);

  int ready[2];
  if (pipe(ready) != 0) return 1;
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    volatile unsigned long sink = ReadAll(shared, shared_bytes);
    (void)sink;
    char* own = Map(private_bytes, MAP_PRIVATE | MAP_ANONYMOUS);
    Write(own, private_bytes, 3);
    if (write(ready[1], "x", 1) != 1) _exit(1);
    for (;;) pause();
  }
  char c;
  if (read(ready[0], &c, 1) != 1) return 1;
  printf("ready parent=%d child=%d\n", static_cast<int>(parent),
         static_cast<int>(child));
  fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return 0;
}
