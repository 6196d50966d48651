// End-to-end tests: start memstats_layout_helper (a parent and K children with
// a known memory layout), run the memstats binary on them, and check its JSON
// to the page, and against tests/e2e/independent_pagemap.py.
//
// Layout (layout_helper.cc; the sizes are in layout_process.h): N MiB
// MAP_SHARED|MAP_ANONYMOUS and S MiB SysV shm mapped by every process; C MiB
// copy-on-write anon shared by all; P MiB private anon in the parent; M MiB
// private anon per child; Z MiB of zero-page reads per child (must count as
// nothing, where the kernel maps the zero page on read faults; see
// ReadFaultsMapZeroPage). The parent's environment has
// MEMSTATS_E2E_ROLE=parent, even children =childA, odd children =childB.
//
// Tolerance: each process's own runtime (stacks, libc .data/.bss, ld.so,
// environment rewrite) adds at most kNoisePerProcess of anon pages, plus
// shared file pages. Shmem numbers are exact; anon numbers are checked within
// [expected, expected + kNoisePerProcess * processes in the group].
//
// Needs root (pagemap PFNs). CI runs as root and treats skips as failures.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <fstream>
#include <map>
#include <regex>
#include <set>
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
constexpr int64_t kNoisePerProcess = 512 * 1024;

// The value of `key` in /proc/PID/environ ("" when absent).
std::string EnvOf(pid_t pid, const std::string& key) {
  std::stringstream env(ReadWholeFile("/proc/" + std::to_string(pid) + "/environ"));
  for (std::string kv; std::getline(env, kv, '\0');)
    if (kv.rfind(key + "=", 0) == 0) return kv.substr(key.size() + 1);
  return "";
}

// The shmids listed in /proc/sysvipc/shm (removed but attached ones too).
std::set<int> ShmIds() {
  std::istringstream lines(ReadWholeFile("/proc/sysvipc/shm"));
  std::set<int> ids;
  std::string line;
  std::getline(lines, line);  // header
  for (long key, id; lines >> key >> id && std::getline(lines, line);)
    ids.insert(static_cast<int>(id));
  return ids;
}

std::string Join(const std::vector<pid_t>& pids) {
  std::string s;
  for (pid_t p : pids) s += (s.empty() ? "" : ",") + std::to_string(p);
  return s;
}

// The fixture serializes the tests among themselves with a lock file (ctest
// -j runs each test in its own process): two helpers at once would share the
// helper binary's file pages and change each other's file USS.
class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root: pagemap shows PFNs only with CAP_SYS_ADMIN";
    lock_ = std::make_unique<LiveTestLock>();
  }
  void TearDown() override {
    lock_.reset();
  }

  std::vector<pid_t> ChildrenWithRole(const LayoutHelper& h, int parity) {
    std::vector<pid_t> v;
    for (size_t i = 0; i < h.children().size(); ++i)
      if (static_cast<int>(i % 2) == parity) v.push_back(h.children()[i]);
    return v;
  }

  // Runs memstats; returns its parsed JSON (null on failure, with a test
  // failure).
  json Memstats(std::vector<std::string> args) {
    args.insert(args.begin(), MemstatsBinary());
    RunResult r = RunCommand(args);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    json j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "invalid JSON\n" << r.Describe();
    if (r.exit_code != 0 || j.is_discarded()) return json();
    EXPECT_EQ(j.value("schema_version", 0), 1);
    EXPECT_TRUE(j.value("page_level", false))
        << "no page-level numbers while running as root";
    EXPECT_TRUE(j.contains("scan"));
    return j;
  }

  json Checker(const std::map<std::string, std::vector<pid_t>>& groups) {
    std::vector<std::string> args = {PYTHON3, INDEPENDENT_CHECKER};
    for (const auto& [name, pids] : groups) {
      args.push_back("--group");
      args.push_back(name + "=" + Join(pids));
    }
    RunResult r = RunCommand(args);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.Describe();
    return j.is_discarded() ? json() : j;
  }

  std::unique_ptr<LiveTestLock> lock_;
};

const json* FindSplit(const json& j, const std::string& splitter) {
  if (!j.contains("splits")) return nullptr;
  for (const auto& s : j["splits"])
    if (s.value("splitter", "") == splitter) return &s;
  return nullptr;
}

