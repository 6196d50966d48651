#include <sstream>

#include "gtest/gtest.h"
#include "render/text_table.h"
#include "render/units.h"

namespace memstats::render {
namespace {

TEST(UnitsTest, ParseUnit) {
  EXPECT_EQ(ParseUnit("B"), Unit::kBytes);
  EXPECT_EQ(ParseUnit("KiB"), Unit::kKiB);
  EXPECT_EQ(ParseUnit("MiB"), Unit::kMiB);
  EXPECT_EQ(ParseUnit("GiB"), Unit::kGiB);
  EXPECT_EQ(ParseUnit("auto"), Unit::kAuto);
  EXPECT_EQ(ParseUnit("kb"), std::nullopt);
  EXPECT_EQ(ParseUnit(""), std::nullopt);
}

TEST(UnitsTest, FormatBytes) {
  struct {
    uint64_t bytes;
    Unit unit;
    const char* want;
  } cases[] = {
      {4096, Unit::kBytes, "4096"},
      {4096, Unit::kKiB, "4"},
      {157286400, Unit::kMiB, "150.0"},
      {3221225472, Unit::kGiB, "3.0"},
      {0, Unit::kAuto, "0B"},
      {1023, Unit::kAuto, "1023B"},
      {4096, Unit::kAuto, "4.0K"},
      {157286400, Unit::kAuto, "150.0M"},
      {1288490188, Unit::kAuto, "1.2G"},
      {uint64_t{3} << 40, Unit::kAuto, "3.0T"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatBytes(c.bytes, c.unit), c.want) << c.bytes;
  }
}

TEST(UnitsTest, EscapeForTerminal) {
  EXPECT_EQ(EscapeForTerminal("bash"), "bash");
  EXPECT_EQ(EscapeForTerminal("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(EscapeForTerminal("a\nb\x1b[2J"), "a\\x0ab\\x1b[2J");
  EXPECT_EQ(EscapeForTerminal("bad\xff\xc3"), "bad\\xff\\xc3");
}

TEST(TextTableTest, AlignsColumnsAndDrawsRules) {
  TextTable t;
  t.AddColumn("GROUP", TextTable::Align::kLeft);
  t.AddColumn("RSS", TextTable::Align::kRight);
  t.AddColumn("NOTE", TextTable::Align::kLeft);
  t.AddRow({"root", "150.0M", "x"});
  t.AddRow({"caf\xc3\xa9", "1.0K", ""});
  t.AddRule();
  t.AddRow({"TOTAL", "151.0M", "y"});
  std::ostringstream out;
  t.Print(out);
  EXPECT_EQ(out.str(), R"(GROUP     RSS  NOTE
root   150.0M  x
café     1.0K
-------------------
TOTAL  151.0M  y
)");
}

}  // namespace
}  // namespace memstats::render

namespace memstats::render {
namespace {

TEST(ShortenTest, KeepsStartAndEnd) {
  EXPECT_EQ(Shorten("/usr/lib/libc.so.6", 18), "/usr/lib/libc.so.6");
  EXPECT_EQ(Shorten("/usr/lib/libc.so.6", 11), "/usr...so.6");  // 4 + 3 + 4
  EXPECT_EQ(Shorten("abcdefghij", 6), "a...ij");                // 1 + 3 + 2
}

}  // namespace
}  // namespace memstats::render
