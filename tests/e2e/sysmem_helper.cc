// memstats_sysmem_helper: a parent and one child with a KNOWN layout of KSM,
// swapped or hugetlb memory, for sysmem_e2e_test.cc. The test sets up the
// system (ksmd, a swap file, the huge page pool); the helper only maps and
// touches memory, prints one ready line, and waits until its stdin closes
// (then it releases the child, reaps it and exits 0). The child also has
// PR_SET_PDEATHSIG=SIGKILL. Sizes are in 4 KiB pages, MiB or 2 MiB pages as
// named. Every region gets MADV_NOHUGEPAGE (but the hugetlb ones).
//
//   ksm --patterns K --per-pattern R --parent-only Q --unique U
//       Parent and child each map their own private anonymous region (after
//       fork, so nothing is copy-on-write) and fill it with K distinct page
//       contents, each repeated R times, then U pages of contents found
//       nowhere else; the parent adds Q more copies of one more content
//       that only it has. All of it is MADV_MERGEABLE. Contents derive from
//       a seed taken from the clock and pid, so no other process on the
//       machine holds the same pages. Once ksmd has merged: K KSM pages
//       mapped 2R times (by both), one mapped Q times (parent only), and U
//       unmerged pages per process. (Keep 2R and Q <= ksm's
//       max_page_sharing, 256 by default, or ksmd makes duplicates.)
//       Ready line: "ready parent=P child=C".
//
//   swap --cow-mib C --private-mib P --child-mib M --shared-anon-mib A
//        --sysv-mib S --memfd-mib F --guard-pages G
//       Needs active swap. Before fork the parent writes C MiB of private
//       anon and pages it ALL out (MADV_PAGEOUT), so after fork parent and
//       child reference the same C MiB of swap entries (copy-on-write pages
//       in swap; MADV_PAGEOUT itself skips pages mapped by two processes).
//       It also writes A MiB of MAP_SHARED|MAP_ANONYMOUS, an S MiB SysV
//       segment (IPC_RMID at once) and an F MiB memfd mapped MAP_SHARED, and
//       pages out the FIRST HALF of each.
//       After fork the child reads the resident second halves (so both map
//       them), and writes and pages out M MiB of its own; the parent writes
//       and pages out P MiB of its own. Every page-out is retried until the
//       helper's own pagemap (anon) or smaps Swap (shmem) shows all of it
//       in swap, else the helper fails. The parent also maps G pages and
//       turns them into guard pages (MADV_GUARD_INSTALL, Linux 6.13): PTE
//       markers, which pagemap shows with bit 62 ("swapped") set and a swap
//       type above MAX_SWAPFILES, but which are no swap at all.
//       Ready line: "ready parent=P child=C shmid=ID guard=N" (N = G, or 0
//       when the kernel has no guard pages).
//
//   hugetlb --shared H --parent-private HP --child-private HC  (2 MiB pages)
//       Needs HP + HC + H free 2 MiB huge pages. Before fork the parent
//       maps H huge pages of a memfd (MFD_HUGETLB) MAP_SHARED and writes
//       them; the child reads them after fork. After fork each maps and
//       writes its own MAP_PRIVATE|MAP_HUGETLB pages.
//       Ready line: "ready parent=P child=C".
//
// Built -static: the only file pages are this binary's own. Runtime noise
// is small: no iostream, only write(2) and snprintf.

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "e2e/helper_io.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kMiB = size_t{1} << 20;
constexpr size_t kHuge = 2 * kMiB;

using memstats::testing::WriteStr;

[[noreturn]] void Die(const char* what) {
  memstats::testing::DieWithErrno("memstats_sysmem_helper", what);
}

[[noreturn]] void Usage(const char* msg) {
  errno = 0;
  char buf[256];
  snprintf(buf, sizeof buf,
           "%s\nusage: memstats_sysmem_helper ksm|swap|hugetlb --OPTION N...",
           msg);
  Die(buf);
}

// "--name value" pairs after the mode word.
struct Args {
  int argc;
  char** argv;
  size_t Get(const char* name) const {
    for (int i = 2; i + 1 < argc; i += 2) {
      if (strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, name) == 0) {
        char* end = nullptr;
        unsigned long long v = strtoull(argv[i + 1], &end, 10);
        if (end == argv[i + 1] || *end != '\0' || v > (1ULL << 20))
          Usage("bad number");
        return static_cast<size_t>(v);
      }
    }
    char msg[128];
    snprintf(msg, sizeof msg, "missing --%s", name);
    Usage(msg);
  }
};

