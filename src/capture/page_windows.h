// A process's captured pagemap entries as a capture file stores them: the
// page runs cut into windows of kWindowPages pages, each window encoded on
// its own, beside the present and swapped stretches. A replay answers
// ScanPresent from the stretches and decodes only the windows a pagemap
// read asks for, so a shared object's window that the scan takes from
// another process's read (scan::ObjectPages) is never decoded at all.
#ifndef MEMSTATS_CAPTURE_PAGE_WINDOWS_H_
#define MEMSTATS_CAPTURE_PAGE_WINDOWS_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace memstats::capture {

struct PagemapRun;

// [first, end) of virtual page numbers whose entries are all present
// (kind 1) or all swapped (kind 2), as PAGEMAP_SCAN would give them.
struct PageStretch {
  uint64_t first = 0;
  uint64_t end = 0;
  uint64_t kind = 0;
  bool operator==(const PageStretch&) const = default;
  static constexpr uint64_t kPresent = 1;
  static constexpr uint64_t kSwapped = 2;
};

struct PageWindows {
  // Another PageWindows's bytes, or those of one capture file's page runs
  // (every process of it): kept alive while `bytes` views them.
  using Storage = std::shared_ptr<const void>;

  struct Window {
    uint64_t index = 0;   // the window's first page is index * kWindowPages
    uint64_t offset = 0;  // its runs' bytes in `bytes`
    uint64_t size = 0;
    bool operator==(const Window&) const = default;
  };
  std::vector<Window> windows;         // ascending index
  std::vector<PageStretch> stretches;  // ascending, apart or of other kinds
  std::string_view bytes;              // the windows' runs, in `storage`
  Storage storage;

  // `bytes` becomes a copy of `b`, held by `storage`.
  void SetBytes(std::string b);
  bool operator==(const PageWindows& o) const {
    return windows == o.windows && stretches == o.stretches && bytes == o.bytes;
  }
};

// `runs` (sorted by vpn, apart) cut at window boundaries and encoded.
PageWindows StoreRuns(std::span<const PagemapRun> runs);

// Appends the runs of windows[i] to `out`. False when its bytes are not
// runs inside that window, ascending and apart (a corrupted capture).
bool DecodeWindow(const PageWindows& w, size_t i, std::vector<PagemapRun>& out);

// Every run, those a window boundary cut joined again: the runs StoreRuns
// was given when they were as long as they could be. False as DecodeWindow.
bool DecodeAllRuns(const PageWindows& w, std::vector<PagemapRun>& out);

// Whether the window table and the stretches are well formed: windows
// ascending and tiling `bytes`, stretches ascending with a kind. Their
// runs are checked when decoded.
bool WellFormed(const PageWindows& w);

}  // namespace memstats::capture

#endif  // MEMSTATS_CAPTURE_PAGE_WINDOWS_H_
