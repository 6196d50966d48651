// Fuzzes the capture reader: capture::ParseCapture() on arbitrary bytes
// (the SQLite file through sqlite3_deserialize, the zstd frames, the blob
// decoders), with the content checksum off so that changed bytes reach the
// decoders. Whatever parses is replayed: a scan of it, its kpageflags and
// a pagemap read of every process must give an answer or an error, never a
// crash (every window of page runs is decoded by a pagemap read of its
// pages); and it must survive a write and a second read unchanged in size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capture/capture_file.h"
#include "capture/replay_source.h"
#include "scan/scanner.h"
#include "scan/segment_store.h"

namespace {

using memstats::capture::CaptureData;

void Replay(CaptureData data) {
  // Every window of page runs, decoded by a pagemap read of its pages
  // (the scan reads only the present and swapped stretches).
  std::vector<std::pair<int, memstats::capture::PageWindows::Window>> windows;
  for (const auto& [pid, p] : data.processes) {
    for (const auto& w : p.page_windows.windows) windows.emplace_back(pid, w);
  }
  auto source = memstats::capture::NewReplaySource(std::move(data), "fuzz");
  std::vector<uint64_t> entries(memstats::scan::kWindowPages);
  for (const auto& [pid, w] : windows) {
    auto h = source->OpenProcess(pid);
    if (!h.ok()) continue;
    (void)(*h)->ReadPagemap(w.index * memstats::scan::kWindowPages, entries);
  }
  memstats::scan::ScanOptions options;
  options.threads = 1;
  options.shm_holders = true;
  options.mapping_detail =
      memstats::scan::ScanOptions::MappingDetail::kCategories;
  (void)memstats::scan::Scan(
      *source, options,
      [](const memstats::scan::ProcessIdentity&,
         const memstats::scan::ParentMap&) { return true; });
  std::vector<uint64_t> buf(64);
  (void)source->ReadKpageflags(0, buf);
  (void)source->ReadKpagecount(1000, buf);
  (void)source->ReadSystemFile("meminfo");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = memstats::capture::ParseCapture(
      bytes, "fuzz", {.verify_checksum = false});
  if (!parsed.ok()) return 0;
  auto again = memstats::capture::SerializeCapture(*parsed);
  if (!again.ok()) abort();
  auto back = memstats::capture::ParseCapture(*again, "fuzz");
  if (!back.ok() || back->processes.size() != parsed->processes.size() ||
      back->kpages != parsed->kpages) {
    abort();
  }
  Replay(std::move(*parsed));
  return 0;
}
