// memstats system on the live machine, with memstats_system_helper
// (system_helper.cc) holding a known layout: a child with 64 MiB of its own
// private anonymous memory, 16 MiB of copy-on-write anonymous pages that
// parent and child share after fork, and a 32 MiB MAP_SHARED|MAP_ANONYMOUS
// mapping (shmem) both have touched.
//
// Checks:
//  - the parts (every line and the remainder) add up exactly to used, and
//    used is MemTotal - MemFree of the same meminfo read (the JSON's own
//    mem_total and mem_free);
//  - the scan's lines include the helper's pages: one-process anonymous
//    >= 64 MiB, shared anonymous >= 16 MiB, mapped shmem >= 32 MiB (lower
//    bounds from the layout: the rest of the machine only adds);
//  - the lines made from meminfo, summed back into their fields
//    (AnonPages = the four anonymous lines, Shmem = mapped + unmapped,
//    Cached = Shmem + mapped + unmapped file pages, ...), agree with this
//    test's own reads of /proc/meminfo (its own parser) just before and
//    just after memstats runs.
//
// Tolerance for the last check: memstats read meminfo between the two
// reads, so a field that moved one way lies between them; it is widened by
// (a) memstats's own footprint, present in its read and in neither of
// ours: its peak RSS (getrusage of the reaped child) for the anonymous
// and free-memory fields, and (b) kSlack = 64 MiB for what other processes
// on a shared machine allocate and free again within the run (a counter
// that goes up and comes back lies outside the bracket). MemTotal does not
// move: compared exactly. Needs root (page-level scan).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/proc_files.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "subprocess.h"

namespace memstats::testing {
namespace {

using nlohmann::json;

constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kSlack = 64 * kMiB;

// /proc/meminfo read here, independently of memstats: "Key: N kB" -> bytes,
// "Key: N" (HugePages_*) -> N.
std::map<std::string, int64_t> ReadMeminfo() {
  std::map<std::string, int64_t> out;
  std::istringstream in(ReadWholeFile("/proc/meminfo"));
  std::string key, unit;
  int64_t value = 0;
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    if (!(f >> key >> value)) continue;
    key.pop_back();  // the ':'
    out[key] = (f >> unit && unit == "kB") ? value * 1024 : value;
  }
  return out;
}

// Every line of the JSON by key, in bytes.
std::map<std::string, int64_t> Lines(const json& j) {
  std::map<std::string, int64_t> out;
  for (const json& s : j["sections"]) {
    for (const json& l : s["lines"]) {
      out[l["key"].get<std::string>()] = l["bytes"].get<int64_t>();
    }
  }
  return out;
}

TEST(SystemE2e, HelperLayoutAndMeminfo) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: pagemap PFNs";
  LiveTestLock lock;
  ReadyHelper helper({SYSTEM_HELPER, "64", "16", "32"}, std::nullopt, 20000);
  ASSERT_EQ(helper.ready_line().rfind("ready parent=", 0), 0u)
      << "helper did not start: '" << helper.ready_line() << "'";

  const auto before = ReadMeminfo();
  RunResult r = RunCommand({MemstatsBinary(), "system", "--json"});
  const auto after = ReadMeminfo();
  struct rusage ru {};
  ASSERT_EQ(getrusage(RUSAGE_CHILDREN, &ru), 0);
  const int64_t own = int64_t{ru.ru_maxrss} * 1024;  // memstats's peak RSS
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.Describe();
  ASSERT_TRUE(j["page_level"].get<bool>()) << r.Describe();

  // The parts add up, exactly, to MemTotal - MemFree of memstats's read.
  const int64_t total = j["mem_total"].get<int64_t>();
  const int64_t free = j["mem_free"].get<int64_t>();
  const int64_t used = j["used"].get<int64_t>();
  EXPECT_EQ(used, total - free);
  const auto l = Lines(j);
  int64_t sum = j["remainder"].get<int64_t>();
  for (const auto& [key, bytes] : l) sum += bytes;
  EXPECT_EQ(sum, used);

  // The helper's pages, as lower bounds.
  EXPECT_GE(l.at("anon_one_process"), 64 * kMiB);
  EXPECT_GE(l.at("anon_shared"), 16 * kMiB);
  EXPECT_GE(l.at("shmem_mapped"), 32 * kMiB);

  // Lines summed back into meminfo fields, against our own reads.
  EXPECT_EQ(total, before.at("MemTotal"));
  EXPECT_EQ(total, after.at("MemTotal"));
  auto within = [&](const char* field, int64_t value, int64_t extra) {
    const int64_t lo = std::min(before.at(field), after.at(field));
    const int64_t hi = std::max(before.at(field), after.at(field));
    EXPECT_GE(value, lo - kSlack - extra) << field << " before " << lo;
    EXPECT_LE(value, hi + kSlack + extra) << field << " after " << hi;
  };
  within("MemFree", free, own);
  within("AnonPages",
         l.at("anon_one_process") + l.at("anon_shared") + l.at("anon_ksm") +
             l.at("anon_not_seen"),
         own);
  const int64_t shmem = l.at("shmem_mapped") + l.at("shmem_unmapped");
  within("Shmem", shmem, 0);
  within("Cached", shmem + l.at("file_mapped") + l.at("file_unmapped"), 0);
  within("Buffers", l.at("buffers"), 0);
  within("PageTables", l.at("page_tables"), 0);
  within("SReclaimable", l.at("slab_reclaimable"), 0);
  within("SUnreclaim", l.at("slab_unreclaimable"), 0);
  within("KernelStack", l.at("kernel_stacks"), 0);
  within("Percpu", l.at("percpu"), 0);
  const bool stacks_in_vmalloc = j["stacks_in_vmalloc"].get<bool>();
  within("VmallocUsed",
         l.at("vmalloc") + (stacks_in_vmalloc ? l.at("kernel_stacks") : 0), 0);
  // The swap cache line is SwapCached less the anonymous pages in it that
  // processes map, so at most SwapCached.
  EXPECT_LE(l.at("swap_cache"),
            std::max(before.at("SwapCached"), after.at("SwapCached")) + kSlack);
  const int64_t huge = l.at("hugetlb_mapped") + l.at("hugetlb_unmapped") +
                       l.at("hugetlb_reserved") + l.at("hugetlb_free") +
                       l.at("hugetlb_other_sizes");
  if (before.count("Hugetlb")) within("Hugetlb", huge, 0);
  EXPECT_EQ(helper.Stop(), 0);
}

}  // namespace
}  // namespace memstats::testing
