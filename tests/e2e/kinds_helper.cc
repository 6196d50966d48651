// memstats_kinds_helper: sets up one memory layout made of one kind of page
// (kinds_layout.h), prints one ready line, and waits until its stdin closes.
// kinds_e2e_test.cc measures the processes with memstats and with
// independent_pagemap.py.
//
//   memstats_kinds_helper LAYOUT [--dir DIR]
//   LAYOUT: thp-pmd | thp-split | thp-cow | shmem-thp | file | shm | sparse
//           | markers | not-ram
//   DIR:    the huge=always tmpfs (shmem-thp), the disk directory (file)
//
// Built -static: the processes map no libc or ld.so, so their only page
// cache is the helper binary itself. Every process reads every page of the
// binary's read-only mappings and the parent writes (with the same bytes)
// every page of its writable one before forking, so the binary adds exactly
// binary_pages file pages, mapped by every helper process and by nobody
// else (the tests hold a lock, so no second helper runs). [vdso] and [vvar]
// are unmapped (except in not-ram): the vdso page is shared with every
// process on the machine, which would make file PSS depend on them.
//
// Every region is mapped by the parent before it forks, so every process
// has the same addresses; a process touches only the regions of its role.
// Ready line (one line, key=value words):
//   ready pids=PARENT,CHILD,... regions=ADDR:BYTES,... binary_pages=N
//         [thp=PID:BYTES,...] [wp_pages=N] [cached_before=N]
//         [guard_pages=N marker_pages=N]
// thp is the smaps AnonHugePages (ShmemPmdMapped for shmem-thp) of the
// regions per process; wp_pages the userfaultfd write-protected pages
// (pagemap bit 57) of the sparse region; cached_before the pages of the
// data file resident after posix_fadvise(DONTNEED), before any mapping.
// Children die with the parent (PR_SET_PDEATHSIG) and leave when it closes
// their release pipe.
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>

#include "e2e/helper_io.h"
#include "e2e/kinds_layout.h"

#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif

namespace {

using namespace memstats::kinds;  // NOLINT: the layout constants

constexpr size_t kPg = static_cast<size_t>(kPage);
constexpr size_t kHuge = kPg * kThpPages;

using memstats::testing::WriteStr;

[[noreturn]] void Die(const char* what) {
  memstats::testing::DieWithErrno("memstats_kinds_helper", what);
}

// The ready line, built in a static buffer (no heap: it would add noise).
char g_line[8192];
size_t g_len = 0;
void Add(const char* fmt, long long a, long long b = 0) {
  int n = snprintf(g_line + g_len, sizeof g_line - g_len, fmt, a, b);
  if (n < 0 || g_len + static_cast<size_t>(n) >= sizeof g_line) Die("line");
  g_len += static_cast<size_t>(n);
}

// Reads a whole /proc file into a static buffer; returns its length.
char g_text[1 << 20];
size_t ReadText(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) Die(path);
  size_t len = 0;
  for (ssize_t r; (r = read(fd, g_text + len, sizeof g_text - 1 - len)) > 0;)
    len += static_cast<size_t>(r);
  close(fd);
  g_text[len] = '\0';
  return len;
}

// Calls fn(start, end, perms, path) for each line of /proc/PID/maps.
template <typename Fn>
void ForEachMapping(const char* maps_path, Fn fn) {
  ReadText(maps_path);
  for (char* line = g_text; *line != '\0';) {
    char* nl = strchr(line, '\n');
    if (nl != nullptr) *nl = '\0';
    unsigned long start = 0, end = 0, offset = 0;
    char perms[8] = {0};
    int path_at = 0;
    if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &start, &end, perms, &offset,
               &path_at) >= 4) {
      fn(start, end, perms, line + path_at, offset);
    }
    if (nl == nullptr) break;
    line = nl + 1;
  }
}

volatile unsigned g_sink;

