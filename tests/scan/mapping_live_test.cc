// mapping_detail against the live kernel: the test scans its own process
// while a thread of its own waits on a condition variable, and checks that
// the scanner finds that thread's stack (label "live").
#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "scan/mapping_category.h"
#include "scan/parsers.h"
#include "scan/proc_source.h"
#include "scan/scanner.h"
#include "scan/unlinked.h"
#include "test_util.h"
#include "usage_row_print.h"

namespace memstats::scan {
namespace {

using enum MappingCategory;

// A thread that publishes the address of one of its locals and its tid,
// then waits (in futex) until destroyed.
class WaitingThread {
 public:
  WaitingThread()
      : thread_([this] {
          volatile int local = 0;
          std::unique_lock<std::mutex> l(mu_);
          local_ = reinterpret_cast<uintptr_t>(&local);
          tid_ = static_cast<int>(::syscall(SYS_gettid));
          started_.notify_all();
          stopped_.wait(l, [this] { return stop_; });
          local = 1;
        }) {
    std::unique_lock<std::mutex> l(mu_);
    started_.wait(l, [this] { return tid_ != 0; });
  }
  ~WaitingThread() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    stopped_.notify_all();
    thread_.join();
  }
  uintptr_t local() const { return local_; }
  int tid() const { return tid_; }

 private:
  std::mutex mu_;
  std::condition_variable started_, stopped_;
  bool stop_ = false;
  uintptr_t local_ = 0;
  int tid_ = 0;
  std::thread thread_;  // last: starts once the members above exist
};

// The live /proc with only one pid listed, so that a scan reads nothing of
// other processes and takes a millisecond rather than the time to read
// every process's identity.
class OnePidSource : public ProcSource {
 public:
  OnePidSource(ProcSource& live, int pid) : live_(live), pid_(pid) {}
  absl::StatusOr<std::vector<int>> ListPids() override {
    return std::vector<int>{pid_};
  }
  absl::StatusOr<std::unique_ptr<ProcHandle>> OpenProcess(int pid) override {
    return live_.OpenProcess(pid);
  }
  absl::StatusOr<std::string> ReadSystemFile(std::string_view name) override {
    return live_.ReadSystemFile(name);
  }
  absl::Status ReadKpagecount(uint64_t first,
                              std::span<uint64_t> out) override {
    return live_.ReadKpagecount(first, out);
  }
  absl::Status ReadKpageflags(uint64_t first,
                              std::span<uint64_t> out) override {
    return live_.ReadKpageflags(first, out);
  }
  std::string Describe() const override { return live_.Describe(); }

