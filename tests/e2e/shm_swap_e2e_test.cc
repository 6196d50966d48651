// Swapped shared memory and hugetlb shared memory, live: memstats shm and
// memstats groups on objects this test makes, with a swap file it sets up
// and a huge page pool it reserves (both restored by tests/e2e/
// system_settings.h, also when an assertion fails).
//
// Swap: a page is pushed out with madvise(MADV_PAGEOUT) on a mapping that
// only one process has in its page tables (reclaim skips pages mapped
// elsewhere). Expected numbers are the layout's (pages paged out), checked
// first against the kernel's own counts (/proc/sysvipc/shm swap, smaps Swap
// of a whole-object mapping), never against memstats's code. Exact for the
// objects and the groups of this test's processes (nothing else maps
// them); machine-wide totals are at least those (other swapped shmem may
// exist on the machine).
//
// hugetlb: a SysV SHM_HUGETLB segment and an MFD_HUGETLB memfd with a known
// number of huge pages touched, checked against smaps *_Hugetlb and
// meminfo's HugePages_Free. Exact.
#include <fcntl.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "shm_objects.h"
#include "subprocess.h"
#include "system_settings.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

namespace memstats::testing {
namespace {

using nlohmann::json;

// madvise(MADV_PAGEOUT) from every CPU in turn. Reclaim skips a page not
// yet on an LRU list: a page just faulted in or written sits in a per-CPU
// batch until that CPU drains it, and MADV_PAGEOUT drains only the batch of
// the CPU it runs on. A page made on another CPU (by this process before it
// moved, or by the parent that wrote the file) would then stay in RAM, which
// made this test fail now and then. Pages already in swap are left alone.
bool PageOutFromEveryCpu(char* p, size_t len) {
  cpu_set_t allowed;
  if (::sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return false;
  bool ok = true;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (::sched_setaffinity(0, sizeof(one), &one) != 0) continue;
    ok = ::madvise(p, len, MADV_PAGEOUT) == 0 && ok;
  }
  // Pages drained to an LRU by the later CPUs: once more, from the last.
  ok = ::madvise(p, len, MADV_PAGEOUT) == 0 && ok;
  return ::sched_setaffinity(0, sizeof(allowed), &allowed) == 0 && ok;
}

bool UnderCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// Polls `value` until it equals `want` (pages paged out are counted as soon
// as reclaim hands them to swap; the wait only covers a slow writeback).
uint64_t Await(uint64_t want, const std::function<uint64_t()>& value) {
  uint64_t v = value();
  for (int i = 0; i < 50 && v != want; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    v = value();
  }
  return v;
}

json RunJson(const std::vector<std::string>& args) {
  RunResult r = RunCommand(args);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  json doc = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(doc.is_discarded()) << r.out.substr(0, 2000);
  return doc;
}

const json* Group(const json& groups_doc, const std::string& name) {
  if (!groups_doc.contains("splits")) return nullptr;
  return FindBy(groups_doc["splits"][0]["groups"], "name", name);
}

// The cell under column `column` of the text table row starting with
// `first` (cells are single words with --units B).
std::string Cell(const std::string& text, const std::string& column,
                 const std::string& first) {
  std::istringstream lines(text);
  std::vector<std::string> header;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream ws(line);
    std::vector<std::string> words;
    for (std::string w; ws >> w;) words.push_back(w);
    if (words.empty()) continue;
    if (std::find(words.begin(), words.end(), column) != words.end()) {
      header = words;
    } else if (words[0] == first && words.size() == header.size()) {
      auto at = std::find(header.begin(), header.end(), column);
      return words[at - header.begin()];
    }
  }
  return "";
}

// Layout, in 4 KiB pages:
//   SysV segment S, 16 pages: r1 (uid 0) touches all and pages out 6; r2
//     (uid 0) and n (uid 65534) attach it without touching it.
//   /dev/shm file F, 8 pages (written by this process): r1 maps it and pages
//     out 3; r2 maps it, n maps it read-only, neither touching it.
//   memfd M, 8 pages, made by n, which touches all and pages out 5.
//   /dev/shm file U, 4 pages, 2 paged out, mapped by nobody after that.
//   SysV segment B, 4 pages, 1 paged out, attached by nobody after that.
constexpr uint64_t kS = 16, kSOut = 6, kF = 8, kFOut = 3, kM = 8, kMOut = 5,
                   kU = 4, kUOut = 2, kB = 4, kBOut = 1;

TEST(ShmSwapE2eTest, SwappedShmemPerObjectAndPerGroup) {
  ASSERT_EQ(::geteuid(), 0u) << "needs root (CI runs as root)";
  LiveTestLock lock;
  ASSERT_EQ(RestoreLeftovers(), "");
  SwapFile swap(32);
  if (swap.state() == SwapFile::State::kUnsupported) {
    ASSERT_FALSE(UnderCi()) << "CI needs swap here: " << swap.error();
    GTEST_SKIP() << "the kernel refuses swap here: " << swap.error();
  }
  ASSERT_EQ(swap.state(), SwapFile::State::kOn) << swap.error();
  ShmObjects objs;  // destroyed first: its processes end before swapoff

  const int s = objs.NewSegment(kS * kPage);
  ASSERT_GE(s, 0) << std::strerror(errno);
  const std::string f = objs.NewShmFile("swap_f", kF * kPage);
  const std::string u = objs.NewShmFile("swap_u", kU * kPage);
  ASSERT_FALSE(f.empty());
  ASSERT_FALSE(u.empty());
  const std::string memfd_name = "memstats_swap_e2e";

  auto map_file = [](const std::string& path, int prot) -> char* {
    int fd = ::open(path.c_str(),
                    (prot & PROT_WRITE ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return nullptr;
    void* p = ::mmap(nullptr, kF * kPage, prot, MAP_SHARED, fd, 0);
    ::close(fd);
    return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
  };
  const pid_t r1 = objs.Child(0, [&] {
    char* p = static_cast<char*>(::shmat(s, nullptr, 0));
    if (p == reinterpret_cast<char*>(-1)) return false;
    Touch(p, 0, kS);
    char* m = map_file(f, PROT_READ | PROT_WRITE);
    if (m == nullptr) return false;
    Touch(m, 0, kF);
    return PageOutFromEveryCpu(p, kSOut * kPage) &&
           PageOutFromEveryCpu(m, kFOut * kPage);
  });
  const pid_t r2 = objs.Child(0, [&] {
    return ::shmat(s, nullptr, 0) != reinterpret_cast<void*>(-1) &&
           map_file(f, PROT_READ | PROT_WRITE) != nullptr;
  });
  const pid_t n = objs.Child(kNobody, [&] {
    if (::shmat(s, nullptr, SHM_RDONLY) == reinterpret_cast<void*>(-1))
      return false;
    if (map_file(f, PROT_READ) == nullptr) return false;
    int fd = ::memfd_create(memfd_name.c_str(), MFD_CLOEXEC);
    if (fd < 0 || ::ftruncate(fd, kM * kPage) != 0) return false;
    char* m = static_cast<char*>(
        ::mmap(nullptr, kM * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    if (m == MAP_FAILED) return false;
    Touch(m, 0, kM);
    return PageOutFromEveryCpu(m, kMOut * kPage);
  });
  ASSERT_GT(r1, 0);
  ASSERT_GT(r2, 0);
  ASSERT_GT(n, 0);

  // U and B: paged out through this process's own mapping, then unmapped.
  // After the children are forked, so that none inherits the mappings.
  uint64_t u_swap_smaps = 0;
  {
    char* m = map_file(u, PROT_READ | PROT_WRITE);
    ASSERT_NE(m, nullptr);
    Touch(m, 0, kU);
    ASSERT_TRUE(PageOutFromEveryCpu(m, kUOut * kPage));
    u_swap_smaps = Await(kUOut * kPage, [&] {
      return SmapsSum(::getpid(), u, "Swap");
    });
    ::munmap(m, kF * kPage);
  }
  const int b = objs.NewSegment(kB * kPage);
  ASSERT_GE(b, 0);
  {
    char* p = static_cast<char*>(::shmat(b, nullptr, 0));
    ASSERT_NE(p, reinterpret_cast<char*>(-1));
    Touch(p, 0, kB);
    ASSERT_TRUE(PageOutFromEveryCpu(p, kBOut * kPage));
    ::shmdt(p);
  }

  // The kernel's counts agree with the layout.
  ASSERT_EQ(Await(kSOut * kPage, [&] { return SysvLine(s)["swap"]; }),
            kSOut * kPage);
  ASSERT_EQ(SysvLine(s)["rss"], (kS - kSOut) * kPage);
  ASSERT_EQ(Await(kBOut * kPage, [&] { return SysvLine(b)["swap"]; }),
            kBOut * kPage);
  ASSERT_EQ(Await(kFOut * kPage, [&] { return SmapsSum(r1, f, "Swap"); }),
            kFOut * kPage);
  const std::string memfd_path = "/memfd:" + memfd_name + " (deleted)";
  ASSERT_EQ(Await(kMOut * kPage,
                  [&] { return SmapsSum(n, memfd_path, "Swap"); }),
            kMOut * kPage);
  // The memfd's other pages are still in n's page tables.
  ASSERT_EQ(SmapsSum(n, memfd_path, "Rss"), (kM - kMOut) * kPage);
  ASSERT_EQ(u_swap_smaps, kUOut * kPage);
  // Every mapper's smaps shows an object's whole swap.
  ASSERT_EQ(SmapsSum(n, f, "Swap"), kFOut * kPage);
  ASSERT_EQ(AllocatedBytes(u), kU * kPage);  // swap is allocated too

  // memstats shm: per object, and in nobody's memory.
  json shm = RunJson({MemstatsBinary(), "--json", "shm", "--top", "1000000"});
  ASSERT_FALSE(HasFailure());
  const json* js = FindBy(shm["sysv"], "shmid", s);
  ASSERT_NE(js, nullptr);
  EXPECT_EQ((*js)["swap"], kSOut * kPage);
  const json* jf = FindBy(shm["tmpfs_files"], "path", f);
  ASSERT_NE(jf, nullptr);
  EXPECT_EQ((*jf)["swapped"], kFOut * kPage);
  EXPECT_EQ((*jf)["allocated"], kF * kPage);
  EXPECT_EQ((*jf)["mapped_by"].size(), 3u);
  const json* ju = FindBy(shm["tmpfs_files"], "path", u);
  ASSERT_NE(ju, nullptr);
  EXPECT_EQ((*ju)["swapped"], kUOut * kPage);
  const json* jm = FindBy(shm["memfds"], "name", memfd_name);
  ASSERT_NE(jm, nullptr) << shm["memfds"].dump();
  EXPECT_EQ((*jm)["swapped"], kMOut * kPage);
  EXPECT_EQ((*jm)["size"], kM * kPage);
  EXPECT_EQ((*jm)["allocated"], kM * kPage);
  EXPECT_EQ((*jm)["resident"]["bytes"], (kM - kMOut) * kPage);
  const json& nobody = shm["nobody"]["objects"];
  const json* nu = FindBy(nobody, "object", u);
  ASSERT_NE(nu, nullptr) << nobody.dump();
  EXPECT_EQ((*nu)["bytes"], kU * kPage);
  EXPECT_EQ((*nu)["swap"], kUOut * kPage);
  const json* nb = FindBy(
      nobody, "object",
      absl::StrFormat("SysV key 0x%08x shmid %d",
                      static_cast<uint32_t>(SysvLine(b)["key"]), b));
  ASSERT_NE(nb, nullptr) << nobody.dump();
  EXPECT_EQ((*nb)["swap"], kBOut * kPage);
  EXPECT_GE(shm["nobody"]["swap"].get<uint64_t>(), (kUOut + kBOut) * kPage);
  EXPECT_GE(shm["swap"]["sysv"].get<uint64_t>(), (kSOut + kBOut) * kPage);
  EXPECT_GE(shm["swap"]["tmpfs"].get<uint64_t>(), (kFOut + kUOut) * kPage);
  EXPECT_GE(shm["swap"]["memfd"].get<uint64_t>(), kMOut * kPage);

  // memstats groups: each object once per group and once in the totals.
  const std::string filter =
      absl::StrCat("or(pid(", r1, "),pid(", r2, "),pid(", n, "))");
  json groups = RunJson({MemstatsBinary(), "--json", "--filter", filter,
                         "groups", "--split-uid"});
  ASSERT_FALSE(HasFailure());
  const json* g0 = Group(groups, "0");
  const json* gn = Group(groups, absl::StrCat(kNobody));
  ASSERT_TRUE(g0 && gn) << groups.dump().substr(0, 3000);
  EXPECT_EQ((*g0)["processes"], 2);  // r1, r2
  EXPECT_EQ((*g0)["sysv_shm_swap"], kSOut * kPage);
  EXPECT_EQ((*g0)["shmem_swap"], kFOut * kPage);
  EXPECT_EQ((*gn)["sysv_shm_swap"], kSOut * kPage);
  EXPECT_EQ((*gn)["shmem_swap"], (kFOut + kMOut) * kPage);
  const json& totals = groups["splits"][0]["totals"];
  EXPECT_EQ(totals["sysv_shm_swap"], kSOut * kPage);
  EXPECT_EQ(totals["shmem_swap"], (kFOut + kMOut) * kPage);
  EXPECT_EQ(groups["scan"]["shmem_swap_unknown_objects"], 0);
  // FREED: the memfd M only n maps (and nobody outside holds) dies with
  // the nobody group: its resident pages and its pages in swap. F is
  // linked and S not marked for removal: neither is destroyed.
  const json& freed_n = (*gn)["freed"];
  EXPECT_EQ(freed_n["unlinked_shm_objects"], 1) << freed_n.dump();
  EXPECT_EQ(freed_n["unlinked_shm_swap"], kMOut * kPage);
  EXPECT_EQ(freed_n["unlinked_shm"], kM * kPage);  // resident + swap
  EXPECT_EQ(freed_n["sysv_shm_segments"], 0);
  EXPECT_EQ((*g0)["freed"]["unlinked_shm_objects"], 0);
  EXPECT_EQ((*g0)["freed"]["unlinked_shm_swap"], 0);

  // The text table's SHM_SWAP is SysV and other shmem swap together.
  RunResult text = RunCommand({MemstatsBinary(), "--units", "B", "--filter",
                               filter, "groups", "--split-uid"});
  ASSERT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_EQ(Cell(text.out, "SHM_SWAP", absl::StrCat(kNobody)),
            absl::StrCat((kSOut + kFOut + kMOut) * kPage))
      << text.out;
  EXPECT_EQ(Cell(text.out, "SHM_SWAP", "TOTAL"),
            absl::StrCat((kSOut + kFOut + kMOut) * kPage))
      << text.out;
}

// Layout, in huge pages of meminfo's Hugepagesize (H): a SysV SHM_HUGETLB
// segment of 2 H with 1 touched, and an MFD_HUGETLB memfd of 3 H with 2
// touched, both by one child process.
constexpr uint64_t kHugeSeg = 2, kHugeSegTouched = 1, kHugeFd = 3,
                   kHugeFdTouched = 2;

uint64_t MeminfoValue(const std::string& key) {
  std::ifstream in("/proc/meminfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) {
      return std::stoull(line.substr(key.size() + 1));
    }
  }
  return 0;
}

TEST(ShmHugetlbE2eTest, SysvAndMemfdHugePages) {
  ASSERT_EQ(::geteuid(), 0u) << "needs root (CI runs as root)";
  LiveTestLock lock;
  ASSERT_EQ(RestoreLeftovers(), "");
  const uint64_t huge = MeminfoValue("Hugepagesize") * 1024;
  if (huge == 0 || !std::filesystem::exists("/proc/sys/vm/nr_hugepages")) {
    ASSERT_FALSE(UnderCi()) << "CI needs hugetlb here";
    GTEST_SKIP() << "no hugetlb in this kernel (no Hugepagesize in meminfo)";
  }
  const uint64_t wanted = kHugeSeg + kHugeFd;
  const uint64_t old_pool =
      std::stoull("0" + ReadFirstLineOf("/proc/sys/vm/nr_hugepages"));
  SystemSetting pool("/proc/sys/vm/nr_hugepages",
                     std::to_string(old_pool + wanted));
  ASSERT_TRUE(pool.ok()) << pool.error();
  const uint64_t free_before = MeminfoValue("HugePages_Free");
  ASSERT_GE(free_before, wanted)
      << "the kernel could not find " << wanted << " free huge pages";
  ShmObjects objs;  // destroyed first: the pages go back before the pool

  const int seg = objs.NewSegment(kHugeSeg * huge, SHM_HUGETLB);
  ASSERT_GE(seg, 0) << std::strerror(errno);
  const std::string memfd_name = "memstats_huge_e2e";
  const pid_t c = objs.Child(0, [&] {
    char* p = static_cast<char*>(::shmat(seg, nullptr, 0));
    if (p == reinterpret_cast<char*>(-1)) return false;
    for (uint64_t i = 0; i < kHugeSegTouched; ++i) p[i * huge] = 1;
    int fd = ::memfd_create(memfd_name.c_str(), MFD_CLOEXEC | MFD_HUGETLB);
    if (fd < 0 || ::ftruncate(fd, kHugeFd * huge) != 0) return false;
    char* m = static_cast<char*>(::mmap(nullptr, kHugeFd * huge,
                                        PROT_READ | PROT_WRITE, MAP_SHARED,
                                        fd, 0));
    if (m == MAP_FAILED) return false;
    for (uint64_t i = 0; i < kHugeFdTouched; ++i) m[i * huge] = 1;
    return true;
  });
  ASSERT_GT(c, 0);

  // The kernel's counts agree with the layout.
  const uint64_t touched = kHugeSegTouched + kHugeFdTouched;
  ASSERT_EQ(free_before - MeminfoValue("HugePages_Free"), touched);
  // Not /proc/sysvipc/shm's rss: for SHM_HUGETLB it is pages_per_huge_page
  // times the page cache's nrpages, which since Linux 6.7 counts base pages
  // already: 512 times too large with 2 MiB pages (1 GiB for one page,
  // seen on 6.18).
  const std::string memfd_path = "/memfd:" + memfd_name + " (deleted)";
  ASSERT_EQ(SmapsSum(c, memfd_path, "Private_Hugetlb") +
                SmapsSum(c, memfd_path, "Shared_Hugetlb"),
            kHugeFdTouched * huge);
  const uint64_t smaps_hugetlb =
      SmapsSum(c, "", "Private_Hugetlb") + SmapsSum(c, "", "Shared_Hugetlb");
  ASSERT_EQ(smaps_hugetlb, touched * huge);

  json shm = RunJson({MemstatsBinary(), "--json", "shm", "--top", "1000000"});
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(shm["hugepage_size"], huge);
  const json* js = FindBy(shm["sysv"], "shmid", seg);
  ASSERT_NE(js, nullptr);
  EXPECT_EQ((*js)["hugetlb"], true);
  EXPECT_EQ((*js)["size"], kHugeSeg * huge);
  EXPECT_EQ((*js)["rss"], SysvLine(seg)["rss"]);  // the kernel's, as it is
  EXPECT_EQ((*js)["mapped"]["huge_pages"], kHugeSegTouched);
  EXPECT_EQ((*js)["mapped"]["base_pages"], 0);
  EXPECT_EQ((*js)["mapped"]["bytes"], kHugeSegTouched * huge);
  ASSERT_EQ((*js)["attached_by"].size(), 1u);
  EXPECT_EQ((*js)["attached_by"][0]["resident"], kHugeSegTouched * huge);
  const json* jm = FindBy(shm["memfds"], "name", memfd_name);
  ASSERT_NE(jm, nullptr) << shm["memfds"].dump();
  EXPECT_EQ((*jm)["mapped_size"], kHugeFd * huge);
  EXPECT_EQ((*jm)["resident"]["huge_pages"], kHugeFdTouched);
  EXPECT_EQ((*jm)["resident"]["base_pages"], 0);
  EXPECT_EQ((*jm)["resident"]["bytes"], kHugeFdTouched * huge);
  EXPECT_EQ((*jm)["swapped"], nullptr);  // hugetlbfs: not shmem, never swapped

  // The text table's HUGE_PAGES column of the segment.
  RunResult text = RunCommand({MemstatsBinary(), "--units", "B", "shm"});
  ASSERT_EQ(text.exit_code, 0) << text.Describe();
  const std::string key =
      absl::StrFormat("0x%08x", static_cast<uint32_t>(SysvLine(seg)["key"]));
  std::istringstream lines(text.out);
  bool found = false;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream ws(line);
    std::vector<std::string> w;
    for (std::string x; ws >> x;) w.push_back(x);
    if (w.size() > 9 && w[0] == key && w[1] == std::to_string(seg)) {
      found = true;
      EXPECT_EQ(w[9], std::to_string(kHugeSegTouched)) << line;  // HUGE_PAGES
      EXPECT_EQ(w[8], "0") << line;                               // PAGES_4K
    }
  }
  EXPECT_TRUE(found) << text.out;

  // memstats groups: the child's hugetlb pages, apart from RSS.
  json groups = RunJson({MemstatsBinary(), "--json", "--filter",
                         absl::StrCat("pid(", c, ")"), "groups",
                         "--split-uid"});
  ASSERT_FALSE(HasFailure());
  const json* g = Group(groups, "0");
  ASSERT_NE(g, nullptr) << groups.dump().substr(0, 2000);
  EXPECT_EQ((*g)["hugetlb"], smaps_hugetlb);
  EXPECT_EQ((*g)["hugetlb"], touched * huge);
}

}  // namespace
}  // namespace memstats::testing
