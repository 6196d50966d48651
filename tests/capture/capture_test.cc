// The recording and replaying sources: a capture answers every call the
// scan made as the live source did, refuses what it does not hold, and
// names users from its own table.
#include <memory>
#include <string>
#include <vector>

#include "capture/capture_file.h"
#include "capture/recording_source.h"
#include "capture/replay_source.h"
#include "fake_proc_source.h"
#include "filters/filter.h"
#include "gtest/gtest.h"
#include "scan/pagemap.h"
#include "scan/scanner.h"
#include "splitters/splitter.h"
#include "test_util.h"

namespace memstats::capture {
namespace {

bool KeepAll(const scan::ProcessIdentity&, const scan::ParentMap&) {
  return true;
}

using testing::FakeProcSource;

constexpr uint64_t kPresent = scan::kPmPresent;
constexpr uint64_t kSwapped = scan::kPmSwapped;

// A fake machine whose passwd has one user this machine does not have.
class FakeHost : public FakeProcSource {
 public:
  std::optional<std::string> UserName(uint32_t uid) const override {
    if (uid == 4242) return "capuser";
    return std::nullopt;
  }
  std::optional<uint32_t> UserId(std::string_view name) const override {
    if (name == "capuser") return 4242;
    return std::nullopt;
  }
  int SelfPid() const override { return 77; }
};

// One process of uid 4242 with a present run (PFNs 1000..1003, then 2000),
// a swap run, an environment and two threads.
std::unique_ptr<FakeHost> MakeHost() {
  auto host = std::make_unique<FakeHost>();
  FakeProcSource::Process& p = host->Add(10);
  p.files["stat"] =
      "10 (app) S 1 10 10 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0";
  p.files["status"] =
      "Name:\tapp\nPPid:\t1\nUid:\t4242\t4242\t4242\t4242\nVmPTE:\t4 kB\n";
  p.files["cmdline"] = std::string("app\0--x\0", 8);
  p.files["cgroup"] = "0::/app.service\n";
  p.files["environ"] = std::string("SECRET=hunter2\0APP=web\0", 23);
  p.files["maps"] = "400000-40a000 rw-p 00000000 00:00 0 \n";
  p.files["smaps_rollup"] =
      "400000-40a000 ---p 00000000 00:00 0 [rollup]\n"
      "Rss: 20 kB\nPss: 20 kB\n";
  p.exe = "/usr/bin/app";
  for (uint64_t i = 0; i < 4; ++i) p.pagemap[0x400 + i] = kPresent | (1000 + i);
  p.pagemap[0x404] = kPresent | 2000;
  p.pagemap[0x406] = kSwapped | (7 << 5) | 1;
  p.pagemap[0x407] = kSwapped | (8 << 5) | 1;
  for (uint64_t pfn : {1000, 1001, 1002, 1003, 2000}) {
    host->SetKpage(pfn, uint64_t{1} << scan::kKpfAnon, 1);
  }
  return host;
}

// Records one scan of `live` as `memstats capture` does, keeping APP.
CaptureData Record(std::unique_ptr<scan::ProcSource> live) {
  RecordingSource rec(std::move(live), {"APP"});
  scan::ScanOptions options;
  options.env_keys = {"APP"};
  options.shm_holders = true;
  options.read_smaps = false;
  EXPECT_OK(scan::Scan(rec, options, KeepAll));
  rec.CompleteProcesses();
  rec.RecordKpages();
  rec.RecordSystemFiles({"meminfo"});
  CaptureInfo info;
  info.self_pid = rec.SelfPid();
  info.page_size = rec.PageSize();
  return rec.Finish(info);
}

// The capture written and read back.
CaptureData ThroughFile(const CaptureData& d) {
  auto bytes = SerializeCapture(d);
  EXPECT_OK(bytes);
  auto back = ParseCapture(*bytes, "test.msnap");
  EXPECT_OK(back);
  return *back;
}

TEST(PagemapRuns, PresentRunsStepByOnePfnAndSwapRunsByOneOffset) {
  std::vector<PagemapRun> runs;
  const std::vector<uint64_t> entries = {
      kPresent | 5,
      kPresent | 6,
      kPresent | 7,                       // one run
      kPresent | scan::kPmSoftDirty | 8,  // flags differ: new run
      0,
      kSwapped | (3 << 5) | 2,
      kSwapped | (4 << 5) | 2,  // one swap run
  };
  AppendPagemapRuns(100, entries, runs);
  EXPECT_EQ(runs, (std::vector<PagemapRun>{
                      {100, 3, kPresent | 5},
                      {103, 1, kPresent | scan::kPmSoftDirty | 8},
                      {105, 2, kSwapped | (3 << 5) | 2}}));
}

TEST(Capture, DataSurvivesTheFile) {
  CaptureData d = Record(MakeHost());
  CaptureData back = ThroughFile(d);
  EXPECT_EQ(back.info.self_pid, 77);
  EXPECT_EQ(back.info.env_values, std::vector<std::string>{"APP"});
  EXPECT_EQ(back.users, d.users);
  EXPECT_EQ(back.kpages, d.kpages);
  EXPECT_EQ(back.kpages, (std::vector<KpageRun>{
                             {0, 1, uint64_t{1} << scan::kKpfNoPage, 0},
                             {1000, 4, uint64_t{1} << scan::kKpfAnon, 1},
                             {2000, 1, uint64_t{1} << scan::kKpfAnon, 1}}));
  ASSERT_EQ(back.processes.size(), 1u);
  const CapturedProcess& p = back.processes.at(10);
  EXPECT_EQ(p.answers, d.processes.at(10).answers);
  EXPECT_EQ(p.covered, (std::vector<VpnRange>{{0x400, 0x40a}}));
  EXPECT_TRUE(p.pagemap.empty());  // read back as windows
  std::vector<PagemapRun> runs;
  ASSERT_TRUE(DecodeAllRuns(p.page_windows, runs));
  EXPECT_EQ(runs,
            (std::vector<PagemapRun>{{0x400, 4, kPresent | 1000},
                                     {0x404, 1, kPresent | 2000},
                                     {0x406, 2, kSwapped | (7 << 5) | 1}}));
  EXPECT_EQ(p.page_windows.stretches,
            (std::vector<PageStretch>{{0x400, 0x405, PageStretch::kPresent},
                                      {0x406, 0x408, PageStretch::kSwapped}}));
  EXPECT_EQ(back.system, d.system);
}

TEST(Capture, EnvironmentKeepsNamesAndOnlyTheValuesAskedFor) {
  CaptureData d = Record(MakeHost());
  EXPECT_EQ(d.processes.at(10).answers.at("f:environ").data,
            std::string("SECRET\0APP=web\0", 15));
  auto replay = NewReplaySource(ThroughFile(d), "db01.msnap");
  EXPECT_OK(replay->CheckEnvKeys({"APP"}));
  absl::Status s = replay->CheckEnvKeys({"APP", "SECRET", "HOME"});
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_EQ(s.message(),
            "db01.msnap: the capture holds values of APP only; capture with "
            "--env HOME --env SECRET");
}

TEST(Capture, ReplayAnswersAsTheLiveSourceDid) {
  auto replay = NewReplaySource(ThroughFile(Record(MakeHost())), "c.msnap");
  std::unique_ptr<scan::ProcSource> live = MakeHost();
  auto rh = replay->OpenProcess(10);
  auto lh = live->OpenProcess(10);
  ASSERT_OK(rh);
  ASSERT_OK(lh);
  for (const char* f : {"stat", "status", "cmdline", "maps", "cgroup"}) {
    EXPECT_EQ(*(*rh)->ReadFile(f), *(*lh)->ReadFile(f)) << f;
  }
  EXPECT_EQ(*(*rh)->ReadLink("exe"), "/usr/bin/app");
  std::vector<uint64_t> a(10), b(10);
  ASSERT_OK((*rh)->ReadPagemap(0x400, a));
  ASSERT_OK((*lh)->ReadPagemap(0x400, b));
  EXPECT_EQ(a, b);
  std::vector<scan::ProcHandle::Range> ranges;
  ASSERT_OK((*rh)->ScanPresent(0x400000, 0x40a000, ranges));
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].start, 0x400000u);
  EXPECT_EQ(ranges[0].end, 0x405000u);
  EXPECT_EQ(ranges[1].start, 0x406000u);
  EXPECT_EQ(ranges[1].end, 0x408000u);
  // A span holding referenced PFNs reads their values, the gap between
  // them as no page.
  std::vector<uint64_t> flags(3), counts(3);
  ASSERT_OK(replay->ReadKpageflags(1003, flags));
  ASSERT_OK(replay->ReadKpagecount(1003, counts));
  EXPECT_EQ(flags, (std::vector<uint64_t>{uint64_t{1} << scan::kKpfAnon,
                                          uint64_t{1} << scan::kKpfNoPage,
                                          uint64_t{1} << scan::kKpfNoPage}));
  EXPECT_EQ(counts, (std::vector<uint64_t>{1, 0, 0}));
  EXPECT_EQ(replay->SelfPid(), 77);
  EXPECT_OK(replay->Incomplete());
}

