// BuildSnapshot over hand-made usage rows. Sizes in KiB (K below), as smaps
// prints them:
//
//   P1 pid 10, exe /bin/app: heap 500, stack 100, thread stack 50, anon 200
//     (SwapPss 30), /bin/app r-xp 80, libc r-xp 60, libc r--p 6, special 4,
//     and a hugetlb mapping (Pss 0, 2048 K of huge pages). Pss 1000.
//   P2 pid 20, exe /bin/other: heap 200, SysV 300, shmem 400, libc r-xp 60,
//     /bin/other r-xp 40. Pss 1000.
//   Both: Pss 2000 = heap 700 (35%) + shmem 400 (20%) + SysV 300 (15%)
//     + anon 200 (10%) + libc r-xp 120 (6%) + stack 100 (5%) + /bin/app 80
//     (4%) + thread stack 50 (2.5%) + /bin/other 40 (2%) + libc r--p 6
//     (0.3%) + special 4 (0.2%).
#include "profile/snapshot.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace memstats::profile {
namespace {

using enum scan::MappingCategory;
using scan::UsageRow;
constexpr uint64_t K = 1024;
constexpr char kLibc[] = "/lib/libc.so.6";
constexpr uint8_t kRxp = scan::kPermRead | scan::kPermExec;
constexpr uint8_t kRp = scan::kPermRead;
constexpr uint8_t kRwp = scan::kPermRead | scan::kPermWrite;
constexpr uint8_t kRws = kRwp | scan::kPermShared;

UsageRow Usage(scan::MappingCategory c, uint64_t pss_k, uint8_t perms = kRwp,
               std::string path = "", uint64_t swap_pss_k = 0) {
  UsageRow r;
  r.category = c;
  r.path = std::move(path);
  r.perms = perms;
  r.mappings = 1;
  r.size = 2 * pss_k * K;
  r.rss = pss_k * K;
  r.pss = pss_k * K;
  r.swap = swap_pss_k * K;
  r.swap_pss = swap_pss_k * K;
  return r;
}

std::vector<scan::ProcessRecord> TwoProcesses() {
  std::vector<scan::ProcessRecord> recs(2);
  recs[0].id.pid = 10;
  recs[0].id.exe = "/bin/app";
  recs[0].id.cmdline = {"app", "--run"};
  recs[0].threads = 2;
  UsageRow huge = Usage(kHugetlb, 0);
  huge.hugetlb = 2048 * K;
  recs[0].usage = {Usage(kFile, 80, kRxp, "/bin/app"),
                   Usage(kHeap, 500),
                   Usage(kAnon, 200, kRwp, "", 30),
                   Usage(kFile, 60, kRxp, kLibc),
                   Usage(kFile, 6, kRp, kLibc),
                   huge,
                   Usage(kThreadStack, 50),
                   Usage(kStack, 100),
                   Usage(kSpecial, 4, kRxp)};
  recs[1].id.pid = 20;
  recs[1].id.exe = "/bin/other";
  recs[1].usage = {Usage(kFile, 40, kRxp, "/bin/other"), Usage(kHeap, 200),
                   Usage(kSysv, 300, kRws), Usage(kShmem, 400, kRws),
                   Usage(kFile, 60, kRxp, kLibc)};
  return recs;
}

// "label pss_K percent" per row, for whole-vector comparisons.
std::vector<std::string> Lines(const std::vector<SnapshotRow>& rows) {
  std::vector<std::string> out;
  for (const SnapshotRow& r : rows) {
    out.push_back(
        absl::StrFormat("%s %dK %.2f%%", RowLabel(r), r.pss / K, r.percent));
  }
  return out;
}

Snapshot Build(std::string_view mask, double small = 0.5) {
  auto m = ParseFileKeyMask(mask);
  EXPECT_OK(m);
  SnapshotOptions o;
  o.mask = m.value_or(FileKeyMask{});
  o.small_percent = small;
  std::vector<scan::ProcessRecord> recs = TwoProcesses();
  return BuildSnapshot(recs, o);
}

TEST(ParseFileKeyMask, Letters) {
  struct {
    const char* text;
    FileKeyMask want;
  } cases[] = {
      {"", {}},
      {"f", {.path = true}},
      {"b", {.binary = true}},
      // Permission letters without 'b' key by path too ("-m rx": path
      // plus r/x, as the example has it).
      {"rx", {.path = true, .read = true, .exec = true}},
      {"p", {.path = true, .private_ = true}},
      {"brx", {.binary = true, .read = true, .exec = true}},
      {"frwxsp",
       {.path = true,
        .read = true,
        .write = true,
        .exec = true,
        .shared = true,
        .private_ = true}},
      {"bbf", {.binary = true, .path = true}},
  };
  for (const auto& c : cases) {
    auto m = ParseFileKeyMask(c.text);
    ASSERT_OK(m);
    EXPECT_EQ(*m, c.want) << c.text;
  }
}

TEST(ParseFileKeyMask, UnknownLetterIsNamed) {
  for (auto [text, message] : {
           std::pair{"frq",
                     "unknown letter 'q' in 'frq' (expected letters "
                     "from bfrwxsp)"},
           std::pair{"F",
                     "unknown letter 'F' in 'F' (expected letters from "
                     "bfrwxsp)"},
           std::pair{"r,x",
                     "unknown letter ',' in 'r,x' (expected letters "
                     "from bfrwxsp)"},
       }) {
    auto m = ParseFileKeyMask(text);
    ASSERT_FALSE(m.ok()) << text;
    EXPECT_TRUE(absl::IsInvalidArgument(m.status()));
    EXPECT_EQ(m.status().message(), message);
  }
}

TEST(MaskedPerms, LeftOutAndUnsetLettersAreDashes) {
  const FileKeyMask all = *ParseFileKeyMask("rwxsp");
  EXPECT_EQ(MaskedPerms(kRxp, all), "r-xp");
  EXPECT_EQ(MaskedPerms(kRws, all), "rw-s");
  EXPECT_EQ(MaskedPerms(kRxp, *ParseFileKeyMask("rx")), "r-x-");
  EXPECT_EQ(MaskedPerms(kRwp, *ParseFileKeyMask("rx")), "r---");
  EXPECT_EQ(MaskedPerms(kRws, *ParseFileKeyMask("p")), "----");
  EXPECT_EQ(MaskedPerms(kRp, *ParseFileKeyMask("p")), "---p");
  EXPECT_EQ(MaskedPerms(kRws, *ParseFileKeyMask("s")), "---s");
}

TEST(BuildSnapshot, SummaryLargestFirstAndSmallRowsFolded) {
  Snapshot s = Build("frwxsp");
  EXPECT_EQ(s.summary.pss_total, 2000 * K);
  EXPECT_EQ(s.summary.swap_pss, 30 * K);
  EXPECT_EQ(s.summary.hugetlb, 2048 * K);
  EXPECT_EQ(s.summary.hugetlb_mappings, 1u);
  EXPECT_EQ(Lines(s.summary.rows), (std::vector<std::string>{
                                       "Heap 700K 35.00%",
                                       "Other shared memory 400K 20.00%",
                                       "SysV shm 300K 15.00%",
                                       "Anonymous mappings 200K 10.00%",
                                       "/lib/libc.so.6 r-xp 120K 6.00%",
                                       "Stack 100K 5.00%",
                                       "/bin/app r-xp 80K 4.00%",
                                       "Thread stacks 50K 2.50%",
                                       "/bin/other r-xp 40K 2.00%",
                                   }));
  // 6 K is 0.3% and 4 K 0.2% of 2000 K: both below 0.5%.
  EXPECT_EQ(Lines(s.summary.small_rows),
            (std::vector<std::string>{"/lib/libc.so.6 r--p 6K 0.30%",
                                      "vdso/vvar/vsyscall 4K 0.20%"}));
  EXPECT_EQ(s.summary.small_pss, 10 * K);
  EXPECT_DOUBLE_EQ(s.summary.small_percent, 0.5);
  EXPECT_EQ(s.summary.rows[4].mappings, 2u);  // libc r-xp of P1 and P2
}

TEST(BuildSnapshot, PerProcessSections) {
  Snapshot s = Build("frwxsp");
  ASSERT_EQ(s.processes.size(), 2u);
  const ProcessSnapshot& p1 = s.processes[0];
  EXPECT_EQ(p1.pid, 10);
  EXPECT_EQ(p1.cmdline, "app --run");
  EXPECT_EQ(p1.threads, 2);
  EXPECT_EQ(p1.section.pss_total, 1000 * K);
  EXPECT_EQ(p1.section.swap_pss, 30 * K);
  EXPECT_EQ(p1.section.hugetlb, 2048 * K);
  // Of 1000 K, 6 K is 0.6% (kept) and 4 K 0.4% (folded).
  EXPECT_EQ(Lines(p1.section.rows), (std::vector<std::string>{
                                        "Heap 500K 50.00%",
                                        "Anonymous mappings 200K 20.00%",
                                        "Stack 100K 10.00%",
                                        "/bin/app r-xp 80K 8.00%",
                                        "/lib/libc.so.6 r-xp 60K 6.00%",
                                        "Thread stacks 50K 5.00%",
                                        "/lib/libc.so.6 r--p 6K 0.60%",
                                    }));
  EXPECT_EQ(Lines(p1.section.small_rows),
            (std::vector<std::string>{"vdso/vvar/vsyscall 4K 0.40%"}));
  const ProcessSnapshot& p2 = s.processes[1];
  EXPECT_EQ(p2.section.pss_total, 1000 * K);
  EXPECT_EQ(p2.section.hugetlb, 0u);
  EXPECT_EQ(p2.section.swap_pss, 0u);
  EXPECT_EQ(Lines(p2.section.rows), (std::vector<std::string>{
                                        "Other shared memory 400K 40.00%",
                                        "SysV shm 300K 30.00%",
                                        "Heap 200K 20.00%",
                                        "/lib/libc.so.6 r-xp 60K 6.00%",
                                        "/bin/other r-xp 40K 4.00%",
                                    }));
  EXPECT_TRUE(p2.section.small_rows.empty());
}

// Every mapping is in one row: each section's rows add up to the sum of
// its processes' usage Pss, whatever the mask and the threshold.
TEST(BuildSnapshot, RowsAddUpToPss) {
  for (const char* mask : {"", "f", "b", "bf", "rx", "frwxsp", "s"}) {
    for (double small : {0.0, 0.5, 10.0, 100.0}) {
      Snapshot s = Build(mask, small);
      uint64_t sum = 0;
      for (const auto& r : s.summary.rows) sum += r.pss;
      for (const auto& r : s.summary.small_rows) sum += r.pss;
      EXPECT_EQ(sum, 2000 * K) << mask << " " << small;
      EXPECT_EQ(s.summary.pss_total, 2000 * K);
      for (const ProcessSnapshot& p : s.processes) {
        uint64_t mine = 0;
        for (const auto& r : p.section.rows) mine += r.pss;
        for (const auto& r : p.section.small_rows) mine += r.pss;
        EXPECT_EQ(mine, 1000 * K) << mask << " " << small << " " << p.pid;
      }
    }
  }
}

TEST(BuildSnapshot, BinaryVersusLibrary) {
  // P1: binary /bin/app 80, library libc 66; P2: binary /bin/other 40,
  // library 60. Together binary 120 (6%), library 126 (6.3%).
  Snapshot s = Build("b", 3);
  EXPECT_EQ(
      Lines(s.summary.rows),
      (std::vector<std::string>{
          "Heap 700K 35.00%", "Other shared memory 400K 20.00%",
          "SysV shm 300K 15.00%", "Anonymous mappings 200K 10.00%",
          "library 126K 6.30%", "binary 120K 6.00%", "Stack 100K 5.00%"}));
  EXPECT_EQ(Lines(s.summary.small_rows),
            (std::vector<std::string>{"Thread stacks 50K 2.50%",
                                      "vdso/vvar/vsyscall 4K 0.20%"}));
  EXPECT_EQ(
      Lines(Build("bf", 3).processes[0].section.rows),
      (std::vector<std::string>{
          "Heap 500K 50.00%", "Anonymous mappings 200K 20.00%",
          "Stack 100K 10.00%", "binary /bin/app 80K 8.00%",
          "library /lib/libc.so.6 66K 6.60%", "Thread stacks 50K 5.00%"}));
}

TEST(BuildSnapshot, EmptyMaskIsOneFileRow) {
  // 80 + 60 + 6 + 40 + 60 = 246 K of files, 12.3%.
  Snapshot s = Build("", 3);
  EXPECT_EQ(Lines(s.summary.rows),
            (std::vector<std::string>{
                "Heap 700K 35.00%", "Other shared memory 400K 20.00%",
                "SysV shm 300K 15.00%", "file-backed mappings 246K 12.30%",
                "Anonymous mappings 200K 10.00%", "Stack 100K 5.00%"}));
  EXPECT_EQ(s.summary.rows[3].mappings, 5u);
}

TEST(BuildSnapshot, PermsMaskKeysByPathToo) {
  // "-m rx": path + r/x. libc r-x-: 60 + 60 = 120 K; /bin/app r-x- 80 K;
  // /bin/other r-x- 40 K; libc r--- (its r--p) 6 K.
  Snapshot s = Build("rx", 0);
  std::vector<std::string> files;
  for (const SnapshotRow& r : s.summary.rows) {
    if (r.category == kFile) {
      files.push_back(absl::StrCat(RowLabel(r), " ", r.pss / K, "K"));
    }
  }
  EXPECT_EQ(files, (std::vector<std::string>{
                       absl::StrCat(kLibc, " r-x- 120K"), "/bin/app r-x- 80K",
                       "/bin/other r-x- 40K", absl::StrCat(kLibc, " r--- 6K")}));
  EXPECT_TRUE(s.summary.small_rows.empty());  // 0 folds nothing
}

TEST(BuildSnapshot, BinaryAndPermsMaskDropsThePath) {
  // "-m brx": binary r-x- = 80 + 40 = 120 K, library r-x- 120 K, library
  // r--- 6 K: no path in any key.
  Snapshot s = Build("brx", 0);
  std::vector<std::string> files;
  for (const SnapshotRow& r : s.summary.rows) {
    if (r.category == kFile) {
      files.push_back(absl::StrCat(RowLabel(r), " ", r.pss / K, "K"));
    }
  }
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"binary r-x- 120K",
                                             "library r--- 6K",
                                             "library r-x- 120K"}));
}

