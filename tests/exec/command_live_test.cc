// StartCommand on real processes: exit codes, failed starts, signal
// forwarding, joining a cgroup (a plain file stands in for cgroup.procs),
// and, as root, dropping privileges for the sudo user.
#include "exec/command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "exec/exec_test_util.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace memstats::exec {
namespace {

using ::memstats::testing::ReadText;
using ::memstats::testing::TempDir;
using ::memstats::testing::WaitForFile;
using ::memstats::testing::WriteText;

// Runs `argv` to its end with forwarding on and no sudo variables.
absl::StatusOr<ExitInfo> RunToEnd(const std::vector<std::string>& argv) {
  CommandSpec spec;
  spec.argv = argv;
  absl::StatusOr<RunningCommand> cmd = StartCommand(spec);
  if (!cmd.ok()) return cmd.status();
  return cmd->Wait();
}

TEST(CommandTest, ExitCodes) {
  struct Case {
    std::vector<std::string> argv;
    int exit_code;
    int signal;  // 0: exited
    std::string describe;
  };
  const std::vector<Case> cases = {
      {{"true"}, 0, 0, "exited with status 0"},
      {{"false"}, 1, 0, "exited with status 1"},
      {{"sh", "-c", "exit 7"}, 7, 0, "exited with status 7"},
      {{"sh", "-c", "kill -KILL $$"}, 137, SIGKILL, "killed by SIGKILL (signal 9)"},
      {{"sh", "-c", "kill -TERM $$"}, 143, SIGTERM, "killed by SIGTERM (signal 15)"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ExitInfo> exit = RunToEnd(c.argv);
    ASSERT_OK(exit);
    EXPECT_EQ(exit->exit_code, c.exit_code) << c.argv.back();
    EXPECT_EQ(exit->signaled, c.signal != 0) << c.argv.back();
    EXPECT_EQ(exit->signal, c.signal) << c.argv.back();
    EXPECT_EQ(exit->Describe(), c.describe);
  }
}

TEST(CommandTest, ArgvIsPassedUntouched) {
  TempDir tmp;
  const std::string out = tmp.Path("args");
  absl::StatusOr<ExitInfo> exit =
      RunToEnd({"sh", "-c", "printf '%s|' \"$@\" > \"$0\"", out, "a b", "", "*", "$HOME"});
  ASSERT_OK(exit);
  EXPECT_EQ(ReadText(out), "a b||*|$HOME|");
}

// Sets PATH while it lives. execvp reports EACCES, not ENOENT, when a PATH
// directory cannot be searched (as dash does; bash says "not found"): the
// not-found test must not depend on the PATH it was started with.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& path) {
    const char* old = std::getenv("PATH");
    if (old != nullptr) saved_ = old;
    setenv("PATH", path.c_str(), 1);
  }
  ~ScopedPath() {
    if (saved_.has_value()) {
      setenv("PATH", saved_->c_str(), 1);
    } else {
      unsetenv("PATH");
    }
  }
  ScopedPath(const ScopedPath&) = delete;
  ScopedPath& operator=(const ScopedPath&) = delete;

 private:
  std::optional<std::string> saved_;
};

TEST(CommandTest, CommandNotFound) {
  ScopedPath path("/usr/bin:/bin");
  absl::StatusOr<ExitInfo> exit = RunToEnd({"memstats-no-such-command-4242", "x"});
  EXPECT_TRUE(absl::IsNotFound(exit.status())) << exit.status();
  EXPECT_EQ(exit.status().message(), "memstats-no-such-command-4242: command not found");
  EXPECT_EQ(ExitCodeForStartFailure(exit.status()), 127);

  exit = RunToEnd({"/nonexistent/memstats-test"});
  EXPECT_TRUE(absl::IsNotFound(exit.status())) << exit.status();
  EXPECT_EQ(exit.status().message(), "/nonexistent/memstats-test: No such file or directory");
}