// See the file comment: binary pages read (read-only mappings) or rewritten
// with their own bytes (the writable one, which makes them anonymous).
// Returns the number of distinct file pages of the read-only mappings: the
// linker packs segments, so neighbouring mappings may share a page of the
// file (at the same offset), which is one page mapped twice. The helper is
// linked with -z norelro, so no read-only mapping holds written
// (anonymous) pages.
long TouchBinary() {
  static char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) Die("readlink exe");
  exe[n] = '\0';
  // Collect first: touching must not interleave with parsing g_text.
  struct Range {
    unsigned long start, end, first_page;
    bool writable;
  };
  static Range ranges[64];
  int count = 0;
  ForEachMapping("/proc/self/maps",
                 [&](unsigned long s, unsigned long e, const char* perms,
                     const char* path, unsigned long offset) {
                   if (strcmp(path, exe) == 0 && count < 64)
                     ranges[count++] = {s, e, offset / kPg, perms[1] == 'w'};
                 });
  unsigned sum = 0;
  unsigned long last_page = 0;  // one past the highest file page counted
  long file_pages = 0;
  for (int i = 0; i < count; ++i) {  // in address order, so offset order
    volatile char* p = reinterpret_cast<char*>(ranges[i].start);
    const unsigned long pages = (ranges[i].end - ranges[i].start) / kPg;
    for (unsigned long k = 0; k < pages; ++k) {
      if (ranges[i].writable) {
        p[k * kPg] = p[k * kPg];
      } else {
        sum += static_cast<unsigned char>(p[k * kPg]);
        if (ranges[i].first_page + k >= last_page) {
          ++file_pages;
          last_page = ranges[i].first_page + k + 1;
        }
      }
    }
  }
  g_sink = sum;
  return file_pages;
}

void UnmapSpecial() {
  struct Range {
    unsigned long start, end;
  };
  static Range ranges[8];
  int count = 0;
  ForEachMapping(
      "/proc/self/maps", [&](unsigned long s, unsigned long e, const char*,
                             const char* path, unsigned long) {
        if ((strcmp(path, "[vdso]") == 0 || strncmp(path, "[vvar", 5) == 0) &&
            count < 8)
          ranges[count++] = {s, e};
      });
  for (int i = 0; i < count; ++i)
    if (munmap(reinterpret_cast<void*>(ranges[i].start),
               ranges[i].end - ranges[i].start) != 0)
      Die("munmap vdso");
}

// Sums smaps field `key` (kB, returned in bytes) over the mappings of `pid`
// inside [start, start + len).
long long SmapsBytes(pid_t pid, unsigned long start, size_t len,
                     const char* key) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/smaps", static_cast<int>(pid));
  ReadText(path);
  long long kb = 0;
  bool inside = false;
  const size_t key_len = strlen(key);
  for (char* line = g_text; *line != '\0';) {
    char* nl = strchr(line, '\n');
    if (nl != nullptr) *nl = '\0';
    unsigned long s = 0, e = 0;
    if (sscanf(line, "%lx-%lx ", &s, &e) == 2) {  // a mapping's first line
      inside = s >= start && e <= start + len;
    } else if (inside && strncmp(line, key, key_len) == 0) {
      kb += atoll(line + key_len);
    }
    if (nl == nullptr) break;
    line = nl + 1;
  }
  return kb * 1024;
}

// `len` bytes of fresh anonymous memory at a 2 MiB boundary.
char* MapAligned(size_t len, int flags) {
  void* p = mmap(nullptr, len + kHuge, PROT_READ | PROT_WRITE,
                 flags | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) Die("mmap");
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  uintptr_t aligned = (a + kHuge - 1) & ~(kHuge - 1);
  if (aligned > a) munmap(p, aligned - a);
  if (a + kHuge > aligned)
    munmap(reinterpret_cast<char*>(aligned + len), a + kHuge - aligned);
  return reinterpret_cast<char*>(aligned);
}

// Distinct content per page and writer (no KSM merging, no zero pages).
void Write(char* p, size_t pages, unsigned salt) {
  volatile char* v = p;
  for (size_t i = 0; i < pages; ++i) {
    v[i * kPg] = static_cast<char>(i * 131 + salt) | 1;
    v[i * kPg + 8] = static_cast<char>(salt);
  }
}

