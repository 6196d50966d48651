#include "capture/page_windows.h"

#include <algorithm>

#include "capture/byte_codec.h"
#include "capture/capture_data.h"
#include "scan/pagemap.h"
#include "scan/segment_store.h"

namespace memstats::capture {
namespace {

using scan::kWindowPages;

// A run's entry keeps its flags (bits 55-63) whole and stores the low 55
// bits (PFN or swap offset) as the zigzag difference from what continuing
// the window's previous run would give.
constexpr uint64_t kLowBits = (uint64_t{1} << 55) - 1;

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

uint64_t StretchKind(uint64_t entry) {
  if (scan::PmIsPresent(entry)) return PageStretch::kPresent;
  if (scan::PmIsSwapped(entry)) return PageStretch::kSwapped;
  return 0;  // flags alone: no page, no swap
}

// One window's runs: count, then per run (gap from the previous run's end
// or the window's start, count, flags, low bits).
class WindowWriter {
 public:
  void Start(uint64_t index) {
    runs_.clear();
    at_ = index * kWindowPages;
    next_ = 0;
  }
  void Add(const PagemapRun& r) { runs_.push_back(r); }
  bool empty() const { return runs_.empty(); }
  void Finish(ByteWriter& out) {
    out.Varint(runs_.size());
    for (const PagemapRun& r : runs_) {
      out.Varint(r.vpn - at_);
      out.Varint(r.count);
      out.Varint(r.entry >> 55);
      const uint64_t low = r.entry & kLowBits;
      out.Varint(ZigZag(static_cast<int64_t>(low - next_)));
      at_ = r.vpn + r.count;
      next_ = low + PagemapStep(r.entry) * r.count;
    }
  }

 private:
  std::vector<PagemapRun> runs_;
  uint64_t at_ = 0;
  uint64_t next_ = 0;
};

}  // namespace

void PageWindows::SetBytes(std::string b) {
  auto owned = std::make_shared<const std::string>(std::move(b));
  bytes = *owned;
  storage = std::move(owned);
}

PageWindows StoreRuns(std::span<const PagemapRun> runs) {
  PageWindows w;
  ByteWriter bytes;
  WindowWriter window;
  uint64_t index = 0;
  auto close = [&] {
    if (window.empty()) return;
    const uint64_t offset = bytes.bytes().size();
    window.Finish(bytes);
    w.windows.push_back({index, offset, bytes.bytes().size() - offset});
  };
  for (const PagemapRun& whole : runs) {
    if (const uint64_t kind = StretchKind(whole.entry); kind != 0) {
      if (!w.stretches.empty() && w.stretches.back().end == whole.vpn &&
          w.stretches.back().kind == kind) {
        w.stretches.back().end = whole.vpn + whole.count;
      } else {
        w.stretches.push_back({whole.vpn, whole.vpn + whole.count, kind});
      }
    }
    PagemapRun r = whole;
    while (r.count > 0) {
      const uint64_t at = r.vpn / kWindowPages;
      if (window.empty() || at != index) {
        close();
        index = at;
        window.Start(index);
      }
      const uint64_t room = (index + 1) * kWindowPages - r.vpn;
      const uint64_t n = std::min(r.count, room);
      window.Add({r.vpn, n, r.entry});
      r.entry += PagemapStep(r.entry) * n;
      r.vpn += n;
      r.count -= n;
    }
  }
  close();
  w.SetBytes(std::move(bytes.bytes()));
  return w;
}

bool DecodeWindow(const PageWindows& w, size_t i,
                  std::vector<PagemapRun>& out) {
  const PageWindows::Window& win = w.windows[i];
  if (win.offset > w.bytes.size() || win.size > w.bytes.size() - win.offset) {
    return false;
  }
  ByteReader r(w.bytes.substr(win.offset, win.size));
  const uint64_t first = win.index * kWindowPages;
  const uint64_t end = first + kWindowPages;
  uint64_t n = 0;
  if (!r.Count(n)) return false;
  uint64_t at = first;
  uint64_t next = 0;
  for (uint64_t k = 0; k < n; ++k) {
    uint64_t gap = 0, count = 0, flags = 0, delta = 0;
    if (!r.Varint(gap) || !r.Varint(count) || !r.Varint(flags) ||
        !r.Varint(delta) || flags >= 512 || count == 0 || gap > end - at ||
        count > end - at - gap) {
      return false;
    }
    const uint64_t low =
        (next + static_cast<uint64_t>(UnZigZag(delta))) & kLowBits;
    const uint64_t entry = (flags << 55) | low;
    // A run's entries stay in their 55 bits.
    const uint64_t step = PagemapStep(entry);
    if (entry == 0 || (step != 0 && (kLowBits - low) / step < count - 1)) {
      return false;
    }
    out.push_back({at + gap, count, entry});
    at += gap + count;
    next = low + step * count;
  }
  return r.AtEnd();
}

bool DecodeAllRuns(const PageWindows& w, std::vector<PagemapRun>& out) {
  std::vector<PagemapRun> runs;
  for (size_t i = 0; i < w.windows.size(); ++i) {
    runs.clear();
    if (!DecodeWindow(w, i, runs)) return false;
    for (const PagemapRun& r : runs) {
      if (!out.empty() && Continues(out.back(), r.vpn, r.entry)) {
        out.back().count += r.count;
      } else {
        out.push_back(r);
      }
    }
  }
  return true;
}

bool WellFormed(const PageWindows& w) {
  constexpr uint64_t kMaxIndex = (uint64_t{1} << 52) / kWindowPages;
  uint64_t offset = 0;
  for (size_t i = 0; i < w.windows.size(); ++i) {
    const PageWindows::Window& win = w.windows[i];
    if (win.index >= kMaxIndex ||
        (i > 0 && win.index <= w.windows[i - 1].index) ||
        win.offset != offset || win.size == 0 ||
        win.size > w.bytes.size() - offset) {
      return false;
    }
    offset += win.size;
  }
  if (offset != w.bytes.size()) return false;
  uint64_t at = 0;
  for (const PageStretch& s : w.stretches) {
    if (s.first < at || s.end <= s.first || s.end > (uint64_t{1} << 52) ||
        (s.kind != PageStretch::kPresent && s.kind != PageStretch::kSwapped)) {
      return false;
    }
    at = s.end;
  }
  return true;
}

}  // namespace memstats::capture
