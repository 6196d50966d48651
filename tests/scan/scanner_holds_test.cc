// The scanner's record of unlinked shared memory (ScanOptions::shm_holders)
// and of SysV attachments: which objects a process maps or holds by an fd,
// which segments of its page list are theirs, and what processes the
// filter leaves out hold.
#include <string>
#include <vector>

#include "fake_proc_source.h"
#include "gtest/gtest.h"
#include "scan/pagemap.h"
#include "scan/scanner.h"
#include "scan/unlinked.h"
#include "scanner_fault_util.h"
#include "test_util.h"

namespace memstats::scan {
namespace {

using testing::FakeProcSource;

// Pages 0-1: private anonymous; 2-3 a memfd (inode 77); 4-5 a SysV
// segment (shmid 5) mapped twice (two VMAs); 6-7 a linked /dev/shm file.
constexpr const char* kMaps =
    "00010000-00012000 rw-p 00000000 00:00 0 \n"
    "00012000-00014000 rw-s 00000000 00:01 77   /memfd:buf (deleted)\n"
    "00014000-00015000 rw-s 00000000 00:01 5    /SYSV00000000 (deleted)\n"
    "00015000-00016000 rw-s 00001000 00:01 5    /SYSV00000000 (deleted)\n"
    "00016000-00018000 rw-s 00000000 00:1a 9    /dev/shm/linked\n";

TEST(ScannerHoldsTest, MappingsFdsAndSysvVmas) {
  FakeProcSource src;
  FakeProcSource::Process& p =
      AddProcess(src, 10, {100, 101, 200, 201, 300, 301, 400, 401});
  p.files["maps"] = kMaps;
  p.fds = {{0, "/dev/pts/0"},
           {3, "/memfd:other (deleted)"},
           {4, "socket:[1234]"},
           {5, "/dev/shm/x (deleted)"},
           {6, "/dev/shm/linked"}};
  p.files["fdinfo/3"] = "pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t88\n";
  p.files["fdinfo/5"] = "pos:\t0\nflags:\t02\nmnt_id:\t30\n";  // no ino
  ScanOptions o = Options();
  o.shm_holders = true;
  auto r = Scan(src, o, KeepAll());
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  const ProcessRecord& rec = r->processes[0];
  EXPECT_EQ(rec.unlinked,
            (std::vector<UnlinkedObject>{{77, "/memfd:buf (deleted)"},
                                         {88, "/memfd:other (deleted)"},
                                         {0, "/dev/shm/x (deleted)"}}));
  ASSERT_EQ(rec.unlinked_maps.size(), 1u);
  const UnlinkedMapping& m = rec.unlinked_maps[0];
  EXPECT_EQ(m.object, 0u);
  ASSERT_EQ(m.end_segment, m.first_segment + 1);
  const auto runs = r->segments->Get(rec.segments[m.first_segment]);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0], (PfnRun{200, 2}));
  EXPECT_EQ(rec.sysv_shmids, (std::vector<int>{5}));
  EXPECT_EQ(rec.sysv_vmas, (std::vector<uint32_t>{2}));
  EXPECT_TRUE(r->unlinked_held_outside.empty());
}

// Process 11, which the scans below leave out: it maps the objects of
// kMaps and holds a memfd open (fd 7, inode 90).
void AddOutsider(FakeProcSource& src) {
  FakeProcSource::Process& out = AddProcess(src, 11, {}, "outsider");
  out.files["maps"] = kMaps;
  out.fds = {{7, "/memfd:kept (deleted)"}};
  out.files["fdinfo/7"] = "ino:\t90\n";
}

// A scan with shm_holders that keeps process 10 only.
absl::StatusOr<ScanResult> ScanKeepingPid10(FakeProcSource& src) {
  ScanOptions o = Options();
  o.shm_holders = true;
  return Scan(src, o, [](const ProcessIdentity& id, const ParentMap&) {
    return id.pid == 10;
  });
}

TEST(ScannerHoldsTest, FilteredOutProcessesHoldOutside) {
  FakeProcSource src;
  // The scanned process maps the memfd: what others hold matters.
  AddProcess(src, 10, {100, 101, 200, 201, 300, 301, 400, 401}).files["maps"] =
      kMaps;
  AddOutsider(src);
  auto r = ScanKeepingPid10(src);
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  EXPECT_EQ(r->stats.filtered_out, 1u);
  EXPECT_EQ(r->unlinked_held_outside,
            (std::vector<UnlinkedObject>{{77, "/memfd:buf (deleted)"},
                                         {90, "/memfd:kept (deleted)"}}));
}

