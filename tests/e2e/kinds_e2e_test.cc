// One end-to-end test per kind of page: memstats_kinds_helper sets up a
// layout (kinds_layout.h), memstats measures it with every helper process in
// a group of its own (--split-pids) and all of them in the totals, and the
// test checks, to the page:
//   1. against the layout: a model lists the layout's distinct pages, each
//      with its kind and the processes that map it; from it follow every
//      process's and the totals' RSS, USS and PSS per kind (PSS in the
//      kernel's 12-bit fixed point, as smaps sums it). The helper binary is
//      static and every helper process maps all its read-only pages
//      (binary_pages), so the file numbers are exact too.
//      Runtime noise: the anonymous pages of a process outside the layout's
//      regions (stack, .data, .bss, the TLS block on the heap) come from
//      its smaps ("Anonymous" and "Private_*" of those mappings: exact per
//      process). In the totals, noise pages that are copy-on-write shared
//      after fork count once, so there the noise is only bounded, between
//      the largest process's and the sum. Measured here: 18 to 21 pages
//      (72 to 84 KiB) a process, mostly the helper's .data/.bss and stack.
//   2. against smaps_rollup: Rss exactly, Pss and Pss_Anon/_File/_Shmem to
//      the kB smaps prints (memstats rounds each kind down to the byte, so
//      it may be up to 2 bytes below).
//   3. against independent_pagemap.py: every page-set field exactly.
// Needs root. Serialized with the other live tests by their lock file.
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "e2e/kinds_layout.h"
#include "e2e/kinds_process.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "subprocess.h"

namespace memstats::testing {
namespace {

using nlohmann::json;
using namespace memstats::kinds;  // NOLINT: layout constants

enum Kind { kAnon = 0, kShmem = 1, kFile = 2 };
const char* const kKindName[] = {"anon", "shmem", "file"};

// `count` distinct pages of one kind, each mapped once by each of the
// processes `who` (indexes into KindsHelper::pids()).
struct Pages {
  Kind kind;
  int64_t count;
  std::vector<int> who;
  bool outside = false;  // also mapped by processes outside the layout
};

// RSS, USS (pages) and PSS (12-bit fixed point) per kind.
struct Numbers {
  std::array<int64_t, 3> rss{}, uss{}, pss_fixed{};
};

// What the model says for process `index` (or, with index -1, for all the
// helper's processes as one group).
Numbers Expected(const std::vector<Pages>& model, int index) {
  Numbers n;
  for (const Pages& p : model) {
    const bool mine =
        index < 0 || std::count(p.who.begin(), p.who.end(), index);
    if (!mine) continue;
    n.rss[p.kind] += p.count;
    if (!p.outside && (index < 0 || p.who.size() == 1))
      n.uss[p.kind] += p.count;
    if (index >= 0)
      n.pss_fixed[p.kind] +=
          p.count * ((kPage << 12) / static_cast<int64_t>(p.who.size()));
  }
  return n;
}

// Anonymous pages of a process outside the layout's regions (see top).
struct Noise {
  int64_t rss = 0, uss = 0, pss = 0;
  int mappings = 0;
};

Noise NoiseOf(pid_t pid, const KindsHelper& h, const std::string& exe) {
  Noise n;
  for (const SmapsMapping& m : ReadSmaps(pid)) {
    bool region = false;
    for (const auto& r : h.regions())
      region |= m.start < r.start + r.bytes && r.start < m.end;
    if (region || m.path.rfind("[v", 0) == 0) continue;  // [vdso], [vvar*]
    if (m.path == exe && m.perms[1] != 'w') continue;    // binary_pages
    n.rss += m["Anonymous"];
    n.uss += m["Private_Clean"] + m["Private_Dirty"];
    n.pss += m["Pss"];
    ++n.mappings;
  }
  return n;
}

std::string Join(const std::vector<pid_t>& pids) {
  std::string s;
  for (pid_t p : pids) s += (s.empty() ? "" : ",") + std::to_string(p);
  return s;
}

int64_t I(const json& g, const std::string& field) {
  if (!g.contains(field) || !g[field].is_number()) {
    ADD_FAILURE() << "missing numeric field " << field << " in " << g.dump();
    return -1;
  }
  return g[field].get<int64_t>();
}

// The page-set fields memstats and independent_pagemap.py both print; the
// checker's swap fields are compared too when it prints them.
const char* const kPageFields[] = {
    "processes", "rss",       "anon_rss", "shmem_rss", "file_rss", "uss",
    "anon_uss",  "shmem_uss", "file_uss", "swap_rss",  "swap_uss", "hugetlb"};

// One measurement: memstats's group per pid, its process rows and totals,
// and the checker's output for the same groups.
struct Measured {
  std::map<pid_t, json> group, process;
  json totals, checker;
};

class KindsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root: pagemap shows PFNs only with CAP_SYS_ADMIN";
    lock_ = std::make_unique<LiveTestLock>();
    char exe[4096];
    ssize_t n = readlink(KINDS_HELPER, exe, sizeof exe - 1);
    exe_ = n > 0 ? std::string(exe, static_cast<size_t>(n)) : KINDS_HELPER;
  }
  void TearDown() override {
    lock_.reset();
  }

