// memstats_layout_helper: creates a parent and K children with a KNOWN memory
// layout, prints one ready line, and waits. The end-to-end tests measure these
// processes with memstats and with tests/e2e/independent_pagemap.py.
//
//   --shared-mib N        MAP_SHARED|MAP_ANONYMOUS, written by the parent
//   before
//                         fork, read page by page by every child (a forked
//                         child has no PTEs for a shared mapping until it
//                         touches it).
//   --sysv-mib S          SysV segment (IPC_PRIVATE), created, attached and
//                         written by the parent, inherited by every child
//                         across fork and read page by page by each. It is
//                         IPC_RMID'ed right after the parent attached it:
//                         attachments made by fork keep it alive, and it can
//                         never leak, even if the helper is killed. (Removed
//                         segments still show in /proc/sysvipc/shm while
//                         attached, key 0, mode |= 01000.)
//   --cow-mib C           private anon written by the parent BEFORE fork:
//                         copy-on-write shared with every child, children only
//                         read it (their PTEs are copied at fork).
//   --parent-private-mib P  private anon written by the parent after fork.
//   --child-private-mib M   each child writes its own private anon region.
//   --zero-mib Z          each child mmaps private anon and only READS it, so
//                         every page maps the kernel zero page (counts
//                         nothing).
//   --file-mib F          a regular file (O_TMPFILE in --file-dir, default
//                         /var/tmp: unlinked from the start, never left
//                         behind) written by the parent and mapped
//                         MAP_SHARED, read page by page by every child: page
//                         cache, the "file" kind.
//   --reserve-gib R       each child reserves R GiB of private anonymous
//   --reserve-touch-mib T address space (MAP_NORESERVE) and writes T MiB of
//                         it in 2 MiB clusters spread evenly over the
//                         reservation: a sparse mapping, for the benchmarks.
//   --children K          number of children (default 3).
//   --env-key KEY         environment variable used to tell processes apart
//                         (default MEMSTATS_E2E_ROLE).
//
// All regions get MADV_NOHUGEPAGE, so the layout is made of 4 KiB pages, and
// are touched with one access per 4096 bytes.
//
// Environment trick (like setproctitle does with argv): the helper must be
// started with KEY=parent in its environment (value exactly 6 bytes). After
// fork, child i overwrites those 6 value bytes IN PLACE, in the original
// environment block that environ[] points into (the memory between the
// kernel's env_start and env_end, which is exactly what /proc/PID/environ
// shows), with "childA" for even i and "childB" for odd i. We never call
// setenv/putenv, so getenv() returns a pointer into that original block.
// The rewrite costs each child one copy-on-write page of its stack.
//
// When every process has touched everything, the parent prints
//   ready parent=<pid> children=<pid>,<pid>,... shmid=<id>
// (shmid=-1 without --sysv-mib) and then blocks until its stdin reaches EOF.
// Children block on a pipe until the parent closes it (or dies: they also
// have PR_SET_PDEATHSIG=SIGKILL); the parent then reaps them and exits 0.
//
// Runtime noise is kept small: no iostream, no stdio buffers in children, only
// write(2); children never allocate on the heap.

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kMiB = size_t{1} << 20;

struct Options {
  size_t shared_mib = 0;
  size_t sysv_mib = 0;
  size_t cow_mib = 0;
  size_t parent_private_mib = 0;
  size_t child_private_mib = 0;
  size_t zero_mib = 0;
  size_t file_mib = 0;
  const char* file_dir = "/var/tmp";
  size_t reserve_gib = 0;
  size_t reserve_touch_mib = 0;
  int children = 3;
  const char* env_key = "MEMSTATS_E2E_ROLE";
};

void WriteAll(int fd, const char* s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    s += w;
    n -= static_cast<size_t>(w);
  }
}

void WriteStr(int fd, const char* s) { WriteAll(fd, s, strlen(s)); }

[[noreturn]] void Die(const char* what) {
  int e = errno;
  WriteStr(2, "memstats_layout_helper: ");
  WriteStr(2, what);
  if (e != 0) {
    WriteStr(2, ": ");
    WriteStr(2, strerror(e));
  }
  WriteStr(2, "\n");
  _exit(2);
}

[[noreturn]] void Usage(const char* msg) {
  WriteStr(2, "memstats_layout_helper: ");
  WriteStr(2, msg);
  WriteStr(2,
           "\nusage: memstats_layout_helper [--shared-mib N] [--sysv-mib S]"
           " [--cow-mib C] [--parent-private-mib P] [--child-private-mib M]"
           " [--zero-mib Z] [--file-mib F] [--file-dir DIR]"
           " [--reserve-gib R --reserve-touch-mib T] [--children K]"
           " [--env-key KEY]\n");
  _exit(2);
}