const json* FindGroup(const json& split, const std::string& name) {
  for (const auto& g : split["groups"])
    if (g.value("name", "") == name) return &g;
  return nullptr;
}

int64_t I(const json& g, const char* field) {
  if (!g.contains(field) || !g[field].is_number()) {
    ADD_FAILURE() << "missing numeric field " << field << " in " << g.dump();
    return -1;
  }
  return g[field].get<int64_t>();
}

// What the layout implies for one group.
struct Expect {
  int processes;
  int64_t shmem_uss;  // exact (bytes)
  int64_t anon_rss;   // lower bound (bytes); upper = + noise * processes
  int64_t anon_uss;   // lower bound (bytes); upper = + noise * processes
};

// The page-set numbers, which memstats and independent_pagemap.py both print.
void CheckPages(const json& g, const Expect& e, const std::string& where) {
  SCOPED_TRACE(where + ": " + g.dump());
  const int64_t noise = kNoisePerProcess * e.processes;
  EXPECT_EQ(I(g, "processes"), e.processes);
  EXPECT_EQ(I(g, "shmem_rss"), (kShared + kSysv) * kMiB);
  EXPECT_EQ(I(g, "shmem_uss"), e.shmem_uss);
  EXPECT_GE(I(g, "anon_rss"), e.anon_rss);
  EXPECT_LE(I(g, "anon_rss"), e.anon_rss + noise);
  EXPECT_GE(I(g, "anon_uss"), e.anon_uss);
  EXPECT_LE(I(g, "anon_uss"), e.anon_uss + noise);
  EXPECT_GT(I(g, "file_rss"), 0);
  EXPECT_EQ(I(g, "anon_rss") + I(g, "shmem_rss") + I(g, "file_rss"),
            I(g, "rss"));
  EXPECT_EQ(I(g, "anon_uss") + I(g, "shmem_uss") + I(g, "file_uss"),
            I(g, "uss"));
  EXPECT_LE(I(g, "uss"), I(g, "rss"));
  EXPECT_LE(I(g, "file_uss"), I(g, "file_rss"));
  EXPECT_EQ(I(g, "rss") % 4096, 0);
  EXPECT_EQ(I(g, "uss") % 4096, 0);
}

// Page-set numbers plus the fields only memstats prints.
void CheckGroup(const json& g, const Expect& e, const std::string& where) {
  CheckPages(g, e, where);
  SCOPED_TRACE(where + ": " + g.dump());
  EXPECT_EQ(I(g, "sysv_shm_rss"), kSysv * kMiB);
  EXPECT_EQ(I(g, "swap_rss"), 0);  // no swap on the test machines
  EXPECT_EQ(I(g, "swap_uss"), 0);
  EXPECT_EQ(I(g, "hugetlb"), 0);
  ASSERT_TRUE(g.contains("pss") && g["pss"].is_number());
  const double pss = g["pss"].get<double>();
  EXPECT_LE(pss, static_cast<double>(I(g, "rss")));
  EXPECT_GE(pss, static_cast<double>(I(g, "anon_uss") + I(g, "shmem_uss")));
}

// Whether this kernel maps its shared zero page when private anonymous
// memory is first read (do_anonymous_page does on most kernels). The 6.18
// kernel of this project's shared test machine does not: every read fault
// gets a fresh anonymous page of its own (two PFNs for two pages, no
// kpageflags ZERO_PAGE, and smaps counts them in Rss and Anonymous), so
// there the helper's Z MiB of reads are Z MiB of each child's own anonymous
// memory, and both memstats and the checker rightly count them. Probed once
// in this process, from its own pagemap.
bool ReadFaultsMapZeroPage() {
  static const bool maps_zero_page = [] {
    const size_t len = 2 * 4096;
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return true;
    const volatile char* v = static_cast<const char*>(p);
    (void)v[0];
    (void)v[4096];
    uint64_t e[2] = {0, 0};
    const int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    const bool read =
        fd >= 0 &&
        pread(fd, e, sizeof e,
              static_cast<off_t>(reinterpret_cast<uintptr_t>(p) / 4096 * 8)) ==
            sizeof e;
    if (fd >= 0) close(fd);
    munmap(p, len);
    constexpr uint64_t kPfn = (uint64_t{1} << 55) - 1;
    return !read || (e[0] & kPfn) == (e[1] & kPfn);
  }();
  return maps_zero_page;
}

