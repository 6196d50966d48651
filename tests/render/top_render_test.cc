// memstats top's renderers on hand-built rounds: whole golden texts.
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "render/top.h"

namespace memstats::render {
namespace {

using profile::TopColumn;
using profile::TopGroup;
using profile::TopRound;

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;

TopGroup Row(std::string key, int procs, int pid, uint64_t anon,
             uint64_t text) {
  TopGroup g;
  g.key = std::move(key);
  g.processes = procs;
  g.pid = pid;
  g.figures.anon = anon;
  g.figures.text = text;
  g.figures.ptotal = anon + text;
  g.figures.pss = anon + text;
  return g;
}

// Round 2 of a loop: a group that grew 120 KiB, a new one, a gone one, and
// two folded groups.
TopRound LoopRound() {
  TopRound r;
  r.round = 2;
  r.time = "12:34:56";
  r.group_by = "exe";
  r.mem_total = 16 * 1024 * kMiB;
  r.mem_available = 12 * 1024 * kMiB;
  r.dirty = 2 * kMiB;
  r.contributing = 7;
  r.existing = 9;
  r.unreadable = 2;
  TopGroup a = Row("postgres", 4, 10, 40 * kMiB, 8 * kMiB);
  a.change = 120 * kKiB;
  // A key with a terminal escape (a command line can hold one).
  TopGroup b = Row("esc\x1b[31m", 1, 30, 1 * kMiB, 0);
  b.is_new = true;
  b.change = 1 * kMiB;
  TopGroup c;
  c.key = "cron";
  c.gone = true;
  c.change = -4 * static_cast<int64_t>(kMiB);
  r.rows = {a, b, c};
  TopGroup o = Row("others", 2, 50, 512 * kKiB, 0);
  o.folded_groups = 2;
  r.others = o;
  r.total = Row("TOTAL", 7, 0, 40 * kMiB + 1 * kMiB + 512 * kKiB, 8 * kMiB);
  r.total.change = 120 * kKiB + 1 * kMiB - 4 * static_cast<int64_t>(kMiB);
  return r;
}

TEST(TopRenderTest, TextWithChangesFoldedAndEscapedKeys) {
  TopView view;
  view.columns = {TopColumn::kAnon, TopColumn::kText, TopColumn::kPtotal,
                  TopColumn::kCount};
  view.show_change = true;
  std::ostringstream out;
  RenderTopText(LoopRound(), view, out);
  EXPECT_EQ(
      out.str(),
      R"(12:34:56  MemTotal 16.0G  MemAvailable 12.0G  Dirty 2.0M  7 of 9 processes, 2 unreadable
exe                  anon  text  ptotal  procs      change
postgres            40.0M  8.0M   48.0M      4       +120K
esc\x1b[31m          1.0M    0B    1.0M      1         new
cron                   0B    0B      0B      0  gone -4.0M
others (2 groups)  512.0K    0B  512.0K      2
----------------------------------------------------------
TOTAL               41.5M  8.0M   49.5M      7       -2.9M
)");
}

TEST(TopRenderTest, TextByPidShowsCommandAndPid) {
  TopRound r;
  r.time = "00:00:01";
  r.group_by = "pid";
  r.contributing = 2;
  r.existing = 2;
  TopGroup a = Row("100", 1, 100, 4 * kKiB, 0);
  a.name = "python3->backup.py";
  TopGroup b = Row("7", 1, 7, 0, 8 * kKiB);
  b.name = "bash";
  r.rows = {b, a};
  r.total = Row("TOTAL", 2, 0, 4 * kKiB, 8 * kKiB);
  TopView view;
  view.columns = {TopColumn::kCount, TopColumn::kPss};
  view.unit = Unit::kKiB;
  std::ostringstream out;
  RenderTopText(r, view, out);
  // meminfo missing: "?".
  EXPECT_EQ(out.str(),
            R"(00:00:01  MemTotal ?  MemAvailable ?  Dirty ?  2 of 2 processes
command             pid  pss
bash                  7    8
python3->backup.py  100    4
----------------------------
TOTAL                 2   12
)");
}

// memstats's own process left out: the header line says so, after the
// counts, and JSON's processes.self_excluded.
TEST(TopRenderTest, HeaderSaysSelfLeftOut) {
  TopRound r = LoopRound();
  r.self_excluded = true;
  TopView view;
  view.columns = {TopColumn::kCount};
  std::ostringstream out;
  RenderTopText(r, view, out);
  const std::string text = out.str();
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "12:34:56  MemTotal 16.0G  MemAvailable 12.0G  Dirty 2.0M  7 of 9 "
            "processes, 2 unreadable, memstats itself left out");
  std::ostringstream json_out;
  RenderTopJson(r, json_out);
  EXPECT_EQ(nlohmann::json::parse(json_out.str())["processes"]["self_excluded"],
            true);
}

TEST(TopRenderTest, TsvInBytesWithChange) {
  TopView view;
  view.columns = {TopColumn::kAnon, TopColumn::kCount};
  view.show_change = true;
  std::ostringstream out;
  RenderTopTsv(LoopRound(), view, /*header=*/true, out);
  EXPECT_EQ(out.str(),
            "time\texe\tanon\tprocs\tchange\n"
            "12:34:56\tpostgres\t41943040\t4\t+122880\n"
            "12:34:56\tesc\\x1b[31m\t1048576\t1\tnew\n"
            "12:34:56\tcron\t0\t0\tgone\n"
            "12:34:56\tothers (2 groups)\t524288\t2\t\n"
            "12:34:56\tTOTAL\t43515904\t7\t-3022848\n");
}

TEST(TopRenderTest, JsonHasEveryFigureInBytes) {
  std::ostringstream out;
  RenderTopJson(LoopRound(), out);
  const std::string text = out.str();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1);  // one line
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["round"], 2);
  EXPECT_EQ(j["time"], "12:34:56");
  EXPECT_EQ(j["group_by"], "exe");
  EXPECT_EQ(j["meminfo"]["Dirty"], 2 * kMiB);
  EXPECT_EQ(j["processes"]["contributing"], 7);
  EXPECT_EQ(j["processes"]["existing"], 9);
  EXPECT_EQ(j["processes"]["unreadable"], 2);
  EXPECT_EQ(j["processes"]["self_excluded"], false);
  ASSERT_EQ(j["groups"].size(), 3u);
  const auto& g = j["groups"][0];
  EXPECT_EQ(g["key"], "postgres");
  EXPECT_EQ(g["processes"], 4);
  EXPECT_EQ(g["anon"], 40 * kMiB);
  EXPECT_EQ(g["text"], 8 * kMiB);
  EXPECT_EQ(g["ptotal"], 48 * kMiB);
  EXPECT_EQ(g["pswap"], 0);
  EXPECT_EQ(g["hugetlb"], 0);
  EXPECT_EQ(g["change"], 120 * kKiB);
  EXPECT_EQ(g["new"], false);
  EXPECT_EQ(j["groups"][1]["key"], "esc\x1b[31m");
  EXPECT_EQ(j["groups"][1]["new"], true);
  EXPECT_EQ(j["groups"][2]["gone"], true);
  EXPECT_EQ(j["groups"][2]["change"], -4 * static_cast<int64_t>(kMiB));
  EXPECT_EQ(j["others"]["groups"], 2);
  EXPECT_EQ(j["total"]["ptotal"], 49 * kMiB + 512 * kKiB);
}

TEST(TopRenderTest, FormatChangeTable) {
  struct Case {
    int64_t bytes;
    Unit unit;
    std::string text;
  };
  const Case cases[] = {
      {0, Unit::kAuto, "+0B"},
      {512, Unit::kAuto, "+512B"},
      {-512, Unit::kAuto, "-512B"},
      {1024, Unit::kAuto, "+1.0K"},
      {120 * 1024, Unit::kAuto, "+120K"},
      {-4 * 1024 * 1024, Unit::kAuto, "-4.0M"},
      {15 * 1024 * 1024 + 1000, Unit::kAuto, "+15M"},
      {int64_t{3} << 30, Unit::kAuto, "+3.0G"},
      {-120 * 1024, Unit::kKiB, "-120"},
      {100 * 1024, Unit::kBytes, "+102400"},
      {INT64_MIN, Unit::kBytes, "-9223372036854775808"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FormatChange(c.bytes, c.unit), c.text) << c.bytes;
  }
}

}  // namespace
}  // namespace memstats::render
