// CollectShm on an in-memory /proc (FakeProcSource) and a fake FsSource:
// every number below is derived by hand from the layout in MakeMachine().
#include "machine/shm.h"

#include <map>
#include <optional>

#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/pagemap.h"
#include "scan/parsers.h"
#include "test_util.h"

namespace memstats::machine {
namespace {

using testing::FakeProcSource;

constexpr uint64_t kPresent = scan::kPmPresent | scan::kPmFileOrShared;
constexpr uint64_t kHuge = uint64_t{1} << scan::kKpfHuge;

// Three segments:
//   shmid 10, key 0x1234, 5 pages, rss 4 pages, attached by 100, 200, 300;
//   shmid 11, key 0, 2 pages, rss 2 pages + 1 swapped, nattch 0;
//   shmid 12, key 0x99, one 2 MiB hugetlb page, attached by 200.
constexpr char kSysvShm[] =
    "       key      shmid perms                  size  cpid  lpid nattch"
    "   uid   gid  cuid  cgid      atime      dtime      ctime"
    "                   rss                  swap\n"
    "      4660         10   600                 20480   100   100      3"
    "  1000  1000  1000  1000          0          0          0"
    "                 16384                     0\n"
    "         0         11   600                  8192   100   100      0"
    "     0     0     0     0          0          0          0"
    "                  8192                  4096\n"
    "       153         12  1600               2097152   200   200      1"
    "     0     0     0     0          0          0          0"
    "               2097152                     0\n";

// /dev/shm is device 0:25 (maps print it in hex: 00:19), /run 0:26, and
// /mnt/shm2 a bind mount of /dev/shm.
constexpr char kMountinfo[] =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "24 22 0:25 / /dev/shm rw,nosuid,nodev shared:4 - tmpfs tmpfs rw\n"
    "25 22 0:26 / /run rw,nosuid shared:5 - tmpfs tmpfs rw,size=100k\n"
    "26 22 0:25 / /mnt/shm\\0402 rw shared:4 - tmpfs tmpfs rw\n"
    "27 22 0:27 / /tmp rw - tmpfs tmpfs rw\n";

class FakeFs : public FsSource {
 public:
  absl::StatusOr<FsUsage> StatVfs(const std::string& mount) override {
    if (mount == "/dev/shm") return FsUsage{1 << 20, 16384, 100, 3};
    return absl::NotFoundError(mount);
  }
  absl::StatusOr<TmpfsListing> ListFiles(const std::string& mount) override {
    listed.push_back(mount);
    if (mount == "/dev/shm") {
      // data: 1 of its 3 pages in swap; lost: its page in swap.
      return TmpfsListing{0, 25,
                          {{"/dev/shm/data", 55, 10000, 12288, 4096},
                           {"/dev/shm/lost", 56, 4096, 4096, 4096},
                           {"/dev/shm/empty", 57, 0, 0, 0}}};
    }
    if (mount == "/run") {
      // Same inode number as /dev/shm/data, another device: not mapped.
      // Its swap is unknown (it could not be opened).
      return TmpfsListing{0, 26, {{"/run/x", 55, 100, 4096, std::nullopt}}};
    }
    if (mount == "/tmp") {
      // A tmpfs mounted over /tmp's first one: the walk finds /run's device.
      return TmpfsListing{0, 26, {{"/run/x", 55, 100, 4096, std::nullopt}}};
    }
    return absl::NotFoundError(mount);
  }
  std::vector<std::string> listed;
};

void AddProcess(FakeProcSource& src, scan::ScanResult& scan, int pid,
                uint32_t uid, const std::string& comm, std::string maps) {
  src.Add(pid).files["maps"] = std::move(maps);
  scan::ProcessRecord rec;
  rec.id.pid = pid;
  rec.id.uid = uid;
  rec.id.comm = comm;
  scan.processes.push_back(std::move(rec));
}

struct Machine {
  FakeProcSource src;
  scan::ScanResult scan;
  FakeFs fs;
};

std::unique_ptr<Machine> MakeMachine() {
  auto m = std::make_unique<Machine>();
  FakeProcSource& src = m->src;
  src.SetSystemFile("self/mountinfo", kMountinfo);
  src.SetSystemFile("meminfo", "MemTotal: 1000000 kB\nHugepagesize: 2048 kB\n");
  auto sysv = scan::ParseSysvShm(kSysvShm);
  EXPECT_TRUE(sysv.ok()) << sysv.status();
  m->scan.sysv = *sysv;

  // 100 (uid 1000): shmid 10 pages 0-2 at PFNs 500-502; memfd "buf" page 0
  // at PFN 700, and a private mapping of it with a written page (PFN 900,
  // anonymous: no bit 61), which is not the memfd's page.
  AddProcess(src, m->scan, 100, 1000, "pg",
             "00100000-00105000 rw-s 00000000 00:01 10 /SYSV00001234 (deleted)\n"
             "00200000-00202000 rw-s 00000000 00:01 77 /memfd:buf (deleted)\n"
             "00600000-00601000 rw-p 00000000 00:01 77 /memfd:buf (deleted)\n");
  src.Add(100).pagemap = {{0x100, kPresent | 500},
                          {0x101, kPresent | 501},
                          {0x102, kPresent | 502},
                          {0x200, kPresent | 700},
                          {0x600, scan::kPmPresent | 900}};
  // 200 (uid 2000): shmid 10 page 1 (PFN 501, also 100's) and page 3 (PFN
  // 503); memfd "buf" from offset 0x1000, its pages 1 and 2 (PFNs 700 again
  // and 701); /dev/shm/data page 0 (PFN 800); the hugetlb segment 12, 512
  // base pages at PFNs 0x10000.., flagged HUGE.
  AddProcess(src, m->scan, 200, 2000, "worker",
             "00300000-00305000 rw-s 00000000 00:01 10 /SYSV00001234 (deleted)\n"
             "00400000-00403000 rw-s 00001000 00:01 77 /memfd:buf (deleted)\n"
             "00500000-00502000 rw-s 00000000 00:19 55 /dev/shm/data\n"
             "40000000-40200000 rw-s 00000000 00:0f 12 /SYSV00000099 (deleted)\n");
  auto& pm = src.Add(200).pagemap;
  pm = {{0x300, kPresent | 501},
        {0x303, kPresent | 503},
        {0x401, kPresent | 700},
        {0x402, kPresent | 701},
        {0x500, kPresent | 800}};
  for (uint64_t i = 0; i < 512; ++i) {
    pm[0x40000 + i] = kPresent | (0x10000 + i);
    src.SetKpage(0x10000 + i, kHuge, 1);
  }
  // 300 (uid 2000): attached shmid 10, never touched it: no entries.
  AddProcess(src, m->scan, 300, 2000, "idle",
             "00100000-00105000 rw-s 00000000 00:01 10 /SYSV00001234 (deleted)\n");
  // The scan's whole-object figures of memfd "buf": 4 pages, 2 in swap.
  scan::ShmemUsage buf;
  buf.size = buf.allocated = 16384;
  buf.resident = buf.swapped = 8192;
  m->scan.shmem_objects = {
      {{0, 1, 77}, scan::ShmemKind::kMemfd, "/memfd:buf (deleted)", buf}};
  return m;
}

TEST(CollectShmTest, SysvSegments) {
  auto m = MakeMachine();
  auto uid = splitters::NewUidSplitter();
  ShmOptions o;
  o.splits = {uid.get()};
  o.namer = [](uint32_t u) -> std::optional<std::string> {
    if (u == 1000) return "alice";
    return std::nullopt;
  };
  auto r = CollectShm(m->src, m->fs, m->scan, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->page_level);
  EXPECT_EQ(r->hugepage_size, 2u << 20);
  EXPECT_EQ(r->split_names, std::vector<std::string>{"uid"});
  ASSERT_EQ(r->sysv.size(), 3u);

  const SysvRow& a = r->sysv[0];
  EXPECT_EQ(a.seg.shmid, 10);
  EXPECT_EQ(a.seg.key, 0x1234);
  EXPECT_EQ(a.owner, "alice");
  // Distinct PFNs {500, 501, 502, 503}: 4 pages of 5; rss says 4 of 5 too.
  EXPECT_EQ(a.mapped.pages, 4u);
  EXPECT_EQ(a.mapped.base_pages, 4u);
  EXPECT_EQ(a.mapped.huge_pages, 0u);
  EXPECT_FALSE(a.hugetlb);
  EXPECT_DOUBLE_EQ(a.mapped_percent, 80.0);
  EXPECT_DOUBLE_EQ(a.rss_percent, 80.0);
  ASSERT_EQ(a.attachers.size(), 3u);
  EXPECT_EQ(a.attachers[0].pid, 100);
  EXPECT_EQ(a.attachers[0].resident_pages, 3u);
  EXPECT_EQ(a.attachers[1].pid, 200);
  EXPECT_EQ(a.attachers[1].resident_pages, 2u);
  EXPECT_EQ(a.attachers[2].pid, 300);  // attached, never touched
  EXPECT_EQ(a.attachers[2].comm, "idle");
  EXPECT_EQ(a.attachers[2].resident_pages, 0u);
  EXPECT_EQ(a.groups,
            (std::vector<std::vector<std::string>>{{"1000", "2000"}}));

  const SysvRow& b = r->sysv[1];
  EXPECT_EQ(b.seg.shmid, 11);
  EXPECT_EQ(b.owner, "0");
  EXPECT_TRUE(b.attachers.empty());
  EXPECT_EQ(b.mapped.pages, 0u);
  EXPECT_DOUBLE_EQ(b.rss_percent, 100.0);
  EXPECT_EQ(b.groups, (std::vector<std::vector<std::string>>{{}}));

  // 512 base pages, all HUGE: one 2 MiB huge page, 100% mapped.
  const SysvRow& c = r->sysv[2];
  EXPECT_EQ(c.seg.shmid, 12);
  EXPECT_TRUE(c.hugetlb);
  EXPECT_EQ(c.mapped.pages, 512u);
  EXPECT_EQ(c.mapped.base_pages, 0u);
  EXPECT_EQ(c.mapped.huge_base_pages, 512u);
  EXPECT_EQ(c.mapped.huge_pages, 1u);
  EXPECT_DOUBLE_EQ(c.mapped_percent, 100.0);
  EXPECT_EQ(c.groups, (std::vector<std::vector<std::string>>{{"2000"}}));
}

TEST(CollectShmTest, MemfdTmpfsAndNobody) {
  auto m = MakeMachine();
  ShmOptions o;
  o.top = 2;
  auto r = CollectShm(m->src, m->fs, m->scan, o);
  ASSERT_TRUE(r.ok()) << r.status();

  // memfd "buf": PFNs {700, 701}; mapped up to 0x1000 + 0x3000 = 16 KiB.
  ASSERT_EQ(r->memfds.size(), 1u);
  EXPECT_EQ(r->memfds[0].name, "buf");
  EXPECT_EQ(r->memfds[0].inode, 77u);
  EXPECT_EQ(r->memfds[0].mapped_extent, 16384u);
  EXPECT_EQ(r->memfds[0].mapped.pages, 2u);
  ASSERT_EQ(r->memfds[0].mappers.size(), 2u);
  EXPECT_EQ(r->memfds[0].mappers[0].resident_pages, 1u);
  EXPECT_EQ(r->memfds[0].mappers[1].resident_pages, 2u);
  ASSERT_TRUE(r->memfds[0].usage.has_value());
  EXPECT_EQ(r->memfds[0].usage->swapped, 8192u);

  // Mounts: the bind mount (same device 0:25) is listed, not walked; /tmp
  // (0:27) is covered: its walk found another device, so it is skipped.
  ASSERT_EQ(r->mounts.size(), 4u);
  EXPECT_TRUE(r->mounts[3].covered);
  EXPECT_FALSE(r->mounts[3].usage_known);
  EXPECT_EQ(r->mounts[0].mount.mount_point, "/dev/shm");
  EXPECT_TRUE(r->mounts[0].usage_known);
  EXPECT_EQ(r->mounts[0].usage.used_bytes, 16384u);
  EXPECT_FALSE(r->mounts[1].usage_known);
  EXPECT_EQ(r->mounts[2].mount.mount_point, "/mnt/shm 2");
  EXPECT_TRUE(r->mounts[2].duplicate);
  EXPECT_EQ(m->fs.listed,
            (std::vector<std::string>{"/dev/shm", "/run", "/tmp"}));

  // Four files; the two largest by allocated size: data (12 KiB), lost
  // (4 KiB, found before /run/x's 4 KiB).
  EXPECT_EQ(r->files_total, 4u);
  ASSERT_EQ(r->files.size(), 2u);
  EXPECT_EQ(r->files[0].file.path, "/dev/shm/data");
  EXPECT_EQ(r->files[0].mapped.pages, 1u);
  ASSERT_EQ(r->files[0].mappers.size(), 1u);
  EXPECT_EQ(r->files[0].mappers[0].pid, 200);
  EXPECT_EQ(r->files[1].file.path, "/dev/shm/lost");
  EXPECT_TRUE(r->files[1].mappers.empty());

  // Nobody's: segment 11 (8 KiB rss + 4 KiB swap), /dev/shm/lost (4 KiB),
  // /run/x (4 KiB, inode 55 on another device than the mapped one); the
  // empty file holds nothing. 12288 + 4096 + 4096 = 20480, 2 of 3 listed.
  EXPECT_EQ(r->nobody_count, 3u);
  EXPECT_EQ(r->nobody_bytes, 20480u);
  ASSERT_EQ(r->nobody.size(), 2u);
  EXPECT_EQ(r->nobody[0].kind, "sysv");
  EXPECT_EQ(r->nobody[0].name, "SysV key 0x00000000 shmid 11");
  EXPECT_EQ(r->nobody[0].bytes, 12288u);
  EXPECT_EQ(r->nobody[0].swap_bytes, 4096u);
  EXPECT_EQ(r->nobody[1].name, "/dev/shm/lost");
  EXPECT_EQ(r->nobody[1].swap_bytes, 4096u);
  // All of it, /run/x's unknown swap as 0.
  EXPECT_EQ(r->nobody_swap_bytes, 8192u);

  // Swap by kind: segment 11; data and lost; buf. /run/x unknown.
  EXPECT_EQ(r->files[0].file.swapped, 4096u);
  EXPECT_EQ(r->swap.sysv, 4096u);
  EXPECT_EQ(r->swap.tmpfs, 8192u);
  EXPECT_EQ(r->swap.memfd, 8192u);
  EXPECT_EQ(r->swap.total(), 20480u);
  EXPECT_EQ(r->swap.unknown, 1u);
}

TEST(CollectShmTest, VanishedProcessIsLeftOut) {
  auto m = MakeMachine();
  m->src.Add(300).vanish_after_reads = 0;
  auto r = CollectShm(m->src, m->fs, m->scan, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->sysv[0].attachers.size(), 2u);
  EXPECT_EQ(r->sysv[0].mapped.pages, 4u);
}

TEST(CollectShmTest, HiddenPfnsSayNotPageLevel) {
  FakeProcSource src;
  scan::ScanResult scan;
  FakeFs fs;
  AddProcess(src, scan, 100, 0, "pg",
             "00100000-00102000 rw-s 00000000 00:01 10 /SYSV00001234 (deleted)\n");
  src.Add(100).pagemap = {{0x100, kPresent}, {0x101, kPresent}};
  auto r = CollectShm(src, fs, scan, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->page_level);
}

}  // namespace
}  // namespace memstats::machine
