#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "render/peak.h"
#include "render/text_table.h"
#include "render/units.h"

namespace memstats::render {
namespace {

using Align = TextTable::Align;
using profile::PeakMeasure;
constexpr size_t kPeakNameWidth = 72;

std::string Upper(PeakMeasure m) {
  std::string name(profile::PeakMeasureName(m));
  for (char& c : name) c = static_cast<char>(c - 'a' + 'A');
  return name;
}

// Why the peak's value and the table's total may differ, when they may.
std::string Note(const profile::PeakReport& r) {
  const PeakMeasure by = r.table.by;
  if (by == PeakMeasure::kRss && r.from_pages) {
    return "RSS of distinct pages (page tables); the table sums each "
           "process's own Rss\n";
  }
  if (by == PeakMeasure::kUss) {
    return absl::StrCat(
        r.from_pages ? "USS from page tables" : "USS from smaps Private_*",
        "; smaps keeps no USS per mapping: the table shows RSS, PSS and "
        "swap, files by PSS\n");
  }
  return "";
}

}  // namespace

std::string FormatUnixMs(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E3S UTC",
                          absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

void RenderPeakText(const profile::PeakReport& r, std::ostream& out) {
  const profile::PeakTable& t = r.table;
  out << "recording " << r.recording << " of " << EscapeForTerminal(r.database)
      << ": " << EscapeForTerminal(r.target) << ", on "
      << EscapeForTerminal(r.host) << "\n";
  out << r.samples << (r.samples == 1 ? " sample" : " samples") << " from "
      << FormatUnixMs(r.start_unix_ms);
  if (t.pid) out << ", " << r.measured << " with pid " << *t.pid;
  out << "\n";
  out << "peak " << Upper(t.by);
  if (t.pid) {
    out << " of pid " << *t.pid << " (" << EscapeForTerminal(r.comm) << ")";
  }
  out << " " << FormatThousands(r.value) << " bytes at "
      << FormatUnixMs(t.unix_ms)
      << absl::StrFormat(" (+%.3f s, sample %d)", t.seconds, r.seq);
  if (!t.pid) {
    out << ", " << t.processes
        << (t.processes == 1 ? " process" : " processes");
  }
  out << "\n" << Note(r) << "\n";

  TextTable table;
  table.AddColumn("NAME", Align::kLeft);
  table.AddColumn("RSS", Align::kRight);
  table.AddColumn("PSS", Align::kRight);
  table.AddColumn("SWAP", Align::kRight);
  auto add = [&](const profile::PeakRow& row) {
    table.AddRow({EscapeForTerminal(Shorten(row.name, kPeakNameWidth)),
                  FormatThousands(row.rss), FormatThousands(row.pss),
                  FormatThousands(row.swap)});
  };
  for (const profile::PeakRow& row : t.rows) add(row);
  table.AddRule();
  add(t.total);
  table.Print(out);
  if (t.other_files > 0) {
    out << "other mappings include " << t.other_files
        << (t.other_files == 1 ? " more file\n" : " more files\n");
  }
}

}  // namespace memstats::render