// No scanned process maps an unlinked object: no group can free one, so
// neither the scanned processes' fds nor what the left-out ones hold are
// read (a readlink per fd: thousands on a database host).
TEST(ScannerHoldsTest, NothingIsReadWhenNoScannedProcessMapsAnObject) {
  FakeProcSource src;
  FakeProcSource::Process& in = AddProcess(src, 10, {100});
  in.fds = {{3, "/memfd:other (deleted)"}};
  AddOutsider(src);
  auto r = ScanKeepingPid10(src);
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  EXPECT_TRUE(r->processes[0].unlinked.empty());
  EXPECT_TRUE(r->unlinked_held_outside.empty());
  for (const std::string& read : src.reads()) {
    EXPECT_EQ(read.find("/fd"), std::string::npos) << read;
    EXPECT_NE(read, "11/maps") << read;
  }
}

TEST(ScannerHoldsTest, OffByDefault) {
  FakeProcSource src;
  FakeProcSource::Process& p = AddProcess(src, 10, {100, 101, 200, 201});
  p.files["maps"] = kMaps;
  p.fds = {{3, "/memfd:other (deleted)"}};
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  EXPECT_TRUE(r->processes[0].unlinked.empty());
  EXPECT_TRUE(r->processes[0].unlinked_maps.empty());
  for (const std::string& read : src.reads()) {
    EXPECT_EQ(read.find("/fd"), std::string::npos) << read;
  }
}

// A window is exclusive when every page in it was present with
// PM_MMAP_EXCLUSIVE (pagemap bit 56); one page without it, or a page under
// migration (a swap entry naming a PFN), and the window is not. It is
// exclusive and anonymous when besides no page had bit 61 (file or shared).
TEST(ScannerExclusiveTest, WindowsAreExclusiveWhenEveryPageIs) {
  FakeProcSource src;
  FakeProcSource::Process& p = AddProcess(src, 10, {100, 101});
  // A second window (2 MiB on) with one page of each kind; a third with
  // an exclusive anonymous page and an exclusive file page.
  p.files["maps"] =
      "00010000-00018000 rw-p 00000000 00:00 0 \n"
      "00400000-00403000 rw-p 00000000 00:00 0 \n"
      "00800000-00802000 rw-p 00000000 00:00 0 \n";
  for (auto& [vpn, e] : p.pagemap) e |= kPmExclusive;
  p.pagemap[0x400] = kPmPresent | kPmExclusive | 300;
  p.pagemap[0x401] = kPmPresent | 301;
  // Under migration: a swap entry of type 25 naming PFN 302.
  p.pagemap[0x402] = kPmSwapped | (302ULL << 5) | 25;
  p.pagemap[0x800] = kPmPresent | kPmExclusive | 400;
  p.pagemap[0x801] = kPmPresent | kPmExclusive | kPmFileOrShared | 401;
  auto r = Scan(src, Options(), KeepAll());
  ASSERT_OK(r);
  ASSERT_EQ(r->processes.size(), 1u);
  const ProcessRecord& rec = r->processes[0];
  ASSERT_EQ(rec.segments.size(), 3u);
  EXPECT_TRUE(r->segments->exclusive(rec.segments[0]));
  EXPECT_TRUE(r->segments->exclusive_anon(rec.segments[0]));
  EXPECT_FALSE(r->segments->exclusive(rec.segments[1]));
  EXPECT_FALSE(r->segments->exclusive_anon(rec.segments[1]));
  EXPECT_TRUE(r->segments->exclusive(rec.segments[2]));
  EXPECT_FALSE(r->segments->exclusive_anon(rec.segments[2]));
}

TEST(UnlinkedTest, WhatIsAnUnlinkedObject) {
  auto map = [](std::string path, uint64_t inode) {
    MapEntry m;
    m.path = std::move(path);
    m.inode = inode;
    return m;
  };
  EXPECT_TRUE(IsUnlinkedMapping(map("/memfd:a (deleted)", 3)));
  EXPECT_TRUE(IsUnlinkedMapping(map("/dev/zero (deleted)", 3)));
  EXPECT_TRUE(IsUnlinkedMapping(map("/dev/shm/x (deleted)", 3)));
  EXPECT_FALSE(IsUnlinkedMapping(map("/SYSV0000abcd (deleted)", 3)));
  EXPECT_FALSE(IsUnlinkedMapping(map("/dev/shm/x", 3)));
  EXPECT_FALSE(IsUnlinkedMapping(map("", 0)));
  EXPECT_EQ(ParseFdinfoInode("pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t88\n"),
            88u);
  EXPECT_EQ(ParseFdinfoInode("pos:\t0\n"), 0u);
  EXPECT_EQ(ParseFdinfoInode("ino:\tx\n"), 0u);
  EXPECT_TRUE(SameUnlinkedObject({0, "/a"}, {5, "/a"}));
  EXPECT_TRUE(SameUnlinkedObject({5, "/a"}, {5, "/a"}));
  EXPECT_FALSE(SameUnlinkedObject({5, "/a"}, {6, "/a"}));
  EXPECT_FALSE(SameUnlinkedObject({5, "/a"}, {5, "/b"}));
}

}  // namespace
}  // namespace memstats::scan