// MiB of each child's own anonymous memory beyond kChildPriv: its zero-page
// reads where the kernel gives read faults their own pages.
int64_t ChildReadAnon() { return ReadFaultsMapZeroPage() ? 0 : kZero; }

// Union over all processes of the layout: everything is the group's own.
Expect Everything() {
  const int64_t anon =
      (kCow + kParentPriv + kChildren * (kChildPriv + ChildReadAnon())) * kMiB;
  return {kChildren + 1, (kShared + kSysv) * kMiB, anon, anon};
}

// Totals of a split must be the union of its groups.
void CheckTotals(const json& split, const std::string& where) {
  ASSERT_TRUE(split.contains("totals")) << where;
  CheckGroup(split["totals"], Everything(), where + " totals");
  int64_t rss = 0, uss = 0;
  for (const auto& g : split["groups"]) {
    rss += I(g, "rss");
    uss += I(g, "uss");
  }
  EXPECT_GE(rss, I(split["totals"], "rss")) << where;
  EXPECT_LE(uss, I(split["totals"], "uss")) << where;
}

Expect ParentAlone() {
  return {1, 0, (kCow + kParentPriv) * kMiB, kParentPriv * kMiB};
}
Expect Children(int n) {
  const int64_t own = n * (kChildPriv + ChildReadAnon()) * kMiB;
  return {n, 0, kCow * kMiB + own, own};
}
constexpr int kChildA = (kChildren + 1) / 2, kChildB = kChildren / 2;

// Fields that memstats and the checker must report identically. They
// define USS differently: memstats calls a page outside the group when
// kpagecount exceeds the scanned processes' references, the checker when a
// process outside the group maps it in its own whole-system scan. The two
// only differ for mappings one of them cannot see: page tables of processes
// the checker cannot read (PID 1 in a container), of other PID namespaces,
// or of processes that came and went between the two runs, and each tool's
// own mappings (memstats's libc, ld.so, libstdc++ are in kpagecount while
// it runs; the checker's python, libc, ld.so are in its scan). None of
// these can map the helper's anonymous or shmem pages, so anon_uss,
// shmem_uss and uss - file_uss are compared exactly. file_uss (and so uss)
// is not: the helper's file pages include libc and ld.so pages, and under
// `ctest -j` other tests' short-lived processes map and unmap some of them
// all the time (seen: the parent's file_uss moving between 0 and 8192 from
// one checker run to the next on unchanged processes), so no two readings
// need agree. KindsTest compares file USS and PSS exactly on a static
// helper whose only file pages are its own.
// swap_rss/swap_uss: no swap on the test machines, both must be 0 here.
const char* const kPageFields[] = {"processes", "rss",       "anon_rss",
                                   "shmem_rss", "file_rss",  "anon_uss",
                                   "shmem_uss", "swap_rss",  "swap_uss"};

// Whether two checker outputs have the same stable page-set numbers.
bool SamePages(const json& a, const json& b) {
  if (!a.is_object() || !b.is_object() ||
      a["groups"].size() != b["groups"].size())
    return false;
  auto same = [](const json& x, const json& y) {
    for (const char* f : kPageFields)
      if (x.value(f, int64_t{-1}) != y.value(f, int64_t{-2})) return false;
    return true;
  };
  for (const auto& [name, g] : a["groups"].items())
    if (!b["groups"].contains(name) || !same(g, b["groups"][name]))
      return false;
  return same(a["totals"], b["totals"]);
}