char* Map(size_t bytes, int flags, bool nohuge = true) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (p == MAP_FAILED) Die("mmap");
  if (nohuge && madvise(p, bytes, MADV_NOHUGEPAGE) != 0) Die("madvise");
  return static_cast<char*>(p);
}

// One write per page, different in every page and every process.
void TouchWrite(char* p, size_t bytes, unsigned salt) {
  volatile char* v = p;
  for (size_t off = 0; off < bytes; off += kPage) {
    v[off] = static_cast<char>(((off / kPage) * 131 + salt) | 1);
    v[off + 8] = static_cast<char>(salt);
    v[off + 16] = static_cast<char>(off >> 12);
    v[off + 17] = static_cast<char>(off >> 20);
  }
}

volatile unsigned g_sink;
void TouchRead(const char* p, size_t bytes, size_t step = kPage) {
  const volatile char* v = p;
  unsigned sum = 0;
  for (size_t off = 0; off < bytes; off += step)
    sum += static_cast<unsigned char>(v[off]);
  g_sink = sum;
}

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Fills one page with content determined by `key` alone.
void FillPage(char* page, uint64_t key) {
  uint64_t* w = reinterpret_cast<uint64_t*>(page);
  for (size_t i = 0; i < kPage / 8; ++i) w[i] = SplitMix(key * 1000003 + i);
}

// Reads /proc/self/pagemap for [p, p + bytes): how many pages are swapped
// (bit 62 set, bit 63 clear).
size_t SwappedPages(const char* p, size_t bytes) {
  int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) Die("open /proc/self/pagemap");
  size_t swapped = 0;
  uint64_t entries[512];
  const uint64_t first = reinterpret_cast<uintptr_t>(p) / kPage;
  const size_t pages = bytes / kPage;
  for (size_t done = 0; done < pages;) {
    const size_t n = pages - done < 512 ? pages - done : 512;
    const ssize_t got = pread(fd, entries, n * 8, (first + done) * 8);
    if (got != static_cast<ssize_t>(n * 8)) Die("pread pagemap");
    for (size_t i = 0; i < n; ++i)
      if ((entries[i] >> 62) == 1) ++swapped;
    done += n;
  }
  close(fd);
  return swapped;
}

// The "Swap:" of the mapping that starts at `p` in /proc/self/smaps, bytes
// (for shmem: the object's swapped pages within the mapping).
size_t SmapsSwap(const char* p) {
  int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) Die("open /proc/self/smaps");
  static char text[1 << 20];
  size_t len = 0;
  for (ssize_t r; (r = read(fd, text + len, sizeof text - 1 - len)) > 0;)
    len += static_cast<size_t>(r);
  close(fd);
  text[len] = '\0';
  char head[32];
  snprintf(head, sizeof head, "\n%lx-", reinterpret_cast<unsigned long>(p));
  const char* vma = strstr(text, head);
  if (vma == nullptr) Die("mapping not in /proc/self/smaps");
  const char* swap = strstr(vma, "\nSwap:");
  if (swap == nullptr) Die("no Swap: in /proc/self/smaps");
  return strtoull(swap + 6, nullptr, 10) * 1024;
}

// MADV_PAGEOUT on [p, p + bytes) until `swapped(p)` reports all of it,
// retried: a page still in another CPU's LRU batch is skipped once.
void PageOut(char* p, size_t bytes, bool shmem) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const size_t done = shmem ? SmapsSwap(p) : SwappedPages(p, bytes) * kPage;
    if (done >= bytes) return;
    if (madvise(p, bytes, MADV_PAGEOUT) != 0) Die("madvise MADV_PAGEOUT");
    if (attempt > 0) usleep(20000);
  }
  errno = 0;
  Die(shmem ? "shmem pages did not go to swap"
            : "anonymous pages did not go to swap");
}

