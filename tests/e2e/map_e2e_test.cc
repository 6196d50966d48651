// memstats map, live: two processes of two uids (memstats_map_helper) with
// N and M private pages each and S shared pages, drawn by memstats map
// --split-uid with a filter that keeps only them. The PNG is read back with
// libpng and each colour's pixels counted, then compared with:
//  - the layout: each uid's colour holds at least its private pages, the
//    shared colour at least the shared ones, and no more than a stated
//    noise on top (stack, .data/.bss, the binary's page cache);
//  - the test's own reading of the two processes' PFN sets (their
//    /proc/PID/pagemap, every mapping of /proc/PID/maps, zero page left out
//    by /proc/kpageflags): a uid's colour holds exactly the PFNs only its
//    process maps, the shared colour those both map;
//  - smaps: Private_Clean + Private_Dirty are the pages mapped once in the
//    system, so a uid's pixels are its process's Private_* pages plus the
//    pages only it maps among the two but something else maps too (the
//    test counts those with /proc/kpagecount: the vDSO, say), and the
//    shared pixels plus those are its Shared_* pages;
//  - memstats groups --split-uid on the same processes: a uid's pixels
//    plus the shared pixels are its RSS; its pixels less those mapped
//    elsewhere (above) its USS.
// The processes are idle (blocked in read) while measured, so the PFN
// sets and smaps agree exactly; the noise bound only covers what the
// static helper maps besides its layout.
//
// Needs root (CAP_SYS_ADMIN for PFNs, setresuid for the two uids).
// Serialized with the other live tests by their lock file.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/proc_files.h"
#include "exec/exec_test_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "png_read.h"
#include "subprocess.h"

namespace memstats::testing {
namespace {

constexpr uint32_t kUidA = 61001, kUidB = 61002;
constexpr uint64_t kPagesA = 3000, kPagesB = 1000, kSharedPages = 2000;
// Pages a process of the static helper maps besides its layout: its stack,
// .data/.bss and TLS, the pages the parent wrote after fork (copies), its
// binary's page cache (shared by the two), and the copy-on-write pages both
// still share after fork. Measured here: 117 more for A (the parent), 4
// for B, 59 shared; bounded generously.
constexpr uint64_t kPrivateNoise = 256, kSharedNoise = 512;
constexpr uint64_t kPage = 4096;

// How many of `pfns` /proc/kpagecount says are mapped more than once.
uint64_t MappedElsewhere(const std::vector<uint64_t>& pfns) {
  const int fd = ::open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  uint64_t n = 0;
  for (uint64_t pfn : pfns) {
    uint64_t count = 0;
    if (::pread(fd, &count, 8, static_cast<off_t>(pfn * 8)) == 8 &&
        count > 1) {
      ++n;
    }
  }
  ::close(fd);
  return n;
}

// Present PFNs of `pid`, from its pagemap, the zero page left out.
std::set<uint64_t> PfnsOf(pid_t pid, int kpageflags) {
  std::set<uint64_t> pfns;
  const std::string pagemap_path =
      "/proc/" + std::to_string(pid) + "/pagemap";
  const int fd = ::open(pagemap_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return pfns;
  for (const SmapsMapping& m : ReadSmaps(pid)) {
    if (m.path == "[vsyscall]") continue;
    std::vector<uint64_t> entries((m.end - m.start) / kPage);
    const ssize_t n = ::pread(fd, entries.data(), entries.size() * 8,
                              static_cast<off_t>(m.start / kPage * 8));
    if (n < 0) continue;
    for (size_t i = 0; i < static_cast<size_t>(n) / 8; ++i) {
      if (!(entries[i] >> 63)) continue;
      const uint64_t pfn = entries[i] & ((uint64_t{1} << 55) - 1);
      uint64_t flags = 0;
      if (::pread(kpageflags, &flags, 8, static_cast<off_t>(pfn * 8)) == 8 &&
          ((flags >> 24) & 1)) {
        continue;  // KPF_ZERO_PAGE
      }
      pfns.insert(pfn);
    }
  }
  ::close(fd);
  return pfns;
}

// smaps Private_* and Shared_* of `pid`, in pages.
struct SmapsPages {
  uint64_t private_pages = 0, shared_pages = 0;
};
SmapsPages SmapsOf(pid_t pid) {
  const std::map<std::string, int64_t> r = ReadRollup(pid);
  auto at = [&](const char* k) {
    auto it = r.find(k);
    return it == r.end() ? 0 : static_cast<uint64_t>(it->second);
  };
  return {(at("Private_Clean") + at("Private_Dirty")) / kPage,
          (at("Shared_Clean") + at("Shared_Dirty")) / kPage};
}

class MapE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      ASSERT_EQ(std::getenv("CI"), nullptr) << "CI runs as root";
      GTEST_SKIP() << "needs root";
    }
    lock_ = std::make_unique<LiveTestLock>();
  }
  std::unique_ptr<LiveTestLock> lock_;
};