// The checker and the helper alone, without memstats: the test machinery
// itself must agree with the layout.
TEST_F(E2eTest, HelperLayoutMatchesIndependentChecker) {
  LayoutHelper h;
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_EQ(h.children().size(), static_cast<size_t>(kChildren));
  EXPECT_EQ(EnvOf(h.parent(), kEnvKey), "parent");
  for (size_t i = 0; i < h.children().size(); ++i)
    EXPECT_EQ(EnvOf(h.children()[i], kEnvKey), i % 2 == 0 ? "childA" : "childB")
        << "child " << i;
  EXPECT_EQ(ShmIds().count(h.shmid()), 1u)
      << "removed segment still listed while attached";

  json c = Checker({{"parent", {h.parent()}},
                    {"childA", ChildrenWithRole(h, 0)},
                    {"childB", ChildrenWithRole(h, 1)}});
  ASSERT_TRUE(c.is_object());
  CheckPages(c["groups"]["parent"], ParentAlone(), "checker parent");
  CheckPages(c["groups"]["childA"], Children(kChildA), "checker childA");
  CheckPages(c["groups"]["childB"], Children(kChildB), "checker childB");
  CheckPages(c["totals"], Everything(), "checker totals");
  // Every child read Z MiB of anonymous memory: all zero-page entries (the
  // helper disables THP, so none of them is the huge zero page), or none
  // where read faults get pages of their own. The checker found the zero
  // page exactly when this test's own probe did.
  EXPECT_EQ(c["skipped"]["zero_page_entries"].get<int64_t>(),
            ReadFaultsMapZeroPage() ? kChildren * kZero * kMiB / 4096 : 0);
  EXPECT_EQ(c["zero_pfns"]["zero_page"].is_number(), ReadFaultsMapZeroPage())
      << c["zero_pfns"];
  EXPECT_EQ(c["skipped"]["huge_zero_page_entries"].get<int64_t>(), 0);
  EXPECT_EQ(c["skipped"]["hugetlb_entries"].get<int64_t>(), 0);
  for (const json* g : {&c["groups"]["parent"], &c["groups"]["childA"],
                        &c["groups"]["childB"], &c["totals"]}) {
    SCOPED_TRACE(g->dump());
    EXPECT_EQ(I(*g, "swap_rss"), 0);  // no swap on the test machines
    EXPECT_EQ(I(*g, "swap_uss"), 0);
    EXPECT_EQ(I(*g, "ksm_rss"), 0);
    EXPECT_EQ(I(*g, "hugetlb"), 0);
  }
  EXPECT_TRUE(c["crosscheck"]["mismatches"].empty()) << c["crosscheck"];

  // The segment was IPC_RMID'ed at once: it is gone with the helper.
  EXPECT_EQ(h.Stop(), 0);
  EXPECT_EQ(ShmIds().count(h.shmid()), 0u) << "SysV segment leaked";
}

// The checker's kinds come from mappings and pagemap bit 61, its USS from a
// whole-system PFN set difference; the kernel's smaps counts the same pages
// its own way. On every helper process, each alone in a group: the checker
// cross-checked every mapping (anon entries == Anonymous, present entries
// == Rss, swap entries == Swap; a mismatch is exit 2), and its per-process
// numbers equal the smaps sums. USS == Private_*: smaps calls a page private
// when its mapcount is 1, which (no page is mapped twice within a helper
// process) is "no other page table maps it" -- the set difference, with the
// checker's own python among the other processes in both.
TEST_F(E2eTest, CheckerSmapsCrossCheckHoldsOnLayoutHelper) {
  LayoutHelper h;
  ASSERT_TRUE(h.ok()) << h.error();
  std::map<std::string, std::vector<pid_t>> groups = {{"parent", {h.parent()}}};
  for (pid_t c : h.children()) groups["child" + std::to_string(c)] = {c};
  json c = Checker(groups);
  ASSERT_TRUE(c.is_object());
  const json& cc = c["crosscheck"];
  EXPECT_TRUE(cc["mismatches"].empty()) << cc;
  EXPECT_EQ(cc["kind_conflicts"], 0) << cc;
  // At least the layout's regions, the binary's and libc's mappings, heap
  // and stack in each process.
  EXPECT_GE(cc["mappings_checked"].get<int>(), 10 * (kChildren + 1)) << cc;
  int64_t smaps_anon = 0, smaps_rss = 0;
  for (const auto& [name, g] : c["groups"].items()) {
    SCOPED_TRACE(name + ": " + g.dump());
    const json& sm = g["smaps"];
    for (const char* f :
         {"rss", "pss", "anonymous", "anon_huge_pages", "shmem_pmd_mapped",
          "swap", "swap_pss", "shared_hugetlb", "private_hugetlb", "shared",
          "private"})
      EXPECT_TRUE(sm.contains(f) && sm[f].is_number()) << f;
    EXPECT_EQ(I(sm, "anonymous"), I(g, "anon_rss"));
    EXPECT_EQ(I(sm, "rss"), I(g, "rss"));
    EXPECT_EQ(I(sm, "private"), I(g, "uss"));
    EXPECT_EQ(I(sm, "shared") + I(sm, "private"), I(sm, "rss"));
    EXPECT_EQ(I(sm, "anon_huge_pages"), 0);  // the helper disables THP
    EXPECT_EQ(I(sm, "swap"), 0);
    EXPECT_EQ(I(g, "hugetlb"), 0);
    smaps_anon += I(sm, "anonymous");
    smaps_rss += I(sm, "rss");
  }
  // Totals sum smaps per process but count each page once.
  EXPECT_EQ(I(c["totals"]["smaps"], "anonymous"), smaps_anon);
  EXPECT_EQ(I(c["totals"]["smaps"], "rss"), smaps_rss);
  EXPECT_LT(I(c["totals"], "rss"), smaps_rss);  // shared and COW pages
  CheckPages(c["totals"], Everything(), "checker totals");
}

