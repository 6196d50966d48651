#include "exec/cgroup_location.h"

#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace memstats::exec {

namespace {

// Debian's abseil has its own string_view type.
absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// mountinfo escapes space, tab, newline and backslash in paths as \ooo.
std::string Unescape(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' &&
        s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// `path` as seen under a mount of `mount_root` at `mount_point`; nullopt
// when the mount shows only another part of the hierarchy (a bind mount or
// a container's view of a subtree).
std::optional<std::string> PathUnder(const MountInfoEntry& mount, const std::string& path) {
  std::string_view rest = path;
  if (mount.root != "/") {
    if (path != mount.root && !path.starts_with(mount.root + "/")) return std::nullopt;
    rest.remove_prefix(mount.root.size());
  }
  std::string dir = mount.mount_point;
  if (!rest.empty() && rest != "/") {
    if (!dir.ends_with('/')) dir += '/';
    if (rest.starts_with('/')) rest.remove_prefix(1);
    dir.append(rest);
  }
  return dir;
}

}  // namespace

// A line: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue":
// mount id, parent id, major:minor, root, mount point, mount options, zero
// or more optional fields, "-", fstype, source, super options.
absl::StatusOr<std::vector<MountInfoEntry>> ParseMountInfo(std::string_view text) {
  std::vector<MountInfoEntry> mounts;
  for (absl::string_view line : absl::StrSplit(ToAbsl(text), '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 10 || dash - fields.begin() < 6 || fields.end() - dash < 4) {
      return absl::InvalidArgumentError(absl::StrCat("mountinfo: malformed line \"", line, "\""));
    }
    MountInfoEntry m;
    m.root = Unescape(fields[3]);
    m.mount_point = Unescape(fields[4]);
    m.fstype = std::string(dash[1].data(), dash[1].size());
    m.super_options = absl::StrSplit(dash[3], ',');
    mounts.push_back(std::move(m));
  }
  return mounts;
}

absl::StatusOr<std::vector<ProcCgroupEntry>> ParseProcCgroup(std::string_view text) {
  std::vector<ProcCgroupEntry> entries;
  for (absl::string_view line : absl::StrSplit(ToAbsl(text), '\n', absl::SkipEmpty())) {
    // The path may itself contain ':'; split at the first two only.
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    ProcCgroupEntry e;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &e.hierarchy_id) ||
        !absl::StartsWith(parts[2], "/")) {
      return absl::InvalidArgumentError(absl::StrCat("/proc/self/cgroup: malformed line \"", line, "\""));
    }
    if (!parts[1].empty()) e.controllers = absl::StrSplit(parts[1], ',');
    e.path = std::string(parts[2].data(), parts[2].size());
    entries.push_back(std::move(e));
  }
  return entries;
}

MemoryCgroupLocation LocateMemoryCgroup(const std::vector<MountInfoEntry>& mounts,
                                        const std::vector<ProcCgroupEntry>& cgroups) {
  MemoryCgroupLocation loc;
  for (const ProcCgroupEntry& e : cgroups) {
    if (e.hierarchy_id == 0 || !Contains(e.controllers, "memory")) continue;
    for (const MountInfoEntry& m : mounts) {
      if (m.fstype != "cgroup" || !Contains(m.super_options, "memory")) continue;
      if (std::optional<std::string> dir = PathUnder(m, e.path)) {
        loc.version = CgroupVersion::kV1;
        loc.dir = *dir;
        return loc;
      }
    }
    loc.why_none = absl::StrCat("the v1 memory hierarchy (memstats in ", e.path,
                                ") is not mounted where memstats can see it");
    return loc;
  }
  for (const ProcCgroupEntry& e : cgroups) {
    if (e.hierarchy_id != 0) continue;
    for (const MountInfoEntry& m : mounts) {
      if (m.fstype != "cgroup2") continue;
      if (std::optional<std::string> dir = PathUnder(m, e.path)) {
        loc.version = CgroupVersion::kV2;
        loc.dir = *dir;
        return loc;
      }
    }
    loc.why_none = absl::StrCat("the cgroup2 hierarchy (memstats in ", e.path,
                                ") is not mounted where memstats can see it");
    return loc;
  }
  loc.why_none = "no memory controller (memstats is in no v1 memory or cgroup2 hierarchy)";
  return loc;
}

}  // namespace memstats::exec