  json Checker(const std::vector<pid_t>& pids) {
    std::vector<std::string> args = {PYTHON3, INDEPENDENT_CHECKER};
    for (pid_t p : pids) {
      args.push_back("--group");
      args.push_back(std::to_string(p) + "=" + std::to_string(p));
    }
    RunResult r = RunCommand(args);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.Describe();
    return j.is_discarded() ? json() : j;
  }

  static bool SamePages(const json& a, const json& b) {
    if (!a.is_object() || !b.is_object()) return false;
    for (const auto& [name, g] : a["groups"].items())
      for (const char* f : kPageFields)
        if (!b["groups"].contains(name) ||
            g.value(f, int64_t{-1}) != b["groups"][name].value(f, int64_t{-1}))
          return false;
    return true;
  }

  // Runs memstats (and the checker before and after it, up to three times
  // until both checker runs agree: the helper's pages must not have moved).
  Measured Measure(const KindsHelper& h) {
    Measured m;
    const std::string parent = std::to_string(h.pids()[0]);
    for (int attempt = 0; attempt < 3; ++attempt) {
      json before = Checker(h.pids());
      RunResult r =
          RunCommand({MemstatsBinary(), "--filter",
                      "descendants(" + parent + ")", "--list-processes",
                      "groups", "--split-pids", Join(h.pids()), "--json"});
      EXPECT_EQ(r.exit_code, 0) << r.Describe();
      json j = json::parse(r.out, nullptr, false);
      m.checker = Checker(h.pids());
      if (HasFailure() || j.is_discarded()) return m;
      EXPECT_TRUE(j.value("page_level", false));
      const json& split = j["splits"][0];
      EXPECT_EQ(split.value("splitter", ""), "pids");
      m.totals = split["totals"];
      for (const json& g : split["groups"]) {
        if (g["name"] == "Other") {
          EXPECT_EQ(I(g, "processes"), 0) << "a process outside the layout";
          continue;
        }
        m.group[std::stoi(g["name"].get<std::string>())] = g;
      }
      for (const json& p : j["processes"]) m.process[p["pid"].get<int>()] = p;
      if (SamePages(before, m.checker)) return m;
    }
    ADD_FAILURE() << "the checker's numbers kept changing";
    return m;
  }

