#include "sampler/sampler.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "scan/proc_source.h"
#include "test_util.h"

namespace memstats::sampler {
namespace {

TEST(ProcessTreeTest, RootsAndTheirDescendants) {
  // 1 -> 10 -> 11 -> 12; 1 -> 20.
  const scan::ParentMap parents = {{10, 1}, {11, 10}, {12, 11}, {20, 1}};
  ProcessTree just(std::vector<int>{10}, false);
  EXPECT_TRUE(just.Contains(10, parents));
  EXPECT_FALSE(just.Contains(11, parents));
  ProcessTree tree(std::vector<int>{10}, true);
  EXPECT_TRUE(tree.Contains(10, parents));
  EXPECT_TRUE(tree.Contains(11, parents));
  EXPECT_TRUE(tree.Contains(12, parents));
  EXPECT_FALSE(tree.Contains(20, parents));
  EXPECT_FALSE(tree.Contains(1, parents));
  EXPECT_FALSE(tree.Contains(99, parents));  // not listed
}

TEST(ProcessTreeTest, AnOrphanStaysAMemberAndExitedPidsAreForgotten) {
  ProcessTree tree(std::vector<int>{10}, true);
  tree.Remember({10, 11, 12});
  // 11 exited; 12 was reparented to init.
  const scan::ParentMap later = {{10, 1}, {12, 1}, {30, 1}};
  EXPECT_TRUE(tree.Contains(12, later));
  EXPECT_FALSE(tree.Contains(30, later));
  tree.Remember({10, 12});
  EXPECT_FALSE(tree.gone());
  tree.Remember({});
  EXPECT_TRUE(tree.gone());
  // A new process given pid 10 is not the root that exited.
  EXPECT_FALSE(tree.Contains(10, {{10, 1}}));
}

TEST(ProcessTreeTest, ACycleInAFabricatedListingEnds) {
  ProcessTree tree(std::vector<int>{10}, true);
  EXPECT_FALSE(tree.Contains(5, {{5, 6}, {6, 5}}));
}

// The sample loop over tests/fixtures/profile (nginx 200 with its worker
// 201, python3 100 and 400, bash 300), on a fake clock.
class SampleLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = scan::NewLiveProcSource(MEMSTATS_FIXTURES_DIR "/profile");
    ASSERT_OK(s);
    source_ = std::move(*s);
    scan_ = [this](scan::ScanOptions& o, const scan::KeepFn& keep) {
      ++scans_;
      last_options_ = o;
      return scan::Scan(*source_, o, keep);
    };
    clock_.now = [this] { return t_; };
    clock_.sleep = [this](double s) {
      t_ += s;
      return true;
    };
    clock_.stop_requested = [] { return false; };
  }

  struct Collect : SampleSink {
    std::vector<Taken> got;
    std::optional<EndReason> finished;
    absl::Status Add(const Taken& t) override {
      got.push_back(t);
      return absl::OkStatus();
    }
    absl::Status Finish(EndReason why) override {
      finished = why;
      return absl::OkStatus();
    }
  };

  absl::StatusOr<LoopResult> Loop(Selector& who, int ticks, Collect& sink) {
    LoopOptions o;
    o.schedule.period_seconds = 0.5;
    o.schedule.max_ticks = ticks;
    int64_t ms = 1'700'000'000'000;
    return RunSampleLoop(
        scan_, *source_, o, clock_, [&ms] { return ms += 500; },
        [] { return std::unique_ptr<scan::MemoryBudget>(); }, who, {&sink});
  }

  std::unique_ptr<scan::ProcSource> source_;
  ScanFn scan_;
  Clock clock_;
  double t_ = 0;
  int scans_ = 0;
  scan::ScanOptions last_options_;
};

