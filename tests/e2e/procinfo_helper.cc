// memstats_procinfo_helper DIR [--swap]: one process with a known layout for
// memstats procinfo (procinfo_e2e_test.cc), and a child that shares part of
// it. Sizes in 4 KiB pages (procinfo_e2e_test.cc has the same constants).
//
//   priv    kPriv pages of private anonymous memory, written
//   shared  kShared pages of shared anonymous memory (MAP_SHARED |
//           MAP_ANONYMOUS), written by the parent, then read by the child
//           after fork: every page mapped by both
//   file    a file DIR/procinfo_helper.data of kFile pages, written with
//           write(2), mapped MAP_SHARED read-only and read whole: page cache
//           that only this process maps
//   zero    kZero pages of private anonymous memory, read-only, only read:
//           every entry is the kernel's zero page, on kernels that map it on
//           read faults (the ready line says: zero_page=1 when the region's
//           first two pages have one PFN in the helper's own pagemap)
//   thp     2 MiB of private anonymous memory, 2 MiB-aligned, MADV_HUGEPAGE,
//           written: one transparent huge page when the kernel can find one
//   swap    with --swap: kSwap pages of private anonymous memory, written,
//           then paged out (MADV_PAGEOUT) until pagemap shows all in swap
//
// Every private region is MADV_NOHUGEPAGE (4 KiB pages: smaps and kpagecount
// count them alike) and MADV_DONTFORK, so the child maps `shared` only and
// the parent's private pages stay its own. Prints
//   "ready pid=P child=C priv=A shared=A file=A zero=A swap=A thp=A
//    zero_page=0|1"
// (addresses in decimal; swap=0 without --swap) and waits for stdin to
// close.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "e2e/helper_io.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kPriv = 64, kShared = 32, kFile = 16, kZero = 16, kSwap = 8;
constexpr size_t kThpBytes = 2 << 20;

[[noreturn]] void Die(const char* what) {
  memstats::testing::DieWithErrno("memstats_procinfo_helper", what);
}

char* Map(size_t pages, int flags, int fd = -1, int prot = PROT_READ | PROT_WRITE) {
  void* p = mmap(nullptr, pages * kPage, prot, flags, fd, 0);
  if (p == MAP_FAILED) Die("mmap");
  return static_cast<char*>(p);
}

// Names an anonymous region ("[anon:NAME]" in maps, Linux 5.17 with
// CONFIG_ANON_VMA_NAME): regions with different names are never merged into
// one mapping. Without the feature the regions differ in protection or
// kind instead, and the test checks each one's bounds.
void Name(char* p, size_t pages, const char* name) {
  (void)prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, reinterpret_cast<unsigned long>(p),
              pages * kPage, reinterpret_cast<unsigned long>(name));
}

// Private anonymous pages that stay 4 KiB and are not inherited.
char* MapPrivate(size_t pages, const char* name, int prot = PROT_READ | PROT_WRITE) {
  char* p = Map(pages, MAP_PRIVATE | MAP_ANONYMOUS, -1, prot);
  if (madvise(p, pages * kPage, MADV_NOHUGEPAGE) != 0) Die("MADV_NOHUGEPAGE");
  if (madvise(p, pages * kPage, MADV_DONTFORK) != 0) Die("MADV_DONTFORK");
  Name(p, pages, name);
  return p;
}

// The helper's own pagemap entry of page `i` of p.
uint64_t Entry(const char* p, size_t i) {
  const int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) Die("open /proc/self/pagemap");
  uint64_t e = 0;
  const off_t at =
      static_cast<off_t>((reinterpret_cast<uintptr_t>(p) / kPage + i) * 8);
  if (pread(fd, &e, 8, at) != 8) Die("pread pagemap");
  close(fd);
  return e;
}

// Pages of [p, p + pages) that pagemap shows swapped (bit 62).
size_t SwappedPages(const char* p, size_t pages) {
  size_t n = 0;
  for (size_t i = 0; i < pages; ++i) n += (Entry(p, i) >> 62) & 1;
  return n;
}

volatile char sink;