  // Checks 1 to 3 of the file comment. `model` excludes binary_pages, which
  // every process maps; `exact_pss` is false where a page shared with the
  // rest of the machine (the vdso) makes PSS depend on it.
  void CheckAll(const KindsHelper& h, std::vector<Pages> model,
                const Measured& m, bool exact_pss = true) {
    const int procs = static_cast<int>(h.pids().size());
    std::vector<int> all(procs);
    for (int i = 0; i < procs; ++i) all[i] = i;
    ASSERT_GT(h.value("binary_pages"), 0);
    model.push_back({kFile, h.value("binary_pages"), all});

    Noise sum, max;
    for (int i = 0; i < procs; ++i) {
      const pid_t pid = h.pids()[i];
      SCOPED_TRACE("process " + std::to_string(i) + " pid " +
                   std::to_string(pid));
      ASSERT_TRUE(m.group.count(pid) && m.process.count(pid));
      const json& g = m.group.at(pid);
      const Noise noise = NoiseOf(pid, h, exe_);
      sum.rss += noise.rss;
      sum.uss += noise.uss;
      max.rss = std::max(max.rss, noise.rss);
      const Numbers e = Expected(model, i);
      // 1. The layout, exactly (anon: plus this process's own noise).
      EXPECT_EQ(I(g, "processes"), 1);
      EXPECT_EQ(I(g, "anon_rss"), e.rss[kAnon] * kPage + noise.rss);
      EXPECT_EQ(I(g, "anon_uss"), e.uss[kAnon] * kPage + noise.uss);
      for (Kind k : {kShmem, kFile}) {
        EXPECT_EQ(I(g, std::string(kKindName[k]) + "_rss"), e.rss[k] * kPage)
            << kKindName[k];
        EXPECT_EQ(I(g, std::string(kKindName[k]) + "_uss"), e.uss[k] * kPage)
            << kKindName[k];
        if (exact_pss) {
          EXPECT_EQ(I(g, std::string("pss_") + kKindName[k]),
                    e.pss_fixed[k] >> 12)
              << kKindName[k];
        }
      }
      // Anon PSS: the noise's share comes from smaps, rounded down to the
      // kB per mapping.
      const int64_t pss_anon = I(g, "pss_anon") - (e.pss_fixed[kAnon] >> 12);
      EXPECT_GE(pss_anon, noise.pss - 2);
      EXPECT_LT(pss_anon, noise.pss + 1024 * (noise.mappings + 1));
      EXPECT_EQ(I(g, "rss"),
                I(g, "anon_rss") + I(g, "shmem_rss") + I(g, "file_rss"));
      EXPECT_EQ(I(g, "uss"),
                I(g, "anon_uss") + I(g, "shmem_uss") + I(g, "file_uss"));
      EXPECT_EQ(I(g, "swap_rss"), 0);
      EXPECT_EQ(I(g, "hugetlb"), 0);
      // 2. The kernel's smaps_rollup.
      const json& p = m.process.at(pid);
      auto rollup = ReadRollup(pid);
      EXPECT_EQ(I(p, "rss"), rollup["Rss"]) << "memstats vs smaps_rollup Rss";
      EXPECT_EQ(I(p, "pss"), I(g, "pss"));
      for (const auto& [field, key] :
           std::vector<std::pair<std::string, std::string>>{
               {"pss", "Pss"},
               {"pss_anon", "Pss_Anon"},
               {"pss_shmem", "Pss_Shmem"},
               {"pss_file", "Pss_File"}}) {
        EXPECT_GE(I(p, field), rollup[key] - 2) << field << " vs smaps " << key;
        EXPECT_LT(I(p, field), rollup[key] + 1024)
            << field << " vs smaps " << key;
      }
      // 3. The checker.
      ASSERT_TRUE(m.checker.is_object());
      CompareWithChecker(g, m.checker["groups"][std::to_string(pid)]);
    }
    // The totals: the whole layout as one group.
    SCOPED_TRACE("totals");
    const Numbers t = Expected(model, -1);
    const json& g = m.totals;
    EXPECT_EQ(I(g, "processes"), procs);
    EXPECT_GE(I(g, "anon_rss"), t.rss[kAnon] * kPage + max.rss);
    EXPECT_LE(I(g, "anon_rss"), t.rss[kAnon] * kPage + sum.rss);
    EXPECT_GE(I(g, "anon_uss"), t.uss[kAnon] * kPage + sum.uss);
    EXPECT_EQ(I(g, "anon_uss"), I(g, "anon_rss"));  // nobody else maps them
    for (Kind k : {kShmem, kFile}) {
      EXPECT_EQ(I(g, std::string(kKindName[k]) + "_rss"), t.rss[k] * kPage);
      EXPECT_EQ(I(g, std::string(kKindName[k]) + "_uss"), t.uss[k] * kPage);
    }
    int64_t pss = 0;
    for (const auto& [pid, group] : m.group) pss += I(group, "pss");
    EXPECT_EQ(I(g, "pss"), pss) << "group PSS is the members' sum";
    CompareWithChecker(g, m.checker["totals"]);
  }

