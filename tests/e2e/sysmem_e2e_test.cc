// Live tests of the kinds of memory that need the system set up first: KSM
// (ksmd turned on fast), swap (a swap file) and hugetlb (a huge page pool).
// Each test changes the settings through system_settings.h, whose objects
// restore them in their destructors (and RestoreLeftovers() after a crash),
// starts memstats_sysmem_helper (sysmem_helper.cc: a parent and a child with
// a known layout), and checks memstats's JSON to the page against the
// layout, against smaps, and against tests/e2e/independent_pagemap.py.
//
// The two processes are split with --split-pids PARENT,CHILD, so there are
// three views: each process alone, and both together (the totals).
//
// Tolerance: as in e2e_test.cc, each process's runtime (stack, .data/.bss)
// adds up to kNoisePerProcess of anon pages; swap, KSM, shmem and hugetlb
// numbers are exact, and anon_rss is compared exactly with smaps.
//
// A kernel without the feature (no KSM, no swap on this file system, no
// 2 MiB huge pages) makes the test skip, saying why; CI treats a skip as a
// failure. Needs root.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/proc_files.h"
#include "e2e/sysmem_process.h"
#include "e2e/system_settings.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "subprocess.h"

namespace memstats::testing {
namespace {

using nlohmann::json;

constexpr int64_t kPage = 4096;
constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kNoisePerProcess = 512 * 1024;

// "rss" and "swap" (bytes) of SysV segment `shmid` in /proc/sysvipc/shm;
// -1 when it is not listed.
std::pair<int64_t, int64_t> SysvRssSwap(int shmid) {
  std::istringstream in(ReadWholeFile("/proc/sysvipc/shm"));
  std::string line;
  std::getline(in, line);  // header: key shmid perms size cpid lpid nattch
                           // uid gid cuid cgid atime dtime ctime rss swap
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::vector<int64_t> v;
    for (int64_t x; f >> x;) v.push_back(x);
    if (v.size() >= 16 && v[1] == shmid) return {v[14], v[15]};
  }
  return {-1, -1};
}

// j[key], or null when j has no such key (operator[] of a const json must
// not be given a missing key).
const json& Field(const json& j, const char* key) {
  static const json kNull;
  return j.is_object() && j.contains(key) ? j[key] : kNull;
}

int64_t I(const json& g, const char* field) {
  if (!g.is_object() || !g.contains(field) || !g[field].is_number()) {
    ADD_FAILURE() << "missing numeric field " << field << " in " << g.dump();
    return -1;
  }
  return g[field].get<int64_t>();
}

// The live tests share one lock (E2eTest's): two helpers at once would
// change each other's numbers, and these tests change the whole system.
class SysMemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root: pagemap PFNs, sysfs settings, swapon";
    lock_ = std::make_unique<LiveTestLock>();
    const std::string leftovers = RestoreLeftovers();
    ASSERT_EQ(leftovers, "") << "could not undo an earlier run's changes";
  }
  void TearDown() override {
    lock_.reset();
  }

  // memstats on the helper's two processes, split into one group per pid;
  // returns the "pids" split (null after a test failure).
  json Memstats(const SysmemHelper& h) {
    const std::string p = std::to_string(h.parent()),
                      c = std::to_string(h.child());
    RunResult r =
        RunCommand({MemstatsBinary(), "--filter", "descendants(" + p + ")",
                    "groups", "--split-pids", p + "," + c, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    json j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "invalid JSON\n" << r.Describe();
    if (r.exit_code != 0 || j.is_discarded()) return json();
    EXPECT_TRUE(j.value("page_level", false)) << "no page-level numbers";
    for (const json& s : j["splits"]) {
      if (s.value("splitter", "") != "pids") continue;
      json out = {{"totals", s["totals"]}};
      for (const json& g : s["groups"]) {
        if (g["name"] == p) out["parent"] = g;
        if (g["name"] == c) out["child"] = g;
      }
      EXPECT_TRUE(out.contains("parent") && out.contains("child")) << s.dump();
      return out;
    }
    ADD_FAILURE() << "no pids split: " << j.dump();
    return json();
  }

  // independent_pagemap.py on groups "parent" and "child"; returns
  // {"parent", "child", "totals"} (null after a test failure).
  json Checker(const SysmemHelper& h) {
    RunResult r = RunCommand({PYTHON3, INDEPENDENT_CHECKER, "--group",
                              "parent=" + std::to_string(h.parent()), "--group",
                              "child=" + std::to_string(h.child())});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.Describe();
    if (r.exit_code != 0 || j.is_discarded()) return json();
    return {{"parent", j["groups"]["parent"]},
            {"child", j["groups"]["child"]},
            {"totals", j["totals"]},
            {"skipped", j["skipped"]}};
  }

  std::unique_ptr<LiveTestLock> lock_;
};

const char* const kViews[] = {"parent", "child", "totals"};

// Fields memstats and the checker must print identically. Unlike
// e2e_test.cc, file_uss and uss are compared too: the helper is static, so
// its only file pages are its own binary's, which neither memstats nor the
// checker maps.
const char* const kPageFields[] = {"processes", "rss",       "anon_rss",
                                   "shmem_rss", "file_rss",  "uss",
                                   "anon_uss",  "shmem_uss", "file_uss"};

// memstats (m) against the checker (c) in every view: the page fields, and
// `pairs` of (memstats field, checker field).
void CompareWithChecker(
    const json& m, const json& c,
    const std::vector<std::pair<const char*, const char*>>& pairs) {
  for (const char* view : kViews) {
    const json &mv = Field(m, view), &cv = Field(c, view);
    SCOPED_TRACE(std::string(view) + "\nmemstats: " + mv.dump() +
                 "\nchecker: " + cv.dump());
    for (const char* f : kPageFields) EXPECT_EQ(I(mv, f), I(cv, f)) << f;
    for (const auto& [mine, theirs] : pairs)
      EXPECT_EQ(I(mv, mine), I(cv, theirs))
          << mine << " vs the checker's " << theirs;
  }
}

using Smaps = std::map<std::string, int64_t>;

// smaps_rollup field `key` (bytes); a test failure and -1 when absent.
int64_t At(const Smaps& smaps, const char* key) {
  auto it = smaps.find(key);
  if (it != smaps.end()) return it->second;
  ADD_FAILURE() << "no " << key << " in smaps_rollup";
  return -1;
}

// The checker's "smaps" sums against smaps_rollup read here: per process,
// and their sum for the totals. `keys` pairs a smaps_rollup key with the
// checker's name for it.
void CompareCheckerSmaps(
    const json& c, const Smaps (&smaps)[2],
    std::initializer_list<std::pair<const char*, const char*>> keys) {
  for (const auto& [key, theirs] : keys) {
    for (int i = 0; i < 2; ++i) {
      const json& cs = Field(Field(c, kViews[i]), "smaps");
      EXPECT_EQ(I(cs, theirs), At(smaps[i], key))
          << kViews[i] << " checker smaps " << theirs << ": " << cs.dump();
    }
    EXPECT_EQ(I(Field(Field(c, "totals"), "smaps"), theirs),
              At(smaps[0], key) + At(smaps[1], key))
        << "totals checker smaps " << theirs;
  }
}

// The consistency rules every group obeys.
void CheckConsistent(const json& g) {
  SCOPED_TRACE(g.dump());
  EXPECT_EQ(I(g, "anon_rss") + I(g, "shmem_rss") + I(g, "file_rss"),
            I(g, "rss"));
  EXPECT_LE(I(g, "uss"), I(g, "rss"));
  EXPECT_LE(I(g, "swap_uss"), I(g, "swap_rss"));
}

// ---------------------------------------------------------------- KSM ----

// Layout (sysmem_helper.cc "ksm"): kKsmPatterns contents, each repeated
// kKsmPerPattern times in the parent AND in the child; one more content
// kKsmParentOnly times in the parent only; kKsmUnique pages of unique
// content in each. 2 * 100 and 50 mappings per KSM page stay under ksm's
// max_page_sharing (256), so each content merges into exactly one page.
constexpr int64_t kKsmPatterns = 4, kKsmPerPattern = 100, kKsmParentOnly = 50,
                  kKsmUnique = 64;
const std::string kKsm = "/sys/kernel/mm/ksm/";

std::string KsmState() {
  std::string s;
  for (const char* f : {"run", "full_scans", "pages_shared", "pages_sharing",
                        "pages_unshared", "pages_volatile", "stable_node_dups"})
    s += std::string(f) + "=" + ReadFirstLineOf(kKsm + f) + " ";
  return s;
}

TEST_F(SysMemTest, KsmMergedPagesCountOnceInRss) {
  if (!std::filesystem::exists(kKsm + "run"))
    GTEST_SKIP() << "this kernel has no KSM (CONFIG_KSM): no " << kKsm << "run";
  const int64_t max_sharing =
      std::stoll("0" + ReadFirstLineOf(kKsm + "max_page_sharing"));
  ASSERT_GE(max_sharing, 2 * kKsmPerPattern)
      << "ksm max_page_sharing too low for the layout";

  // Fast ksmd; run=2 (unmerge everything) before going back to run=0.
  SystemSetting to_scan(kKsm + "pages_to_scan", "5000");
  SystemSetting sleep_ms(kKsm + "sleep_millisecs", "10");
  const bool was_off = ReadFirstLineOf(kKsm + "run") == "0";
  SystemSetting run(
      kKsm + "run", "1",
      was_off ? std::vector<std::string>{"2"} : std::vector<std::string>{});
  ASSERT_TRUE(to_scan.ok() && sleep_ms.ok() && run.ok())
      << to_scan.error() << sleep_ms.error() << run.error();

  auto n = [](int64_t v) { return std::to_string(v); };
  SysmemHelper h({"ksm", "--patterns", n(kKsmPatterns), "--per-pattern",
                  n(kKsmPerPattern), "--parent-only", n(kKsmParentOnly),
                  "--unique", n(kKsmUnique)});
  ASSERT_TRUE(h.ok()) << h.error();

  // Page-table entries that map KSM pages, per process (smaps "KSM").
  const int64_t parent_ksm_ptes =
      (kKsmPatterns * kKsmPerPattern + kKsmParentOnly) * kPage;
  const int64_t child_ksm_ptes = kKsmPatterns * kKsmPerPattern * kPage;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  Smaps smaps[2];
  Smaps &ps = smaps[0], &cs = smaps[1];
  for (;;) {
    ps = ReadRollup(h.parent());
    cs = ReadRollup(h.child());
    if (ps["KSM"] == parent_ksm_ptes && cs["KSM"] == child_ksm_ptes) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "ksmd did not merge the layout in 20 s: smaps KSM parent "
        << ps["KSM"] << " (want " << parent_ksm_ptes << "), child " << cs["KSM"]
        << " (want " << child_ksm_ptes << "); " << KsmState();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  json m = Memstats(h);
  json c = Checker(h);
  ASSERT_FALSE(HasFailure());
  RecordProperty("ksm_state", KsmState());
  // Merged pages: one per content. Each is mapped by many entries.
  const int64_t shared_ksm = kKsmPatterns * kPage;
  const int64_t parent_ksm = shared_ksm + kPage;  // + the parent-only one
  struct Want {
    const char* view;
    int64_t ksm, anon_rss, anon_uss, noise;
  };
  const Want wants[] = {
      {"parent", parent_ksm, parent_ksm + kKsmUnique * kPage,
       (1 + kKsmUnique) * kPage, kNoisePerProcess},
      {"child", shared_ksm, shared_ksm + kKsmUnique * kPage, kKsmUnique * kPage,
       kNoisePerProcess},
      {"totals", parent_ksm, parent_ksm + 2 * kKsmUnique * kPage,
       parent_ksm + 2 * kKsmUnique * kPage, 2 * kNoisePerProcess},
  };
  for (const Want& w : wants) {
    const json& g = m[w.view];
    SCOPED_TRACE(std::string(w.view) + ": " + g.dump());
    CheckConsistent(g);
    EXPECT_EQ(I(g, "ksm"), w.ksm);
    EXPECT_GE(I(g, "anon_rss"), w.anon_rss);
    EXPECT_LE(I(g, "anon_rss"), w.anon_rss + w.noise);
    EXPECT_GE(I(g, "anon_uss"), w.anon_uss);
    EXPECT_LE(I(g, "anon_uss"), w.anon_uss + w.noise);
    EXPECT_EQ(I(g, "shmem_rss"), 0);
    EXPECT_EQ(I(g, "swap_rss"), 0);
  }
  // Both processes together own every anonymous page they map.
  EXPECT_EQ(I(m["totals"], "anon_uss"), I(m["totals"], "anon_rss"));

  // smaps counts every entry: its Rss and Anonymous exceed the distinct
  // pages by exactly the repeated entries of merged pages (without KSM
  // they are equal: see the other tests).
  for (const char* key : {"Rss", "Anonymous"}) {
    const char* mine = std::string(key) == "Rss" ? "rss" : "anon_rss";
    EXPECT_EQ(At(ps, key) - I(m["parent"], mine), parent_ksm_ptes - parent_ksm)
        << "parent smaps " << key << " " << ps[key];
    EXPECT_EQ(At(cs, key) - I(m["child"], mine), child_ksm_ptes - shared_ksm)
        << "child smaps " << key << " " << cs[key];
  }
  // PSS splits a merged page among all its entries, as smaps does.
  EXPECT_NEAR(I(m["parent"], "pss_anon"), ps["Pss_Anon"], 1024);
  EXPECT_NEAR(I(m["child"], "pss_anon"), cs["Pss_Anon"], 1024);

  // The KSM column on request (--ksm), in bytes: the table's last column.
  const std::string p = std::to_string(h.parent()),
                    ch = std::to_string(h.child());
  RunResult text = RunCommand({MemstatsBinary(), "--units", "B", "--filter",
                               "descendants(" + p + ")", "groups",
                               "--split-pids", p + "," + ch, "--ksm"});
  ASSERT_EQ(text.exit_code, 0) << text.Describe();
  const std::pair<std::string, int64_t> rows[] = {
      {"GROUP", -1}, {p, parent_ksm}, {ch, shared_ksm}, {"TOTAL", parent_ksm}};
  for (const auto& [name, bytes] : rows) {
    std::istringstream lines(text.out);
    std::string line, last;
    while (std::getline(lines, line) && line.rfind(name + " ", 0) != 0) {
    }
    for (std::istringstream words(line); words >> last;) {
    }
    EXPECT_EQ(last, bytes < 0 ? "KSM" : std::to_string(bytes))
        << name << " row of:\n"
        << text.out;
  }

  CompareWithChecker(m, c, {{"ksm", "ksm_rss"}});
  CompareCheckerSmaps(
      c, smaps, {{"Rss", "rss"}, {"Anonymous", "anonymous"}, {"KSM", "ksm"}});
}

// --------------------------------------------------------------- swap ----

// Layout (sysmem_helper.cc "swap"), MiB: copy-on-write anon in swap, shared
// by parent and child; each process's own anon in swap; shared anonymous
// memory, a SysV segment and a memfd, mapped by both, the first half of each
// in swap.
// The parent also has kGuardPages guard pages: pagemap marks them "swapped"
// (bit 62, swap type 31), yet they are no swap.
constexpr int64_t kCowSwap = 8, kParentSwap = 4, kChildSwap = 2,
                  kSharedAnon = 8, kSysv = 4, kMemfd = 2, kGuardPages = 16;

TEST_F(SysMemTest, SwappedPagesAndSwappedShmem) {
  SwapFile swap(128);
  if (swap.state() == SwapFile::State::kUnsupported)
    GTEST_SKIP() << "the kernel refuses swap here: " << swap.error();
  ASSERT_EQ(swap.state(), SwapFile::State::kOn) << swap.error();

  auto n = [](int64_t v) { return std::to_string(v); };
  SysmemHelper h({"swap", "--cow-mib", n(kCowSwap), "--private-mib",
                  n(kParentSwap), "--child-mib", n(kChildSwap),
                  "--shared-anon-mib", n(kSharedAnon), "--sysv-mib", n(kSysv),
                  "--memfd-mib", n(kMemfd), "--guard-pages", n(kGuardPages)});
  ASSERT_TRUE(h.ok()) << h.error();
  if (h.Int("guard") == 0) {
    std::cout << "note: no guard pages (MADV_GUARD_INSTALL, Linux 6.13) in "
                 "this kernel: pagemap markers that are not swap go untested\n";
  }
  const int shmid = h.Int("shmid");

  json m = Memstats(h);
  json c = Checker(h);
  ASSERT_FALSE(HasFailure());
  const Smaps smaps[2] = {ReadRollup(h.parent()), ReadRollup(h.child())};
  const auto [sysv_rss, sysv_swap] = SysvRssSwap(shmid);

  // Swapped shmem is in no page table: only the resident halves count.
  const int64_t shmem_resident = (kSharedAnon + kSysv + kMemfd) / 2 * kMiB;
  const int64_t shmem_swapped = (kSharedAnon + kSysv + kMemfd) / 2 * kMiB;
  EXPECT_EQ(sysv_rss, kSysv / 2 * kMiB) << "/proc/sysvipc/shm";
  EXPECT_EQ(sysv_swap, kSysv / 2 * kMiB) << "/proc/sysvipc/shm";
  struct Want {
    const char* view;
    int64_t swap_rss, swap_uss, swap_pss, shmem_uss;
  };
  const Want wants[] = {
      {"parent", (kCowSwap + kParentSwap) * kMiB, kParentSwap * kMiB,
       (kCowSwap / 2 + kParentSwap) * kMiB, 0},
      {"child", (kCowSwap + kChildSwap) * kMiB, kChildSwap * kMiB,
       (kCowSwap / 2 + kChildSwap) * kMiB, 0},
      {"totals", (kCowSwap + kParentSwap + kChildSwap) * kMiB,
       (kCowSwap + kParentSwap + kChildSwap) * kMiB,
       (kCowSwap + kParentSwap + kChildSwap) * kMiB, shmem_resident},
  };
  for (const Want& w : wants) {
    const json& g = m[w.view];
    SCOPED_TRACE(std::string(w.view) + ": " + g.dump());
    CheckConsistent(g);
    EXPECT_EQ(I(g, "swap_rss"), w.swap_rss);
    EXPECT_EQ(I(g, "swap_uss"), w.swap_uss);
    EXPECT_EQ(I(g, "swap_pss"), w.swap_pss);
    EXPECT_EQ(I(g, "shmem_rss"), shmem_resident);
    EXPECT_EQ(I(g, "shmem_uss"), w.shmem_uss);
    EXPECT_EQ(I(g, "sysv_shm_rss"), kSysv / 2 * kMiB);
    EXPECT_EQ(I(g, "sysv_shm_swap"), kSysv / 2 * kMiB);
    // The shared anonymous memory and the memfd, each once.
    EXPECT_EQ(I(g, "shmem_swap"), (kSharedAnon + kMemfd) / 2 * kMiB);
    EXPECT_LE(I(g, "anon_rss"),
              kNoisePerProcess * I(g, "processes"));  // all of it in swap
  }
  // smaps, per process: Swap also holds the swapped shmem of every shared
  // mapping (whole, in each process); SwapPss leaves shmem out.
  for (int i = 0; i < 2; ++i) {
    const json& g = m[kViews[i]];
    SCOPED_TRACE(kViews[i]);
    EXPECT_EQ(At(smaps[i], "Rss"), I(g, "rss"));
    EXPECT_EQ(At(smaps[i], "Swap"), I(g, "swap_rss") + shmem_swapped);
    EXPECT_EQ(At(smaps[i], "SwapPss"), I(g, "swap_pss"));
    EXPECT_EQ(At(smaps[i], "Anonymous"), I(g, "anon_rss"));
    EXPECT_EQ(At(smaps[i], "Pss_Shmem"), shmem_resident / 2);
  }
  CompareWithChecker(m, c,
                     {{"swap_rss", "swap_rss"}, {"swap_uss", "swap_uss"}});
  CompareCheckerSmaps(c, smaps,
                      {{"Rss", "rss"},
                       {"Swap", "swap"},
                       {"SwapPss", "swap_pss"},
                       {"Anonymous", "anonymous"}});
}

// ------------------------------------------------------------ hugetlb ----

// Layout (sysmem_helper.cc "hugetlb"), 2 MiB pages: a hugetlb memfd mapped
// shared by both, and each process's own MAP_PRIVATE|MAP_HUGETLB pages.
constexpr int64_t kHugeShared = 2, kHugeParent = 2, kHugeChild = 1;
constexpr int64_t kHuge = 2 * kMiB;
const std::string kHugeDir = "/sys/kernel/mm/hugepages/hugepages-2048kB/";

TEST_F(SysMemTest, HugetlbIsReportedApartFromRss) {
  if (!std::filesystem::exists(kHugeDir + "nr_hugepages"))
    GTEST_SKIP() << "this kernel has no 2 MiB hugetlb pages: no " << kHugeDir;
  if (ReadWholeFile("/proc/meminfo").find("\nHugepagesize:       2048 kB\n") ==
      std::string::npos)
    GTEST_SKIP() << "the default huge page size is not 2 MiB (MFD_HUGETLB "
                    "uses the default)";
  const int64_t wanted = kHugeShared + kHugeParent + kHugeChild;
  const int64_t old_pool =
      std::stoll("0" + ReadFirstLineOf(kHugeDir + "nr_hugepages"));
  SystemSetting pool(kHugeDir + "nr_hugepages",
                     std::to_string(old_pool + wanted));
  ASSERT_TRUE(pool.ok()) << pool.error();
  ASSERT_GE(std::stoll("0" + ReadFirstLineOf(kHugeDir + "free_hugepages")),
            wanted)
      << "the kernel could not find " << wanted << " free 2 MiB blocks";

  auto n = [](int64_t v) { return std::to_string(v); };
  SysmemHelper h({"hugetlb", "--shared", n(kHugeShared), "--parent-private",
                  n(kHugeParent), "--child-private", n(kHugeChild)});
  ASSERT_TRUE(h.ok()) << h.error();

  json m = Memstats(h);
  json c = Checker(h);
  ASSERT_FALSE(HasFailure());
  const Smaps smaps[2] = {ReadRollup(h.parent()), ReadRollup(h.child())};
  const int64_t priv[] = {kHugeParent * kHuge, kHugeChild * kHuge};
  const int64_t want_hugetlb[] = {(kHugeShared + kHugeParent) * kHuge,
                                  (kHugeShared + kHugeChild) * kHuge,
                                  wanted * kHuge};
  for (int i = 0; i < 3; ++i) {
    const json& g = m[kViews[i]];
    SCOPED_TRACE(std::string(kViews[i]) + ": " + g.dump());
    CheckConsistent(g);
    EXPECT_EQ(I(g, "hugetlb"), want_hugetlb[i]);
    // Not in RSS: no shmem at all in this layout, only runtime anon.
    EXPECT_EQ(I(g, "shmem_rss"), 0);
    EXPECT_LE(I(g, "anon_rss"), kNoisePerProcess * I(g, "processes"));
    EXPECT_LT(I(g, "rss"), kHuge);
    EXPECT_EQ(I(g, "swap_rss"), 0);
  }
  for (int i = 0; i < 2; ++i) {
    const json& g = m[kViews[i]];
    SCOPED_TRACE(kViews[i]);
    EXPECT_EQ(At(smaps[i], "Private_Hugetlb"), priv[i]);
    EXPECT_EQ(At(smaps[i], "Shared_Hugetlb"), kHugeShared * kHuge);
    // smaps leaves hugetlb out of Rss and Anonymous, as memstats does.
    EXPECT_EQ(At(smaps[i], "Anonymous"), I(g, "anon_rss"));
    EXPECT_EQ(At(smaps[i], "Rss"), I(g, "rss"));
  }
  // The checker sees every 4 KiB entry of the huge pages and skips them.
  EXPECT_EQ(c["skipped"].value("hugetlb_entries", int64_t{-1}),
            (2 * kHugeShared + kHugeParent + kHugeChild) * kHuge / kPage);
  CompareWithChecker(m, c, {});
  // The checker's hugetlb is the members' smaps *_Hugetlb summed (smaps has
  // no page identity): per process it is memstats's; in the totals it
  // counts the shared pages once per process, memstats once.
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(I(m[kViews[i]], "hugetlb"), I(c[kViews[i]], "hugetlb"))
        << kViews[i];
  EXPECT_EQ(I(c["totals"], "hugetlb"),
            I(m["totals"], "hugetlb") + kHugeShared * kHuge);
  CompareCheckerSmaps(c, smaps,
                      {{"Private_Hugetlb", "private_hugetlb"},
                       {"Shared_Hugetlb", "shared_hugetlb"},
                       {"Rss", "rss"}});
}

}  // namespace
}  // namespace memstats::testing
