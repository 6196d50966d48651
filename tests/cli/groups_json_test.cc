// memstats --json on the fixture tree: every number checked exactly against
// the layout in tests/fixtures/make_fixtures.py, derived by hand:
//
//   PFNs 0x100-0x163  100 shmem pages, P1 and P2         kpagecount 2
//        0x180-0x1a7  40 anon pages of P1                kpagecount 1
//        0x1b0-0x1b4, 0x1c0-0x1c4  10 anon pages of P2   kpagecount 1
//        0x20-0x27    8 anon pages of bash               kpagecount 1
//        0x40-0x44    5 libc file pages, P1 and bash     kpagecount 3
//        0x50         zero page, 4 times in P2           counts nowhere
//   swap (type 0)     P2: offsets 7, 8; P1: offset 8
//   SysV shmid 32769  rss 8192 bytes, attached by bash
//   PSS comes from kpagecount (page-level): page_size / mapcount per page
//   in the kernel's 12-bit fixed point, summed per process and kind, so a
//   libc page (mapcount 3) is (4096 << 12) / 3 = 5592405, and 5 of them
//   27962025 >> 12 = 6826 bytes.
//   smaps_rollup is read only for processes with swap (SwapPss):
//   smaps_rollup kB   Rss / Pss / Private / Swap / SwapPss / VmPTE
//                     P1 580/366/160/4/2/48, P2 440/240/40/8/6/44,
//                     bash 52/38/32/0/0/40
#include <cstdint>
#include <string>
#include <vector>