  static void CompareWithChecker(const json& mine, const json& theirs) {
    SCOPED_TRACE("memstats: " + mine.dump() + "\nchecker: " + theirs.dump());
    for (const char* f : kPageFields) {
      if (theirs.contains(f)) {
        EXPECT_EQ(I(mine, f), I(theirs, f)) << f;
      }
    }
    // The checker's PSS is its members' smaps Pss summed per mapping, each
    // rounded down to the kB by the kernel: at most 1 KiB per mapping (a
    // helper process has fewer than 16) below the exact sum.
    if (theirs.contains("smaps") && theirs["smaps"].contains("pss")) {
      const int64_t smaps_pss = I(theirs["smaps"], "pss");
      EXPECT_GE(I(mine, "pss"), smaps_pss - 2 * I(mine, "processes"));
      EXPECT_LT(I(mine, "pss"), smaps_pss + 16 * 1024 * I(mine, "processes"));
    }
  }

  std::unique_ptr<LiveTestLock> lock_;
  std::string exe_;
};

// THP sizes are PMD-sized (2 MiB) only where the kernel has them enabled.
bool ThpNever() {
  return ReadWholeFile("/sys/kernel/mm/transparent_hugepage/enabled")
                 .find("[never]") != std::string::npos ||
         ReadWholeFile("/sys/kernel/mm/transparent_hugepage/enabled").empty();
}

#define SKIP_WITHOUT_THP()                                                  \
  if (ThpNever())                                                           \
  GTEST_SKIP() << "transparent hugepages are disabled (enabled = never or " \
                  "no /sys/kernel/mm/transparent_hugepage)"

// Four THPs written whole, PMD-mapped (smaps AnonHugePages shows all).
TEST_F(KindsTest, AnonThpPmdMapped) {
  SKIP_WITHOUT_THP();
  KindsHelper h("thp-pmd");
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_EQ(h.thp(h.pids()[0]), kThpCount * kThpPages * kPage)
      << "the kernel gave no THP in 5 attempts (fragmented memory?)";
  CheckAll(h, {{kAnon, kThpCount * kThpPages, {0}}}, Measure(h));
}

// THP 1 has one page mprotect'ed, THP 2 one page munmap'ed: both PMDs are
// split into PTEs (the folios stay large, PTE-mapped); THPs 0 and 3 stay
// PMD-mapped. One page less, still all the process's own.
TEST_F(KindsTest, AnonThpPteMappedAfterSplit) {
  SKIP_WITHOUT_THP();
  KindsHelper h("thp-split");
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_EQ(h.thp(h.pids()[0]), 2 * kThpPages * kPage)
      << "expected THPs 0 and 3 PMD-mapped, 1 and 2 split";
  CheckAll(h, {{kAnon, kThpCount * kThpPages - 1, {0}}}, Measure(h));
}

// The parent's two THPs are shared copy-on-write with the child after fork
// (the child's PMDs point at the same folios); the child then writes one
// 4 KiB page of THP 0: the kernel splits the child's PMD and copies that
// page only. Parent: 1024 pages, 1023 shared (kpagecount 2, PSS 2048 B
// each), one its own (the page the child replaced). Child: 1023 shared, one
// own copy. Together: 1025 pages, all theirs.
TEST_F(KindsTest, AnonThpSharedCopyOnWriteAfterFork) {
  SKIP_WITHOUT_THP();
  KindsHelper h("thp-cow");
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_EQ(h.pids().size(), 2u);
  ASSERT_EQ(h.thp(h.pids()[0]), kCowThps * kThpPages * kPage)
      << "the parent's THPs are not PMD-mapped";
  ASSERT_EQ(h.thp(h.pids()[1]), (kCowThps - 1) * kThpPages * kPage)
      << "the child should keep THP 1 PMD-mapped and have split THP 0";
  CheckAll(h,
           {{kAnon, kCowThps * kThpPages - 1, {0, 1}},
            {kAnon, 1, {0}},
            {kAnon, 1, {1}}},
           Measure(h));
}

// A private tmpfs mounted with huge=always in a temporary directory for the
// test, unmounted (lazily, so even when a process still holds it) by the
// destructor. A mount left by a crashed run is removed first.
class HugeTmpfs {
 public:
  static constexpr const char* kSource = "memstats_kinds_thp";
  HugeTmpfs() {
    std::istringstream mounts(ReadWholeFile("/proc/self/mounts"));
    for (std::string src, dir, rest;
         mounts >> src >> dir && std::getline(mounts, rest);) {
      if (src != kSource) continue;
      umount2(dir.c_str(), MNT_DETACH);
      rmdir(dir.c_str());
    }
    char dir[] = "/tmp/memstats_kinds_thp.XXXXXX";
    if (mkdtemp(dir) == nullptr) {
      error_ = std::string("mkdtemp: ") + strerror(errno);
      return;
    }
    dir_ = dir;
    if (mount(kSource, dir, "tmpfs", 0, "huge=always,size=16m,mode=0700") !=
        0) {
      error_ = std::string("mount tmpfs huge=always: ") + strerror(errno);
      refused_ = errno == EINVAL;
      rmdir(dir);
      dir_.clear();
    }
  }
  ~HugeTmpfs() {
    if (dir_.empty()) return;
    umount2(dir_.c_str(), MNT_DETACH);
    rmdir(dir_.c_str());
  }
  const std::string& dir() const { return dir_; }
  const std::string& error() const { return error_; }
  bool refused() const { return refused_; }