TEST_F(E2eTest, GroupsByEnvAndPidsMatchLayout) {
  LayoutHelper h;
  ASSERT_TRUE(h.ok()) << h.error();
  const std::string p = std::to_string(h.parent());
  json j = Memstats({"--filter", "descendants(" + p + ")", "groups",
                     "--split-env", kEnvKey, "--split-pids", p, "--json"});
  ASSERT_TRUE(j.is_object());

  const json* env = FindSplit(j, std::string("env:") + kEnvKey);
  ASSERT_NE(env, nullptr) << j.dump();
  ASSERT_EQ((*env)["groups"].size(), 3u) << env->dump();
  const json* g = FindGroup(*env, "parent");
  ASSERT_NE(g, nullptr);
  CheckGroup(*g, ParentAlone(), "env parent");
  ASSERT_NE(g = FindGroup(*env, "childA"), nullptr);
  CheckGroup(*g, Children(kChildA), "env childA");
  ASSERT_NE(g = FindGroup(*env, "childB"), nullptr);
  CheckGroup(*g, Children(kChildB), "env childB");
  CheckTotals(*env, "env");

  const json* pids = FindSplit(j, "pids");
  ASSERT_NE(pids, nullptr) << j.dump();
  ASSERT_EQ((*pids)["groups"].size(), 2u) << pids->dump();
  ASSERT_NE(g = FindGroup(*pids, p), nullptr);
  CheckGroup(*g, ParentAlone(), "pids parent");
  ASSERT_NE(g = FindGroup(*pids, "Other"), nullptr);
  CheckGroup(*g, Children(kChildren), "pids Other");
  CheckTotals(*pids, "pids");
}

TEST_F(E2eTest, SingleGroupIsTheUnion) {
  LayoutHelper h;
  ASSERT_TRUE(h.ok()) << h.error();
  json j =
      Memstats({"--filter", "descendants(" + std::to_string(h.parent()) + ")",
                "single", "--json"});
  ASSERT_TRUE(j.is_object());
  const json* single = FindSplit(j, "single");
  ASSERT_NE(single, nullptr) << j.dump();
  ASSERT_EQ((*single)["groups"].size(), 1u);
  const json* all = FindGroup(*single, "all");
  ASSERT_NE(all, nullptr);
  CheckGroup(*all, Everything(), "single all");
  // Everything the layout allocated is the group's own, so its PSS holds all
  // of it; PSS never exceeds the union RSS.
  const double pss = (*all)["pss"].get<double>();
  EXPECT_GE(pss, static_cast<double>((kShared + kSysv + kCow + kParentPriv +
                                      kChildren * kChildPriv) *
                                     kMiB));
  EXPECT_LE(pss, static_cast<double>(I(*all, "rss")));
  // The single group is the same set as the totals of any split.
  const json& t = (*single)["totals"];
  for (const char* f :
       {"rss", "uss", "anon_rss", "anon_uss", "shmem_rss", "file_rss"})
    EXPECT_EQ(I(t, f), I(*all, f)) << f;
}

