// Parsing /proc/self/mountinfo and /proc/self/cgroup, and finding the
// cgroup memstats is in, on fixture texts of the four kinds of system.
#include "exec/cgroup_location.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "test_util.h"

namespace memstats::exec {
namespace {

// The test machine: cgroup v1 controllers, each its own hierarchy, and an
// empty unified hierarchy at /sys/fs/cgroup/unified.
constexpr char kHybridMountinfo[] = R"(22 1 253:0 / / rw,relatime - ext4 /dev/vda rw
30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
)";
constexpr char kHybridCgroup[] = R"(9:name=systemd:/
4:memory:/process_api/cdcdcc2909f2b547b28d47feee9988a8
2:cpuacct:/
1:cpu:/
0::/
)";

// systemd on a current distribution: the unified hierarchy only.
constexpr char kV2Mountinfo[] =
    R"(24 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw,errors=remount-ro
26 24 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
27 26 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
)";
constexpr char kV2Cgroup[] = "0::/user.slice/user-1000.slice/session-3.scope\n";

// An older system with v1 only, cpu and cpuacct sharing a hierarchy, and a
// mount point with a space in it.
constexpr char kV1Mountinfo[] =
    R"(18 1 8:1 / / rw - ext4 /dev/sda1 rw
25 18 0:21 / /sys/fs/cgroup rw shared:9 - tmpfs tmpfs ro,mode=755
28 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw shared:11 - cgroup cgroup rw,cpu,cpuacct
29 25 0:25 / /sys/fs/cgroup/my\040memory rw shared:12 - cgroup cgroup rw,memory
)";
constexpr char kV1Cgroup[] = R"(3:memory:/system.slice/cron.service
2:cpu,cpuacct:/system.slice/cron.service
1:name=systemd:/system.slice/cron.service
)";

TEST(ParseMountInfoTest, FieldsAndEscapes) {
  absl::StatusOr<std::vector<MountInfoEntry>> mounts = ParseMountInfo(kV1Mountinfo);
  ASSERT_OK(mounts);
  ASSERT_EQ(mounts->size(), 4u);
  const MountInfoEntry& m = (*mounts)[3];
  EXPECT_EQ(m.root, "/");
  EXPECT_EQ(m.mount_point, "/sys/fs/cgroup/my memory");
  EXPECT_EQ(m.fstype, "cgroup");
  EXPECT_EQ(m.super_options, (std::vector<std::string>{"rw", "memory"}));
  // Optional fields ("shared:8") before the separator are skipped.
  mounts = ParseMountInfo(kV2Mountinfo);
  ASSERT_OK(mounts);
  EXPECT_EQ((*mounts)[2].fstype, "cgroup2");
  EXPECT_EQ((*mounts)[2].mount_point, "/sys/fs/cgroup");
}

TEST(ParseMountInfoTest, MalformedLines) {
  for (const char* text : {"22 1 253:0 / / rw,relatime ext4 /dev/vda rw\n",  // no "-"
                           "22 1 253:0 / / rw - ext4\n", "garbage\n"}) {
    absl::StatusOr<std::vector<MountInfoEntry>> mounts = ParseMountInfo(text);
    EXPECT_TRUE(absl::IsInvalidArgument(mounts.status())) << text;
  }
}

TEST(ParseProcCgroupTest, FieldsAndColonsInPaths) {
  absl::StatusOr<std::vector<ProcCgroupEntry>> e = ParseProcCgroup(kV1Cgroup);
  ASSERT_OK(e);
  ASSERT_EQ(e->size(), 3u);
  EXPECT_EQ((*e)[1].hierarchy_id, 2);
  EXPECT_EQ((*e)[1].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ((*e)[1].path, "/system.slice/cron.service");
  e = ParseProcCgroup("0::/a:b/c\n");
  ASSERT_OK(e);
  EXPECT_EQ((*e)[0].hierarchy_id, 0);
  EXPECT_TRUE((*e)[0].controllers.empty());
  EXPECT_EQ((*e)[0].path, "/a:b/c");
  for (const char* bad : {"0:/\n", "x::/\n", "0::relative\n"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseProcCgroup(bad).status())) << bad;
  }
}

struct LocateCase {
  const char* name;
  std::string mountinfo;
  std::string proc_cgroup;
  CgroupVersion version;
  std::string dir;             // when found
  std::string why_none_part;   // when not
};

TEST(LocateMemoryCgroupTest, Table) {
  const std::vector<LocateCase> cases = {
      {"hybrid: v1 memory wins over the empty unified hierarchy", kHybridMountinfo,
       kHybridCgroup, CgroupVersion::kV1,
       "/sys/fs/cgroup/memory/process_api/cdcdcc2909f2b547b28d47feee9988a8", ""},
      {"pure v2", kV2Mountinfo, kV2Cgroup, CgroupVersion::kV2,
       "/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope", ""},
      {"pure v1, shared hierarchy, escaped mount point", kV1Mountinfo, kV1Cgroup,
       CgroupVersion::kV1, "/sys/fs/cgroup/my memory/system.slice/cron.service", ""},
      {"v2 root cgroup", kV2Mountinfo, "0::/\n", CgroupVersion::kV2, "/sys/fs/cgroup", ""},
      {"none: no cgroup file systems", "22 1 253:0 / / rw - ext4 /dev/vda rw\n", "",
       CgroupVersion::kNone, "", "no memory controller"},
      {"v1 memory listed but not mounted",
       "22 1 253:0 / / rw - ext4 /dev/vda rw\n", "4:memory:/a\n0::/\n", CgroupVersion::kNone,
       "", "v1 memory hierarchy"},
      {"v2 listed but not mounted", "22 1 253:0 / / rw - ext4 /dev/vda rw\n", "0::/a\n",
       CgroupVersion::kNone, "", "cgroup2 hierarchy"},
      // A container sees its own subtree mounted at /sys/fs/cgroup (mount
      // root /docker/abc) without a cgroup namespace.
      {"mount of a subtree", "40 30 0:37 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
       "0::/docker/abc/init\n", CgroupVersion::kV2, "/sys/fs/cgroup/init", ""},
      {"mount of another subtree", "40 30 0:37 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
       "0::/docker/abcdef\n", CgroupVersion::kNone, "", "not mounted"},
  };
  for (const LocateCase& c : cases) {
    absl::StatusOr<std::vector<MountInfoEntry>> mounts = ParseMountInfo(c.mountinfo);
    absl::StatusOr<std::vector<ProcCgroupEntry>> cgroups = ParseProcCgroup(c.proc_cgroup);
    ASSERT_OK(mounts);
    ASSERT_OK(cgroups);
    const MemoryCgroupLocation loc = LocateMemoryCgroup(*mounts, *cgroups);
    EXPECT_EQ(loc.version, c.version) << c.name;
    EXPECT_EQ(loc.dir, c.dir) << c.name;
    if (c.version == CgroupVersion::kNone) {
      EXPECT_NE(loc.why_none.find(c.why_none_part), std::string::npos) << c.name << ": " << loc.why_none;
    }
  }
}

}  // namespace
}  // namespace memstats::exec
