// Page runs stored window by window (page_windows.h): cut at window
// boundaries and joined again, read back entry for entry by a replay on
// random layouts, and a corrupted window refused by name when a read
// reaches it.
#include "capture/page_windows.h"

#include <algorithm>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "capture/capture_data.h"
#include "capture/capture_file.h"
#include "capture/replay_source.h"
#include "gtest/gtest.h"
#include "scan/pagemap.h"
#include "test_util.h"

namespace memstats::capture {
namespace {

constexpr uint64_t kPresent = scan::kPmPresent;
constexpr uint64_t kSwapped = scan::kPmSwapped;
constexpr uint64_t kW = 512;  // pages a window

TEST(PageWindows, RunsAreCutAtWindowBoundariesAndJoinedAgain) {
  const std::vector<PagemapRun> runs = {
      {kW - 2, 2 * kW + 4, kPresent | 7000},  // windows 0 to 3
      {3 * kW + 10, 3, kSwapped | (5 << 5) | 1},
      {3 * kW + 13, 1, scan::kPmSoftDirty},  // flags alone
      {9 * kW, 1, kPresent | 1},
  };
  const PageWindows w = StoreRuns(runs);
  ASSERT_EQ(w.windows.size(), 5u);
  std::vector<uint64_t> indices;
  for (const auto& win : w.windows) indices.push_back(win.index);
  EXPECT_EQ(indices, (std::vector<uint64_t>{0, 1, 2, 3, 9}));
  std::vector<PagemapRun> one;
  ASSERT_TRUE(DecodeWindow(w, 1, one));
  EXPECT_EQ(one, (std::vector<PagemapRun>{{kW, kW, kPresent | 7002}}));
  one.clear();
  ASSERT_TRUE(DecodeWindow(w, 2, one));
  EXPECT_EQ(one,
            (std::vector<PagemapRun>{{2 * kW, kW, kPresent | (7002 + kW)}}));
  one.clear();
  ASSERT_TRUE(DecodeWindow(w, 3, one));
  EXPECT_EQ(one,
            (std::vector<PagemapRun>{{3 * kW, 2, kPresent | (7002 + 2 * kW)},
                                     {3 * kW + 10, 3, kSwapped | (5 << 5) | 1},
                                     {3 * kW + 13, 1, scan::kPmSoftDirty}}));
  std::vector<PagemapRun> all;
  ASSERT_TRUE(DecodeAllRuns(w, all));
  EXPECT_EQ(all, runs);
  EXPECT_EQ(w.stretches, (std::vector<PageStretch>{
                             {kW - 2, 3 * kW + 2, PageStretch::kPresent},
                             {3 * kW + 10, 3 * kW + 13, PageStretch::kSwapped},
                             {9 * kW, 9 * kW + 1, PageStretch::kPresent}}));
  EXPECT_TRUE(WellFormed(w));
}

// Every cut of a window's bytes is refused; every changed byte is refused
// or gives runs inside the window, ascending and apart.
TEST(PageWindows, ABadWindowIsRefusedWhenDecoded) {
  std::vector<PagemapRun> runs;
  for (uint64_t i = 0; i < 40; ++i) {
    runs.push_back({kW + 3 * i, 2, kPresent | (900 + 11 * i)});
  }
  const PageWindows good = StoreRuns(runs);
  ASSERT_EQ(good.windows.size(), 1u);
  for (uint64_t cut = 0; cut < good.bytes.size(); ++cut) {
    PageWindows w = good;
    w.SetBytes(std::string(good.bytes.substr(0, cut)));
    w.windows[0].size = cut;
    std::vector<PagemapRun> out;
    EXPECT_FALSE(DecodeWindow(w, 0, out)) << cut;
  }
  for (size_t i = 0; i < good.bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      PageWindows w = good;
      std::string bytes(good.bytes);
      bytes[i] = static_cast<char>(bytes[i] ^ (1 << bit));
      w.SetBytes(std::move(bytes));
      std::vector<PagemapRun> out;
      if (!DecodeWindow(w, 0, out)) continue;
      uint64_t at = kW;
      for (const PagemapRun& r : out) {
        EXPECT_GE(r.vpn, at) << i << " " << bit;
        EXPECT_LE(r.vpn + r.count, 2 * kW) << i << " " << bit;
        at = r.vpn + r.count;
      }
    }
  }
  PageWindows overlapping = good;
  overlapping.windows.push_back({0, 0, good.bytes.size()});
  EXPECT_FALSE(WellFormed(overlapping));
}

// A random layout of present, swapped and flag-only runs; what the live
// pagemap would have said, entry by entry (0 where no run is).
struct Layout {
  std::vector<PagemapRun> runs;
  std::vector<uint64_t> entries;  // by vpn
};

Layout RandomLayout(std::mt19937_64& rng) {
  Layout l;
  uint64_t vpn = rng() % 1000;
  const int n = 1 + static_cast<int>(rng() % 60);
  for (int i = 0; i < n; ++i) {
    vpn += rng() % 3 == 0 ? rng() % 2000 : rng() % 3;
    const uint64_t count = 1 + rng() % (rng() % 4 == 0 ? 1500 : 20);
    uint64_t entry = 0;
    switch (rng() % 4) {
      case 0:
        entry = kSwapped | ((rng() % 5000) << 5) | (rng() % 2);
        break;
      case 1:
        entry = scan::kPmSoftDirty;
        break;
      default:
        entry = kPresent | (rng() % 100000);
        break;
    }
    if (rng() % 3 == 0) entry |= scan::kPmSoftDirty;
    const uint64_t step = PagemapStep(entry);
    l.entries.resize(vpn + count, 0);
    for (uint64_t k = 0; k < count; ++k) l.entries[vpn + k] = entry + step * k;
    // As the recorder stores them: joined where they continue.
    AppendPagemapRuns(
        vpn, std::span<const uint64_t>(l.entries).subspan(vpn, count), l.runs);
    vpn += count;
  }
  l.entries.resize(vpn + 3000, 0);
  return l;
}

// PAGEMAP_SCAN's answer for entries [first, end): present and swapped
// stretches apart.
std::vector<scan::ProcHandle::Range> WantRanges(const Layout& l, uint64_t first,
                                                uint64_t end) {
  std::vector<scan::ProcHandle::Range> want;
  for (uint64_t v = first; v < end; ++v) {
    const uint64_t e = l.entries[v];
    const uint64_t c = scan::PmIsPresent(e)   ? scan::kPageIsPresent
                       : scan::PmIsSwapped(e) ? scan::kPageIsSwapped
                                              : 0;
    if (c == 0) continue;
    const uint64_t at = v << scan::kPageShift;
    if (!want.empty() && want.back().end == at && want.back().categories == c) {
      want.back().end = at + scan::kPageSize;
    } else {
      want.push_back({at, at + scan::kPageSize, c});
    }
  }
  return want;
}

TEST(PageWindows, AReplayReadsEveryEntryOfRandomLayouts) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 30; ++trial) {
    const Layout l = RandomLayout(rng);
    CaptureData d;
    d.pids.data = "10";
    CapturedProcess& p = d.processes[10];
    const uint64_t top = l.entries.size();
    p.covered = {{0, top}};
    p.pagemap = l.runs;
    auto bytes = SerializeCapture(d);
    ASSERT_OK(bytes);
    auto back = ParseCapture(*bytes, "r.msnap");
    ASSERT_OK(back);
    auto source = NewReplaySource(std::move(*back), "r.msnap");
    auto h = source->OpenProcess(10);
    ASSERT_OK(h);
    for (int read = 0; read < 20; ++read) {
      const uint64_t first = rng() % top;
      const uint64_t len = 1 + rng() % std::min<uint64_t>(top - first, 3000);
      std::vector<uint64_t> out(len, 0xdead);
      ASSERT_OK((*h)->ReadPagemap(first, out));
      ASSERT_TRUE(std::equal(out.begin(), out.end(),
                             l.entries.begin() + static_cast<ptrdiff_t>(first)))
          << trial << " from vpn " << first;
      std::vector<scan::ProcHandle::Range> ranges;
      ASSERT_OK((*h)->ScanPresent(first << scan::kPageShift,
                                  (first + len) << scan::kPageShift, ranges));
      const auto want = WantRanges(l, first, first + len);
      ASSERT_EQ(ranges.size(), want.size()) << trial;
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(ranges[i].start, want[i].start);
        EXPECT_EQ(ranges[i].end, want[i].end);
        EXPECT_EQ(ranges[i].categories, want[i].categories);
      }
    }
    EXPECT_OK(source->Incomplete());
  }
}