void Read(const char* p, size_t pages) {
  const volatile char* v = p;
  unsigned sum = 0;
  for (size_t i = 0; i < pages; ++i)
    sum += static_cast<unsigned char>(v[i * kPg]);
  g_sink = sum;
}

// Anonymous THPs: written whole; retried (fresh memory each time) until
// every 2 MiB is a PMD-mapped THP, which defrag=madvise makes the kernel
// compact for.
char* MapThps(size_t thps) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    char* p = MapAligned(thps * kHuge, MAP_PRIVATE);
    if (madvise(p, thps * kHuge, MADV_HUGEPAGE) != 0) Die("MADV_HUGEPAGE");
    Write(p, thps * kThpPages, 0x21);
    if (SmapsBytes(getpid(), reinterpret_cast<unsigned long>(p), thps * kHuge,
                   "AnonHugePages:") == static_cast<long long>(thps * kHuge))
      return p;
    munmap(p, thps * kHuge);
  }
  return nullptr;  // the ready line shows thp=PID:0: the test explains
}

struct Region {
  char* addr;
  size_t bytes;
};
Region g_regions[8];
int g_nregions = 0;
char* Keep(char* p, size_t bytes) {
  g_regions[g_nregions++] = {p, bytes};
  return p;
}

int OpenFile(const char* dir) {
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) Die("open O_TMPFILE");
  return fd;
}

void Fill(int fd, size_t pages, unsigned salt) {
  static char page[kPage];
  for (size_t i = 0; i < pages; ++i) {
    memset(page, static_cast<int>(i * 7 + salt), sizeof page);
    memcpy(page, &i, sizeof i);
    if (pwrite(fd, page, kPg, static_cast<off_t>(i * kPg)) != kPage)
      Die("pwrite");
  }
}

char* MapFd(int fd, size_t pages, int flags, size_t first_page) {
  void* p = mmap(nullptr, pages * kPg, PROT_READ | PROT_WRITE, flags, fd,
                 static_cast<off_t>(first_page * kPg));
  if (p == MAP_FAILED) Die("mmap fd");
  return Keep(static_cast<char*>(p), pages * kPg);
}

// Write-protects every other stride page and the dense stretch of the
// sparse region with userfaultfd in WP-async mode; returns the pages whose
// pagemap entry shows the uffd-wp bit (57), or 0 when the kernel refuses.
long WriteProtect(char* p, size_t len) {
  int uffd = static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC));
  if (uffd < 0) return 0;
  uffdio_api api = {};
  api.api = UFFD_API;
  api.features = UFFD_FEATURE_WP_ASYNC;
  if (ioctl(uffd, UFFDIO_API, &api) != 0) return 0;
  uffdio_register reg = {};
  reg.range = {reinterpret_cast<uint64_t>(p), len};
  reg.mode = UFFDIO_REGISTER_MODE_WP;
  if (ioctl(uffd, UFFDIO_REGISTER, &reg) != 0) return 0;
  for (int64_t i = 1; i < kSparseTouched; i += 2) {
    uffdio_writeprotect wp = {};
    wp.range = {reinterpret_cast<uint64_t>(p + i * kSparseStride * kPg), kPg};
    wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
    if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) != 0) return 0;
  }
  uffdio_writeprotect dense = {};
  dense.range = {reinterpret_cast<uint64_t>(p + kSparseDenseAt * kPg),
                 kSparseDense * kPg};
  dense.mode = UFFDIO_WRITEPROTECT_MODE_WP;
  if (ioctl(uffd, UFFDIO_WRITEPROTECT, &dense) != 0) return 0;
  // uffd stays open: closing it would end the registration.
  int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pm < 0) Die("pagemap");
  long protected_pages = 0;
  auto count = [&](int64_t page) {
    uint64_t e = 0;
    uint64_t vpn = reinterpret_cast<uint64_t>(p) / kPg + page;
    if (pread(pm, &e, 8, static_cast<off_t>(vpn * 8)) != 8) Die("pread");
    protected_pages += (e >> 57) & 1;
  };
  for (int64_t i = 0; i < kSparseTouched; ++i) count(i * kSparseStride);
  for (int64_t i = 0; i < kSparseDense; ++i) count(kSparseDenseAt + i);
  close(pm);
  return protected_pages;
}

