#include "scan/unlinked.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace memstats::scan {
namespace {

// d_path() appends this to the path of a file with no name left: memfds
// ("/memfd:NAME (deleted)"), shared anonymous memory ("/dev/zero
// (deleted)"), unlinked files.
constexpr std::string_view kDeleted = " (deleted)";

}  // namespace

bool IsUnlinkedMapping(const MapEntry& m) {
  return m.inode != 0 && m.path.ends_with(kDeleted) &&
         !IsSysvMapping(m);
}

uint64_t ParseFdinfoInode(std::string_view text) {
  // absl's string_view is its own type in this abseil.
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    if (!absl::ConsumePrefix(&line, "ino:")) continue;
    uint64_t ino = 0;
    return absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &ino) ? ino : 0;
  }
  return 0;
}

bool SameUnlinkedObject(const UnlinkedObject& a, const UnlinkedObject& b) {
  return a.path == b.path &&
         (a.inode == b.inode || a.inode == 0 || b.inode == 0);
}

UnlinkedCollector::UnlinkedCollector(std::vector<UnlinkedObject>& out)
    : out_(out) {
  for (size_t i = 0; i < out_.size(); ++i) {
    by_inode_[out_[i].inode].push_back(static_cast<int>(i));
  }
}

int UnlinkedCollector::Add(UnlinkedObject o) {
  std::vector<int>& same = by_inode_[o.inode];
  for (int i : same) {
    if (out_[i].path == o.path) return i;
  }
  same.push_back(static_cast<int>(out_.size()));
  out_.push_back(std::move(o));
  return same.back();
}

int UnlinkedCollector::AddMapping(const MapEntry& m) {
  if (!IsUnlinkedMapping(m)) return -1;
  return Add({m.inode, m.path});
}

void UnlinkedCollector::AddFds(ProcHandle& h) {
  auto fds = h.ListFds();
  if (!fds.ok()) return;
  for (int fd : *fds) {
    auto link = h.ReadLink(absl::StrCat("fd/", fd));
    if (!link.ok() || !link->ends_with(kDeleted) ||
        !link->starts_with("/")) {
      continue;  // pipes, sockets ("socket:[N]"), linked files
    }
    auto info = h.ReadFile(absl::StrCat("fdinfo/", fd));
    Add({info.ok() ? ParseFdinfoInode(*info) : 0, std::move(*link)});
  }
}

void ReadUnlinkedHolds(ProcHandle& h, std::vector<UnlinkedObject>& out) {
  UnlinkedCollector objects(out);
  auto text = h.ReadFile("maps");
  if (text.ok()) {
    auto maps = ParseMaps(*text);
    if (maps.ok()) {
      for (const MapEntry& m : *maps) objects.AddMapping(m);
    }
  }
  objects.AddFds(h);
}

void NoteSysvAttachments(const std::vector<MapEntry>& maps,
                         ProcessRecord& rec) {
  std::vector<int> ids;
  for (const MapEntry& m : maps) {
    if (IsSysvMapping(m)) ids.push_back(static_cast<int>(m.inode));
  }
  std::sort(ids.begin(), ids.end());
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j < ids.size() && ids[j] == ids[i]) ++j;
    rec.sysv_shmids.push_back(ids[i]);
    rec.sysv_vmas.push_back(static_cast<uint32_t>(j - i));
    i = j;
  }
}

}  // namespace memstats::scan
