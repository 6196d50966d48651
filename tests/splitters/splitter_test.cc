#include "splitters/splitter.h"

#include "gtest/gtest.h"

namespace memstats::splitters {
namespace {

scan::ProcessRecord Proc(int pid, uint32_t uid, std::string comm,
                         std::string exe = "", std::string cgroup = "") {
  scan::ProcessRecord r;
  r.id.pid = pid;
  r.id.ppid = 1;
  r.id.uid = uid;
  r.id.comm = std::move(comm);
  r.id.exe = std::move(exe);
  r.id.cgroup = std::move(cgroup);
  return r;
}

filters::UserResolver Users() {
  return [](std::string_view) -> std::optional<uint32_t> { return 0; };
}

struct Case {
  std::string splitter;
  std::vector<std::string> names;
  std::vector<uint32_t> group_of;
};

void Expect(const sets::Grouping& g, const Case& c) {
  EXPECT_EQ(g.splitter, c.splitter);
  EXPECT_EQ(g.names, c.names);
  EXPECT_EQ(g.group_of, c.group_of);
}

class SplitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    recs_.push_back(Proc(10, 0, "sshd", "/usr/sbin/sshd", "/system.slice"));
    recs_.push_back(Proc(11, 1000, "bash", "/usr/bin/bash", "/user.slice"));
    recs_.push_back(Proc(12, 1000, "bash", "", ""));
    recs_[0].id.env["APP"] = "web";
    recs_[2].id.env["APP"] = "db";
    parents_ = {{10, 1}, {11, 10}, {12, 11}};
  }
  std::vector<scan::ProcessRecord> recs_;
  scan::ParentMap parents_;
};

TEST_F(SplitterTest, Uid) {
  Expect(Split(*NewUidSplitter(), recs_, parents_),
         {"uid", {"0", "1000"}, {0, 1, 1}});
}

TEST_F(SplitterTest, UserFallsBackToTheNumber) {
  UidNamer namer = [](uint32_t uid) -> std::optional<std::string> {
    if (uid == 0) return "root";
    return std::nullopt;
  };
  Expect(Split(*NewUserSplitter(namer), recs_, parents_),
         {"user", {"root", "1000"}, {0, 1, 1}});
}

TEST_F(SplitterTest, EnvWithUnset) {
  auto s = NewEnvSplitter("APP");
  EXPECT_EQ(s->EnvKeys(), absl::flat_hash_set<std::string>({"APP"}));
  Expect(Split(*s, recs_, parents_),
         {"env:APP", {"web", "(unset)", "db"}, {0, 1, 2}});
}

TEST_F(SplitterTest, CommExeCgroup) {
  Expect(Split(*NewCommSplitter(), recs_, parents_),
         {"comm", {"sshd", "bash"}, {0, 1, 1}});
  Expect(Split(*NewExeSplitter(), recs_, parents_),
         {"exe", {"/usr/sbin/sshd", "/usr/bin/bash", "(unknown)"}, {0, 1, 2}});
  Expect(Split(*NewCgroupSplitter(), recs_, parents_),
         {"cgroup", {"/system.slice", "/user.slice", "(unknown)"}, {0, 1, 2}});
}

// --split-exe names executables without a real file as scan/exe_name.h
// does: a deleted binary by its path, a memfd by argv[0]'s basename; two
// processes run from memfds of different names but one program share a group.
TEST(ExeSplitterTest, DeletedAndMemfd) {
  std::vector<scan::ProcessRecord> recs = {
      Proc(20, 0, "nginx", "/usr/sbin/nginx (deleted)"),
      Proc(21, 0, "binary_backend", "/memfd:sealed-91173221a7ea (deleted)"),
      Proc(22, 0, "binary_backend", "/memfd:sealed-2b3c (deleted)"),
      Proc(23, 0, "payload", "/memfd:payload (deleted)"),
      Proc(24, 0, "nginx", "/usr/sbin/nginx"),
  };
  recs[0].id.cmdline = {"nginx: master process /usr/sbin/nginx"};
  recs[1].id.cmdline = {"/usr/local/bin/binary_backend", "--port", "80"};
  recs[2].id.cmdline = {"binary_backend"};
  recs[4].id.cmdline = {"nginx: worker process"};
  Expect(Split(*NewExeSplitter(), recs, {}),
         {"exe",
          {"/usr/sbin/nginx (deleted)", "binary_backend (memfd)",
           "payload (memfd)", "/usr/sbin/nginx"},
          {0, 1, 1, 2, 3}});
}

TEST_F(SplitterTest, PidsEachOwnGroupPlusOther) {
  Expect(Split(*NewPidsSplitter({12, 99}), recs_, parents_),
         {"pids", {"12", "99", "Other"}, {2, 2, 0}});
}

// The identity files each splitter needs the scanner to read: none for
// those that key on stat and status alone.
TEST_F(SplitterTest, IdentityFiles) {
  std::vector<std::unique_ptr<Splitter>> none;
  none.push_back(NewSingleSplitter());
  none.push_back(NewUidSplitter());
  none.push_back(NewUserSplitter(
      [](uint32_t) -> std::optional<std::string> { return "root"; }));
  none.push_back(NewEnvSplitter("APP"));
  none.push_back(NewCommSplitter());
  none.push_back(NewPidsSplitter({1}));
  for (const auto& s : none) EXPECT_EQ(s->IdentityFiles(), 0) << s->name();
  EXPECT_EQ(NewExeSplitter()->IdentityFiles(),
            scan::kIdExe | scan::kIdCmdline);
  EXPECT_EQ(NewCgroupSplitter()->IdentityFiles(), scan::kIdCgroup);
  auto a = filters::ParseFilter("cgroup(/a)", Users());
  auto b = filters::ParseFilter("cmdline(x)", Users());
  EXPECT_EQ(NewCustomSplitter({std::get<filters::Filter>(a),
                               std::get<filters::Filter>(b)})
                ->IdentityFiles(),
            scan::kIdCgroup | scan::kIdCmdline);
}

TEST_F(SplitterTest, CustomFirstMatchWins) {
  auto a = filters::ParseFilter("comm(bash)", Users());
  auto b = filters::ParseFilter("descendants(10)", Users());
  std::vector<filters::Filter> fs = {std::get<filters::Filter>(a),
                                     std::get<filters::Filter>(b)};
  Expect(Split(*NewCustomSplitter(fs), recs_, parents_),
         {"custom", {"comm(bash)", "descendants(10)", "Other"}, {1, 0, 0}});
}

TEST_F(SplitterTest, Single) {
  Expect(Split(*NewSingleSplitter(), recs_, parents_),
         {"single", {"all"}, {0, 0, 0}});
}

}  // namespace
}  // namespace memstats::splitters