// Pages of [p, p + pages * 4096) whose pagemap entry has the swap bit (62).
long SwapEntries(const char* p, size_t pages) {
  int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pm < 0) Die("pagemap");
  long n = 0;
  for (size_t i = 0; i < pages; ++i) {
    uint64_t e = 0;
    uint64_t vpn = reinterpret_cast<uint64_t>(p) / kPg + i;
    if (pread(pm, &e, 8, static_cast<off_t>(vpn * 8)) != 8) Die("pread");
    n += (e >> 62) & 1;
  }
  close(pm);
  return n;
}

// uffd-wp markers on 16 empty pages at `p` (the fd stays open).
void WriteProtectEmpty(char* p, size_t len) {
  int uffd = static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC));
  if (uffd < 0) return;
  uffdio_api api = {};
  api.api = UFFD_API;
  api.features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED;
  if (ioctl(uffd, UFFDIO_API, &api) != 0) return;
  uffdio_register reg = {};
  reg.range = {reinterpret_cast<uint64_t>(p), len};
  reg.mode = UFFDIO_REGISTER_MODE_WP;
  if (ioctl(uffd, UFFDIO_REGISTER, &reg) != 0) return;
  uffdio_writeprotect wp = {};
  wp.range = reg.range;
  wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
  ioctl(uffd, UFFDIO_WRITEPROTECT, &wp);
}

struct Options {
  const char* layout = "";
  const char* dir = "/var/tmp";
};

// The layout, set up by the parent before fork.
struct Layout {
  char* a = nullptr;  // thp region / shared file map S1 / memfd M / sparse
  char* b = nullptr;  // S2 / /dev/shm file
  char* c = nullptr;  // P1 / own memfd of child A
  char* d = nullptr;  // P2
  int children = 0;
};

// What child `index` does before it reports ready.
void ChildRole(const Options& o, const Layout& l, int index) {
  const char* k = o.layout;
  constexpr size_t half = kFilePages / 2;
  if (strcmp(k, "thp-cow") == 0) {
    l.a[kCowWritePage * kPg] = 0x5a;  // copy-on-write of one 4 KiB page
  } else if (strcmp(k, "shmem-thp") == 0) {
    Read(l.a, kShmemThpPages);
  } else if (strcmp(k, "file") == 0) {
    if (index == 0) Read(l.a, kFilePages);
    if (index == 1) Read(l.b, half);
    if (index == 2) {
      Read(l.c, half);
      Write(l.c, kFileCowPages, 0x72);
    }
    if (index == 3) {
      Read(l.d, half);
      Write(l.d, kFileCowPages, 0x73);
    }
  } else if (strcmp(k, "shm") == 0) {
    if (index == 0) {
      Read(l.a, kMemfdPages);
      Write(l.c, kOwnMemfdPages, 0x44);
    }
    Read(l.b, kDevShmPages);
  }
}

