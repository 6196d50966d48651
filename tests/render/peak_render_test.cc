// The pieces of memstats peak's output that other reports reuse: bytes
// with thousands separators, UTC times, the peak table as JSON (what the
// HTML report renders for any sample). The whole report is golden-tested
// in tests/cli/peak_cli_test.cc.
#include "gtest/gtest.h"
#include "render/peak.h"
#include "render/units.h"

namespace memstats::render {
namespace {

TEST(FormatThousands, Groups) {
  struct Case {
    uint64_t n;
    const char* text;
  } const kCases[] = {
      {0, "0"},
      {999, "999"},
      {1000, "1,000"},
      {4096, "4,096"},
      {123456, "123,456"},
      {1234567, "1,234,567"},
      {18446744073709551615u, "18,446,744,073,709,551,615"},
  };
  for (const Case& c : kCases) EXPECT_EQ(FormatThousands(c.n), c.text);
}

TEST(FormatUnixMs, Utc) {
  EXPECT_EQ(FormatUnixMs(0), "1970-01-01 00:00:00.000 UTC");
  EXPECT_EQ(FormatUnixMs(1764871600250), "2025-12-04 18:06:40.250 UTC");
}

TEST(PeakTableJson, RowsAlignedWithColumns) {
  profile::PeakTable t;
  t.unix_ms = 1764871600250;
  t.seconds = 1.5;
  t.by = profile::PeakMeasure::kPss;
  t.pid = 42;
  t.processes = 1;
  t.rows = {{profile::PeakRowKind::kHeap, "heap", 4096, 2048, 0},
            {profile::PeakRowKind::kOtherMappings, "other mappings", 1, 2, 3}};
  t.other_files = 2;
  t.total = {profile::PeakRowKind::kTotal, "total", 4097, 2050, 3};
  EXPECT_EQ(PeakTableJson(t), nlohmann::json::parse(R"json({
    "time": "2025-12-04 18:06:40.250 UTC (+1.500 s)",
    "unix_ms": 1764871600250, "seconds": 1.5, "by": "pss", "pid": 42,
    "columns": ["name", "rss", "pss", "swap"],
    "rows": [["heap", 4096, 2048, 0], ["other mappings", 1, 2, 3]],
    "footer": ["total", 4097, 2050, 3],
    "other_files": 2})json"));
}

}  // namespace
}  // namespace memstats::render
