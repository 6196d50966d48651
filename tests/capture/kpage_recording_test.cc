// The PFN set a capture reads kpageflags/kpagecount for, and the runs it
// keeps: only referenced PFNs, merged across the slices read side by side,
// with PFNs past the end of RAM kept apart from the bitmap.
#include "capture/kpage_recording.h"

#include <vector>

#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/pagemap.h"
#include "test_util.h"

namespace memstats::capture {
namespace {

constexpr uint64_t kAnon = uint64_t{1} << scan::kKpfAnon;
constexpr uint64_t kNoPage = uint64_t{1} << scan::kKpfNoPage;

TEST(ReferencedPfns, BitsAcrossWordsAndRangesPastTheLimit) {
  ReferencedPfns pfns(1000);
  pfns.Add(60, 200);
  pfns.Add(990, 1010);  // straddles the limit
  pfns.Add(5000, 5002);
  EXPECT_EQ(pfns.NextInBitmap(0), 60u);
  EXPECT_EQ(pfns.NextInBitmap(199), 199u);
  EXPECT_EQ(pfns.NextInBitmap(200), 990u);
  EXPECT_EQ(pfns.NextInBitmap(1000), UINT64_MAX);
  EXPECT_TRUE(pfns.InBitmap(127));
  EXPECT_FALSE(pfns.InBitmap(200));
  EXPECT_FALSE(pfns.InBitmap(1000));
  EXPECT_EQ(pfns.FarRanges(),
            (std::vector<VpnRange>{{1000, 1010}, {5000, 5002}}));
}

TEST(ReadKpageRuns, KeepsReferencedPfnsOnlyAndMergesAcrossSlices) {
  testing::FakeProcSource host;
  // Two PFNs either side of the first slice's end (4096 words of 64).
  constexpr uint64_t kSliceEnd = 4096 * 64;
  for (uint64_t pfn :
       {uint64_t{10}, uint64_t{11}, uint64_t{12}, kSliceEnd - 1, kSliceEnd}) {
    host.SetKpage(pfn, kAnon, 2);
  }
  host.SetKpage(13, kAnon, 3);  // another count: a new run
  host.SetKpage(14, kAnon, 3);  // read in the span, not referenced
  host.SetKpage(uint64_t{1} << 30, kAnon, 1);  // past the limit
  ReferencedPfns pfns(kSliceEnd + 100);
  pfns.Add(10, 14);
  pfns.Add(20, 21);  // no page there
  pfns.Add(kSliceEnd - 1, kSliceEnd + 1);
  pfns.Add(uint64_t{1} << 30, (uint64_t{1} << 30) + 1);
  auto runs = ReadKpageRuns(host, pfns);
  ASSERT_OK(runs);
  EXPECT_EQ(*runs, (std::vector<KpageRun>{{10, 3, kAnon, 2},
                                          {13, 1, kAnon, 3},
                                          {20, 1, kNoPage, 0},
                                          {kSliceEnd - 1, 2, kAnon, 2},
                                          {uint64_t{1} << 30, 1, kAnon, 1}}));
}

TEST(ReadKpageRuns, FailsWithTheSourcesError) {
  testing::FakeProcSource host;
  host.DenyKpage();
  ReferencedPfns pfns(1000);
  pfns.Add(0, 1);
  EXPECT_TRUE(absl::IsPermissionDenied(ReadKpageRuns(host, pfns).status()));
}

}  // namespace
}  // namespace memstats::capture