// The child's side of every mode: set up with `work`, report ready on
// `ready_w`, wait for EOF on `release_r`.
template <typename Work>
pid_t ForkChild(int* ready_r, int* release_w, Work work) {
  int ready[2], release[2];
  if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(release, O_CLOEXEC) != 0)
    Die("pipe");
  const pid_t parent = getpid();
  const pid_t c = fork();
  if (c < 0) Die("fork");
  if (c == 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) Die("prctl");
    if (getppid() != parent) _exit(1);
    close(ready[0]);
    close(release[1]);
    work();
    char byte = 'r';
    if (write(ready[1], &byte, 1) != 1) Die("child ready write");
    close(ready[1]);
    for (;;) {
      ssize_t r = read(release[0], &byte, 1);
      if (r == 0 || (r < 0 && errno != EINTR)) break;
    }
    _exit(0);
  }
  close(ready[1]);
  close(release[0]);
  *ready_r = ready[0];
  *release_w = release[1];
  return c;
}

// Waits for the child's ready byte, prints `line`, waits for EOF on stdin,
// then releases and reaps the child. Returns the exit code.
int ReadyAndWait(pid_t child, int ready_r, int release_w, const char* line) {
  char byte;
  ssize_t r;
  while ((r = read(ready_r, &byte, 1)) < 0 && errno == EINTR) {
  }
  if (r != 1) {
    errno = 0;
    Die("the child exited before it was ready");
  }
  close(ready_r);
  WriteStr(1, line);
  for (;;) {
    char buf[256];
    r = read(0, buf, sizeof buf);
    if (r == 0 || (r < 0 && errno != EINTR)) break;
  }
  close(release_w);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

// KSM: see the top of the file.
int Ksm(const Args& a) {
  const size_t patterns = a.Get("patterns"), per = a.Get("per-pattern"),
               parent_only = a.Get("parent-only"), unique = a.Get("unique");
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  const uint64_t seed = SplitMix(static_cast<uint64_t>(ts.tv_nsec) ^
                                 (static_cast<uint64_t>(ts.tv_sec) << 20) ^
                                 (static_cast<uint64_t>(getpid()) << 44));
  // Pattern k has key seed + k; unique page i of process `who` has a key
  // far from those.
  auto fill = [&](size_t extra, uint64_t who) {
    const size_t pages = patterns * per + extra + unique;
    char* p = Map(pages * kPage, MAP_PRIVATE | MAP_ANONYMOUS);
    size_t i = 0;
    for (size_t r = 0; r < per; ++r)
      for (size_t k = 0; k < patterns; ++k) FillPage(p + i++ * kPage, seed + k);
    for (size_t q = 0; q < extra; ++q)
      FillPage(p + i++ * kPage, seed + patterns);
    for (size_t u = 0; u < unique; ++u)
      FillPage(p + i++ * kPage, seed + (who << 32) + (1ULL << 48) + u);
    if (madvise(p, pages * kPage, MADV_MERGEABLE) != 0)
      Die("madvise MADV_MERGEABLE");
  };
  int ready_r, release_w;
  const pid_t child = ForkChild(&ready_r, &release_w, [&] { fill(0, 2); });
  fill(parent_only, 1);
  char line[128];
  snprintf(line, sizeof line, "ready parent=%d child=%d\n", getpid(), child);
  return ReadyAndWait(child, ready_r, release_w, line);
}

// Swap: see the top of the file.
int Swap(const Args& a) {
  const size_t cow = a.Get("cow-mib") * kMiB,
               priv = a.Get("private-mib") * kMiB,
               child_priv = a.Get("child-mib") * kMiB,
               shared = a.Get("shared-anon-mib") * kMiB,
               sysv = a.Get("sysv-mib") * kMiB,
               memfd = a.Get("memfd-mib") * kMiB, guard = a.Get("guard-pages");
  if (shared == 0 || sysv == 0 || memfd == 0)
    Usage("the shmem sizes must not be 0");

  char* c = Map(cow, MAP_PRIVATE | MAP_ANONYMOUS);
  TouchWrite(c, cow, 0x33);
  PageOut(c, cow, false);

  char* sh = Map(shared, MAP_SHARED | MAP_ANONYMOUS);
  TouchWrite(sh, shared, 0x11);
  PageOut(sh, shared / 2, true);

  const int shmid = shmget(IPC_PRIVATE, sysv, IPC_CREAT | IPC_EXCL | 0600);
  if (shmid < 0) Die("shmget");
  void* at = shmat(shmid, nullptr, 0);
  const int at_errno = errno;
  shmctl(shmid, IPC_RMID, nullptr);  // attachments keep it; it cannot leak
  if (at == reinterpret_cast<void*>(-1)) {
    errno = at_errno;
    Die("shmat");
  }
  char* sv = static_cast<char*>(at);
  if (madvise(sv, sysv, MADV_NOHUGEPAGE) != 0) Die("madvise sysv");
  TouchWrite(sv, sysv, 0x22);
  PageOut(sv, sysv / 2, true);

  const int fd = memfd_create("memstats_sysmem_swap", MFD_CLOEXEC);
  if (fd < 0) Die("memfd_create");
  if (ftruncate(fd, static_cast<off_t>(memfd)) != 0) Die("ftruncate memfd");
  void* mp = mmap(nullptr, memfd, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mp == MAP_FAILED) Die("mmap memfd");
  close(fd);
  char* mf = static_cast<char*>(mp);
  if (madvise(mf, memfd, MADV_NOHUGEPAGE) != 0) Die("madvise memfd");
  TouchWrite(mf, memfd, 0x99);
  PageOut(mf, memfd / 2, true);

  int ready_r, release_w;
  const pid_t child = ForkChild(&ready_r, &release_w, [&] {
    TouchRead(sh + shared / 2, shared / 2);
    TouchRead(sv + sysv / 2, sysv / 2);
    TouchRead(mf + memfd / 2, memfd / 2);
    char* mine = Map(child_priv, MAP_PRIVATE | MAP_ANONYMOUS);
    TouchWrite(mine, child_priv, 0x44);
    PageOut(mine, child_priv, false);
  });
  char* mine = Map(priv, MAP_PRIVATE | MAP_ANONYMOUS);
  TouchWrite(mine, priv, 0x55);
  PageOut(mine, priv, false);
  size_t guarded = 0;
  if (guard > 0) {
    char* g = Map(guard * kPage, MAP_PRIVATE | MAP_ANONYMOUS);
    if (madvise(g, guard * kPage, MADV_GUARD_INSTALL) == 0)
      guarded = guard;
    else if (errno != EINVAL)
      Die("madvise MADV_GUARD_INSTALL");
  }
  char line[128];
  snprintf(line, sizeof line, "ready parent=%d child=%d shmid=%d guard=%zu\n",
           getpid(), child, shmid, guarded);
  return ReadyAndWait(child, ready_r, release_w, line);
}

// Hugetlb: see the top of the file.
int Hugetlb(const Args& a) {
  const size_t shared = a.Get("shared") * kHuge,
               parent_priv = a.Get("parent-private") * kHuge,
               child_priv = a.Get("child-private") * kHuge;
  // The default huge page size: 2 MiB on x86-64 (the test checks it).
  const int fd =
      memfd_create("memstats_sysmem_hugetlb", MFD_CLOEXEC | MFD_HUGETLB);
  if (fd < 0) Die("memfd_create MFD_HUGETLB");
  if (ftruncate(fd, static_cast<off_t>(shared)) != 0) Die("ftruncate");
  void* s = mmap(nullptr, shared, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (s == MAP_FAILED) Die("mmap hugetlb memfd");
  close(fd);
  TouchWrite(static_cast<char*>(s), shared, 0x66);

  auto private_huge = [](size_t bytes, unsigned salt) {
    char* p = Map(bytes, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, false);
    TouchWrite(p, bytes, salt);
  };
  int ready_r, release_w;
  const pid_t child = ForkChild(&ready_r, &release_w, [&] {
    TouchRead(static_cast<char*>(s), shared);
    private_huge(child_priv, 0x77);
  });
  private_huge(parent_priv, 0x88);
  char line[128];
  snprintf(line, sizeof line, "ready parent=%d child=%d\n", getpid(), child);
  return ReadyAndWait(child, ready_r, release_w, line);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || (argc - 2) % 2 != 0) Usage("bad arguments");
  signal(SIGPIPE, SIG_IGN);
  const Args args{argc, argv};
  if (strcmp(argv[1], "ksm") == 0) return Ksm(args);
  if (strcmp(argv[1], "swap") == 0) return Swap(args);
  if (strcmp(argv[1], "hugetlb") == 0) return Hugetlb(args);
  Usage("unknown mode");
}
