#include "exec/identity.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "scan/proc_source.h"

namespace memstats::exec {

std::string Identity::Describe() const {
  return absl::StrCat("uid ", uid, user_name.empty() ? "" : " (", user_name,
                      user_name.empty() ? "" : ")", ", gid ", gid);
}

absl::StatusOr<uint32_t> ParseId(std::string_view name, std::string_view value) {
  // Digits only: strtoul and SimpleAtoi would take "+5", " 5" or "-1".
  uint64_t id = 0;
  bool ok = !value.empty() && value.size() <= 10;
  for (char c : value) {
    if (c < '0' || c > '9') {
      ok = false;
      break;
    }
    id = id * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || id >= 0xffffffffULL) {
    return absl::InvalidArgumentError(absl::StrCat(
        absl::string_view(name.data(), name.size()), "=\"", absl::string_view(value.data(), value.size()), "\" is not a user or group id (a decimal number below 4294967295)"));
  }
  return static_cast<uint32_t>(id);
}

namespace {

// What initgroups(name, gid) would set: the groups that list `name` as a
// member, and `gid`.
std::vector<gid_t> GroupsOf(const std::string& name, gid_t gid) {
  std::vector<gid_t> groups(32);
  for (;;) {
    int n = static_cast<int>(groups.size());
    if (getgrouplist(name.c_str(), gid, groups.data(), &n) >= 0) {
      groups.resize(static_cast<size_t>(n));
      break;
    }
    // -1: too small; n now holds the size needed.
    if (n <= static_cast<int>(groups.size()) || n > 65536) return {gid};
    groups.resize(static_cast<size_t>(n));
  }
  if (std::find(groups.begin(), groups.end(), gid) == groups.end()) {
    groups.push_back(gid);
  }
  return groups;
}

}  // namespace

absl::StatusOr<std::optional<Identity>> PlanIdentity(
    uid_t euid, bool as_root, const std::optional<std::string>& sudo_uid,
    const std::optional<std::string>& sudo_gid) {
  // Validate even when the values will not be used: a malformed SUDO_UID
  // is a mistake worth saying at once, whatever the options.
  std::optional<uint32_t> uid, gid;
  if (sudo_uid.has_value()) {
    absl::StatusOr<uint32_t> id = ParseId("SUDO_UID", *sudo_uid);
    if (!id.ok()) return id.status();
    uid = *id;
  }
  if (sudo_gid.has_value()) {
    absl::StatusOr<uint32_t> id = ParseId("SUDO_GID", *sudo_gid);
    if (!id.ok()) return id.status();
    gid = *id;
  }
  if (euid != 0 || as_root || !uid.has_value() || *uid == 0) {
    return std::optional<Identity>();
  }
  if (!gid.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SUDO_UID=", *uid, " is set but SUDO_GID is not: cannot tell which group to run the "
        "command as"));
  }
  Identity identity;
  identity.uid = *uid;
  identity.gid = *gid;
  identity.user_name =
      scan::SystemUserName(identity.uid).value_or("");
  identity.groups = identity.user_name.empty()
                        ? std::vector<gid_t>{identity.gid}
                        : GroupsOf(identity.user_name, identity.gid);
  return std::optional<Identity>(std::move(identity));
}

}  // namespace memstats::exec