TEST(BuildSnapshot, NoExecutableMeansLibrary) {
  std::vector<scan::ProcessRecord> recs(1);
  recs[0].usage = {Usage(kFile, 10, kRxp, "/bin/app")};  // exe unreadable
  SnapshotOptions o;
  o.mask = *ParseFileKeyMask("b");
  Snapshot s = BuildSnapshot(recs, o);
  EXPECT_EQ(Lines(s.summary.rows),
            (std::vector<std::string>{"library 10K 100.00%"}));
}

// The kernel gives hugetlb mappings Pss 0; should one ever have Pss, it
// still counts in the total, in a row of its own, beside the hugetlb bytes.
TEST(BuildSnapshot, HugetlbPssIsNotLost) {
  std::vector<scan::ProcessRecord> recs(1);
  UsageRow huge = Usage(kHugetlb, 100);
  huge.hugetlb = 4096 * K;
  recs[0].usage = {Usage(kHeap, 300), huge};
  Snapshot s = BuildSnapshot(recs, SnapshotOptions{});
  EXPECT_EQ(s.summary.pss_total, 400 * K);
  EXPECT_EQ(s.summary.hugetlb, 4096 * K);
  EXPECT_EQ(
      Lines(s.summary.rows),
      (std::vector<std::string>{"Heap 300K 75.00%", "Hugetlb 100K 25.00%"}));
}

TEST(BuildSnapshot, NoProcesses) {
  Snapshot s = BuildSnapshot({}, SnapshotOptions{});
  EXPECT_EQ(s.summary.pss_total, 0u);
  EXPECT_TRUE(s.summary.rows.empty());
  EXPECT_TRUE(s.summary.small_rows.empty());
  EXPECT_DOUBLE_EQ(s.summary.small_percent, 0);
  EXPECT_TRUE(s.processes.empty());
}

}  // namespace
}  // namespace memstats::profile
