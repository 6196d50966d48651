// memstats top's group keys: executables with their scripts, command lines
// cut to a length, pids.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "splitters/splitter.h"

namespace memstats::splitters {
namespace {

scan::ProcessIdentity Proc(std::string exe, std::vector<std::string> argv,
                           std::string comm = "c", int pid = 7) {
  scan::ProcessIdentity p;
  p.pid = pid;
  p.exe = std::move(exe);
  p.cmdline = std::move(argv);
  p.comm = std::move(comm);
  return p;
}

TEST(TopKeysTest, ExeKeyTable) {
  struct Case {
    scan::ProcessIdentity p;
    std::string key;
  };
  const Case cases[] = {
      {Proc("/usr/sbin/nginx", {"nginx: worker process"}), "nginx"},
      // The interpreter's own name (argv[0]) and the script's basename.
      {Proc("/usr/bin/python3.11", {"python3", "/opt/app/backup.py", "--full"}),
       "python3->backup.py"},
      {Proc("/usr/bin/python3.11", {"/usr/bin/python3", "-c", "import x"}),
       "python3"},
      {Proc("/usr/bin/perl", {"perl", "tool.pl"}), "perl->tool.pl"},
      {Proc("/usr/bin/bash", {"/bin/bash", "/etc/init.d/cron", "start"}),
       "bash->cron"},
      {Proc("/usr/bin/bash", {"-bash"}), "bash"},
      // A bare word is no script path; a relative file name is.
      {Proc("/usr/bin/bash", {"bash", "3"}), "bash"},
      {Proc("/usr/bin/python3.11", {"python3", "manage.py", "runserver"}),
       "python3->manage.py"},
      {Proc("/usr/bin/bash", {"bash", "bin/run"}), "bash->run"},
      {Proc("/usr/bin/dash", {"sh", "-e", "x.sh"}), "dash"},
      {Proc("/usr/lib/jvm/bin/java", {"java", "-jar", "/srv/app.jar"}),
       "java->app.jar"},
      {Proc("/usr/lib/jvm/bin/java", {"java", "-Xmx1g", "-jar", "app.jar"}),
       "java"},
      {Proc("/usr/lib/jvm/bin/java", {"java", "-jar"}), "java"},
      // A script read from a descriptor names nothing.
      {Proc("/usr/bin/bash", {"bash", "/dev/fd/3"}), "bash"},
      {Proc("/usr/bin/bash", {"bash", "/proc/self/fd/63"}), "bash"},
      {Proc("/usr/bin/node", {"node", "server.js"}), "node->server.js"},
      // argv[0] of another family: the executable's name.
      {Proc("/usr/bin/python3.11", {"gunicorn", "/srv/app.py"}),
       "python3.11->app.py"},
      // Without a real file: the mark says so (scan/exe_name.h).
      {Proc("/tmp/build/tool (deleted)", {"tool"}), "tool (deleted)"},
      {Proc("/usr/bin/python3.11 (deleted)", {"python3", "/opt/backup.py"}),
       "python3->backup.py (deleted)"},
      {Proc("/memfd:sealed-91173221a7ea (deleted)",
            {"/usr/local/bin/binary_backend", "-d"}),
       "binary_backend (memfd)"},
      {Proc("/memfd:x (deleted)", {"bash", "/srv/run.sh"}),
       "bash->run.sh (memfd)"},
      {Proc("/memfd:payload (deleted)", {}), "payload (memfd)"},
      // exe unreadable (another user's process, not root): comm.
      {Proc("", {"secret", "args"}, "secretd"), "secretd"},
      {Proc("/usr/bin/python3", {"python3"}), "python3"},
      // Not an interpreter: arguments do not matter.
      {Proc("/usr/bin/sleep", {"sleep", "100"}), "sleep"},
      {Proc("/usr/bin/shred", {"shred", "file"}), "shred"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(TopExeKey(c.p), c.key) << c.p.exe;
  }
  scan::ParentMap parents;
  EXPECT_EQ(NewTopExeSplitter()->KeyOf(cases[1].p, parents),
            "python3->backup.py");
  EXPECT_EQ(NewTopExeSplitter()->name(), "exe");
}

TEST(TopKeysTest, CmdlineKeyCutToLength) {
  scan::ParentMap parents;
  auto p =
      Proc("/usr/bin/python3", {"python3", "/opt/app/backup.py", "--full"});
  EXPECT_EQ(NewCmdlineSplitter(0)->KeyOf(p, parents),
            "python3 /opt/app/backup.py --full");
  EXPECT_EQ(NewCmdlineSplitter(11)->KeyOf(p, parents), "python3 /op");
  EXPECT_EQ(NewCmdlineSplitter(100)->KeyOf(p, parents),
            "python3 /opt/app/backup.py --full");
  // Characters, not bytes: "é" is one character of 2 bytes.
  auto u = Proc("/x", {"x\xc3\xa9yz"});
  EXPECT_EQ(NewCmdlineSplitter(1)->KeyOf(u, parents), "x");
  EXPECT_EQ(NewCmdlineSplitter(2)->KeyOf(u, parents), "x\xc3\xa9");
  EXPECT_EQ(NewCmdlineSplitter(3)->KeyOf(u, parents), "x\xc3\xa9y");
  auto k = Proc("", {}, "kworker");
  EXPECT_EQ(NewCmdlineSplitter(0)->KeyOf(k, parents), "[kworker]");
  EXPECT_EQ(NewCmdlineSplitter(0)->name(), "cmd");
}

TEST(TopKeysTest, PidKey) {
  scan::ParentMap parents;
  EXPECT_EQ(NewPidSplitter()->KeyOf(Proc("/x", {}, "x", 1234), parents),
            "1234");
  EXPECT_EQ(NewPidSplitter()->name(), "pid");
}

}  // namespace
}  // namespace memstats::splitters