#include "cli/run_memstats.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace memstats::testing {
namespace {

using nlohmann::json;

constexpr uint64_t Pages(uint64_t n) { return n * 4096; }
constexpr uint64_t KB(uint64_t n) { return n * 1024; }

// Every field of a group (or process) object, in bytes.
struct Totals {
  uint64_t processes;
  uint64_t rss, anon_rss, shmem_rss, file_rss;
  uint64_t uss, anon_uss, shmem_uss, file_uss;
  uint64_t hugetlb;
  uint64_t pss, pss_anon, pss_shmem, pss_file;
  uint64_t swap_rss, swap_uss, swap_pss;
  uint64_t sysv_shm_rss;
  uint64_t rss_sum, private_sum, page_tables;
  uint64_t sysv_shm_swap = 0, shmem_swap = 0, ksm = 0;
  // FREED's shared-memory parts (the others are anon_uss, swap_uss and
  // page_tables above): SysV segments and unlinked objects destroyed.
  uint64_t freed_sysv = 0, freed_sysv_swap = 0, freed_sysv_segments = 0;
  uint64_t freed_unlinked = 0, freed_unlinked_objects = 0;
};

// {P1}: 100 shmem (shared with P2) + 40 anon + 5 libc (mapped outside).
constexpr Totals kP1 = {
    .processes = 1,
    .rss = Pages(145), .anon_rss = Pages(40), .shmem_rss = Pages(100),
    .file_rss = Pages(5),
    .uss = Pages(40), .anon_uss = Pages(40), .shmem_uss = 0, .file_uss = 0,
    .hugetlb = 0,
    // 40 own + 100 shared by 2 + 5 libc shared by 3.
    .pss = 375466, .pss_anon = Pages(40), .pss_shmem = Pages(50),
    .pss_file = 6826,
    // Offset 8 is shared with P2: in P1's swap RSS, not in its swap USS.
    .swap_rss = Pages(1), .swap_uss = 0, .swap_pss = KB(2),
    .sysv_shm_rss = 0,
    .rss_sum = KB(580), .private_sum = KB(160), .page_tables = KB(48)};

// {P2}: 100 shmem + 10 anon; the 4 zero-page entries count nowhere.
constexpr Totals kP2 = {
    .processes = 1,
    .rss = Pages(110), .anon_rss = Pages(10), .shmem_rss = Pages(100),
    .file_rss = 0,
    .uss = Pages(10), .anon_uss = Pages(10), .shmem_uss = 0, .file_uss = 0,
    .hugetlb = 0,
    .pss = KB(240), .pss_anon = Pages(10), .pss_shmem = Pages(50),
    .pss_file = 0,
    .swap_rss = Pages(2), .swap_uss = Pages(1), .swap_pss = KB(6),
    .sysv_shm_rss = 0,
    .rss_sum = KB(440), .private_sum = KB(40), .page_tables = KB(44)};

// {bash}: 8 anon + 5 libc (mapped outside the group); attaches the SysV
// segment without touching it.
constexpr Totals kBash = {
    .processes = 1,
    .rss = Pages(13), .anon_rss = Pages(8), .shmem_rss = 0,
    .file_rss = Pages(5),
    .uss = Pages(8), .anon_uss = Pages(8), .shmem_uss = 0, .file_uss = 0,
    .hugetlb = 0,
    .pss = Pages(8) + 6826, .pss_anon = Pages(8), .pss_shmem = 0,
    .pss_file = 6826,
    .swap_rss = 0, .swap_uss = 0, .swap_pss = 0,
    .sysv_shm_rss = 8192,
    .rss_sum = KB(52), .private_sum = KB(32), .page_tables = KB(40),
    .sysv_shm_swap = 4096,
    // The segment is marked for removal (perms 1600) and bash's one VMA
    // is its only attachment (nattch 1).
    .freed_sysv = 8192 + 4096, .freed_sysv_swap = 4096,
    .freed_sysv_segments = 1};

// uid 0 = {P1, P2}: RSS 100 + 40 + 10 + 5 = 155; USS 150 (libc has a
// mapper outside the scan); both swap entries are uid 0's alone.
constexpr Totals kUid0 = {
    .processes = 2,
    .rss = Pages(155), .anon_rss = Pages(50), .shmem_rss = Pages(100),
    .file_rss = Pages(5),
    .uss = Pages(150), .anon_uss = Pages(50), .shmem_uss = Pages(100),
    .file_uss = 0,
    .hugetlb = 0,
    .pss = 375466 + KB(240), .pss_anon = Pages(50), .pss_shmem = Pages(100),
    .pss_file = 6826,
    .swap_rss = Pages(2), .swap_uss = Pages(2), .swap_pss = KB(2 + 6),
    .sysv_shm_rss = 0,
    .rss_sum = KB(580 + 440), .private_sum = KB(160 + 40),
    .page_tables = KB(48 + 44),
    // The shared anonymous object (/dev/zero (deleted)) only P1 and P2
    // map: its 100 pages die with them.
    .freed_unlinked = Pages(100), .freed_unlinked_objects = 1};

constexpr Totals kUid1000 = kBash;

// Everything: RSS 100 + 40 + 10 + 8 + 5 = 163; USS 158 (all but libc).
constexpr Totals kAll = {
    .processes = 3,
    .rss = Pages(163), .anon_rss = Pages(58), .shmem_rss = Pages(100),
    .file_rss = Pages(5),
    .uss = Pages(158), .anon_uss = Pages(58), .shmem_uss = Pages(100),
    .file_uss = 0,
    .hugetlb = 0,
    .pss = 375466 + KB(240) + Pages(8) + 6826, .pss_anon = Pages(58),
    .pss_shmem = Pages(100), .pss_file = 2 * 6826,
    .swap_rss = Pages(2), .swap_uss = Pages(2), .swap_pss = KB(8),
    .sysv_shm_rss = 8192,
    .rss_sum = KB(580 + 440 + 52), .private_sum = KB(160 + 40 + 32),
    .page_tables = KB(48 + 44 + 40), .sysv_shm_swap = 4096,
    .freed_sysv = 8192 + 4096, .freed_sysv_swap = 4096,
    .freed_sysv_segments = 1, .freed_unlinked = Pages(100),
    .freed_unlinked_objects = 1};

// Checks every field of `j` (a group, a split's totals or a process) and
// that it has no field beyond them and `extra_keys`.
void ExpectTotals(const json& j, const Totals& t, bool has_processes,
                  const std::vector<std::string>& extra_keys,
                  const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_TRUE(j.is_object()) << j.dump();
  std::vector<std::pair<std::string, uint64_t>> fields = {
      {"rss", t.rss},
      {"anon_rss", t.anon_rss},
      {"shmem_rss", t.shmem_rss},
      {"file_rss", t.file_rss},
      {"uss", t.uss},
      {"anon_uss", t.anon_uss},
      {"shmem_uss", t.shmem_uss},
      {"file_uss", t.file_uss},
      {"hugetlb", t.hugetlb},
      {"pss", t.pss},
      {"pss_anon", t.pss_anon},
      {"pss_shmem", t.pss_shmem},
      {"pss_file", t.pss_file},
      {"swap_rss", t.swap_rss},
      {"swap_uss", t.swap_uss},
      {"swap_pss", t.swap_pss},
      {"sysv_shm_rss", t.sysv_shm_rss},
      {"sysv_shm_swap", t.sysv_shm_swap},
      {"shmem_swap", t.shmem_swap},
      {"ksm", t.ksm},
      {"rss_sum", t.rss_sum},
      {"private_sum", t.private_sum},
      {"page_tables", t.page_tables},
  };
  if (has_processes) fields.push_back({"processes", t.processes});
  for (const auto& [key, value] : fields) {
    ASSERT_TRUE(j.contains(key)) << key;
    ASSERT_TRUE(j[key].is_number_unsigned()) << key << ": " << j[key];
    EXPECT_EQ(j[key].get<uint64_t>(), value) << key;
  }
  const json freed = {
      {"bytes", t.anon_uss + t.swap_uss + t.freed_sysv + t.freed_unlinked +
                    t.page_tables},
      {"anon_uss", t.anon_uss},
      {"swap_uss", t.swap_uss},
      {"sysv_shm", t.freed_sysv},
      {"sysv_shm_swap", t.freed_sysv_swap},
      {"sysv_shm_segments", t.freed_sysv_segments},
      {"unlinked_shm", t.freed_unlinked},
      // The destroyed object's swap: unknown in a fixture tree (no
      // map_files; shmem_swap_unknown_objects in ExpectScan), so 0.
      {"unlinked_shm_swap", 0},
      {"unlinked_shm_objects", t.freed_unlinked_objects},
      {"page_tables", t.page_tables},
      {"file_uss_kept", t.file_uss}};
  EXPECT_EQ(j.value("freed", json()), freed);
  EXPECT_EQ(j.size(), fields.size() + 1 + extra_keys.size()) << j.dump();
  for (const std::string& key : extra_keys) EXPECT_TRUE(j.contains(key)) << key;
}

json RunJson(const std::vector<std::string>& args) {
  RunResult r = RunOnFixture(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  json doc = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(doc.is_discarded()) << r.out;
  return doc;
}

void ExpectScan(const json& doc, int scanned, int filtered_out) {
  SCOPED_TRACE("scan");
  const json& s = doc.at("scan");
  EXPECT_EQ(s.at("processes_scanned"), scanned);
  EXPECT_EQ(s.at("filtered_out"), filtered_out);
  EXPECT_EQ(s.at("kernel_threads"), 1);  // kthreadd
  EXPECT_EQ(s.at("vanished"), 0);
  EXPECT_EQ(s.at("unreadable"), 0);
  EXPECT_EQ(s.at("unreadable_pids"), json::array());
  // The zero page is one distinct PFN, left out; all PFNs are RAM.
  EXPECT_EQ(s.at("zero_pages_excluded"), scanned == 0 ? 0 : 1);
  EXPECT_EQ(s.at("invalid_pfns_excluded"), 0);
  EXPECT_EQ(s.at("beyond_ram_entries_excluded"), 0);
  EXPECT_EQ(s.at("migration_entries_as_pages"), 0);
  EXPECT_EQ(s.at("pte_markers_excluded"), 0);
  // P1 and P2 map one shared anonymous object (/dev/zero); a fixture tree
  // has no map_files to open it by, so its swap is unknown (and 0 in
  // shmem_swap).
  EXPECT_EQ(s.at("shmem_swap_unknown_objects"), scanned == 0 ? 0 : 1);
  // A fixture tree's pagemap has no PAGEMAP_SCAN: every mapper is read.
  EXPECT_EQ(s.at("shared_windows_reused"), 0);
  // Nor can it tell that the machine has no KSM page: every kind is read.
  EXPECT_EQ(s.at("pages_kind_from_pagemap"), 0);
  EXPECT_TRUE(s.at("seconds").is_number());
  EXPECT_GE(s.at("seconds").get<double>(), 0.0);
  EXPECT_EQ(s.at("threads"), 1);
  // A fixture tree has no memstats in it to leave out.
  EXPECT_EQ(s.at("self_excluded"), false);
  EXPECT_EQ(s.size(), 17u) << s.dump();
}

// Checks a split: its name, its groups in order (name, totals, pids when
// processes are listed) and its totals.
struct ExpectedGroup {
  std::string name;
  Totals totals;
  std::vector<int> pids;
};
void ExpectSplit(const json& split, const std::string& splitter,
                 const std::vector<ExpectedGroup>& groups,
                 const Totals& totals, bool with_pids) {
  SCOPED_TRACE(splitter);
  EXPECT_EQ(split.at("splitter"), splitter);
  EXPECT_EQ(split.size(), 3u);
  const json& gs = split.at("groups");
  ASSERT_EQ(gs.size(), groups.size()) << gs.dump();
  for (size_t i = 0; i < groups.size(); ++i) {
    EXPECT_EQ(gs[i].at("name"), groups[i].name) << i;
    std::vector<std::string> extra = {"name"};
    if (with_pids) {
      extra.push_back("pids");
      EXPECT_EQ(gs[i].at("pids"), json(groups[i].pids));
    }
    ExpectTotals(gs[i], groups[i].totals, true, extra,
                 splitter + " group " + groups[i].name);
  }
  ExpectTotals(split.at("totals"), totals, true, {}, splitter + " totals");
}

TEST(GroupsJson, SplitUidEnvComm) {
  json doc = RunJson(
      {"--json", "groups", "--split-uid", "--split-env", "APP", "--split-comm"});
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc.at("schema_version"), 1);
  EXPECT_EQ(doc.at("page_level"), true);
  EXPECT_FALSE(doc.contains("page_level_note"));
  EXPECT_FALSE(doc.contains("processes"));
  EXPECT_EQ(doc.size(), 4u) << "schema_version, page_level, scan, splits";
  ExpectScan(doc, 3, 0);
  const json& splits = doc.at("splits");
  ASSERT_EQ(splits.size(), 3u);
  // Groups come largest RSS first.
  ExpectSplit(splits[0], "uid",
              {{"0", kUid0, {}}, {"1000", kUid1000, {}}}, kAll, false);
  ExpectSplit(splits[1], "env:APP",
              {{"web", kP1, {}}, {"db", kP2, {}}, {"(unset)", kBash, {}}},
              kAll, false);
  ExpectSplit(splits[2], "comm",
              {{"P1", kP1, {}}, {"P2", kP2, {}}, {"bash", kBash, {}}}, kAll,
              false);
}

TEST(GroupsJson, ListProcesses) {
  json doc = RunJson({"--json", "--list-processes", "single"});
  ExpectScan(doc, 3, 0);
  ASSERT_EQ(doc.at("splits").size(), 1u);
  ExpectSplit(doc["splits"][0], "single", {{"all", kAll, {100, 200, 300}}},
              kAll, true);
  const json& procs = doc.at("processes");
  ASSERT_EQ(procs.size(), 3u);
  struct Proc {
    int pid, ppid;
    uint32_t uid;
    std::string comm, cmdline;
    Totals totals;
  };
  const Proc expected[] = {
      {100, 1, 0, "P1", "p1 --serve", kP1},
      {200, 100, 0, "P2", "p2 --db", kP2},
      {300, 1, 1000, "bash", "-bash", kBash},
  };
  for (size_t i = 0; i < 3; ++i) {
    const Proc& e = expected[i];
    const json& p = procs[i];
    EXPECT_EQ(p.at("pid"), e.pid);
    EXPECT_EQ(p.at("ppid"), e.ppid);
    EXPECT_EQ(p.at("uid"), e.uid);
    EXPECT_EQ(p.at("comm"), e.comm);
    EXPECT_EQ(p.at("cmdline"), e.cmdline);
    ExpectTotals(p, e.totals, false, {"pid", "ppid", "uid", "comm", "cmdline"},
                 "process " + e.comm);
  }
}

// DESIGN.md's invariants, on the numbers above.
TEST(GroupsJson, Invariants) {
  json doc = RunJson({"--json", "--list-processes", "groups", "--split-comm",
                      "--split-uid"});
  uint64_t pss_of_processes = 0, rss_of_processes = 0;
  for (const json& p : doc.at("processes")) {
    pss_of_processes += p.at("pss").get<uint64_t>();
    rss_of_processes += p.at("rss").get<uint64_t>();
  }
  for (const json& split : doc.at("splits")) {
    SCOPED_TRACE(split.at("splitter").get<std::string>());
    const json& all = split.at("totals");
    uint64_t uss_sum = 0;
    for (const json& g : split.at("groups")) {
      uss_sum += g.at("uss").get<uint64_t>();
      EXPECT_LE(g.at("uss"), g.at("rss"));
      EXPECT_LE(g.at("rss"), g.at("rss_sum"));
      EXPECT_LE(g.at("swap_uss"), g.at("swap_rss"));
    }
    EXPECT_LE(uss_sum, all.at("rss").get<uint64_t>());
    EXPECT_LE(all.at("rss").get<uint64_t>(), rss_of_processes);
    EXPECT_EQ(all.at("pss").get<uint64_t>(), pss_of_processes);
  }
}

// A filter keeps P2 alone: the shmem pages it shares with the filtered-out
// P1 are mapped outside the scanned set (kpagecount 2 > 1 reference), so
// its USS is its 10 anon pages.
TEST(GroupsJson, FilterKeepsOutsideMappersOutOfUss) {
  json doc = RunJson({"--json", "--filter", "env_kv(APP,db)", "groups",
                      "--split-uid"});
  ExpectScan(doc, 1, 2);
  Totals p2_alone = kP2;
  // Swap USS has no kernel count behind it (sets/accounting.h): it means
  // "referenced by no other scanned group", and P1, which also references
  // offset 8, was not scanned. So both of P2's entries count as its own;
  // DESIGN.md's "by no process outside it" would give 1 page here.
  p2_alone.swap_uss = Pages(2);
  ExpectSplit(doc.at("splits")[0], "uid", {{"0", p2_alone, {}}}, p2_alone,
              false);
}

// No process passes the filter: empty groups, zero totals, exit 0.
TEST(GroupsJson, FilterMatchesNothing) {
  json doc = RunJson({"--json", "--filter", "false()", "single"});
  ExpectScan(doc, 0, 3);
  ExpectSplit(doc.at("splits")[0], "single", {}, Totals{}, false);
}

}  // namespace
}  // namespace memstats::testing
