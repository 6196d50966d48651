// memstats_exec_touch_helper MIB: writes MIB MiB of fresh anonymous memory,
// then exits 0. Static, no stdio or heap, so the peak memory of its cgroup
// is MIB MiB plus a little runtime (the cgroup live test's tolerance).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const size_t bytes = std::strtoull(argv[1], nullptr, 10) << 20;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 3;
  std::memset(p, 1, bytes);
  return 0;
}
