// memstats as root without CAP_SYS_ADMIN: root in a default Docker or
// Podman container, or a systemd service with a capability bounding set.
// It can open every /proc file (kpageflags included), but pagemap reads PFN
// 0. memstats must find that out from pagemap, say so, leave the page-level
// columns empty and report PSS and SysV from smaps and /proc/sysvipc/shm,
// exit 0 (it printed PSS 0 and SYSV_SHM 0 for every group before).
//
// The layout (layout_process.h): a parent and 3 children all map 64 MiB of
// shared anonymous memory and a 32 MiB SysV segment, touched by every
// process, so the tree's shmem PSS is 96 MiB; smaps_rollup (read here, not
// through memstats) gives each process's Pss_Anon and Pss_Shmem, which
// memstats must add up exactly. Label "live"; needs root and setpriv.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/layout_process.h"
#include "e2e/proc_files.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "subprocess.h"

namespace memstats::testing {
namespace {

using nlohmann::json;

constexpr int64_t kMiB = 1 << 20;

// A field of /proc/PID/smaps_rollup, in bytes.
int64_t RollupField(pid_t pid, const std::string& field) {
  const std::map<std::string, int64_t> rollup = ReadRollup(pid);
  auto it = rollup.find(field);
  if (it != rollup.end()) return it->second;
  ADD_FAILURE() << "no " << field << " in smaps_rollup of " << pid;
  return -1;
}

std::vector<std::string> WithoutSysAdmin(std::vector<std::string> args) {
  std::vector<std::string> v = {"/usr/bin/setpriv",
                                "--bounding-set=-sys_admin",
                                "--inh-caps=-sys_admin", MemstatsBinary()};
  v.insert(v.end(), args.begin(), args.end());
  return v;
}

class CapsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to drop one capability";
    lock_ = std::make_unique<LiveTestLock>();
  }
  void TearDown() override {
    lock_.reset();
  }
  std::unique_ptr<LiveTestLock> lock_;
};

TEST_F(CapsTest, RootWithoutSysAdminReportsSmapsPssAndSysv) {
  LayoutHelper h;
  ASSERT_TRUE(h.ok()) << h.error();
  std::vector<pid_t> pids = {h.parent()};
  pids.insert(pids.end(), h.children().begin(), h.children().end());
  const std::string filter =
      "descendants(" + std::to_string(h.parent()) + ")";
  // The helper's shell may add a short-lived child: take the processes
  // memstats counted from its own list.
  RunResult r = RunCommand(WithoutSysAdmin(
      {"--filter", filter, "--list-processes", "single", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find("CAP_SYS_ADMIN"), std::string::npos) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["page_level"], false);
  EXPECT_NE(j.value("page_level_note", "").find("CAP_SYS_ADMIN"),
            std::string::npos);
  const json& g = j["splits"][0]["groups"][0];
  SCOPED_TRACE(g.dump());
  for (const char* f : {"rss", "anon_rss", "shmem_rss", "file_rss", "uss",
                        "anon_uss", "swap_rss", "swap_uss", "ksm"}) {
    EXPECT_TRUE(g[f].is_null()) << f;
  }
  int64_t anon = 0, shmem = 0;
  for (const json& p : j["processes"]) {
    anon += RollupField(p["pid"].get<pid_t>(), "Pss_Anon");
    shmem += RollupField(p["pid"].get<pid_t>(), "Pss_Shmem");
  }
  // Anonymous and shared memory of these processes does not change while
  // they wait: memstats's sums equal smaps_rollup's read here.
  EXPECT_EQ(g["pss_anon"].get<int64_t>(), anon);
  EXPECT_EQ(g["pss_shmem"].get<int64_t>(), shmem);
  // 96 MiB shared by the 4 processes, each rollup truncated to whole kB.
  EXPECT_LE(g["pss_shmem"].get<int64_t>(), (kShared + kSysv) * kMiB);
  EXPECT_GE(g["pss_shmem"].get<int64_t>(),
            (kShared + kSysv) * kMiB - 1024 * static_cast<int64_t>(pids.size()));
  // Everyone's own and copy-on-write memory is anonymous PSS.
  EXPECT_GE(g["pss_anon"].get<int64_t>(),
            (kCow + kParentPriv + kChildren * kChildPriv) * kMiB);
  EXPECT_GT(g["pss"].get<int64_t>(),
            g["pss_anon"].get<int64_t>() + g["pss_shmem"].get<int64_t>());
  EXPECT_EQ(g["sysv_shm_rss"].get<int64_t>(), kSysv * kMiB);
  // FREED needs anon USS: null, as are its page-level parts; the SysV
  // segment (IPC_RMID'ed by the helper, attached by the group alone) is
  // known from /proc/sysvipc/shm.
  const json& freed = g["freed"];
  EXPECT_TRUE(freed["bytes"].is_null());
  EXPECT_TRUE(freed["anon_uss"].is_null());
  EXPECT_TRUE(freed["unlinked_shm"].is_null());
  EXPECT_EQ(freed["sysv_shm_segments"], 1);
  EXPECT_EQ(freed["sysv_shm"].get<int64_t>(),
            g["sysv_shm_rss"].get<int64_t>() +
                g["sysv_shm_swap"].get<int64_t>());
  EXPECT_TRUE(freed["unlinked_shm_objects"].is_null());
  EXPECT_EQ(freed["page_tables"], g["page_tables"]);

  // The shared anonymous memory's swap is still read: /proc/PID/map_files
  // takes CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE, which root keeps here.
  // Nothing is in swap.
  EXPECT_EQ(j["scan"]["shmem_swap_unknown_objects"].get<int64_t>(), 0);
  EXPECT_EQ(g["shmem_swap"].get<int64_t>(), 0);

  // The table: '-' in the six page-level columns, then a real PSS,
  // SYSV_SHM 32.0M and SHM_SWAP 0B, with no note of unknown swap, then '-'
  // for FREED and FILE_USS.
  RunResult text = RunCommand(WithoutSysAdmin({"--filter", filter, "single"}));
  ASSERT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_TRUE(std::regex_search(
      text.out,
      std::regex(R"(\nall +[0-9]+( +-){6} +[0-9.]+M( +-){2} +32\.0M +0B( +-){2}\n)")))
      << text.out;
  EXPECT_EQ(text.out.find("swap unknown for "), std::string::npos) << text.out;
}

}  // namespace
}  // namespace memstats::testing