 private:
  ProcSource& live_;
  int pid_;
};

TEST(MappingLiveTest, FindsTheStackOfAWaitingThread) {
  WaitingThread waiting;
  const int pid = static_cast<int>(::getpid());
  auto source = NewLiveProcSource();
  ASSERT_OK(source);
  auto handle = (*source)->OpenProcess(pid);
  ASSERT_OK(handle);

  // Until the thread sleeps in futex its syscall file says "running".
  const std::string syscall_file =
      absl::StrCat("task/", waiting.tid(), "/syscall");
  uint64_t sp = 0;
  for (int i = 0; i < 500 && sp == 0; ++i) {
    auto text = (*handle)->ReadFile(syscall_file);
    ASSERT_OK(text);
    sp = ParseSyscallStackPointer(*text);
    if (sp == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(sp, 0u) << "the thread never blocked";
  auto tasks = (*handle)->ListTasks();
  ASSERT_OK(tasks);
  EXPECT_EQ(*tasks, (std::vector<int>{pid, waiting.tid()}));

  ScanOptions options;
  options.threads = 1;  // no scan worker threads: the test's own 2 tasks
  options.read_pages = false;
  options.mapping_detail = ScanOptions::MappingDetail::kFiles;
  OnePidSource one(**source, pid);
  auto keep = [](const ProcessIdentity&, const ParentMap&) { return true; };
  // The scanner and the test read smaps at different moments, and Pss of
  // shared libraries moves as other processes start and exit (it may even
  // move and come back between two reads). So the test reads its smaps just
  // before and just after a scan, and retries until both reads are
  // identical and the scanner's rows equal exactly what SummarizeMappings
  // makes of that text; a systematic difference never matches and fails.
  // A first scan warms up the allocator so that later scans touch no new
  // heap pages; without these two settings glibc would map large buffers
  // (the smaps text) as mappings of their own and trim the heap after each
  // scan, so that the scanner would see mappings neither read of the test
  // sees.
  ASSERT_EQ(::mallopt(M_MMAP_THRESHOLD, 32 << 20), 1);
  ASSERT_EQ(::mallopt(M_TRIM_THRESHOLD, 1 << 30), 1);
  ASSERT_OK(Scan(one, options, keep));
  const uint64_t local[] = {waiting.local()};
  std::optional<ProcessRecord> rec;
  std::vector<SmapsMapping> mappings;
  std::string last_mismatch = "smaps never stayed the same across a scan";
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int attempt = 1; !rec && std::chrono::steady_clock::now() < deadline;
       ++attempt) {
    auto before = (*handle)->ReadFile("smaps");
    ASSERT_OK(before);
    auto r = Scan(one, options, keep);
    ASSERT_OK(r);
    auto after = (*handle)->ReadFile("smaps");
    ASSERT_OK(after);
    ASSERT_EQ(r->processes.size(), 1u);
    if (*before != *after) continue;
    auto parsed = ParseSmaps(*before);
    ASSERT_OK(parsed);
    std::vector<UsageRow> want = SummarizeMappings(*parsed, pid, local, true);
    if (r->processes[0].usage != want) {
      last_mismatch =
          absl::StrCat("rows differ from the test's own smaps: scanner ",
                       ::testing::PrintToString(r->processes[0].usage),
                       " test ", ::testing::PrintToString(want));
      continue;
    }
    rec = std::move(r->processes[0]);
    mappings = std::move(*parsed);
    RecordProperty("attempts", attempt);
  }
  ASSERT_TRUE(rec.has_value()) << last_mismatch;
  EXPECT_EQ(rec->threads, 2);
  EXPECT_EQ(rec->unknown_thread_stacks, 0);

  // The thread's stack is the mapping that holds its local variable; the
  // stack pointer the kernel reported lies in the same mapping.
  const SmapsMapping* stack = nullptr;
  uint64_t pss = 0;
  for (const SmapsMapping& m : mappings) {
    pss += m.totals.pss;
    if (m.map.start <= waiting.local() && waiting.local() < m.map.end) {
      stack = &m;
    }
  }
  ASSERT_NE(stack, nullptr);
  EXPECT_LE(stack->map.start, sp);
  EXPECT_LT(sp, stack->map.end);
  EXPECT_EQ(stack->map.path, "");
  EXPECT_EQ(rec->usage_pss, pss);
  int thread_stack_rows = 0, stack_rows = 0;
  for (const UsageRow& row : rec->usage) {
    if (row.category == kThreadStack) {
      ++thread_stack_rows;
      EXPECT_EQ(row.mappings, 1u);
      EXPECT_EQ(row.size, stack->size);
      EXPECT_EQ(row.pss, stack->totals.pss);
      EXPECT_EQ(row.perms, kPermRead | kPermWrite);
    }
    if (row.category == kStack) ++stack_rows;
  }
  EXPECT_EQ(thread_stack_rows, 1);
  EXPECT_EQ(stack_rows, 1);
}

// A handle opened before the process exited lists no tasks: NotFound, as
// the scanner expects of a vanished process.
TEST(MappingLiveTest, TasksOfAnExitedProcessAreNotFound) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  auto source = NewLiveProcSource();
  ASSERT_OK(source);
  // Until it is reaped the child is at least a zombie: the open succeeds.
  auto handle = (*source)->OpenProcess(child);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_OK(handle);
  EXPECT_TRUE(absl::IsNotFound((*handle)->ListTasks().status()))
      << (*handle)->ListTasks().status();
  EXPECT_TRUE(absl::IsNotFound((*handle)->ReadFile("smaps").status()));
}

}  // namespace
}  // namespace memstats::scan

namespace memstats::scan {
namespace {

// The fd side of the unlinked objects a process holds, on this process: a
// memfd it only holds open is listed (fd 0 included in the list), its link
// reads "/memfd:NAME (deleted)" and fdinfo gives the memfd's inode.
TEST(MappingLiveTest, HeldMemfdThroughFdLinks) {
  const int fd = ::memfd_create("memstats_live_held", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  struct stat st;
  ASSERT_EQ(::fstat(fd, &st), 0);
  auto source = NewLiveProcSource();
  ASSERT_OK(source);
  auto h = (*source)->OpenProcess(::getpid());
  ASSERT_OK(h);
  auto fds = (*h)->ListFds();
  ASSERT_OK(fds);
  EXPECT_NE(std::find(fds->begin(), fds->end(), fd), fds->end());
  if (::fcntl(0, F_GETFD) != -1) {  // stdin open, as it usually is
    EXPECT_NE(std::find(fds->begin(), fds->end(), 0), fds->end());
  }
  std::vector<UnlinkedObject> held;
  UnlinkedCollector(held).AddFds(**h);
  const UnlinkedObject want{static_cast<uint64_t>(st.st_ino),
                            "/memfd:memstats_live_held (deleted)"};
  EXPECT_NE(std::find(held.begin(), held.end(), want), held.end());
  ::close(fd);
}

}  // namespace
}  // namespace memstats::scan
