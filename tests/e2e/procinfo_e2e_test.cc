// memstats procinfo on a live process with a known layout
// (procinfo_helper.cc): for each region, RSS, PSS and swap by page must
// equal the kernel's own smaps figures for that mapping (read here, by the
// test, from /proc/PID/smaps: an independent interface), exactly; USS, THP,
// zero and KSM counts must equal what the layout implies. No tolerance: the
// helper holds its layout still while it is measured, its pages are 4 KiB
// (MADV_NOHUGEPAGE: no large folio, whose kpagecount the kernel averages),
// and smaps Pss is compared in whole KiB as smaps prints it.
// With a swap file (tests/e2e/system_settings.h, removed even on failure) a
// swapped region is checked too. Also: a kernel thread, a pid that does not
// exist, one that has exited. Label "live"; needs root (CAP_SYS_ADMIN).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "e2e/proc_files.h"
#include "e2e/system_settings.h"
#include "exec/exec_test_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "subprocess.h"

namespace memstats::testing {
namespace {

using json = nlohmann::json;

// procinfo_helper.cc's sizes, in 4 KiB pages.
constexpr int64_t kPage = 4096;
constexpr int64_t kPriv = 64, kShared = 32, kFile = 16, kZero = 16, kSwap = 8;
constexpr int64_t kThpPages = 512;

RunResult Memstats(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {MemstatsBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

json Procinfo(int pid) {
  RunResult r = Memstats({"--json", "procinfo", std::to_string(pid)});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  return r.exit_code == 0 ? json::parse(r.out) : json::object();
}

// The procinfo row and the smaps entry of the mapping that starts at
// `start`; fails the test when either is missing.
struct Both {
  json row;
  SmapsMapping smaps;
};
Both Find(const json& info, const std::vector<SmapsMapping>& smaps,
          uint64_t start) {
  Both b;
  const std::string hex = absl::StrFormat("0x%x", start);
  for (const json& m : info["mappings"]) {
    if (m["start"] == hex) b.row = m;
  }
  for (const SmapsMapping& s : smaps) {
    if (s.start == start) b.smaps = s;
  }
  EXPECT_FALSE(b.row.is_null()) << "no procinfo row at " << hex;
  EXPECT_EQ(b.smaps.start, start) << "no smaps entry at " << hex;
  return b;
}

// RSS, PSS (in whole KiB, as smaps prints it) and swap by page against the
// kernel's smaps of the same mapping, and the mapping's bounds.
void ExpectMatchesSmaps(const Both& b, uint64_t start, int64_t pages,
                        const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(b.smaps.end, start + static_cast<uint64_t>(pages * kPage));
  EXPECT_EQ(b.row["end"], absl::StrFormat("0x%x", start + pages * kPage));
  const json& p = b.row["pages"];
  EXPECT_EQ(p["rss"].get<int64_t>(), b.smaps["Rss"]);
  EXPECT_EQ(p["pss"].get<int64_t>() / 1024 * 1024, b.smaps["Pss"]);
  EXPECT_EQ(p["swap_bytes"].get<int64_t>(), b.smaps["Swap"]);
  // procinfo's own copy of the smaps figures is the kernel's too.
  EXPECT_EQ(b.row["smaps"]["rss"].get<int64_t>(), b.smaps["Rss"]);
}

class ProcinfoE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the live procinfo tests need root";
    lock_ = std::make_unique<LiveTestLock>();
    const std::string leftovers = RestoreLeftovers();
    ASSERT_EQ(leftovers, "") << leftovers;
  }
  void TearDown() override { lock_.reset(); }

  std::unique_ptr<LiveTestLock> lock_;
};

std::map<std::string, uint64_t> ParseReady(const std::string& line) {
  std::map<std::string, uint64_t> v;
  std::istringstream in(line);
  std::string word;
  in >> word;
  if (word != "ready") return v;
  while (in >> word) {
    const size_t eq = word.find('=');
    if (eq != std::string::npos)
      v[word.substr(0, eq)] = std::stoull(word.substr(eq + 1));
  }
  return v;
}

TEST_F(ProcinfoE2E, MappingsMatchSmapsAndLayout) {
  SwapFile swap(16);
  const bool with_swap = swap.state() == SwapFile::State::kOn;
  if (swap.state() == SwapFile::State::kUnsupported) {
    std::cout << "note: the kernel refuses swap here (" << swap.error()
              << "): the swapped region goes untested\n";
  } else {
    ASSERT_TRUE(with_swap) << swap.error();
  }
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::vector<std::string> argv = {PROCINFO_HELPER, dir.path()};
  if (with_swap) argv.emplace_back("--swap");
  ReadyHelper helper(argv, std::nullopt, 30000);
  std::map<std::string, uint64_t> at = ParseReady(helper.ready_line());
  ASSERT_EQ(at.size(), 9u) << "ready line: '" << helper.ready_line() << "'";
  const int pid = static_cast<int>(at["pid"]);
  const int child = static_cast<int>(at["child"]);

  const json info = Procinfo(pid);
  const std::vector<SmapsMapping> smaps = ReadSmaps(pid);
  ASSERT_TRUE(info["page_level"].get<bool>()) << info["page_level_off"];

  // priv: written, its own: RSS = PSS = USS = every page.
  Both priv = Find(info, smaps, at["priv"]);
  ExpectMatchesSmaps(priv, at["priv"], kPriv, "priv");
  EXPECT_EQ(priv.row["pages"]["rss"], kPriv * kPage);
  EXPECT_EQ(priv.row["pages"]["pss"], kPriv * kPage);
  EXPECT_EQ(priv.row["pages"]["uss"], kPriv * kPage);
  EXPECT_EQ(priv.row["pages"]["thp"], 0);

  // shared: every page mapped by parent and child: PSS half, USS none.
  Both shared = Find(info, smaps, at["shared"]);
  ExpectMatchesSmaps(shared, at["shared"], kShared, "shared");
  EXPECT_EQ(shared.row["pages"]["rss"], kShared * kPage);
  EXPECT_EQ(shared.row["pages"]["pss"], kShared * kPage / 2);
  EXPECT_EQ(shared.row["pages"]["uss"], 0);
  EXPECT_EQ(shared.row["kind"], "shmem");

  // file: page cache only this process maps.
  Both file = Find(info, smaps, at["file"]);
  ExpectMatchesSmaps(file, at["file"], kFile, "file");
  EXPECT_EQ(file.row["pages"]["rss"], kFile * kPage);
  EXPECT_EQ(file.row["pages"]["uss"], kFile * kPage);
  EXPECT_EQ(file.row["kind"], "file");

  // zero: present entries, all the zero page, nothing in RSS (smaps
  // agrees). This project's 6.18 test machine maps no zero page on read
  // faults (see e2e_test.cc, ReadFaultsMapZeroPage): there every read got
  // a page of its own, which the helper saw in its own pagemap.
  Both zero = Find(info, smaps, at["zero"]);
  ExpectMatchesSmaps(zero, at["zero"], kZero, "zero");
  EXPECT_EQ(zero.row["pages"]["present"], kZero);
  if (at["zero_page"] == 1) {
    EXPECT_EQ(zero.row["pages"]["zero"], kZero);
    EXPECT_EQ(zero.row["pages"]["rss"], 0);
  } else {
    std::cout << "note: read faults map no zero page on this kernel: the "
                 "zero-page count is checked on the fixture only\n";
    EXPECT_EQ(zero.row["pages"]["zero"], 0);
    EXPECT_EQ(zero.row["pages"]["rss"], kZero * kPage);
    EXPECT_EQ(zero.row["pages"]["uss"], kZero * kPage);
  }

  // thp: THP pages by kpageflags against smaps AnonHugePages (2 MiB when
  // the kernel found a huge page, else 0: both sides agree either way).
  Both thp = Find(info, smaps, at["thp"]);
  ExpectMatchesSmaps(thp, at["thp"], kThpPages, "thp");
  EXPECT_EQ(thp.row["pages"]["thp"].get<int64_t>() * kPage,
            thp.smaps["AnonHugePages"]);
  EXPECT_EQ(thp.row["pages"]["rss"], kThpPages * kPage);
  EXPECT_EQ(thp.row["pages"]["uss"], kThpPages * kPage);
  if (thp.smaps["AnonHugePages"] == 0) {
    std::cout << "note: no transparent huge page was available\n";
  }

  if (with_swap) {
    Both out = Find(info, smaps, at["swap"]);
    ExpectMatchesSmaps(out, at["swap"], kSwap, "swap");
    EXPECT_EQ(out.row["pages"]["swap_bytes"], kSwap * kPage);
    EXPECT_EQ(out.row["pages"]["swap"], kSwap);
    EXPECT_EQ(out.row["pages"]["rss"], 0);
  }

  // The child maps `shared` at the same address: the other half of PSS.
  const json child_info = Procinfo(child);
  Both in_child = Find(child_info, ReadSmaps(child), at["shared"]);
  ExpectMatchesSmaps(in_child, at["shared"], kShared, "shared, in the child");
  EXPECT_EQ(in_child.row["pages"]["pss"], kShared * kPage / 2);
  EXPECT_EQ(in_child.row["pages"]["uss"], 0);

  // --pages --range over the shared region: one row per page, each naming
  // a page mapped twice.
  RunResult r = Memstats(
      {"--json", "procinfo", std::to_string(pid), "--pages", "--range",
       absl::StrFormat("%x-%x", at["shared"], at["shared"] + kShared * kPage)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const json pages = json::parse(r.out)["pages"];
  ASSERT_EQ(pages.size(), static_cast<size_t>(kShared));
  for (const json& p : pages) {
    EXPECT_TRUE(p["present"].get<bool>());
    EXPECT_TRUE(p["file_or_shared"].get<bool>());
    EXPECT_EQ(p["kpagecount"], 2);
    EXPECT_GT(p["pfn"].get<uint64_t>(), 0u);
  }
  EXPECT_EQ(helper.Stop(), 0);
  EXPECT_EQ(swap.Remove(), "");
}

// Root without CAP_SYS_ADMIN (setpriv, as caps_e2e_test.cc does) reads
// PFN 0 for every present page: procinfo says what it cannot show and
// shows the entry counts and the smaps figures.
TEST_F(ProcinfoE2E, WithoutCapSysAdmin) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  ReadyHelper helper({PROCINFO_HELPER, dir.path()}, std::nullopt, 30000);
  std::map<std::string, uint64_t> at = ParseReady(helper.ready_line());
  ASSERT_EQ(at.size(), 9u) << "ready line: '" << helper.ready_line() << "'";
  const std::string pid = std::to_string(at["pid"]);
  const std::vector<std::string> setpriv = {
      "/usr/bin/setpriv", "--bounding-set=-sys_admin",
      "--inh-caps=-sys_admin", MemstatsBinary()};

  std::vector<std::string> argv = setpriv;
  argv.insert(argv.end(), {"--json", "procinfo", pid});
  RunResult r = RunCommand(argv);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const json info = json::parse(r.out);
  EXPECT_FALSE(info["page_level"].get<bool>());
  EXPECT_EQ(info["page_level_off"],
            "physical page numbers are hidden (pagemap reads PFN 0 without "
            "CAP_SYS_ADMIN)");
  Both priv = Find(info, ReadSmaps(static_cast<int>(at["pid"])), at["priv"]);
  EXPECT_EQ(priv.row["pages"]["present"], kPriv);
  EXPECT_TRUE(priv.row["pages"]["rss"].is_null());
  EXPECT_TRUE(priv.row["pages"]["uss"].is_null());
  EXPECT_EQ(priv.row["smaps"]["rss"].get<int64_t>(), priv.smaps["Rss"]);
  EXPECT_EQ(priv.row["smaps"]["pss"].get<int64_t>(), priv.smaps["Pss"]);

  argv = setpriv;
  argv.insert(argv.end(), {"procinfo", pid});
  r = RunCommand(argv);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("page-level numbers are not available: physical page "
                       "numbers are hidden"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("not shown: PFNs, RSS/PSS/USS by page, and the "
                       "kpageflags of pages"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(helper.Stop(), 0);
}

TEST_F(ProcinfoE2E, KernelThreadAndMissingPids) {
  // pid 2 is kthreadd on every Linux system.
  RunResult r = Memstats({"procinfo", "2"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_EQ(r.err,
            "memstats: error: pid 2 (kthreadd) is a kernel thread: it has no "
            "user memory to show\n");
  EXPECT_EQ(r.out, "");

  // Above the largest pid_max (2^22): never a process.
  r = Memstats({"procinfo", "4194305"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_EQ(r.err, "memstats: error: no process with pid 4194305\n");

  // A process that has exited and been reaped.
  const pid_t gone = ::fork();
  ASSERT_GE(gone, 0);
  if (gone == 0) _exit(0);
  ASSERT_EQ(::waitpid(gone, nullptr, 0), gone);
  r = Memstats({"procinfo", std::to_string(gone)});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_EQ(r.err, "memstats: error: no process with pid " +
                       std::to_string(gone) + "\n");
}

}  // namespace
}  // namespace memstats::testing
