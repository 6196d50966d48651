// memstats_profile_helper: one process with a KNOWN amount of each kind of
// memory that memstats top and memstats snapshot tell apart, for the
// end-to-end tests. Every region is touched with one write per 4 KiB page and
// gets MADV_NOHUGEPAGE where that applies, so it is made of 4 KiB pages that
// only this process maps: each region's PSS is its size.
//
//   --heap-kib H        the heap grown with sbrk() by H KiB ([heap])
//   --stack-kib S       S KiB of the main thread's stack ([stack])
//   --threads T         T threads, each writing
//   --thread-stack-kib K  K KiB of its own stack, then blocking in read(2)
//                       (so /proc/PID/task/TID/syscall shows its stack
//                       pointer)
//   --anon-kib A        a private anonymous mapping of A KiB
//   --sysv-kib Y        a SysV segment (IPC_PRIVATE, removed at once, so it
//                       never leaks) of Y KiB
//   --devshm-kib Z      a /dev/shm file (unlinked after mapping) mapped
//                       MAP_SHARED, Z KiB
//   --memfd-kib M       a memfd mapped MAP_SHARED, M KiB
//
// When everything is touched it prints
//   ready pid=<pid> stack=<address in the main stack> threads=<tid>,...
// and blocks until stdin reaches EOF. No stdio, no heap allocation after
// start: only write(2), so the runtime adds as little as possible.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kKiB = 1024;
constexpr int kMaxThreads = 64;

struct Options {
  size_t heap = 0, stack = 0, thread_stack = 0, anon = 0, sysv = 0,
         devshm = 0, memfd = 0;
  int threads = 0;
};

[[noreturn]] void Die(const char* what) {
  const char* err = strerror(errno);
  (void)!write(2, "memstats_profile_helper: ", 25);
  (void)!write(2, what, strlen(what));
  (void)!write(2, ": ", 2);
  (void)!write(2, err, strlen(err));
  (void)!write(2, "\n", 1);
  _exit(1);
}

void Touch(void* p, size_t bytes) {
  volatile char* c = static_cast<volatile char*>(p);
  for (size_t off = 0; off < bytes; off += kPage) c[off] = 1;
}

void* MapShared(int fd, size_t bytes, const char* what) {
  if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) Die(what);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) Die(what);
  Touch(p, bytes);
  return p;
}

// Appends the decimal or hex form of v to buf at *len.
void Append(char* buf, size_t* len, uint64_t v, int base) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v != 0);
  while (n > 0) buf[(*len)++] = tmp[--n];
}
void Append(char* buf, size_t* len, const char* s) {
  size_t n = strlen(s);
  memcpy(buf + *len, s, n);
  *len += n;
}

Options g_options;
int g_block_pipe[2];
pid_t g_tids[kMaxThreads];
int g_started_pipe[2];

void* ThreadMain(void* arg) {
  int index = static_cast<int>(reinterpret_cast<intptr_t>(arg));
  // The array lives on this thread's stack; alloca-like use of a VLA keeps
  // the size a run-time value.
  size_t bytes = g_options.thread_stack;
  char* region = static_cast<char*>(__builtin_alloca(bytes));
  Touch(region, bytes);
  g_tids[index] = static_cast<pid_t>(syscall(SYS_gettid));
  char one = 1;
  if (write(g_started_pipe[1], &one, 1) != 1) Die("write");
  char c;
  while (read(g_block_pipe[0], &c, 1) < 0 && errno == EINTR) {
  }
  __asm__ volatile("" : : "r"(region) : "memory");  // keeps it alive
  return nullptr;
}

bool ParseSize(const char* text, size_t* out) {
  char* end = nullptr;
  unsigned long long v = strtoull(text, &end, 10);
  if (end == text || *end != '\0') return false;
  *out = static_cast<size_t>(v);
  return true;
}