int Children(const char* layout) {
  if (strcmp(layout, "thp-cow") == 0 || strcmp(layout, "shmem-thp") == 0)
    return 1;
  if (strcmp(layout, "file") == 0) return 4;
  if (strcmp(layout, "shm") == 0) return 2;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc < 2) Die("usage: memstats_kinds_helper LAYOUT [--dir DIR]");
  o.layout = argv[1];
  for (int i = 2; i + 1 < argc; i += 2)
    if (strcmp(argv[i], "--dir") == 0) o.dir = argv[i + 1];
  const char* k = o.layout;

  if (strcmp(k, "not-ram") == 0) {
    // Through the vdso: its code page and the [vvar] data pages.
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    clock_gettime(CLOCK_REALTIME, &ts);
  } else {
    UnmapSpecial();
  }
  const long binary_pages = TouchBinary();

  Layout l;
  l.children = Children(k);
  long cached_before = -1, wp_pages = -1, guard_pages = -1, marker_pages = -1;
  if (strcmp(k, "thp-pmd") == 0 || strcmp(k, "thp-split") == 0) {
    l.a = MapThps(kThpCount);
    if (l.a == nullptr) l.a = MapAligned(kThpCount * kHuge, MAP_PRIVATE);
    Keep(l.a, kThpCount * kHuge);
    if (strcmp(k, "thp-split") == 0) {
      if (mprotect(l.a + kHuge + kSplitPage * kPg, kPg, PROT_READ) != 0)
        Die("mprotect");
      if (munmap(l.a + 2 * kHuge + kSplitPage * kPg, kPg) != 0) Die("munmap");
    }
  } else if (strcmp(k, "thp-cow") == 0) {
    l.a = MapThps(kCowThps);
    if (l.a == nullptr) l.a = MapAligned(kCowThps * kHuge, MAP_PRIVATE);
    Keep(l.a, kCowThps * kHuge);
  } else if (strcmp(k, "shmem-thp") == 0) {
    int fd = open(o.dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) Die("open tmpfs O_TMPFILE");
    if (ftruncate(fd, kShmemThpPages * kPage) != 0) Die("ftruncate");
    // The kernel aligns mappings of a huge=always tmpfs to 2 MiB.
    l.a = MapFd(fd, kShmemThpPages, MAP_SHARED, 0);
    Write(l.a, kShmemThpPages, 0x31);
    close(fd);
  } else if (strcmp(k, "file") == 0) {
    int fd = OpenFile(o.dir);
    Fill(fd, kFilePages, 0x11);
    if (fsync(fd) != 0) Die("fsync");
    // Drop the file's page cache; mincore tells what stayed.
    static unsigned char vec[kFilePages];
    for (int attempt = 0; attempt < 5 && cached_before != 0; ++attempt) {
      posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      void* probe =
          mmap(nullptr, kFilePages * kPg, PROT_READ, MAP_SHARED, fd, 0);
      if (probe == MAP_FAILED || mincore(probe, kFilePages * kPg, vec) != 0)
        Die("mincore");
      munmap(probe, kFilePages * kPg);
      cached_before = 0;
      for (unsigned char v : vec) cached_before += v & 1;
    }
    constexpr size_t half = kFilePages / 2;
    l.a = MapFd(fd, kFilePages, MAP_SHARED, 0);
    l.b = MapFd(fd, half, MAP_SHARED, half);
    l.c = MapFd(fd, half, MAP_PRIVATE, 0);
    l.d = MapFd(fd, half, MAP_PRIVATE, half);
    close(fd);
  } else if (strcmp(k, "shm") == 0) {
    int m =
        static_cast<int>(syscall(SYS_memfd_create, "kinds_memfd", MFD_CLOEXEC));
    int own =
        static_cast<int>(syscall(SYS_memfd_create, "kinds_own", MFD_CLOEXEC));
    if (m < 0 || own < 0) Die("memfd_create");
    if (ftruncate(m, kMemfdPages * kPage) != 0 ||
        ftruncate(own, kOwnMemfdPages * kPage) != 0)
      Die("ftruncate memfd");
    char name[64];
    snprintf(name, sizeof name, "/dev/shm/memstats_kinds_%d", getpid());
    int t = open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (t < 0) Die("open /dev/shm");
    unlink(name);  // still a tmpfs file; nothing can be left behind
    Fill(t, kDevShmPages, 0x19);
    l.a = MapFd(m, kMemfdPages, MAP_SHARED, 0);
    l.b = MapFd(t, kDevShmPages, MAP_SHARED, 0);
    l.c = MapFd(own, kOwnMemfdPages, MAP_SHARED, 0);
    for (int i = 0; i < g_nregions; ++i)
      madvise(g_regions[i].addr, g_regions[i].bytes, MADV_NOHUGEPAGE);
    Write(l.a, kMemfdPages, 0x15);
    close(m);
    close(t);
    close(own);
  } else if (strcmp(k, "sparse") == 0) {
    const size_t len = static_cast<size_t>(kSparseGiB) << 30;
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) Die("mmap sparse");
    l.a = Keep(static_cast<char*>(p), len);
    if (madvise(l.a, len, MADV_NOHUGEPAGE) != 0) Die("madvise");
    for (int64_t i = 0; i < kSparseTouched; ++i)
      Write(l.a + i * kSparseStride * kPg, 1, static_cast<unsigned>(i));
    Write(l.a + kSparseDenseAt * kPg, kSparseDense, 0x5d);
    wp_pages = WriteProtect(l.a, len);
  } else if (strcmp(k, "markers") == 0) {
    l.a = Keep(MapAligned(kMarkerPages * kPg, MAP_PRIVATE), kMarkerPages * kPg);
    if (madvise(l.a, kMarkerPages * kPg, MADV_NOHUGEPAGE) != 0) Die("madvise");
    Write(l.a, kMarkerWritten, 0x66);
    madvise(l.a + 16 * kPg, 16 * kPg, MADV_GUARD_INSTALL);
    guard_pages = SwapEntries(l.a + 16 * kPg, 16);
    WriteProtectEmpty(l.a + 32 * kPg, 16 * kPg);
    marker_pages = SwapEntries(l.a + 32 * kPg, 16);
  } else if (strcmp(k, "not-ram") != 0) {
    Die("unknown layout");
  }

  int ready[2], release[2];
  if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(release, O_CLOEXEC) != 0)
    Die("pipe");
  signal(SIGPIPE, SIG_IGN);
  const pid_t parent = getpid();
  pid_t pids[8];
  for (int i = 0; i < l.children; ++i) {
    pid_t c = fork();
    if (c < 0) Die("fork");
    if (c == 0) {
      close(ready[0]);
      close(release[1]);
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) Die("prctl");
      if (getppid() != parent) _exit(1);
      TouchBinary();
      ChildRole(o, l, i);
      char byte = 'r';
      if (write(ready[1], &byte, 1) != 1) Die("ready");
      while (read(release[0], &byte, 1) < 0 && errno == EINTR) {
      }
      _exit(0);
    }
    pids[i] = c;
  }
  close(ready[1]);
  close(release[0]);
  for (int got = 0; got < l.children;) {
    char buf[16];
    ssize_t r = read(ready[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) Die("a child exited before it was ready");
    got += static_cast<int>(r);
  }

  Add("ready pids=%lld", parent);
  for (int i = 0; i < l.children; ++i) Add(",%lld", pids[i]);
  Add(" regions=", 0);
  for (int i = 0; i < g_nregions; ++i)
    Add(i == 0 ? "%lld:%lld" : ",%lld:%lld",
        reinterpret_cast<long long>(g_regions[i].addr),
        static_cast<long long>(g_regions[i].bytes));
  Add(" binary_pages=%lld", binary_pages);
  if (strncmp(k, "thp", 3) == 0 || strcmp(k, "shmem-thp") == 0) {
    const char* key = k[0] == 's' ? "ShmemPmdMapped:" : "AnonHugePages:";
    Add(" thp=", 0);
    for (int i = 0; i <= l.children; ++i) {
      const pid_t pid = i == 0 ? parent : pids[i - 1];
      Add(i == 0 ? "%lld:%lld" : ",%lld:%lld", pid,
          SmapsBytes(pid, reinterpret_cast<unsigned long>(g_regions[0].addr),
                     g_regions[0].bytes, key));
    }
  }
  if (wp_pages >= 0) Add(" wp_pages=%lld", wp_pages);
  if (cached_before >= 0) Add(" cached_before=%lld", cached_before);
  if (guard_pages >= 0)
    Add(" guard_pages=%lld marker_pages=%lld", guard_pages, marker_pages);
  Add("\n", 0);
  WriteStr(1, g_line);

  for (char buf[256];;) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r == 0 || (r < 0 && errno != EINTR)) break;
  }
  close(release[1]);
  for (int i = 0; i < l.children; ++i)
    while (waitpid(pids[i], nullptr, 0) < 0 && errno == EINTR) {
    }
  return 0;
}