size_t ParseSize(const char* s) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v > (1ULL << 20)) {
    Usage("bad number");
  }
  return static_cast<size_t>(v);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (i + 1 >= argc) Usage("option needs a value");
    const char* v = argv[++i];
    if (strcmp(a, "--shared-mib") == 0)
      o.shared_mib = ParseSize(v);
    else if (strcmp(a, "--sysv-mib") == 0)
      o.sysv_mib = ParseSize(v);
    else if (strcmp(a, "--cow-mib") == 0)
      o.cow_mib = ParseSize(v);
    else if (strcmp(a, "--parent-private-mib") == 0)
      o.parent_private_mib = ParseSize(v);
    else if (strcmp(a, "--child-private-mib") == 0)
      o.child_private_mib = ParseSize(v);
    else if (strcmp(a, "--zero-mib") == 0)
      o.zero_mib = ParseSize(v);
    else if (strcmp(a, "--file-mib") == 0)
      o.file_mib = ParseSize(v);
    else if (strcmp(a, "--file-dir") == 0)
      o.file_dir = v;
    else if (strcmp(a, "--reserve-gib") == 0)
      o.reserve_gib = ParseSize(v);
    else if (strcmp(a, "--reserve-touch-mib") == 0)
      o.reserve_touch_mib = ParseSize(v);
    else if (strcmp(a, "--children") == 0) {
      size_t k = ParseSize(v);
      if (k > 1000) Usage("too many children");
      o.children = static_cast<int>(k);
    } else if (strcmp(a, "--env-key") == 0)
      o.env_key = v;
    else
      Usage("unknown option");
  }
  return o;
}

// Private or shared anonymous mapping of `mib` MiB with THP disabled.
char* MapAnon(size_t mib, int flags) {
  if (mib == 0) return nullptr;
  void* p = mmap(nullptr, mib * kMiB, PROT_READ | PROT_WRITE,
                 flags | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) Die("mmap");
  if (madvise(p, mib * kMiB, MADV_NOHUGEPAGE) != 0) Die("madvise");
  return static_cast<char*>(p);
}

// One write per page, with a value that differs per page and per writer so
// that no two pages have the same content.
void TouchWrite(char* p, size_t mib, unsigned salt) {
  if (p == nullptr) return;
  volatile char* v = p;
  for (size_t off = 0; off < mib * kMiB; off += kPage) {
    v[off] = static_cast<char>(((off / kPage) * 131 + salt) | 1);
    v[off + 8] = static_cast<char>(salt);
  }
}

// One read per page; the sum is kept in a volatile so reads are not elided.
volatile unsigned g_sink;
void TouchRead(const char* p, size_t mib) {
  if (p == nullptr) return;
  const volatile char* v = p;
  unsigned sum = 0;
  for (size_t off = 0; off < mib * kMiB; off += kPage)
    sum += static_cast<unsigned char>(v[off]);
  g_sink = sum;
}

// Appends decimal `v` to buf at *len.
void AppendNum(char* buf, size_t cap, size_t* len, long long v) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%lld", v);
  if (n < 0 || *len + static_cast<size_t>(n) >= cap) Die("line too long");
  memcpy(buf + *len, tmp, static_cast<size_t>(n));
  *len += static_cast<size_t>(n);
}

void AppendStr(char* buf, size_t cap, size_t* len, const char* s) {
  size_t n = strlen(s);
  if (*len + n >= cap) Die("line too long");
  memcpy(buf + *len, s, n);
  *len += n;
}

// A MAP_SHARED read-only mapping of an unnamed regular file of `mib` MiB
// in `dir`, filled with distinct page contents.
char* MapFile(size_t mib, const char* dir) {
  if (mib == 0) return nullptr;
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) Die("open O_TMPFILE");
  static char page[kPage];
  for (size_t off = 0; off < mib * kMiB; off += kPage) {
    memset(page, static_cast<int>((off / kPage) * 7 + 1), sizeof page);
    memcpy(page, &off, sizeof off);
    if (pwrite(fd, page, kPage, static_cast<off_t>(off)) != kPage)
      Die("pwrite");
  }
  void* p = mmap(nullptr, mib * kMiB, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) Die("mmap file");
  close(fd);
  return static_cast<char*>(p);
}

// Reserves `gib` GiB and writes `touch_mib` MiB of it in 2 MiB clusters,
// evenly spread.
void ReserveSparse(size_t gib, size_t touch_mib, unsigned salt) {
  if (gib == 0 || touch_mib == 0) return;
  const size_t size = gib << 30;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) Die("mmap reserve");
  if (madvise(p, size, MADV_NOHUGEPAGE) != 0) Die("madvise reserve");
  const size_t cluster = 2 * kMiB;
  const size_t clusters = (touch_mib * kMiB + cluster - 1) / cluster;
  const size_t stride = size / clusters / cluster * cluster;
  volatile char* v = static_cast<char*>(p);
  for (size_t c = 0; c < clusters; ++c) {
    for (size_t off = 0; off < cluster; off += kPage) {
      v[c * stride + off] = static_cast<char>(salt);
    }
  }
}

struct Layout {
  char* shared = nullptr;
  char* sysv = nullptr;
  char* cow = nullptr;
  char* file = nullptr;
};