// PSS comes from kpagecount (page_size / mapcount per page); the kernel's
// smaps computes the same sum. Per process, anon and shmem must agree to
// the kernel's rounding (smaps prints whole kB, so < 1 KiB); file pages
// (libc, ld.so) are also mapped by memstats itself while it runs, which
// lowers their share then, so file PSS only has to agree within 256 KiB.
// No THP here (the helper disables it), so no folio averaging either.
TEST_F(E2eTest, PssFromKpagecountAgreesWithSmaps) {
  LayoutHelper h;
  ASSERT_TRUE(h.ok()) << h.error();
  json j =
      Memstats({"--filter", "descendants(" + std::to_string(h.parent()) + ")",
                "--list-processes", "single", "--json"});
  ASSERT_TRUE(j.is_object());
  ASSERT_TRUE(j.contains("processes"));
  int compared = 0;
  for (const json& p : j["processes"]) {
    const int pid = p["pid"].get<int>();
    std::map<std::string, int64_t> kb;
    std::istringstream in(
        ReadWholeFile("/proc/" + std::to_string(pid) + "/smaps_rollup"));
    std::string key;
    int64_t value = 0;
    std::string unit;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      if (fields >> key >> value >> unit && unit == "kB") kb[key] = value;
    }
    if (kb.empty()) continue;  // not one of the helper's processes any more
    SCOPED_TRACE("pid " + std::to_string(pid));
    EXPECT_NEAR(I(p, "pss_anon"), kb["Pss_Anon:"] * 1024, 1024);
    EXPECT_NEAR(I(p, "pss_shmem"), kb["Pss_Shmem:"] * 1024, 1024);
    EXPECT_NEAR(I(p, "pss_file"), kb["Pss_File:"] * 1024, 256 * 1024);
    EXPECT_EQ(I(p, "pss"),
              I(p, "pss_anon") + I(p, "pss_shmem") + I(p, "pss_file"));
    ++compared;
  }
  EXPECT_GE(compared, kChildren + 1);
}

// memstats and the independent checker must agree to the page. The helper's
// processes do not change while they wait; as insurance against the page
// cache changing under us (reclaim, migration), the checker runs before and
// after memstats and the comparison only counts when both runs agree.
// No KSM page (/sys/kernel/mm/ksm/pages_shared 0, or no KSM at all),
// meminfo's SwapCached and Hugetlb 0.
bool PlainAnonMachine() {
  std::ifstream ksm("/sys/kernel/mm/ksm/pages_shared");
  int64_t shared = 0;
  if (ksm && !(ksm >> shared)) return false;
  std::istringstream meminfo(ReadWholeFile("/proc/meminfo"));
  std::map<std::string, int64_t> kb;
  std::string key;
  int64_t value = 0;
  while (meminfo >> key >> value) {
    kb[key] = value;
    meminfo.ignore(64, '\n');
  }
  return shared == 0 && kb.contains("SwapCached:") &&
         kb["SwapCached:"] == 0 && kb.contains("Hugetlb:") &&
         kb["Hugetlb:"] == 0;
}

