// Who the command of `memstats run` runs as.
//
// memstats needs root to read page-level data, so people start it with
// sudo; the command they name should still run as themselves, as it would
// without memstats. sudo leaves the invoking user in SUDO_UID and SUDO_GID.
// The caller reads those variables (getenv) and passes their values here,
// so tests can pass any values.
//
// Everything that may allocate or take a lock (the passwd and group
// lookups) happens here, in the parent, before fork: the child of a
// multi-threaded process may only make async-signal-safe calls, which rules
// out initgroups(3) there. The child applies the result with setgroups,
// setgid and setuid (command.cc).
#ifndef MEMSTATS_EXEC_IDENTITY_H_
#define MEMSTATS_EXEC_IDENTITY_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace memstats::exec {

// The user the child switches to.
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  // Supplementary groups, as initgroups(3) would set them: the groups of
  // the user's passwd name plus `gid`; just {gid} when the uid has no passwd
  // entry.
  std::vector<gid_t> groups;
  std::string user_name;  // "" when the uid has no passwd entry

  // "uid 1000 (alice), gid 1000" for messages.
  std::string Describe() const;
};

// Parses a SUDO_UID / SUDO_GID value: decimal digits only, at most
// 4294967294 ((uid_t)-1 means "no change" to the set*id calls). `name` is
// the variable's name for the message. InvalidArgument otherwise.
absl::StatusOr<uint32_t> ParseId(std::string_view name, std::string_view value);

// Decides whom the child runs as. Returns nullopt (stay as this process)
// when `euid` is not 0, when `as_root` is set, when SUDO_UID is unset, or
// when SUDO_UID is 0. Otherwise the identity of SUDO_UID / SUDO_GID with the
// user's supplementary groups from the passwd and group databases.
// InvalidArgument when SUDO_UID or SUDO_GID is malformed, or when SUDO_UID
// is set without SUDO_GID. Checked before anything is started.
absl::StatusOr<std::optional<Identity>> PlanIdentity(
    uid_t euid, bool as_root, const std::optional<std::string>& sudo_uid,
    const std::optional<std::string>& sudo_gid);

}  // namespace memstats::exec

#endif  // MEMSTATS_EXEC_IDENTITY_H_