TEST(Capture, WhatWasNotCapturedIsAnErrorNotAZero) {
  auto replay = NewReplaySource(ThroughFile(Record(MakeHost())), "c.msnap");
  auto h = replay->OpenProcess(10);
  ASSERT_OK(h);
  std::vector<uint64_t> out(4);
  absl::Status s = (*h)->ReadPagemap(0x900, out);  // no mapping was there
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_EQ(s.message(),
            "c.msnap: process 10: pagemap pages 2304-2308 not in the capture");
  EXPECT_TRUE(absl::IsFailedPrecondition((*h)->ReadFile("numa_maps").status()));
  std::vector<uint64_t> flags(8);
  EXPECT_TRUE(absl::IsFailedPrecondition(replay->ReadKpageflags(5000, flags)));
  EXPECT_TRUE(absl::IsFailedPrecondition(
      replay->ReadSystemFile("vmallocinfo").status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(replay->OpenProcess(11).status()));
  // The first miss is kept for the command to report.
  EXPECT_EQ(replay->Incomplete().message(),
            "c.msnap: process 10: pagemap pages 2304-2308 not in the capture");
}

TEST(Capture, UserNamesComeFromTheCaptureNotThisMachine) {
  ASSERT_EQ(scan::SystemUserName(4242), std::nullopt)
      << "this machine has a user 4242; the test needs a uid it lacks";
  auto replay = NewReplaySource(ThroughFile(Record(MakeHost())), "c.msnap");
  EXPECT_EQ(replay->UserName(4242), "capuser");
  EXPECT_EQ(replay->UserId("capuser"), 4242u);
  EXPECT_EQ(replay->UserName(0), std::nullopt);  // not in the capture's table

  // Through the splitter and the filter, as the commands build them.
  scan::ScanOptions options;
  auto result = scan::Scan(*replay, options, KeepAll);
  ASSERT_OK(result);
  ASSERT_EQ(result->processes.size(), 1u);
  auto split = splitters::NewUserSplitter(splitters::SourceUidNamer(*replay));
  EXPECT_EQ(split->KeyOf(result->processes[0].id, result->parents), "capuser");
  auto filter = filters::ParseFilter("user(capuser)",
                                     filters::SourceUserResolver(*replay));
  ASSERT_TRUE(std::holds_alternative<filters::Filter>(filter));
  EXPECT_TRUE(std::get<filters::Filter>(filter).Matches(result->processes[0].id,
                                                        result->parents));
}

}  // namespace
}  // namespace memstats::capture