TEST_F(E2eTest, MatchesIndependentChecker) {
  LayoutHelper h;
  ASSERT_TRUE(h.ok()) << h.error();
  const std::string p = std::to_string(h.parent());
  const std::map<std::string, std::vector<pid_t>> env_groups = {
      {"parent", {h.parent()}},
      {"childA", ChildrenWithRole(h, 0)},
      {"childB", ChildrenWithRole(h, 1)}};
  const std::map<std::string, std::vector<pid_t>> pid_groups = {
      {p, {h.parent()}}, {"Other", h.children()}};
  json m, single, c_env, c_pids;
  bool stable = false;
  for (int attempt = 0; attempt < 3 && !stable; ++attempt) {
    json before_env = Checker(env_groups), before_pids = Checker(pid_groups);
    // One thread: the processes are read one after the other, so the
    // first mapper of each shared object is read and the others take its
    // PFNs (ScanOptions::object_pages), which this comparison then covers.
    m = Memstats({"--threads", "1", "--filter", "descendants(" + p + ")",
                  "groups", "--split-env", kEnvKey, "--split-pids", p,
                  "--json"});
    single =
        Memstats({"--filter", "descendants(" + p + ")", "single", "--json"});
    c_env = Checker(env_groups);
    c_pids = Checker(pid_groups);
    if (HasFailure()) return;
    stable = SamePages(before_env, c_env) && SamePages(before_pids, c_pids);
  }
  ASSERT_TRUE(stable) << "pages kept changing while memstats ran";
  // The shared anonymous mapping and the SysV segment, all present, in
  // 2 MiB windows: every child after the first mapper takes them all.
  EXPECT_EQ(I(m["scan"], "shared_windows_reused"),
            (kShared + kSysv) / 2 * kChildren);
  // Each child's private memory is exclusively mapped and anonymous: on a
  // machine with no KSM page, no page in the swap cache and no hugetlb
  // page (as sysfs and meminfo tell this test), its kind comes from
  // pagemap, its kpageflags not read. At most every anonymous page.
  const int64_t kinds = I(m["scan"], "pages_kind_from_pagemap");
  if (PlainAnonMachine()) {
    EXPECT_GE(kinds, kChildren * kChildPriv * kMiB / 4096);
    EXPECT_LE(kinds, I(FindSplit(m, "pids")->at("totals"), "anon_rss") / 4096);
  } else {
    EXPECT_EQ(kinds, 0);
  }

  auto compare = [&](const json& mine, const json& theirs,
                     const std::string& where) {
    SCOPED_TRACE(where + "\nmemstats: " + mine.dump() + "\nchecker: " +
                 theirs.dump() + "\nchecker scan: " + c_env["scan"].dump());
    for (const char* f : kPageFields) EXPECT_EQ(I(mine, f), I(theirs, f)) << f;
    EXPECT_EQ(I(mine, "uss") - I(mine, "file_uss"),
              I(theirs, "uss") - I(theirs, "file_uss"));
    EXPECT_LE(I(mine, "file_uss"), I(mine, "file_rss"));
    EXPECT_LE(I(theirs, "file_uss"), I(theirs, "file_rss"));
    // memstats counts hugetlb pages once, the checker sums smaps per process
    // (see its docstring); the layout has none.
    EXPECT_EQ(I(mine, "hugetlb"), 0);
    EXPECT_EQ(I(theirs, "hugetlb"), 0);
  };
  const json* env = FindSplit(m, std::string("env:") + kEnvKey);
  const json* pids = FindSplit(m, "pids");
  const json* all = FindSplit(single, "single");
  ASSERT_TRUE(env && pids && all);
  for (const auto& [name, unused] : env_groups) {
    const json* g = FindGroup(*env, name);
    ASSERT_NE(g, nullptr) << name;
    compare(*g, c_env["groups"][name], "env " + name);
  }
  compare((*env)["totals"], c_env["totals"], "env totals");
  for (const auto& [name, unused] : pid_groups) {
    const json* g = FindGroup(*pids, name);
    ASSERT_NE(g, nullptr) << name;
    compare(*g, c_pids["groups"][name], "pids " + name);
  }
  compare((*pids)["totals"], c_pids["totals"], "pids totals");
  const json* g = FindGroup(*all, "all");
  ASSERT_NE(g, nullptr);
  compare(*g, c_env["totals"], "single all");
}

// Whole machine, by uid: the command works and the numbers are consistent.
TEST_F(E2eTest, WholeMachineSplitUidSmoke) {
  json j = Memstats({"groups", "--split-uid", "--json"});
  ASSERT_TRUE(j.is_object());
  const json* uid = FindSplit(j, "uid");
  ASSERT_NE(uid, nullptr) << j.dump();
  ASSERT_FALSE((*uid)["groups"].empty());
  int64_t rss = 0, uss = 0;
  for (const auto& g : (*uid)["groups"]) {
    SCOPED_TRACE(g.dump());
    EXPECT_LE(I(g, "uss"), I(g, "rss"));
    EXPECT_EQ(I(g, "anon_rss") + I(g, "shmem_rss") + I(g, "file_rss"),
              I(g, "rss"));
    rss += I(g, "rss");
    uss += I(g, "uss");
  }
  const json& t = (*uid)["totals"];
  EXPECT_GE(rss, I(t, "rss"));
  EXPECT_LE(uss, I(t, "rss"));
  EXPECT_LE(I(t, "uss"), I(t, "rss"));
  EXPECT_GT(j["scan"].value("processes_scanned", 0), 0);
}