TEST(CommandTest, NotExecutable) {
  TempDir tmp;
  const std::string script = tmp.Path("script");
  ASSERT_TRUE(WriteText(script, "#!/bin/sh\nexit 0\n"));
  ASSERT_EQ(chmod(script.c_str(), 0644), 0);  // no x bit: EACCES even for root
  absl::StatusOr<ExitInfo> exit = RunToEnd({script});
  EXPECT_TRUE(absl::IsPermissionDenied(exit.status())) << exit.status();
  EXPECT_EQ(exit.status().message(), script + ": Permission denied");
  EXPECT_EQ(ExitCodeForStartFailure(exit.status()), 126);
}

TEST(CommandTest, EmptyArgvIsRefused) {
  EXPECT_TRUE(absl::IsInvalidArgument(RunToEnd({}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(RunToEnd({""}).status()));
}

TEST(CommandTest, PollAndWaitForDoNotBlock) {
  CommandSpec spec;
  spec.argv = {"sleep", "0.3"};
  absl::StatusOr<RunningCommand> cmd = StartCommand(spec);
  ASSERT_OK(cmd);
  EXPECT_GE(cmd->pidfd(), 0);  // kernel 5.3+
  absl::StatusOr<std::optional<ExitInfo>> done = cmd->Poll();
  ASSERT_OK(done);
  EXPECT_FALSE(done->has_value());
  const absl::Time start = absl::Now();
  done = cmd->WaitFor(absl::Milliseconds(50));
  ASSERT_OK(done);
  EXPECT_FALSE(done->has_value());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  done = cmd->WaitFor(absl::Seconds(10));
  ASSERT_OK(done);
  ASSERT_TRUE(done->has_value());
  EXPECT_EQ((*done)->exit_code, 0);
  // Reaped once; later calls repeat the result.
  done = cmd->Poll();
  ASSERT_OK(done);
  ASSERT_TRUE(done->has_value());
  EXPECT_EQ((*done)->exit_code, 0);
}

TEST(CommandTest, DestructorKillsACommandStillRunning) {
  pid_t pid = -1;
  {
    CommandSpec spec;
    spec.argv = {"sleep", "60"};
    absl::StatusOr<RunningCommand> cmd = StartCommand(spec);
    ASSERT_OK(cmd);
    pid = cmd->pid();
  }
  EXPECT_NE(kill(pid, 0), 0);  // killed and reaped: no such process
}

// memstats receives the signal (here: the test process sends it to
// itself); the command, a shell with a trap, gets it and says so.
TEST(CommandTest, ForwardsSigtermSighupAndSigint) {
  for (int sig : {SIGTERM, SIGHUP, SIGINT}) {
    TempDir tmp;
    const std::string name = sigabbrev_np(sig);
    CommandSpec spec;
    spec.argv = {"sh", "-c",
                 "trap 'echo got > \"$0\"/got; exit 42' " + name +
                     "; touch \"$0\"/ready; while :; do sleep 0.02; done",
                 tmp.path()};
    absl::StatusOr<RunningCommand> cmd = StartCommand(spec);
    ASSERT_OK(cmd);
    ASSERT_TRUE(WaitForFile(tmp.Path("ready"), 10000)) << name;
    ASSERT_EQ(kill(getpid(), sig), 0);
    absl::StatusOr<std::optional<ExitInfo>> done = cmd->WaitFor(absl::Seconds(10));
    ASSERT_OK(done);
    ASSERT_TRUE(done->has_value()) << name << ": the command did not end";
    EXPECT_EQ((*done)->exit_code, 42) << name;
    EXPECT_EQ(ReadText(tmp.Path("got")), "got\n") << name;
    EXPECT_EQ(cmd->received_signal(), sig) << name;
    // Once the command is reaped, memstats's own actions are back.
    struct sigaction now = {};
    ASSERT_EQ(sigaction(sig, nullptr, &now), 0);
    EXPECT_EQ(now.sa_handler, SIG_DFL) << name;
  }
}

// A signal from the terminal (si_code SI_KERNEL: Ctrl-C, hangup) reaches
// the whole foreground process group, the command included, so it is not
// sent a second time. rt_sigqueueinfo may forge SI_KERNEL for a signal to
// oneself.
TEST(CommandTest, TerminalSignalsAreNotForwardedTwice) {
  TempDir tmp;
  CommandSpec spec;
  spec.argv = {"sh", "-c",
               "trap 'echo got >> \"$0\"/got; exit 42' INT; touch \"$0\"/ready; "
               "while :; do sleep 0.02; done",
               tmp.path()};
  absl::StatusOr<RunningCommand> cmd = StartCommand(spec);
  ASSERT_OK(cmd);
  ASSERT_TRUE(WaitForFile(tmp.Path("ready"), 10000));
  siginfo_t info = {};
  info.si_signo = SIGINT;
  info.si_code = SI_KERNEL;
  ASSERT_EQ(syscall(SYS_rt_sigqueueinfo, getpid(), SIGINT, &info), 0) << strerror(errno);
  absl::StatusOr<std::optional<ExitInfo>> done = cmd->WaitFor(absl::Milliseconds(300));
  ASSERT_OK(done);
  EXPECT_FALSE(done->has_value()) << "forwarded a signal from the terminal";
  EXPECT_EQ(cmd->received_signal(), SIGINT);
  ASSERT_EQ(kill(getpid(), SIGINT), 0);  // from a process: forwarded
  done = cmd->WaitFor(absl::Seconds(10));
  ASSERT_OK(done);
  ASSERT_TRUE(done->has_value());
  EXPECT_EQ((*done)->exit_code, 42);
  EXPECT_EQ(ReadText(tmp.Path("got")), "got\n");
}

TEST(CommandTest, NoForwardingWhenAskedNot) {
  CommandSpec spec;
  spec.argv = {"true"};
  spec.forward_signals = false;
  absl::StatusOr<RunningCommand> cmd = StartCommand(spec);
  ASSERT_OK(cmd);
  struct sigaction now = {};
  ASSERT_EQ(sigaction(SIGTERM, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_DFL);
  ASSERT_OK(cmd->Wait());
  EXPECT_EQ(cmd->received_signal(), 0);
}

// The child writes "0" to the given fd before exec: a plain file stands in
// for cgroup.procs here (the real one is in cgroup_live_test.cc).
TEST(CommandTest, ChildWritesZeroToCgroupProcsBeforeExec) {
  TempDir tmp;
  const std::string procs = tmp.Path("cgroup.procs");
  ASSERT_TRUE(WriteText(procs, ""));
  const int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  CommandSpec spec;
  spec.argv = {"true"};
  spec.cgroup_procs_fd = fd;
  absl::StatusOr<RunningCommand> cmd = StartCommand(spec);
  close(fd);
  ASSERT_OK(cmd);
  EXPECT_OK(cmd->cgroup_status());
  ASSERT_OK(cmd->Wait());
  EXPECT_EQ(ReadText(procs), "0");

  // A write that fails is reported, and the command runs all the same.
  const int ro = open(procs.c_str(), O_RDONLY | O_CLOEXEC);
  spec.cgroup_procs_fd = ro;
  absl::StatusOr<RunningCommand> failed = StartCommand(spec);
  close(ro);
  ASSERT_OK(failed);
  EXPECT_TRUE(absl::IsUnavailable(failed->cgroup_status())) << failed->cgroup_status();
  EXPECT_EQ(failed->cgroup_status().message(),
            "the command could not join its cgroup: Bad file descriptor");
  absl::StatusOr<ExitInfo> exit = failed->Wait();
  ASSERT_OK(exit);
  EXPECT_EQ(exit->exit_code, 0);
}

// Uid, Gid and Groups lines of the command's /proc/self/status, as
// "Uid:65534 65534 65534 65534" (tabs and trailing spaces normalised).
std::vector<std::string> IdsOfCommand(const CommandSpec& base, const TempDir& tmp) {
  const std::string out = tmp.Path("ids");
  CommandSpec spec = base;
  spec.argv = {"sh", "-c", "grep -E '^(Uid|Gid|Groups):' /proc/self/status > \"$0\"", out};
  absl::StatusOr<RunningCommand> cmd = StartCommand(spec);
  EXPECT_OK(cmd);
  if (!cmd.ok()) return {};
  absl::StatusOr<ExitInfo> exit = cmd->Wait();
  EXPECT_OK(exit);
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(ReadText(out), '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> words = absl::StrSplit(line, absl::ByAnyChar("\t "), absl::SkipEmpty());
    lines.push_back(absl::StrJoin(words, " "));
  }
  return lines;
}

class PrivilegeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEMSTATS_REQUIRE_ROOT();
    // Writable by nobody.
    ASSERT_EQ(chmod(tmp_.path().c_str(), 0777), 0);
  }
  TempDir tmp_;
};

TEST_F(PrivilegeTest, DropsToSudoUser) {
  CommandSpec spec;
  spec.sudo_uid = "65534";
  spec.sudo_gid = "65534";
  absl::StatusOr<std::optional<Identity>> plan = PlanIdentity(0, false, spec.sudo_uid, spec.sudo_gid);
  ASSERT_OK(plan);
  ASSERT_TRUE(plan->has_value());
  std::string groups = "Groups:";
  for (gid_t g : (*plan)->groups) groups += " " + std::to_string(g);
  EXPECT_EQ(IdsOfCommand(spec, tmp_),
            (std::vector<std::string>{"Uid: 65534 65534 65534 65534", "Gid: 65534 65534 65534 65534",
                                      groups}));
}

TEST_F(PrivilegeTest, UnknownUserGetsOnlyItsGroup) {
  CommandSpec spec;
  spec.sudo_uid = "3999999999";
  spec.sudo_gid = "3999999998";
  EXPECT_EQ(IdsOfCommand(spec, tmp_),
            (std::vector<std::string>{"Uid: 3999999999 3999999999 3999999999 3999999999",
                                      "Gid: 3999999998 3999999998 3999999998 3999999998",
                                      "Groups: 3999999998"}));
}

TEST_F(PrivilegeTest, AsRootKeepsRoot) {
  CommandSpec spec;
  spec.sudo_uid = "65534";
  spec.sudo_gid = "65534";
  spec.as_root = true;
  const std::vector<std::string> ids = IdsOfCommand(spec, tmp_);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0], "Uid: 0 0 0 0");
  EXPECT_EQ(ids[1], "Gid: 0 0 0 0");
}