[[noreturn]] void ChildMain(const Options& o, const Layout& l, int index,
                            pid_t parent, char* env_value, int ready_w,
                            int release_r) {
  // Die with the parent, whatever happens to it. Checking getppid() after the
  // prctl closes the race where the parent died before it.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) Die("prctl");
  if (getppid() != parent) _exit(1);

  // In place, same length: /proc/PID/environ now shows KEY=childA / childB.
  memcpy(env_value, (index % 2 == 0) ? "childA" : "childB", 6);

  TouchRead(l.shared, o.shared_mib);
  TouchRead(l.sysv, o.sysv_mib);
  TouchRead(l.cow, o.cow_mib);
  TouchRead(l.file, o.file_mib);
  ReserveSparse(o.reserve_gib, o.reserve_touch_mib,
                0x60u + static_cast<unsigned>(index));
  char* priv = MapAnon(o.child_private_mib, MAP_PRIVATE);
  TouchWrite(priv, o.child_private_mib, 0x40u + static_cast<unsigned>(index));
  char* zero = MapAnon(o.zero_mib, MAP_PRIVATE);
  TouchRead(zero, o.zero_mib);

  char byte = 'r';
  if (write(ready_w, &byte, 1) != 1) Die("child ready write");
  close(ready_w);

  // Block until the parent closes the release pipe (or dies).
  for (;;) {
    ssize_t r = read(release_r, &byte, 1);
    if (r == 0) break;
    if (r < 0 && errno != EINTR) break;
  }
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);

  char* env_value = getenv(o.env_key);
  if (env_value == nullptr || strlen(env_value) != 6) {
    WriteStr(2, "memstats_layout_helper: the environment must contain ");
    WriteStr(2, o.env_key);
    WriteStr(2, "=<6 characters> (e.g. parent)\n");
    return 2;
  }

  Layout l;
  l.shared = MapAnon(o.shared_mib, MAP_SHARED);
  TouchWrite(l.shared, o.shared_mib, 0x11);

  int shmid = -1;
  if (o.sysv_mib > 0) {
    shmid = shmget(IPC_PRIVATE, o.sysv_mib * kMiB, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid < 0) Die("shmget");
    void* p = shmat(shmid, nullptr, 0);
    int at_errno = errno;
    // Remove at once: the parent's attachment, and the children's inherited
    // through fork, keep the segment alive; nothing can leak from here on.
    shmctl(shmid, IPC_RMID, nullptr);
    if (p == reinterpret_cast<void*>(-1)) {
      errno = at_errno;
      Die("shmat");
    }
    l.sysv = static_cast<char*>(p);
    if (madvise(l.sysv, o.sysv_mib * kMiB, MADV_NOHUGEPAGE) != 0)
      Die("madvise sysv");
    TouchWrite(l.sysv, o.sysv_mib, 0x22);
  }

  l.cow = MapAnon(o.cow_mib, MAP_PRIVATE);
  TouchWrite(l.cow, o.cow_mib, 0x33);
  l.file = MapFile(o.file_mib, o.file_dir);
  TouchRead(l.file, o.file_mib);

  int ready[2];
  int release[2];
  if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(release, O_CLOEXEC) != 0)
    Die("pipe");

  // A child killed by SIGPIPE would be worse than an error message.
  signal(SIGPIPE, SIG_IGN);

  const pid_t parent = getpid();
  pid_t pids[1000];
  for (int i = 0; i < o.children; ++i) {
    pid_t c = fork();
    if (c < 0) Die("fork");
    if (c == 0) {
      close(ready[0]);
      close(release[1]);
      ChildMain(o, l, i, parent, env_value, ready[1], release[0]);
    }
    pids[i] = c;
  }
  close(ready[1]);
  close(release[0]);

  char* priv = MapAnon(o.parent_private_mib, MAP_PRIVATE);
  TouchWrite(priv, o.parent_private_mib, 0x55);

  // Wait for every child to have touched everything.
  for (int got = 0; got < o.children;) {
    char buf[64];
    ssize_t r = read(ready[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      errno = 0;
      Die("a child exited before it was ready");
    }
    got += static_cast<int>(r);
  }
  close(ready[0]);

  char line[16384];
  size_t len = 0;
  AppendStr(line, sizeof line, &len, "ready parent=");
  AppendNum(line, sizeof line, &len, parent);
  AppendStr(line, sizeof line, &len, " children=");
  for (int i = 0; i < o.children; ++i) {
    if (i > 0) AppendStr(line, sizeof line, &len, ",");
    AppendNum(line, sizeof line, &len, pids[i]);
  }
  AppendStr(line, sizeof line, &len, " shmid=");
  AppendNum(line, sizeof line, &len, shmid);
  AppendStr(line, sizeof line, &len, "\n");
  WriteAll(1, line, len);

  // Block until stdin reaches EOF (or errors).
  for (;;) {
    char buf[256];
    ssize_t r = read(0, buf, sizeof buf);
    if (r == 0) break;
    if (r < 0 && errno != EINTR) break;
  }

  close(release[1]);  // children see EOF and exit
  for (int i = 0; i < o.children; ++i) {
    while (waitpid(pids[i], nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  return 0;
}
