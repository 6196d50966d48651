#include <string>

#include "absl/strings/str_format.h"
#include "render/peak.h"

namespace memstats::render {
namespace {

using json = nlohmann::json;

json RowJson(const profile::PeakRow& r) {
  return json::array({r.name, r.rss, r.pss, r.swap});
}

json PidJson(const std::optional<int>& pid) {
  return pid ? json(*pid) : json(nullptr);
}

}  // namespace

json PeakTableJson(const profile::PeakTable& t) {
  json j;
  j["time"] =
      absl::StrFormat("%s (+%.3f s)", FormatUnixMs(t.unix_ms), t.seconds);
  j["unix_ms"] = t.unix_ms;
  j["seconds"] = t.seconds;
  j["by"] = std::string(profile::PeakMeasureName(t.by));
  j["pid"] = PidJson(t.pid);
  j["columns"] = json::array({"name", "rss", "pss", "swap"});
  json rows = json::array();
  for (const profile::PeakRow& r : t.rows) rows.push_back(RowJson(r));
  j["rows"] = std::move(rows);
  j["footer"] = RowJson(t.total);
  j["other_files"] = t.other_files;
  return j;
}

json PeakJson(const profile::PeakReport& r) {
  json j;
  j["schema_version"] = kPeakSchemaVersion;
  j["database"] = r.database;
  j["recording"] = r.recording;
  j["host"] = r.host;
  j["target"] = r.target;
  j["start_unix_ms"] = r.start_unix_ms;
  j["samples"] = r.samples;
  j["measured"] = r.measured;
  j["by"] = std::string(profile::PeakMeasureName(r.table.by));
  j["pid"] = PidJson(r.table.pid);
  j["comm"] = r.table.pid ? json(r.comm) : json(nullptr);
  j["peak"] = {{"seq", r.seq},
               {"unix_ms", r.table.unix_ms},
               {"seconds", r.table.seconds},
               {"value", r.value},
               {"source", r.from_pages ? "pages" : "smaps"},
               {"processes", r.table.processes}};
  j["table"] = PeakTableJson(r.table);
  return j;
}

void RenderPeakJson(const profile::PeakReport& r, std::ostream& out) {
  out << PeakJson(r).dump(2, ' ', false, json::error_handler_t::replace)
      << "\n";
}

}  // namespace memstats::render
