// FREED (what stopping a group frees) on real objects made by this test.
// The group is two forked children, M1 and M2; an outsider child O and this
// test process hold some of the objects too:
//  - M1: 8 MiB of private anonymous memory, written; a memfd "own" (1 MiB,
//    256 pages touched) only it maps; a /dev/shm file "gone" (64 pages)
//    it maps, unlinked by the test once mapped; a /dev/shm file "kept"
//    (32 pages, touched) still linked;
//  - SysV S1 (2 MiB, every page touched by M1), attached by M1 and M2 and
//    then IPC_RMID'ed: destroyed when the group exits;
//  - SysV S2 (16 pages touched by M2), attached by M2 and O, IPC_RMID'ed:
//    O keeps it;
//  - memfd "held" (32 pages touched by M2) that this test process holds
//    open; memfd "fd_only" (8 pages touched by M2) that O holds by an fd
//    and does not map.
// Expected: sysv_shm = S1's rss + swap from /proc/sysvipc/shm (with
// SHM_DEST in its perms); unlinked_shm = the pages touched in "own" and
// "gone" (cross-checked with the smaps Rss of those mappings);
// page_tables = the members' VmPTE; anon_uss, swap_uss and file_uss from
// tests/e2e/independent_pagemap.py (PFN set differences, no kpageflags or
// kpagecount). Exact: the children sleep while measured, nothing else maps
// these objects. Needs root (PFNs in pagemap).
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "shm_objects.h"
#include "subprocess.h"

namespace memstats::testing {
namespace {

using nlohmann::json;
constexpr size_t kMiB = 1 << 20;

char* MapShared(int fd, size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

int NewMemfd(const char* name, size_t bytes) {
  int fd = ::memfd_create(name, 0);
  if (fd >= 0 && ::ftruncate(fd, static_cast<off_t>(bytes)) != 0) return -1;
  return fd;
}

// A field of /proc/PID/status, in bytes ("VmPTE:  12 kB").
uint64_t StatusBytes(pid_t pid, const std::string& key) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) != 0) continue;
    return std::stoull(line.substr(key.size() + 1)) * 1024;
  }
  return 0;
}

// Sum of smaps Rss over the process's mappings whose path is `path`.
uint64_t SmapsRss(pid_t pid, const std::string& path) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/smaps"));
  uint64_t sum = 0;
  bool in_it = false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && std::isxdigit(line[0]) &&
        line.find('-') < line.find(' ')) {
      in_it = line.size() >= path.size() &&
              line.compare(line.size() - path.size(), path.size(), path) == 0;
    } else if (in_it && line.rfind("Rss:", 0) == 0) {
      sum += std::stoull(line.substr(4)) * 1024;
    }
  }
  return sum;
}