 private:
  std::string dir_, error_;
  bool refused_ = false;
};

// A 4 MiB file on the huge tmpfs, written by the parent and read by the
// child, both PMD-mapped (smaps ShmemPmdMapped): shmem, in neither
// process's USS, each with half of it as PSS; the totals own it all.
TEST_F(KindsTest, ShmemThpOnHugeTmpfs) {
  SKIP_WITHOUT_THP();
  HugeTmpfs fs;  // declared first: unmounted after the helper is gone
  if (fs.refused()) GTEST_SKIP() << "the kernel refuses tmpfs huge=always";
  ASSERT_TRUE(fs.error().empty()) << fs.error();
  {
    KindsHelper h("shmem-thp", fs.dir());
    ASSERT_TRUE(h.ok()) << h.error();
    for (pid_t p : h.pids())
      ASSERT_EQ(h.thp(p), kShmemThpPages * kPage)
          << "pid " << p
          << ": the shmem file is not PMD-mapped (no shmem THP obtained)";
    CheckAll(h, {{kShmem, kShmemThpPages, {0, 1}}}, Measure(h));
  }
}

// Page cache of a regular file on a disk file system (kinds_layout.h has
// the four children's mappings; the parent maps it but touches nothing).
// Pages [0, 64): S1 only (P1 replaced its copy); [64, 1024): S1 and P1;
// [1024, 1088): S1 and S2 (P2 replaced its copy); [1088, 2048): S1, S2, P2.
// P1 and P2 each own 64 anonymous copies. File USS and PSS exactly.
TEST_F(KindsTest, DiskFilePageCacheSharedAndPrivate) {
  // /var/tmp, else the build directory: the first that is not tmpfs (whose
  // files are shmem) nor another memory file system.
  std::string dir;
  for (std::string d : {std::string("/var/tmp"),
                        std::string(KINDS_HELPER)
                            .substr(0, std::string(KINDS_HELPER).rfind('/'))}) {
    struct statfs fs;
    if (statfs(d.c_str(), &fs) == 0 && fs.f_type != TMPFS_MAGIC &&
        fs.f_type != RAMFS_MAGIC) {
      dir = d;
      break;
    }
  }
  if (dir.empty())
    GTEST_SKIP() << "neither /var/tmp nor the build directory is on a disk";
  KindsHelper h("file", dir);
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_EQ(h.pids().size(), 5u);
  EXPECT_EQ(h.value("cached_before"), 0)
      << "posix_fadvise(DONTNEED) left pages of the new file cached";
  const int64_t half = kFilePages / 2, cow = kFileCowPages;
  CheckAll(h,
           {{kFile, cow, {1}},
            {kFile, half - cow, {1, 3}},
            {kFile, cow, {1, 2}},
            {kFile, half - cow, {1, 2, 4}},
            {kAnon, cow, {3}},
            {kAnon, cow, {4}}},
           Measure(h));
}

// A memfd written by the parent and read by child A; a /dev/shm file read
// by children A and B (two groups); a memfd written by A only.
TEST_F(KindsTest, MemfdAndDevShmFileMappedByTwoGroups) {
  KindsHelper h("shm");
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_EQ(h.pids().size(), 3u);
  CheckAll(h,
           {{kShmem, kMemfdPages, {0, 1}},
            {kShmem, kDevShmPages, {1, 2}},
            {kShmem, kOwnMemfdPages, {1}}},
           Measure(h));
}