TEST_F(SampleLoopTest, FollowsATreeAndStampsEachSample) {
  Selector who(ProcessTree({200}, true));
  Collect sink;
  auto r = Loop(who, 3, sink);
  ASSERT_OK(r);
  EXPECT_EQ(r->samples, 3);
  EXPECT_EQ(r->end, EndReason::kTicks);
  EXPECT_EQ(sink.finished, EndReason::kTicks);
  ASSERT_EQ(sink.got.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const profile::Sample& s = sink.got[i].sample;
    EXPECT_EQ(s.seconds, 0.5 * static_cast<double>(i));
    EXPECT_EQ(s.unix_ms, 1'700'000'000'500 + 500 * static_cast<int64_t>(i));
    ASSERT_EQ(s.processes.size(), 2u);
    EXPECT_EQ(s.processes[0].pid, 200);
    EXPECT_EQ(s.processes[1].pid, 201);
    EXPECT_EQ(s.processes[1].ppid, 200);
    EXPECT_FALSE(s.pages.has_value());
    // The worker's series add up to its smaps Pss (fixture: smaps).
    EXPECT_GT(s.processes[1].PssTotal(), 0u);
  }
  EXPECT_EQ(last_options_.mapping_detail,
            scan::ScanOptions::MappingDetail::kFiles);
  EXPECT_FALSE(last_options_.read_pages);
}

TEST_F(SampleLoopTest, ATreeThatDoesNotExistEndsAtOnceWithNoSample) {
  Selector who(ProcessTree({12345}, true));
  Collect sink;
  auto r = Loop(who, 3, sink);
  ASSERT_OK(r);
  EXPECT_EQ(r->samples, 0);
  EXPECT_EQ(r->end, EndReason::kTickDone);
  EXPECT_EQ(sink.finished, EndReason::kTickDone);
  EXPECT_EQ(scans_, 1);
}

TEST_F(SampleLoopTest, APickerSamplesWhatItAccepts) {
  Selector who(scan::KeepFn([](const scan::ProcessIdentity& p,
                               const scan::ParentMap&) {
    return p.comm == "python3";
  }));
  Collect sink;
  auto r = Loop(who, 2, sink);
  ASSERT_OK(r);
  ASSERT_EQ(sink.got.size(), 2u);
  ASSERT_EQ(sink.got[0].sample.processes.size(), 2u);
  EXPECT_EQ(sink.got[0].sample.processes[0].pid, 100);
  EXPECT_EQ(sink.got[0].sample.processes[1].pid, 400);
}

TEST_F(SampleLoopTest, ASinkErrorEndsTheLoopAndIsReturnedAfterFinish) {
  struct Failing : Collect {
    absl::Status Add(const Taken& t) override {
      Collect::Add(t).IgnoreError();
      return got.size() == 2 ? absl::InternalError("disk full")
                             : absl::OkStatus();
    }
  };
  Selector who(scan::KeepFn(nullptr));
  Failing sink;
  auto r = Loop(who, 5, sink);
  EXPECT_EQ(r.status(), absl::InternalError("disk full"));
  EXPECT_EQ(sink.got.size(), 2u);
  EXPECT_TRUE(sink.finished.has_value());
}

}  // namespace
}  // namespace memstats::sampler

namespace memstats::sampler {
namespace {

TEST_F(SampleLoopTest, APickerWithATreeAddsTheChildrenOfWhatItPicked) {
  // The picker takes nginx 200 only; its worker 201 comes in through the
  // tree from the second sample on.
  Selector who(ProcessTree(std::vector<int>{}, true),
               [](const scan::ProcessIdentity& p, const scan::ParentMap&) {
                 return p.pid == 200;
               });
  Collect sink;
  auto r = Loop(who, 2, sink);
  ASSERT_OK(r);
  ASSERT_EQ(sink.got.size(), 2u);
  ASSERT_EQ(sink.got[0].sample.processes.size(), 1u);
  ASSERT_EQ(sink.got[1].sample.processes.size(), 2u);
  EXPECT_EQ(sink.got[1].sample.processes[1].pid, 201);
}

}  // namespace
}  // namespace memstats::sampler
