// memstats map on tests/fixtures/basic: the PNG read back with libpng, its
// pixels counted per colour against page counts derived by hand from the
// fixture's layout (tests/fixtures/make_fixtures.py); and bad input.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "cli/run_memstats.h"
#include "exec/exec_test_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "png_read.h"

namespace memstats::testing {
namespace {

// The legend's colours (#rrggbb) by class: "group:NAME" or the kind.
std::map<std::string, std::string> ColourByClass(const nlohmann::json& j) {
  std::map<std::string, std::string> out;
  for (const auto& c : j["classes"]) {
    const std::string kind = c["kind"];
    out[kind == "group" ? "group:" + c["name"].get<std::string>() : kind] =
        c["colour"];
  }
  return out;
}

// Runs map on the fixture into dir/map.png with `extra` options; returns
// the JSON legend and the PNG.
struct MapRun {
  nlohmann::json legend;
  RgbImage png;
};
MapRun RunMap(const TempDir& dir, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--json", "map", "-o", dir.Path("map.png")};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = RunOnFixture(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  MapRun out;
  out.legend = nlohmann::json::parse(r.out, nullptr, false);
  out.png = ReadPng(dir.Path("map.png"));
  EXPECT_EQ(out.png.error, "");
  return out;
}

// Pixels of the map area (the rows above the legend strip) per class.
std::map<std::string, uint64_t> PixelsByClass(const MapRun& run) {
  const uint32_t map_rows = run.legend["map_height"];
  const std::map<std::string, uint64_t> by_colour =
      run.png.CountColours(0, map_rows);
  std::map<std::string, uint64_t> out;
  for (const auto& [cls, colour] : ColourByClass(run.legend)) {
    auto it = by_colour.find(colour);
    if (it != by_colour.end()) out[cls] = it->second;
  }
  uint64_t named = 0;
  for (const auto& [cls, n] : out) named += n;
  // Every pixel of the map is some class's colour or the background.
  auto bg = by_colour.find("#ffffff");
  EXPECT_EQ(named + (bg == by_colour.end() ? 0 : bg->second),
            uint64_t{run.png.width} * map_rows);
  return out;
}

// Split by uid. The fixture's PFNs are 0-0x1ff (iomem: System RAM
// 0x1000-0x9fbff and 0x100000-0x1fffff, so PFNs 0x1-0x9f and 0x100-0x1ff
// are RAM: 159 + 256 = 415 pages; PFN 0 and 0xa0-0xff, 1 + 96 = 97, are
// holes). By hand:
//   uid 0:    P1 and P2: 100 shmem (0x100-0x163) + 40 anon of P1 + 10 anon
//             of P2 = 150 (the libc pages are also bash's: shared)
//   uid 1000: bash's 8 anon pages (0x20-0x27)
//   shared:   the 5 libc pages (0x40-0x44), mapped by P1 (uid 0) and bash
//   page cache, not mapped: 0x60-0x63 = 4
//   mapped by processes not scanned: 0x78-0x7a = 3
//   kernel: the zero page 0x50 (referenced by P2, but no one's memory)
//           + 2 slab pages 0x70-0x71 = 3
//   no flags: 0x90 = 1
//   free: the other RAM pages: 415 - (150 + 8 + 5 + 4 + 3 + 3 + 1) = 241
//   hole: 97
// 512 PFNs at one page per pixel: 2 squares of 16 x 16, all 512 drawn.
TEST(MapCli, PixelsPerColourEqualPagesPerClass) {
  TempDir dir;
  MapRun run = RunMap(dir, {"--split-uid"});
  ASSERT_EQ(run.png.width, 32u);
  ASSERT_EQ(run.png.height, 16u + 4 + 24);  // map, gap, legend strip
  EXPECT_EQ(run.legend["width"], 32);
  EXPECT_EQ(run.legend["height"], 44);
  EXPECT_EQ(run.legend["end_pfn"], 512);
  const std::map<std::string, uint64_t> want = {
      {"group:0", 150}, {"group:1000", 8}, {"shared", 5},
      {"page-cache", 4}, {"other-processes", 3}, {"kernel", 3},
      {"no-flags", 1},  {"free", 241},   {"hole", 97}};
  EXPECT_EQ(PixelsByClass(run), want);
  // The legend's page counts say the same (one page per pixel).
  std::map<std::string, uint64_t> pages;
  for (const auto& c : run.legend["classes"]) {
    const std::string kind = c["kind"];
    pages[kind == "group" ? "group:" + c["name"].get<std::string>() : kind] =
        c["pages"];
    EXPECT_EQ(c["pages"], c["pixels"]);
  }
  EXPECT_EQ(pages, want);
  // Groups first, largest first.
  EXPECT_EQ(run.legend["classes"][0]["name"], "0");
  EXPECT_EQ(run.legend["classes"][1]["name"], "1000");
  // Every class with pages shows in the legend strip (the PNG's last row).
  const std::map<std::string, uint64_t> strip =
      run.png.CountColours(run.png.height - 1, run.png.height);
  for (const auto& [cls, colour] : ColourByClass(run.legend)) {
    EXPECT_EQ(strip.count(colour), 1u) << cls;
  }
  // Written with mode 0600.
  struct stat st {};
  ASSERT_EQ(::stat(dir.Path("map.png").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

// Split by APP: web (P1) and db (P2) share the 100 shmem pages; unset
// (bash) shares libc with web.
//   web: 40 anon; db: 10 anon; (unset): 8 anon
//   shared: 100 shmem + 5 libc = 105; the rest as above.
TEST(MapCli, SplitEnv) {
  TempDir dir;
  MapRun run = RunMap(dir, {"--split-env", "APP"});
  const std::map<std::string, uint64_t> want = {
      {"group:web", 40}, {"group:db", 10}, {"group:(unset)", 8},
      {"shared", 105}, {"page-cache", 4}, {"other-processes", 3},
      {"kernel", 3}, {"no-flags", 1}, {"free", 241}, {"hole", 97}};
  EXPECT_EQ(PixelsByClass(run), want);
}

// --scale 4: pixel d covers PFNs 4d to 4d+3 and takes the class most of
// them have; a tie goes to the class listed first (groups, shared, page
// cache, other processes, kernel, no flags, free, hole). 128 pixels: 2
// squares of 8 x 8. By groups of four PFNs:
//   0x00-0x03  hole + 3 free            free
//   0x04-0x1f  free                     7 x free
//   0x20-0x27  bash                     2 x uid 1000
//   0x28-0x3f  free                     6 x free
//   0x40-0x43  libc                     shared
//   0x44-0x47  1 libc + 3 free          free
//   0x48-0x4f  free                     2 x free
//   0x50-0x53  zero page + 3 free       free
//   0x54-0x5f  free                     3 x free
//   0x60-0x63  unmapped page cache      page cache
//   0x64-0x6f  free                     3 x free
//   0x70-0x73  2 slab + 2 free          kernel (the tie, kernel listed first)
//   0x74-0x77  free                     free
//   0x78-0x7b  3 outside + 1 free       other processes
//   0x7c-0x8f  free                     5 x free
//   0x90-0x93  no flags + 3 free        free
//   0x94-0x9f  free                     3 x free
//   0xa0-0xff  holes                    24 x hole
//   0x100-0x163 shmem (uid 0)           25 x uid 0
//   0x164-0x17f free                    7 x free
//   0x180-0x1a7 P1 anon                 10 x uid 0
//   0x1a8-0x1af free                    2 x free
//   0x1b0-0x1b3 P2 anon                 uid 0
//   0x1b4-0x1b7 1 P2 + 3 free           free
//   0x1b8-0x1bf free                    2 x free
//   0x1c0-0x1c3 P2 anon                 uid 0
//   0x1c4-0x1c7 1 P2 + 3 free           free
//   0x1c8-0x1ff free                    14 x free
// uid 0: 25 + 10 + 1 + 1 = 37; free: 8 + 6 + 1 + 2 + 1 + 3 + 3 + 1 + 5 +
// 1 + 3 + 7 + 2 + 1 + 2 + 1 + 14 = 61.
TEST(MapCli, ScaleFourMajority) {
  TempDir dir;
  MapRun run = RunMap(dir, {"--split-uid", "--scale", "4"});
  ASSERT_EQ(run.png.width, 16u);
  ASSERT_EQ(run.png.height, 8u + 4 + 24);
  EXPECT_EQ(run.legend["pages_per_pixel"], 4);
  const std::map<std::string, uint64_t> want = {
      {"group:0", 37}, {"group:1000", 2}, {"shared", 1},
      {"page-cache", 1}, {"other-processes", 1}, {"kernel", 1},
      {"free", 61}, {"hole", 24}};
  EXPECT_EQ(PixelsByClass(run), want);
  // Pages are still counted one by one.
  EXPECT_EQ(run.legend["classes"][0]["pages"], 150);
  EXPECT_EQ(run.legend["classes"][0]["pixels"], 37);
}

// The text legend: the size, and one row per class (the whole text, the
// time masked).
TEST(MapCli, TextLegend) {
  TempDir dir;
  RunResult r = RunOnFixture({"map", "-o", dir.Path("m.png")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::regex seconds("pixel, [0-9]+\\.[0-9]{2} s\n");
  EXPECT_EQ(std::regex_replace(r.out, seconds, "pixel, X.XX s\n"),
            "memstats map: " + dir.Path("m.png") +
                ", 32 x 44 pixels (32 x 16 map, 2 Hilbert squares side by "
                "side; legend strip below)\n"
                "512 PFNs (0 to 0x200, 2.0M of address space), 1 page per "
                "pixel, X.XX s\n"
                R"(
COLOUR   PAGES    SIZE  PIXELS  CLASS
#1f77b4    150  600.0K     150  group 0
#ff7f0e      8   32.0K       8  group 1000
#ff00ff      5   20.0K       5  shared between groups
#ffec8b      4   16.0K       4  page cache, not mapped
#005f5f      3   12.0K       3  mapped by processes not scanned
#969696      3   12.0K       3  kernel and other
#303030      1    4.0K       1  no page flags (uninitialised or raw)
#000000    241  964.0K     241  free (buddy)
#46466e     97  388.0K      97  not RAM (hole)
)");
}

void ExpectRefused(const std::vector<std::string>& args,
                   const std::string& message, const std::string& path) {
  RunResult r = RunOnFixture(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path)) &&
               !std::filesystem::is_symlink(path))
      << path << " was written";
}

TEST(MapCli, MissingDirectory) {
  TempDir dir;
  const std::string path = dir.Path("no/such/dir/m.png");
  ExpectRefused({"map", "-o", path}, "-o: ", path);
  EXPECT_FALSE(std::filesystem::exists(dir.Path("no")));
}

TEST(MapCli, ThroughSymlink) {
  TempDir dir;
  const std::string target = dir.Path("target");
  const std::string link = dir.Path("m.png");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  ExpectRefused({"map", "-o", link}, "-o: ", link);
  EXPECT_FALSE(std::filesystem::exists(target));
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  // Nothing else appeared in the directory (no temporary left).
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

TEST(MapCli, BadScale) {
  TempDir dir;
  const std::string path = dir.Path("m.png");
  for (const char* bad : {"0", "-1", "abc", "1.5", "1048577", ""}) {
    ExpectRefused({"map", "-o", path, "--scale", bad},
                  "--scale: expected a number of pages per pixel from 1 to "
                  "1048576, got '" + std::string(bad) + "'",
                  path);
    EXPECT_FALSE(std::filesystem::exists(path)) << bad;
  }
}

TEST(MapCli, OneSplitOnly) {
  TempDir dir;
  const std::string path = dir.Path("m.png");
  ExpectRefused({"map", "-o", path, "--split-uid", "--split-comm"},
                "map draws one split, got 2 --split-* options", path);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(MapCli, OutputRequired) {
  RunResult r = RunOnFixture({"map"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--output is required"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace memstats::testing