void ReadAll(const char* p, size_t pages) {
  for (size_t i = 0; i < pages; ++i) sink = p[i * kPage];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    errno = 0;
    Die("usage: memstats_procinfo_helper DIR [--swap]");
  }
  const bool swap = argc > 2 && std::strcmp(argv[2], "--swap") == 0;

  char* priv = MapPrivate(kPriv, "procinfo-priv");
  memset(priv, 0x11, kPriv * kPage);

  char* shared = Map(kShared, MAP_SHARED | MAP_ANONYMOUS);
  memset(shared, 0x22, kShared * kPage);

  const std::string path = std::string(argv[1]) + "/procinfo_helper.data";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) Die("create the data file");
  char block[kPage];
  memset(block, 0x33, sizeof block);
  for (size_t i = 0; i < kFile; ++i) {
    if (write(fd, block, sizeof block) != static_cast<ssize_t>(sizeof block))
      Die("write the data file");
  }
  char* file = Map(kFile, MAP_SHARED, fd, PROT_READ);
  close(fd);
  if (madvise(file, kFile * kPage, MADV_DONTFORK) != 0) Die("MADV_DONTFORK");
  ReadAll(file, kFile);

  char* zero = MapPrivate(kZero, "procinfo-zero", PROT_READ);
  ReadAll(zero, kZero);

  constexpr uint64_t kPfn = (uint64_t{1} << 55) - 1;
  const bool zero_page = (Entry(zero, 0) & kPfn) == (Entry(zero, 1) & kPfn);

  // 4 MiB reserved, the 2 MiB-aligned middle kept, the rest unmapped.
  char* big = Map(2 * kThpBytes / kPage, MAP_PRIVATE | MAP_ANONYMOUS);
  char* thp = reinterpret_cast<char*>(
      (reinterpret_cast<uintptr_t>(big) + kThpBytes - 1) & ~(kThpBytes - 1));
  if (thp > big) munmap(big, static_cast<size_t>(thp - big));
  if (big + 2 * kThpBytes > thp + kThpBytes)
    munmap(thp + kThpBytes, static_cast<size_t>(big + 2 * kThpBytes - (thp + kThpBytes)));
  if (madvise(thp, kThpBytes, MADV_HUGEPAGE) != 0) Die("MADV_HUGEPAGE");
  if (madvise(thp, kThpBytes, MADV_DONTFORK) != 0) Die("MADV_DONTFORK");
  Name(thp, kThpBytes / kPage, "procinfo-thp");
  memset(thp, 0x55, kThpBytes);

  char* out = nullptr;
  if (swap) {
    out = MapPrivate(kSwap, "procinfo-swap");
    memset(out, 0x44, kSwap * kPage);
    // A page still in another CPU's LRU batch is skipped once: retry.
    for (int attempt = 0; SwappedPages(out, kSwap) < kSwap; ++attempt) {
      if (attempt == 100) {
        errno = 0;
        Die("the pages did not go to swap");
      }
      if (madvise(out, kSwap * kPage, MADV_PAGEOUT) != 0) Die("MADV_PAGEOUT");
      usleep(20000);
    }
  }

  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) Die("pipe");
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) Die("fork");
  if (child == 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
    ReadAll(shared, kShared);
    close(ready[0]);
    if (write(ready[1], "x", 1) != 1) _exit(1);
    for (;;) pause();
  }
  close(ready[1]);
  char x;
  if (read(ready[0], &x, 1) != 1) Die("the child did not start");
  close(ready[0]);

  char line[256];
  snprintf(line, sizeof line,
           "ready pid=%d child=%d priv=%lu shared=%lu file=%lu zero=%lu "
           "swap=%lu thp=%lu zero_page=%d\n",
           static_cast<int>(parent), static_cast<int>(child),
           reinterpret_cast<unsigned long>(priv),
           reinterpret_cast<unsigned long>(shared),
           reinterpret_cast<unsigned long>(file),
           reinterpret_cast<unsigned long>(zero),
           reinterpret_cast<unsigned long>(out),
           reinterpret_cast<unsigned long>(thp), zero_page ? 1 : 0);
  memstats::testing::WriteStr(1, line);
  while (read(0, &x, 1) > 0) {
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  unlink(path.c_str());
  return 0;
}
