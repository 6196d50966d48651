// Shared memory objects in a scan (scan/shmem_object.h): which mappings
// name one, and how the scan asks each object's swap of one mapper, over
// FakeProcSource.
#include "scan/shmem_object.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/parsers.h"
#include "scan/scanner.h"
#include "scanner_fault_util.h"
#include "test_util.h"

namespace memstats::scan {
namespace {

using testing::FakeProcSource;

// /dev/shm is device 0:26 here (00:1a in maps, which prints hex).
constexpr char kMountinfo[] =
    "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
    "30 22 0:26 / /dev/shm rw,nosuid,nodev - tmpfs tmpfs rw\n";

TEST(ShmemMapKindTest, Table) {
  const TmpfsDevices tmpfs = {{0, 26}};
  struct Case {
    const char* line;
    std::optional<ShmemKind> want;
  };
  const Case cases[] = {
      {"7f00-7f10 rw-s 00000000 00:01 1025 /memfd:pool (deleted)",
       ShmemKind::kMemfd},
      {"7f00-7f10 rw-p 00000000 00:01 1025 /memfd:pool (deleted)",
       ShmemKind::kMemfd},
      {"7f00-7f10 rw-s 00000000 00:01 7 /dev/zero (deleted)",
       ShmemKind::kSharedAnon},
      {"7f00-7f10 rw-s 00000000 00:01 7 [anon_shmem:cache]",
       ShmemKind::kSharedAnon},
      // maps prints the device in hex: 00:1a is mountinfo's 0:26.
      {"7f00-7f10 rw-s 00000000 00:1a 12 /dev/shm/x", ShmemKind::kTmpfsFile},
      {"7f00-7f10 r--s 00000000 00:1a 12 /dev/shm/x", ShmemKind::kTmpfsFile},
      {"7f00-7f10 r-xp 00000000 00:1a 13 /dev/shm/tool",
       ShmemKind::kTmpfsFile},
      {"7f00-7f10 rw-s 00000000 00:1b 12 /other/x", std::nullopt},
      {"7f00-7f10 rw-s 00000000 08:01 12 /var/db/file", std::nullopt},
      {"7f00-7f10 rw-s 00000000 00:01 32769 /SYSV00000000 (deleted)",
       std::nullopt},
      {"7f00-7f10 rw-p 00000000 00:00 0 ", std::nullopt},
  };
  for (const Case& c : cases) {
    auto maps = ParseMaps(c.line);
    ASSERT_OK(maps);
    ASSERT_EQ(maps->size(), 1u) << c.line;
    EXPECT_EQ(ShmemMapKind((*maps)[0], tmpfs), c.want) << c.line;
  }
}

ShmemUsage Swapped(uint64_t pages) {
  ShmemUsage u;
  u.size = 16 * 4096;
  u.allocated = 16 * 4096;
  u.resident = (16 - pages) * 4096;
  u.swapped = pages * 4096;
  return u;
}

// Two processes map a memfd and a /dev/shm file; 10's mapping of the memfd
// maps something else by the time it is asked (NotFound), so 11 answers.
// A hugetlbfs memfd is no shmem (FailedPrecondition): left out. An object
// whose only mapper cannot answer (map_files denied) is unknown.
TEST(ReadShmemObjectsTest, OneMapperAnswersPerObject) {
  FakeProcSource src;
  src.SetSystemFile("self/mountinfo", kMountinfo);
  FakeProcSource::Process& a = AddProcess(src, 10, {});
  FakeProcSource::Process& b = AddProcess(src, 11, {});
  a.files["maps"] =
      "00010000-00020000 rw-s 00000000 00:01 1025 /memfd:pool (deleted)\n"
      "00030000-00031000 rw-s 00000000 00:01 1025 /memfd:pool (deleted)\n"
      "00040000-00050000 rw-s 00000000 00:1a 99 /dev/shm/q\n"
      "00060000-00070000 rw-s 00000000 00:10 5 /memfd:huge (deleted)\n";
  b.files["maps"] =
      "00110000-00120000 rw-s 00000000 00:01 1025 /memfd:pool (deleted)\n"
      "00140000-00150000 r--s 00000000 00:1a 99 /dev/shm/q\n"
      "00160000-00170000 rw-s 00000000 00:01 2000 /dev/zero (deleted)\n";
  b.shmem[{0x110000, 0x120000}] = Swapped(5);
  a.shmem[{0x40000, 0x50000}] = Swapped(3);
  a.shmem[{0x60000, 0x70000}] =
      absl::FailedPreconditionError("not a tmpfs (shmem) file");
  b.shmem[{0x160000, 0x170000}] = absl::PermissionDeniedError("map_files");
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 2u);
  // One reference per object and process: the first mapping of the memfd.
  ASSERT_EQ(r->processes[0].shmem_maps.size(), 3u);
  EXPECT_EQ(r->processes[0].shmem_maps[0].start, 0x10000u);

  const std::vector<ShmemObject>& objs = r->shmem_objects;
  ASSERT_EQ(objs.size(), 3u);
  const ShmemObject* memfd = FindShmemObject(objs, {0, 1, 1025});
  ASSERT_NE(memfd, nullptr);
  EXPECT_EQ(memfd->kind, ShmemKind::kMemfd);
  EXPECT_EQ(memfd->path, "/memfd:pool (deleted)");
  ASSERT_TRUE(memfd->usage.has_value());
  EXPECT_EQ(memfd->swapped(), 5u * 4096);
  const ShmemObject* file = FindShmemObject(objs, {0, 0x1a, 99});
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->kind, ShmemKind::kTmpfsFile);
  EXPECT_EQ(file->swapped(), 3u * 4096);
  const ShmemObject* anon = FindShmemObject(objs, {0, 1, 2000});
  ASSERT_NE(anon, nullptr);
  EXPECT_EQ(anon->kind, ShmemKind::kSharedAnon);
  EXPECT_FALSE(anon->usage.has_value());
  EXPECT_EQ(FindShmemObject(objs, {0, 0x10, 5}), nullptr);
  EXPECT_EQ(r->stats.shmem_objects_unknown, 1u);

  // By key: the memfd (10, then 11), /dev/zero (11, denied: nobody else
  // is asked), the hugetlbfs memfd, q (10 answers).
  std::vector<std::string> asked;
  for (const std::string& read : src.reads()) {
    if (read.find("map_files") != std::string::npos) asked.push_back(read);
  }
  EXPECT_EQ(asked, (std::vector<std::string>{
                       "10/map_files/10000-20000", "11/map_files/110000-120000",
                       "11/map_files/160000-170000", "10/map_files/60000-70000",
                       "10/map_files/40000-50000"}));
}

}  // namespace
}  // namespace memstats::scan
