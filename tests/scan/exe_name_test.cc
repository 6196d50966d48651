#include "scan/exe_name.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace memstats::scan {
namespace {

struct Case {
  std::string exe;  // target of /proc/PID/exe
  std::vector<std::string> cmdline;
  std::string display;        // ExeDisplayName
  std::string short_display;  // ExeName::ShortDisplay
  ExeOrigin origin;
};

TEST(ExeNameTest, Table) {
  const std::vector<Case> cases = {
      {"/usr/sbin/nginx", {"nginx: master"}, "/usr/sbin/nginx", "nginx",
       ExeOrigin::kFile},
      // argv[0] does not matter for a file that exists.
      {"/usr/bin/python3.11", {"python3", "x.py"}, "/usr/bin/python3.11",
       "python3.11", ExeOrigin::kFile},
      {"", {"sleep", "5"}, "", "", ExeOrigin::kFile},  // unreadable link
      {"/opt/app/bin (deleted)", {"/opt/app/bin", "-d"},
       "/opt/app/bin (deleted)", "bin (deleted)", ExeOrigin::kDeleted},
      // The path, not argv[0], names a deleted binary.
      {"/usr/sbin/sshd (deleted)", {"sshd: root@pts/0"},
       "/usr/sbin/sshd (deleted)", "sshd (deleted)", ExeOrigin::kDeleted},
      {"/memfd:sealed-91173221a7ea (deleted)",
       {"/usr/local/bin/binary_backend", "--port", "80"},
       "binary_backend (memfd)", "binary_backend (memfd)", ExeOrigin::kMemfd},
      {"/memfd:runc_cloned:/proc/self/exe (deleted)", {"runc", "init"},
       "runc (memfd)", "runc (memfd)", ExeOrigin::kMemfd},
      // No argv (or an empty argv[0]): the memfd's own name.
      {"/memfd:payload (deleted)", {}, "payload (memfd)", "payload (memfd)",
       ExeOrigin::kMemfd},
      {"/memfd:payload (deleted)", {""}, "payload (memfd)", "payload (memfd)",
       ExeOrigin::kMemfd},
      // A memfd whose name holds a '/': the name is kept whole.
      {"/memfd:a/b (deleted)", {}, "a/b (memfd)", "b (memfd)",
       ExeOrigin::kMemfd},
      // Only the kernel's suffix makes a memfd: a file whose path starts
      // with /memfd: but exists is a file.
      {"/memfd:x", {"y"}, "/memfd:x", "memfd:x", ExeOrigin::kFile},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.exe);
    ExeName n = ParseExeName(c.exe, c.cmdline);
    EXPECT_EQ(n.Display(), c.display);
    EXPECT_EQ(ExeDisplayName(c.exe, c.cmdline), c.display);
    EXPECT_EQ(n.ShortDisplay(), c.short_display);
    EXPECT_EQ(n.origin, c.origin);
  }
}

TEST(ExeNameTest, NameWithoutMark) {
  EXPECT_EQ(ParseExeName("/opt/app/bin (deleted)", {}).name, "/opt/app/bin");
  const std::vector<std::string> argv = {"./sleep", "100"};
  EXPECT_EQ(ParseExeName("/memfd:x (deleted)", argv).name, "sleep");
  EXPECT_EQ(ParseExeName("/memfd:x (deleted)", argv).Mark(), " (memfd)");
  EXPECT_EQ(ParseExeName("/bin/true", argv).Mark(), "");
}

}  // namespace
}  // namespace memstats::scan