// Without CAP_SYS_ADMIN pagemap hides PFNs: memstats must say so, print no
// page-level number, still report PSS, and exit 0. Runs memstats as nobody,
// with --self: memstats itself is the one process nobody may read.
TEST(UnprivilegedTest, RefusesPageLevelNumbersWithoutRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to switch to nobody";
  RunResult r = RunCommand({"/usr/bin/setpriv", "--reuid=65534",
                            "--regid=65534", "--clear-groups", MemstatsBinary(),
                            "--self", "single", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find("physical page numbers are hidden"), std::string::npos)
      << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["page_level"], false);
  EXPECT_GT(j["scan"]["unreadable"].get<int>(), 0);  // other users' processes
  const json& g = j["splits"][0]["groups"][0];
  EXPECT_GE(g["processes"].get<int>(), 1);  // memstats itself
  for (const char* f : {"rss", "anon_rss", "shmem_rss", "file_rss", "uss",
                        "anon_uss", "swap_rss", "swap_uss"}) {
    EXPECT_TRUE(g[f].is_null()) << f << " = " << g[f];
  }
  EXPECT_GT(g["pss"].get<int64_t>(), 0);

  RunResult text = RunCommand({"/usr/bin/setpriv", "--reuid=65534",
                               "--regid=65534", "--clear-groups",
                               MemstatsBinary(), "--self", "single"});
  ASSERT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_NE(text.out.find("page-level numbers unavailable"), std::string::npos);
  // The group row shows '-' in the six page-level columns before PSS.
  EXPECT_TRUE(std::regex_search(
      text.out, std::regex(R"(\nall +[0-9]+( +-){6} +[0-9.]+[KMG]? )")))
      << text.out;
}

// top and snapshot need no page tables: as nobody they report the
// processes nobody may read (memstats itself, with --self) and count the rest
// as unreadable, exit 0.
TEST(UnprivilegedTest, TopAndSnapshotReportWhatTheUserCanRead) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to switch to nobody";
  const std::vector<std::string> as_nobody = {
      "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
      MemstatsBinary(), "--json"};
  auto run = [&as_nobody](std::vector<std::string> args) {
    args.insert(args.begin(), as_nobody.begin(), as_nobody.end());
    return RunCommand(args);
  };

  RunResult top = run({"--self", "top", "-g", "uid"});
  ASSERT_EQ(top.exit_code, 0) << top.Describe();
  EXPECT_NE(top.err.find("could not be read (permission denied)"),
            std::string::npos)
      << top.err;
  json t = json::parse(top.out);
  EXPECT_GT(t["processes"]["unreadable"].get<int>(), 0);
  ASSERT_EQ(t["groups"].size(), 1u) << top.out;  // only nobody's processes
  const json& g = t["groups"][0];
  EXPECT_EQ(g["key"], "65534");
  EXPECT_GE(g["processes"].get<int>(), 1);
  EXPECT_GT(g["ptotal"].get<int64_t>(), 0);
  EXPECT_GT(g["text"].get<int64_t>(), 0);   // memstats's own code
  EXPECT_GT(g["stack"].get<int64_t>(), 0);  // and its stack

  RunResult snap = run({"snapshot", "--self", "-m", ""});
  ASSERT_EQ(snap.exit_code, 0) << snap.Describe();
  json j = json::parse(snap.out);
  EXPECT_GT(j["scan"]["unreadable"].get<int>(), 0);
  ASSERT_GE(j["processes"].size(), 1u) << snap.out;
  for (const json& p : j["processes"]) {
    EXPECT_EQ(p["uid"], 65534) << p.dump();
    EXPECT_GT(p["pss"].get<int64_t>(), 0) << p.dump();
  }
}

}  // namespace
}  // namespace memstats::testing