TEST(PageWindows, AReadOfACorruptedWindowFailsTheReplayByName) {
  CaptureData d;
  d.pids.data = "10";
  CapturedProcess& p = d.processes[10];
  p.covered = {{0, 4 * kW}};
  p.page_windows = StoreRuns(std::vector<PagemapRun>{
      {5, 3, kPresent | 100}, {2 * kW + 1, 1, kPresent | 200}});
  ASSERT_EQ(p.page_windows.windows.size(), 2u);
  // The second window's run count says two runs; it holds one.
  std::string bytes(p.page_windows.bytes);
  bytes[p.page_windows.windows[1].offset] = 2;
  p.page_windows.SetBytes(std::move(bytes));
  auto source = NewReplaySource(std::move(d), "bad.msnap");
  auto h = source->OpenProcess(10);
  ASSERT_OK(h);
  std::vector<uint64_t> out(8);
  ASSERT_OK((*h)->ReadPagemap(4, out));  // the sound window
  EXPECT_EQ(out[1], kPresent | 100);
  EXPECT_OK(source->Incomplete());
  const absl::Status want = absl::FailedPreconditionError(
      "bad.msnap: corrupted (page runs of process 10)");
  EXPECT_EQ((*h)->ReadPagemap(2 * kW, out), want);
  EXPECT_EQ(source->Incomplete(), want);
}

}  // namespace
}  // namespace memstats::capture
