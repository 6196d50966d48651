// memstats shm on real objects made by this test: SysV segments (one
// attached by three processes of two uids, one of them never touching it;
// one with no attacher), /dev/shm files (one mapped, one not) and a memfd.
// Expected numbers come from the layout made here and from the kernel's
// own interfaces (/proc/sysvipc/shm, st_blocks), never from memstats's
// code. Exact: nothing else maps these objects. Needs root (PFNs in
// pagemap, setresuid for the second uid).
#include <fcntl.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "shm_objects.h"
#include "subprocess.h"

namespace memstats::testing {
namespace {

using nlohmann::json;

TEST(ShmE2eTest, SegmentsFilesMemfdAndNobody) {
  ASSERT_EQ(::geteuid(), 0u) << "needs root (CI runs as root)";
  LiveTestLock lock;
  ShmObjects objs;

  // Segment A: 16 pages. Root touches pages 0-7, nobody (uid 65534) pages
  // 4-11: 12 distinct pages resident; a third process (nobody) attaches it
  // and touches nothing.
  const int a = objs.NewSegment(16 * kPage);
  ASSERT_GE(a, 0) << std::strerror(errno);
  // Segment B: 8 pages, written by this process, then detached: nattch 0.
  const int b = objs.NewSegment(8 * kPage);
  ASSERT_GE(b, 0) << std::strerror(errno);
  {
    void* p = ::shmat(b, nullptr, 0);
    ASSERT_NE(p, reinterpret_cast<void*>(-1));
    std::memset(p, 1, 8 * kPage);
    ::shmdt(p);
  }
  const std::string mapped = objs.NewShmFile("mapped", 5 * kPage);
  const std::string unmapped = objs.NewShmFile("unmapped", 3 * kPage);
  ASSERT_FALSE(mapped.empty());
  ASSERT_FALSE(unmapped.empty());

  const pid_t root_child = objs.Child(0, [&] {
    char* p = static_cast<char*>(::shmat(a, nullptr, 0));
    if (p == reinterpret_cast<char*>(-1)) return false;
    Touch(p, 0, 8);
    // The /dev/shm file, pages 0-2 of its 5.
    int fd = ::open(mapped.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    char* f = static_cast<char*>(
        ::mmap(nullptr, 5 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    if (f == MAP_FAILED) return false;
    Touch(f, 0, 3);
    return true;
  });
  const pid_t nobody_child = objs.Child(kNobody, [&] {
    char* p = static_cast<char*>(::shmat(a, nullptr, 0));
    if (p == reinterpret_cast<char*>(-1)) return false;
    Touch(p, 4, 12);
    // A memfd of 4 pages, 2 of them touched.
    int fd = ::memfd_create("memstats_e2e_memfd", MFD_CLOEXEC);
    if (fd < 0 || ::ftruncate(fd, 4 * kPage) != 0) return false;
    char* m = static_cast<char*>(
        ::mmap(nullptr, 4 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    if (m == MAP_FAILED) return false;
    Touch(m, 1, 3);
    return true;
  });
  const pid_t idle_child = objs.Child(kNobody, [&] {
    return ::shmat(a, nullptr, 0) != reinterpret_cast<void*>(-1);
  });
  ASSERT_GT(root_child, 0);
  ASSERT_GT(nobody_child, 0);
  ASSERT_GT(idle_child, 0);

  // The kernel's view, independent of memstats.
  std::map<std::string, uint64_t> ka = SysvLine(a), kb = SysvLine(b);
  ASSERT_EQ(ka["nattch"], 3u);
  ASSERT_EQ(ka["rss"], 12 * kPage);  // pages 0-11 touched
  ASSERT_EQ(kb["nattch"], 0u);
  ASSERT_EQ(kb["rss"] + kb["swap"], 8 * kPage);
  const uint64_t unmapped_bytes = AllocatedBytes(unmapped);
  ASSERT_EQ(unmapped_bytes, 3 * kPage);
  ASSERT_EQ(AllocatedBytes(mapped), 5 * kPage);

  RunResult r = RunCommand({MemstatsBinary(), "--json", "shm", "--split-uid",
                            "--top", "1000000"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  json doc = json::parse(r.out);
  ASSERT_TRUE(doc["page_level"].get<bool>());

  const json* sa = FindBy(doc["sysv"], "shmid", a);
  ASSERT_NE(sa, nullptr) << r.out.substr(0, 3000);
  EXPECT_EQ((*sa)["size"], 16 * kPage);
  EXPECT_EQ((*sa)["rss"], ka["rss"]);
  EXPECT_EQ((*sa)["nattch"], 3);
  EXPECT_EQ((*sa)["mapped"]["bytes"], 12 * kPage);
  EXPECT_EQ((*sa)["mapped"]["base_pages"], 12);
  EXPECT_EQ((*sa)["mapped"]["huge_pages"], 0);
  EXPECT_DOUBLE_EQ((*sa)["mapped_percent"].get<double>(), 75.0);
  EXPECT_DOUBLE_EQ((*sa)["rss_percent"].get<double>(), 75.0);
  const json& att = (*sa)["attached_by"];
  ASSERT_EQ(att.size(), 3u) << att.dump();
  const json* ar = FindBy(att, "pid", root_child);
  const json* an = FindBy(att, "pid", nobody_child);
  const json* ai = FindBy(att, "pid", idle_child);
  ASSERT_TRUE(ar && an && ai) << att.dump();
  EXPECT_EQ((*ar)["resident"], 8 * kPage);
  EXPECT_EQ((*an)["resident"], 8 * kPage);
  EXPECT_EQ((*ai)["resident"], 0);  // attached, never touched
  EXPECT_EQ((*ai)["uid"], kNobody);
  EXPECT_EQ((*sa)["groups"]["uid"],
            json::array({"0", absl::StrCat(kNobody)}));

  const json* sb = FindBy(doc["sysv"], "shmid", b);
  ASSERT_NE(sb, nullptr);
  EXPECT_EQ((*sb)["attached_by"].size(), 0u);
  EXPECT_EQ((*sb)["mapped"]["bytes"], 0);

  // tmpfs files: the mapped one by the root child, 3 pages; the other in
  // nobody's memory with its st_blocks.
  const json* fm = FindBy(doc["tmpfs_files"], "path", mapped);
  ASSERT_NE(fm, nullptr);
  EXPECT_EQ((*fm)["allocated"], 5 * kPage);
  EXPECT_EQ((*fm)["size"], 5 * kPage);
  EXPECT_EQ((*fm)["mapped"]["bytes"], 3 * kPage);
  ASSERT_EQ((*fm)["mapped_by"].size(), 1u);
  EXPECT_EQ((*fm)["mapped_by"][0]["pid"], root_child);
  const json* fu = FindBy(doc["tmpfs_files"], "path", unmapped);
  ASSERT_NE(fu, nullptr);
  EXPECT_EQ((*fu)["mapped_by"].size(), 0u);

  // The memfd: 4 pages mapped, 2 resident, by the nobody child.
  const json* mf = FindBy(doc["memfds"], "name", "memstats_e2e_memfd");
  ASSERT_NE(mf, nullptr) << doc["memfds"].dump();
  EXPECT_EQ((*mf)["mapped_size"], 4 * kPage);
  EXPECT_EQ((*mf)["resident"]["bytes"], 2 * kPage);
  ASSERT_EQ((*mf)["mapped_by"].size(), 1u);
  EXPECT_EQ((*mf)["mapped_by"][0]["pid"], nobody_child);

  // Nobody's memory: segment B (rss + swap from the kernel) and the
  // unmapped file (st_blocks); neither segment A nor the mapped file.
  const json& nobody = doc["nobody"]["objects"];
  const json* nb = FindBy(nobody, "object",
                          absl::StrFormat("SysV key 0x%08x shmid %d",
                                          static_cast<uint32_t>(kb["key"]), b));
  ASSERT_NE(nb, nullptr) << nobody.dump();
  EXPECT_EQ((*nb)["bytes"], kb["rss"] + kb["swap"]);
  const json* nu = FindBy(nobody, "object", unmapped);
  ASSERT_NE(nu, nullptr) << nobody.dump();
  EXPECT_EQ((*nu)["bytes"], unmapped_bytes);
  EXPECT_EQ(FindBy(nobody, "object", mapped), nullptr);
  uint64_t sum = 0;
  for (const json& n : nobody) sum += n["bytes"].get<uint64_t>();
  EXPECT_EQ(doc["nobody"]["bytes"].get<uint64_t>(), sum);
  EXPECT_EQ(doc["nobody"]["count"].get<size_t>(), nobody.size());
}

TEST(ShmE2eTest, TextShowsTotalLine) {
  LiveTestLock lock;
  RunResult r = RunCommand({MemstatsBinary(), "shm"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("SysV shared memory segments"), std::string::npos);
  EXPECT_NE(r.out.find("total held by no process: "), std::string::npos);
}

}  // namespace
}  // namespace memstats::testing