TEST_F(PrivilegeTest, MalformedSudoUidIsRefusedBeforeForking) {
  CommandSpec spec;
  spec.argv = {"sh", "-c", "touch \"$0\"", tmp_.Path("ran")};
  spec.sudo_uid = "65534x";
  spec.sudo_gid = "65534";
  absl::StatusOr<RunningCommand> cmd = StartCommand(spec);
  EXPECT_TRUE(absl::IsInvalidArgument(cmd.status())) << cmd.status();
  EXPECT_FALSE(std::filesystem::exists(tmp_.Path("ran")));
}

// The PATH search is made as the user: a command in a directory only root
// may enter is not found for nobody (EACCES, as execvp reports it).
TEST_F(PrivilegeTest, PathSearchHappensAfterTheDrop) {
  const std::string dir = tmp_.Path("root-only");
  ASSERT_TRUE(std::filesystem::create_directory(dir));
  ASSERT_EQ(chmod(dir.c_str(), 0700), 0);
  const std::string tool = dir + "/memstats-test-tool";
  ASSERT_TRUE(WriteText(tool, "#!/bin/sh\nexit 5\n"));
  ASSERT_EQ(chmod(tool.c_str(), 0755), 0);
  CommandSpec spec;
  spec.argv = {"memstats-test-tool"};
  spec.sudo_uid = "65534";
  spec.sudo_gid = "65534";
  absl::StatusOr<ExitInfo> exit = absl::UnknownError("not run");
  absl::Status dropped;
  {
    ScopedPath path(dir + ":/usr/bin:/bin");
    exit = RunToEnd(spec.argv);  // root finds it
    dropped = StartCommand(spec).status();
  }

  ASSERT_OK(exit);
  EXPECT_EQ(exit->exit_code, 5);
  EXPECT_TRUE(absl::IsPermissionDenied(dropped)) << dropped;
  EXPECT_EQ(dropped.message(), "memstats-test-tool: Permission denied");
}

}  // namespace
}  // namespace memstats::exec