// 4 GiB of private anonymous address space with one written page every
// 2 MiB and one dense stretch of 256 pages (at 512.5 MiB): the first 32 MiB
// chunk has 16 present pages (< 1/16), so memstats reads the rest with
// PAGEMAP_SCAN (scanner.cc ReadMapping), 1 GiB at a time. Every other
// stride page and the whole dense stretch are write-protected with
// userfaultfd (WP async), so their PAGEMAP_SCAN category lacks
// PAGE_IS_WRITTEN (1 << 1). The kernel reports empty entries as "written",
// so a scan that asks for "written or file" (the wrong PRESENT/SWAPPED
// values 1 << 1 and 1 << 2 that proc_source.cc used) returns the whole
// window except the write-protected pages: single ones are read anyway
// (ranges 64 pages apart or closer are read together), but the dense
// stretch, a 256-page gap, is never read: 1 MiB of RSS missing.
TEST_F(KindsTest, SparseMappingThroughPagemapScan) {
  KindsHelper h("sparse");
  ASSERT_TRUE(h.ok()) << h.error();
  if (h.value("wp_pages") == 0)
    GTEST_SKIP() << "the kernel refuses userfaultfd WP async (before 6.7?)";
  ASSERT_EQ(h.value("wp_pages"), kSparseTouched / 2 + kSparseDense);
  CheckAll(h, {{kAnon, kSparseTouched + kSparseDense, {0}}}, Measure(h));
}

// PTE markers are neither memory nor swap. A guard region
// (MADV_GUARD_INSTALL, Linux 6.13) and empty pages write-protected by
// userfaultfd with WP_UNPOPULATED leave markers in the page tables, which
// pagemap shows with the swap bit (62) and swap type 31 (SWP_PTE_MARKER,
// above MAX_SWAPFILES); smaps counts no Swap. glibc 2.41 puts guard regions
// around thread stacks, so every threaded process has them there.
TEST_F(KindsTest, PteMarkersAreNotSwap) {
  KindsHelper h("markers");
  ASSERT_TRUE(h.ok()) << h.error();
  if (h.value("guard_pages") == 0 && h.value("marker_pages") == 0)
    GTEST_SKIP() << "the kernel has neither guard regions nor uffd-wp markers";
  EXPECT_EQ(h.value("guard_pages"), 16) << "MADV_GUARD_INSTALL refused?";
  EXPECT_EQ(h.value("marker_pages"), 16) << "uffd WP_UNPOPULATED refused?";
  EXPECT_EQ(ReadRollup(h.pids()[0])["Swap"], 0);
  CheckAll(h, {{kAnon, kMarkerWritten, {0}}}, Measure(h));
}

// Mappings that are not RAM. [vvar] and [vvar_vclock] are VM_PFNMAP|VM_IO
// ("pf io"), as a device mapped with remap_pfn_range is: the pagemap walk
// skips such mappings (they read as not present), smaps counts nothing
// there, and neither may memstats. The [vdso] code page is a real page of
// RAM (kpageflags RESERVED), mapped by every process that uses the vdso:
// smaps counts it in Rss (Shared_Clean), so memstats counts it as a file
// page in RSS, in no USS (kpagecount counts all the machine's mappers).
// No device with a PFN mapping exists on machines without /dev/mem or PCI
// resource files: then the vvar mappings stand in for one.
TEST_F(KindsTest, NotRamMappingsExcluded) {
  KindsHelper h("not-ram");
  ASSERT_TRUE(h.ok()) << h.error();
  const pid_t pid = h.pids()[0];
  int64_t vdso = 0, pfnmap = 0;
  for (const SmapsMapping& m : ReadSmaps(pid)) {
    if (m.path == "[vdso]") vdso += m["Rss"];
    if (m.vm_flags.find("pf") != std::string::npos) {
      ++pfnmap;
      EXPECT_EQ(m["Rss"], 0) << m.path;
    }
  }
  EXPECT_GT(pfnmap, 0) << "no VM_PFNMAP mapping ([vvar]) to test with";
  ASSERT_GT(vdso, 0) << "the helper called clock_gettime via the vdso";
  if (access("/dev/mem", R_OK) != 0)
    std::cout << "[ NOTE ] no /dev/mem and no mappable device here; "
                 "[vvar] (VM_PFNMAP) is the PFN-mapped mapping tested\n";
  // The vdso page: a file page of this process, shared with the machine.
  CheckAll(h, {{kFile, vdso / kPage, {0}, /*outside=*/true}}, Measure(h),
           /*exact_pss=*/false);
}

}  // namespace
}  // namespace memstats::testing