// Grows the main stack by Options::stack, then does the rest from inside
// that frame so the touched pages stay part of the live stack.
[[noreturn]] void RunWithStack() {
  size_t bytes = g_options.stack;
  char* region = static_cast<char*>(__builtin_alloca(bytes + 1));
  Touch(region, bytes);

  void* heap = sbrk(static_cast<intptr_t>(g_options.heap));
  if (heap == reinterpret_cast<void*>(-1)) Die("sbrk");
  Touch(heap, g_options.heap);

  if (g_options.anon > 0) {
    void* p = mmap(nullptr, g_options.anon, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) Die("mmap anon");
    madvise(p, g_options.anon, MADV_NOHUGEPAGE);
    Touch(p, g_options.anon);
  }
  if (g_options.sysv > 0) {
    int id = shmget(IPC_PRIVATE, g_options.sysv, IPC_CREAT | 0600);
    if (id < 0) Die("shmget");
    void* p = shmat(id, nullptr, 0);
    shmctl(id, IPC_RMID, nullptr);
    if (p == reinterpret_cast<void*>(-1)) Die("shmat");
    Touch(p, g_options.sysv);
  }
  if (g_options.devshm > 0) {
    char name[64];
    size_t len = 0;
    Append(name, &len, "/dev/shm/memstats_profile_");
    Append(name, &len, static_cast<uint64_t>(getpid()), 10);
    name[len] = '\0';
    int fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                  0600);
    if (fd < 0) Die("open /dev/shm");
    unlink(name);
    MapShared(fd, g_options.devshm, "/dev/shm");
    close(fd);
  }
  if (g_options.memfd > 0) {
    int fd = memfd_create("memstats_profile", MFD_CLOEXEC);
    if (fd < 0) Die("memfd_create");
    MapShared(fd, g_options.memfd, "memfd");
    close(fd);
  }

  if (pipe2(g_block_pipe, O_CLOEXEC) != 0) Die("pipe");
  if (pipe2(g_started_pipe, O_CLOEXEC) != 0) Die("pipe");
  for (int i = 0; i < g_options.threads; ++i) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, g_options.thread_stack + 256 * kKiB);
    pthread_t t;
    if (pthread_create(&t, &attr, ThreadMain,
                       reinterpret_cast<void*>(static_cast<intptr_t>(i))) != 0) {
      Die("pthread_create");
    }
    char c;
    if (read(g_started_pipe[0], &c, 1) != 1) Die("read");
  }

  char line[4096];
  size_t len = 0;
  Append(line, &len, "ready pid=");
  Append(line, &len, static_cast<uint64_t>(getpid()), 10);
  Append(line, &len, " stack=0x");
  Append(line, &len, reinterpret_cast<uint64_t>(region), 16);
  Append(line, &len, " threads=");
  for (int i = 0; i < g_options.threads; ++i) {
    if (i > 0) Append(line, &len, ",");
    Append(line, &len, static_cast<uint64_t>(g_tids[i]), 10);
  }
  Append(line, &len, "\n");
  if (write(1, line, len) != static_cast<ssize_t>(len)) Die("write");

  char c;
  while (read(0, &c, 1) > 0 || errno == EINTR) {
  }
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const char* flag = argv[i];
    size_t v = 0;
    if (!ParseSize(argv[i + 1], &v)) Die("bad number");
    if (strcmp(flag, "--heap-kib") == 0) g_options.heap = v * kKiB;
    else if (strcmp(flag, "--stack-kib") == 0) g_options.stack = v * kKiB;
    else if (strcmp(flag, "--thread-stack-kib") == 0) g_options.thread_stack = v * kKiB;
    else if (strcmp(flag, "--threads") == 0) g_options.threads = static_cast<int>(v);
    else if (strcmp(flag, "--anon-kib") == 0) g_options.anon = v * kKiB;
    else if (strcmp(flag, "--sysv-kib") == 0) g_options.sysv = v * kKiB;
    else if (strcmp(flag, "--devshm-kib") == 0) g_options.devshm = v * kKiB;
    else if (strcmp(flag, "--memfd-kib") == 0) g_options.memfd = v * kKiB;
    else {
      errno = EINVAL;
      Die(flag);
    }
  }
  if (g_options.threads > kMaxThreads) {
    errno = EINVAL;
    Die("--threads");
  }
  RunWithStack();
}