TEST(FreedE2eTest, WhatStoppingAGroupFrees) {
  ASSERT_EQ(::geteuid(), 0u) << "needs root (CI runs as root)";
  LiveTestLock lock;
  ShmObjects objs;

  const int s1 = objs.NewSegment(2 * kMiB);
  const int s2 = objs.NewSegment(64 * kPage);
  ASSERT_GE(s1, 0) << std::strerror(errno);
  ASSERT_GE(s2, 0) << std::strerror(errno);
  const std::string gone = objs.NewShmFile("freed_gone", 64 * kPage);
  const std::string kept = objs.NewShmFile("freed_kept", 32 * kPage);
  ASSERT_FALSE(gone.empty());
  ASSERT_FALSE(kept.empty());
  // Made here, so every child inherits their fds; this process keeps
  // "held" open to the end and closes "fd_only" once the children hold it.
  const int held = NewMemfd("memstats_freed_held", 32 * kPage);
  int fd_only = NewMemfd("memstats_freed_fd_only", 8 * kPage);
  ASSERT_GE(held, 0);
  ASSERT_GE(fd_only, 0);

  const pid_t m1 = objs.Child(0, [&] {
    char* anon = static_cast<char*>(::mmap(nullptr, 8 * kMiB,
                                           PROT_READ | PROT_WRITE,
                                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (anon == MAP_FAILED) return false;
    std::memset(anon, 1, 8 * kMiB);
    int own = NewMemfd("memstats_freed_own", kMiB);
    char* o = own < 0 ? nullptr : MapShared(own, kMiB);
    if (o == nullptr) return false;
    Touch(o, 0, 256);
    ::close(own);  // the mapping holds it
    for (const std::string* path : {&gone, &kept}) {
      int fd = ::open(path->c_str(), O_RDWR | O_CLOEXEC);
      const size_t pages = path == &gone ? 64 : 32;
      char* f = fd < 0 ? nullptr : MapShared(fd, pages * kPage);
      if (f == nullptr) return false;
      Touch(f, 0, pages);
      ::close(fd);
    }
    char* p = static_cast<char*>(::shmat(s1, nullptr, 0));
    if (p == reinterpret_cast<char*>(-1)) return false;
    Touch(p, 0, 512);
    // Inherited: not M1's business.
    ::close(held);
    ::close(fd_only);
    return true;
  });
  const pid_t m2 = objs.Child(0, [&] {
    if (::shmat(s1, nullptr, 0) == reinterpret_cast<void*>(-1)) return false;
    char* p = static_cast<char*>(::shmat(s2, nullptr, 0));
    if (p == reinterpret_cast<char*>(-1)) return false;
    Touch(p, 0, 16);
    char* h = MapShared(held, 32 * kPage);
    char* f = MapShared(fd_only, 8 * kPage);
    if (h == nullptr || f == nullptr) return false;
    Touch(h, 0, 32);
    Touch(f, 0, 8);
    ::close(held);
    ::close(fd_only);
    return true;
  });
  const pid_t outsider = objs.Child(0, [&] {
    ::close(held);  // keeps fd_only open, maps nothing of it
    return ::shmat(s2, nullptr, 0) != reinterpret_cast<void*>(-1);
  });
  ASSERT_GT(m1, 0);
  ASSERT_GT(m2, 0);
  ASSERT_GT(outsider, 0);
  ::close(fd_only);
  ASSERT_EQ(::unlink(gone.c_str()), 0);
  ASSERT_EQ(::shmctl(s1, IPC_RMID, nullptr), 0);
  ASSERT_EQ(::shmctl(s2, IPC_RMID, nullptr), 0);

  // The kernel's view: both segments marked for removal (SHM_DEST, 01000,
  // in the octal perms column, read here as decimal digits).
  std::map<std::string, uint64_t> k1 = SysvLine(s1), k2 = SysvLine(s2);
  ASSERT_EQ(k1["nattch"], 2u);
  ASSERT_EQ(k2["nattch"], 2u);
  ASSERT_EQ(k1["perms"] / 1000 % 10, 1u) << k1["perms"];
  ASSERT_EQ(k2["perms"] / 1000 % 10, 1u);
  ASSERT_EQ(k1["rss"] + k1["swap"], 2 * kMiB);
  const uint64_t own_rss = SmapsRss(m1, "/memfd:memstats_freed_own (deleted)");
  const uint64_t gone_rss = SmapsRss(m1, gone + " (deleted)");
  ASSERT_EQ(own_rss, 256 * kPage);
  ASSERT_EQ(gone_rss, 64 * kPage);
  const uint64_t pte = StatusBytes(m1, "VmPTE") + StatusBytes(m2, "VmPTE");

  auto checker = [&] {
    RunResult check = RunCommand({PYTHON3, INDEPENDENT_CHECKER, "--group",
                                  absl::StrCat("group=", m1, ",", m2)});
    EXPECT_EQ(check.exit_code, 0) << check.Describe();
    return check.exit_code == 0 ? json::parse(check.out)["groups"]["group"]
                                : json();
  };
  const json ind = checker();
  ASSERT_GE(ind["anon_uss"].get<uint64_t>(), 8 * kMiB);
  // The group's file pages are text of this test binary and of libc that
  // the children ran. This process goes on running and faulting in pages of
  // the same text (fault-around maps cached neighbours too), so the
  // group's file USS can shrink between the checker's run and memstats's:
  // memstats's must lie between the checker's runs before and after it
  // (exact when nothing moved).
  uint64_t file_uss_before = ind["file_uss"].get<uint64_t>();

  const std::string filter = absl::StrCat("or(pid(", m1, "),pid(", m2, "))");
  // The outsider filtered out (its holds read all the same), then scanned
  // in a group of its own.
  for (bool outsider_scanned : {false, true}) {
    SCOPED_TRACE(outsider_scanned ? "outsider scanned" : "outsider filtered");
    std::vector<std::string> args = {MemstatsBinary(), "--json", "--filter"};
    if (outsider_scanned) {
      args.push_back(absl::StrCat("or(pid(", m1, "),pid(", m2, "),pid(",
                                  outsider, "))"));
      args.insert(args.end(),
                  {"groups", "--split-pids", absl::StrCat(outsider)});
    } else {
      args.insert(args.end(), {filter, "single"});
    }
    RunResult r = RunCommand(args);
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    const json doc = json::parse(r.out);
    ASSERT_TRUE(doc["page_level"].get<bool>());
    const json& split = doc["splits"][0];
    // --split-pids names the rest "Other"; single has one group.
    const json* g = outsider_scanned ? FindBy(split["groups"], "name", "Other")
                                     : &split["groups"][0];
    ASSERT_NE(g, nullptr) << split.dump();
    EXPECT_EQ((*g)["processes"], 2);
    const json& f = (*g)["freed"];
    EXPECT_EQ(f["sysv_shm_segments"], 1);
    EXPECT_EQ(f["sysv_shm"], k1["rss"] + k1["swap"]);
    EXPECT_EQ(f["sysv_shm_swap"], k1["swap"]);
    EXPECT_EQ(f["unlinked_shm_objects"], 2);  // own, gone
    EXPECT_EQ(f["unlinked_shm"], own_rss + gone_rss);
    EXPECT_EQ(f["unlinked_shm_swap"], 0);  // nothing paged out here (see
                                            // shm_swap_e2e_test)
    EXPECT_EQ(f["page_tables"], pte);
    EXPECT_EQ(f["anon_uss"], ind["anon_uss"]);
    EXPECT_EQ(f["swap_uss"], ind["swap_uss"]);
    const json ind_after = checker();
    ASSERT_TRUE(ind_after.is_object());
    const uint64_t file_uss_after = ind_after["file_uss"].get<uint64_t>();
    EXPECT_GE(f["file_uss_kept"].get<uint64_t>(),
              std::min(file_uss_before, file_uss_after));
    EXPECT_LE(f["file_uss_kept"].get<uint64_t>(),
              std::max(file_uss_before, file_uss_after));
    file_uss_before = file_uss_after;
    EXPECT_EQ(f["bytes"], ind["anon_uss"].get<uint64_t>() +
                              ind["swap_uss"].get<uint64_t>() +
                              k1["rss"] + k1["swap"] + own_rss + gone_rss +
                              pte);
    if (outsider_scanned) {
      const json* o = FindBy(split["groups"], "name", absl::StrCat(outsider));
      ASSERT_NE(o, nullptr);
      EXPECT_EQ((*o)["freed"]["sysv_shm_segments"], 0);  // M2 attaches S2
      EXPECT_EQ((*o)["freed"]["unlinked_shm_objects"], 0);
    }
  }

  // The text table shows FREED next to FILE_USS.
  RunResult t = RunCommand({MemstatsBinary(), "--filter", filter, "single"});
  ASSERT_EQ(t.exit_code, 0) << t.Describe();
  EXPECT_NE(t.out.find("FREED"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("FILE_USS"), std::string::npos) << t.out;
  ::close(held);
}

}  // namespace
}  // namespace memstats::testing
