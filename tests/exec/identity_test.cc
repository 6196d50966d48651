// Whom the command runs as, decided from SUDO_UID / SUDO_GID values passed
// in (no environment, no set*id calls: those are in command_live_test.cc).
#include "exec/identity.h"

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "test_util.h"

namespace memstats::exec {
namespace {

TEST(ParseIdTest, Table) {
  struct Case {
    std::string value;
    bool ok;
    uint32_t id;
  };
  const std::vector<Case> cases = {
      {"0", true, 0},           {"1000", true, 1000},      {"65534", true, 65534},
      {"4294967294", true, 4294967294u},
      {"4294967295", false, 0},  // (uid_t)-1: "leave unchanged" to setuid
      {"4294967296", false, 0},  {"99999999999", false, 0}, {"", false, 0},
      {"-1", false, 0},          {"+5", false, 0},          {" 5", false, 0},
      {"5 ", false, 0},          {"12a", false, 0},         {"0x10", false, 0},
  };
  for (const Case& c : cases) {
    absl::StatusOr<uint32_t> id = ParseId("SUDO_UID", c.value);
    EXPECT_EQ(id.ok(), c.ok) << "\"" << c.value << "\"";
    if (c.ok && id.ok()) {
      EXPECT_EQ(*id, c.id);
    } else if (!id.ok()) {
      EXPECT_TRUE(absl::IsInvalidArgument(id.status()));
      EXPECT_NE(id.status().message().find("SUDO_UID=\"" + c.value + "\""), std::string::npos)
          << id.status();
    }
  }
}

TEST(PlanIdentityTest, StaysWhenNotRootAsRootNoSudoOrSudoUidZero) {
  const std::optional<std::string> uid = "1000", gid = "1000", zero = "0", none;
  for (auto [euid, as_root, sudo_uid] :
       std::vector<std::tuple<uid_t, bool, std::optional<std::string>>>{
           {1000, false, uid}, {0, true, uid}, {0, false, none}, {0, false, zero}}) {
    absl::StatusOr<std::optional<Identity>> plan = PlanIdentity(euid, as_root, sudo_uid, gid);
    ASSERT_OK(plan);
    EXPECT_FALSE(plan->has_value()) << euid << " " << as_root << " " << sudo_uid.value_or("unset");
  }
}

TEST(PlanIdentityTest, MalformedValuesAreRefusedWhateverTheOptions) {
  for (bool as_root : {false, true}) {
    absl::StatusOr<std::optional<Identity>> plan = PlanIdentity(0, as_root, "10OO", "1000");
    EXPECT_TRUE(absl::IsInvalidArgument(plan.status())) << plan.status();
    plan = PlanIdentity(0, as_root, "1000", "");
    EXPECT_TRUE(absl::IsInvalidArgument(plan.status())) << plan.status();
  }
}

TEST(PlanIdentityTest, SudoUidWithoutSudoGidIsRefused) {
  absl::StatusOr<std::optional<Identity>> plan = PlanIdentity(0, false, "1000", std::nullopt);
  EXPECT_TRUE(absl::IsInvalidArgument(plan.status())) << plan.status();
  EXPECT_NE(plan.status().message().find("SUDO_GID"), std::string::npos);
}

TEST(PlanIdentityTest, UnknownUserGetsOnlyItsGid) {
  // No passwd entry for this uid on any sane test machine.
  absl::StatusOr<std::optional<Identity>> plan = PlanIdentity(0, false, "3999999999", "3999999998");
  ASSERT_OK(plan);
  ASSERT_TRUE(plan->has_value());
  EXPECT_EQ((*plan)->uid, 3999999999u);
  EXPECT_EQ((*plan)->gid, 3999999998u);
  EXPECT_EQ((*plan)->user_name, "");
  EXPECT_EQ((*plan)->groups, std::vector<gid_t>{3999999998u});
  EXPECT_EQ((*plan)->Describe(), "uid 3999999999, gid 3999999998");
}

TEST(PlanIdentityTest, KnownUserGetsItsGroupsAndTheGid) {
  // 65534 is "nobody" on Debian; where it has no passwd entry this takes
  // the unknown-user path, and what is checked holds all the same.
  absl::StatusOr<std::optional<Identity>> plan = PlanIdentity(0, false, "65534", "4000000");
  ASSERT_OK(plan);
  ASSERT_TRUE(plan->has_value());
  const Identity& id = **plan;
  // SUDO_GID is always among the groups, as initgroups(name, gid) adds it.
  EXPECT_NE(std::find(id.groups.begin(), id.groups.end(), 4000000u), id.groups.end());
  if (!id.user_name.empty()) {
    EXPECT_EQ(id.Describe(), "uid 65534 (" + id.user_name + "), gid 4000000");
  }
}

}  // namespace
}  // namespace memstats::exec