TEST_F(MapE2eTest, PixelsPerUidMatchLayoutPfnSetsSmapsAndGroups) {
  auto n = [](uint64_t v) { return std::to_string(v); };
  ReadyHelper helper({MAP_HELPER, n(kUidA), n(kUidB), n(kPagesA), n(kPagesB),
                      n(kSharedPages)},
                     std::nullopt, 60000);
  std::istringstream ready(helper.ready_line());
  std::string word, a, b;
  ready >> word >> a >> b;
  ASSERT_EQ(word, "ready") << helper.ready_line();
  const pid_t pid_a = std::stoi(a.substr(2));
  const pid_t pid_b = std::stoi(b.substr(2));

  TempDir dir;
  const std::string filter =
      "or(uid(" + n(kUidA) + "),uid(" + n(kUidB) + "))";
  RunResult map = RunCommand({MemstatsBinary(), "--filter", filter, "--json",
                              "map", "-o", dir.Path("host.png"),
                              "--split-uid"});
  ASSERT_EQ(map.exit_code, 0) << map.err;
  RunResult groups = RunCommand({MemstatsBinary(), "--filter", filter,
                                 "--json", "groups", "--split-uid"});
  ASSERT_EQ(groups.exit_code, 0) << groups.err;

  // The independent view, read while the processes are still idle.
  const int kpageflags = ::open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(kpageflags, 0);
  const std::set<uint64_t> pfns_a = PfnsOf(pid_a, kpageflags);
  const std::set<uint64_t> pfns_b = PfnsOf(pid_b, kpageflags);
  ::close(kpageflags);
  const SmapsPages smaps_a = SmapsOf(pid_a), smaps_b = SmapsOf(pid_b);
  std::vector<uint64_t> both;
  std::set_intersection(pfns_a.begin(), pfns_a.end(), pfns_b.begin(),
                        pfns_b.end(), std::back_inserter(both));
  std::vector<uint64_t> only_a, only_b;
  std::set_difference(pfns_a.begin(), pfns_a.end(), pfns_b.begin(),
                      pfns_b.end(), std::back_inserter(only_a));
  std::set_difference(pfns_b.begin(), pfns_b.end(), pfns_a.begin(),
                      pfns_a.end(), std::back_inserter(only_b));
  const uint64_t elsewhere_a = MappedElsewhere(only_a);
  const uint64_t elsewhere_b = MappedElsewhere(only_b);
  EXPECT_EQ(helper.Stop(), 0);

  // The picture.
  const nlohmann::json legend = nlohmann::json::parse(map.out);
  const RgbImage png = ReadPng(dir.Path("host.png"));
  ASSERT_EQ(png.error, "");
  EXPECT_EQ(png.width, legend["width"]);
  EXPECT_EQ(png.height, legend["height"]);
  const std::map<std::string, uint64_t> pixels =
      png.CountColours(0, legend["map_height"]);
  std::map<std::string, uint64_t> by_class;  // "uid:N", "shared"
  for (const auto& c : legend["classes"]) {
    const std::string kind = c["kind"];
    const std::string key =
        kind == "group" ? "uid:" + c["name"].get<std::string>() : kind;
    auto it = pixels.find(c["colour"].get<std::string>());
    by_class[key] = it == pixels.end() ? 0 : it->second;
    EXPECT_EQ(c["pixels"], by_class[key]) << key;
  }
  const uint64_t px_a = by_class["uid:" + n(kUidA)];
  const uint64_t px_b = by_class["uid:" + n(kUidB)];
  const uint64_t px_shared = by_class["shared"];

  // The layout, within the stated noise.
  EXPECT_GE(px_a, kPagesA);
  EXPECT_LE(px_a, kPagesA + kPrivateNoise);
  EXPECT_GE(px_b, kPagesB);
  EXPECT_LE(px_b, kPagesB + kPrivateNoise);
  EXPECT_GE(px_shared, kSharedPages);
  EXPECT_LE(px_shared, kSharedPages + kSharedNoise);

  // The test's own PFN sets: exactly.
  EXPECT_EQ(px_a, only_a.size());
  EXPECT_EQ(px_b, only_b.size());
  EXPECT_EQ(px_shared, both.size());
  // Pages of one process only that something else maps: a few at most.
  EXPECT_LE(elsewhere_a, 4u);
  EXPECT_LE(elsewhere_b, 4u);

  // smaps: pages mapped once (Private_*), and the rest (Shared_*).
  EXPECT_EQ(px_a - elsewhere_a, smaps_a.private_pages);
  EXPECT_EQ(px_b - elsewhere_b, smaps_b.private_pages);
  EXPECT_EQ(px_shared + elsewhere_a, smaps_a.shared_pages);
  EXPECT_EQ(px_shared + elsewhere_b, smaps_b.shared_pages);

  // memstats groups: USS, and RSS - USS the pages shared with the other.
  const nlohmann::json g = nlohmann::json::parse(groups.out);
  std::map<std::string, std::pair<uint64_t, uint64_t>> rss_uss;
  for (const auto& grp : g["splits"][0]["groups"]) {
    rss_uss[grp["name"]] = {grp["rss"].get<uint64_t>() / kPage,
                            grp["uss"].get<uint64_t>() / kPage};
  }
  ASSERT_EQ(rss_uss.size(), 2u) << groups.out;
  EXPECT_EQ(px_a + px_shared, rss_uss[n(kUidA)].first);
  EXPECT_EQ(px_b + px_shared, rss_uss[n(kUidB)].first);
  EXPECT_EQ(px_a - elsewhere_a, rss_uss[n(kUidA)].second);
  EXPECT_EQ(px_b - elsewhere_b, rss_uss[n(kUidB)].second);
  std::cout << "map e2e: uid A " << px_a << " px (layout " << kPagesA
            << "), uid B " << px_b << " (layout " << kPagesB << "), shared "
            << px_shared << " (layout " << kSharedPages << "); mapped elsewhere too: "
            << elsewhere_a << " + " << elsewhere_b << "\n";
}

}  // namespace
}  // namespace memstats::testing
