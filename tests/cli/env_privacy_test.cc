// Environment values never appear in any output unless the user named the
// variable with --split-env. Every command (groups, single, top, snapshot)
// with its options runs on both fixture trees (tests/fixtures/basic: PATH, HOME, APP,
// APP_NAME, LANG; tests/fixtures/profile: every environ holds
// API_TOKEN=s3cret-token); no value of a variable not named by --split-env
// may show in stdout or stderr, whatever the filters read.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "gtest/gtest.h"
#include "run_memstats.h"
#include "test_util.h"

namespace memstats::testing {
namespace {

struct Fixture {
  std::string dir;                  // under tests/fixtures
  std::vector<std::string> pids;    // process directories with an environ
};

const Fixture kFixtures[] = {
    {"basic", {"100", "200", "300"}},
    {"profile", {"100", "200", "201", "300", "400"}},
};

// Every value of every variable in the fixture's environ files, by name,
// except those that are also the text of an identity file memstats prints
// from (basic's APP=web is in pid 100's cgroup path, APP=db in pid 200's
// cmdline).
std::vector<std::pair<std::string, std::string>> EnvValues(const Fixture& f) {
  std::string identity;
  for (const std::string& pid : f.pids) {
    for (const char* file : {"cmdline", "cgroup", "status", "stat"}) {
      identity += ReadFixture(f.dir + "/" + pid + "/" + file);
    }
    std::error_code ec;  // exe is a symlink: its target, not the program
    identity += std::filesystem::read_symlink(
                    std::string(MEMSTATS_FIXTURES_DIR "/") + f.dir + "/" + pid +
                        "/exe", ec).string();
  }
  std::vector<std::pair<std::string, std::string>> vars;
  for (const std::string& pid : f.pids) {
    std::string text = ReadFixture(f.dir + "/" + pid + "/environ");
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\0', start);
      if (end == std::string::npos) end = text.size();
      std::string entry = text.substr(start, end - start);
      size_t eq = entry.find('=');
      if (eq != std::string::npos &&
          identity.find(entry.substr(eq + 1)) == std::string::npos) {
        vars.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
      }
      start = end + 1;
    }
  }
  return vars;
}

// Where map writes its picture (its legend goes to stdout too).
std::string MapOutput() {
  return (std::filesystem::temp_directory_path() /
          ("memstats_env_privacy_" + std::to_string(::getpid()) + ".png"))
      .string();
}

// The subcommand lines: every splitter alone, all of them at once, single,
// and the commands of the whole machine (map and shm name groups by
// --split-env values too).
std::vector<std::vector<std::string>> Commands() {
  std::vector<std::vector<std::string>> c = {
      {"groups"},
      {"groups", "--split-uid"},
      {"groups", "--split-user"},
      {"groups", "--split-comm"},
      {"groups", "--split-exe"},
      {"groups", "--split-cgroup"},
      {"groups", "--split-pids", "100,200"},
      {"groups", "--split-custom", "env_k(API_TOKEN),env_kv(APP,web),uid(0)"},
      {"groups", "--split-env", "APP"},
      {"groups", "--split-env", "LANG"},
      {"groups", "--split-uid", "--split-user", "--split-comm", "--split-exe",
       "--split-cgroup", "--split-pids", "100", "--split-custom",
       "env_k(HOME)", "--split-env", "APP_NAME"},
      {"single"},
      // The proportional views read full smaps and task lists, and name
      // processes by their command lines.
      {"top"},
      {"top", "-g", "cmd", "-L", "200"},
      {"top", "-g", "pid", "--tsv"},
      {"top", "-g", "cgroup", "-t", "90"},
      {"snapshot"},
      {"snapshot", "-c", "nginx", "-m", "bf"},
      {"snapshot", "python3", "-m", ""},
      {"map", "-o", MapOutput(), "--split-env", "LANG"},
      {"shm", "--split-env", "LANG"},
      {"system"},
  };
  return c;
}

// Global options put before the subcommand.
std::vector<std::vector<std::string>> GlobalOptionSets() {
  std::vector<std::vector<std::string>> sets;
  for (const char* filter :
       {"", "env_k(API_TOKEN)", "or(env_kv(API_TOKEN,nope),env_kv(PATH,x))",
        "and(env_k(HOME),not(env_kv(LANG,fr)))", "env_kv(API_TOKEN"}) {
    for (bool json : {false, true}) {
      for (bool list : {false, true}) {
        std::vector<std::string> o;
        if (*filter) o.insert(o.end(), {"--filter", filter});
        if (json) o.push_back("--json");
        if (list) o.push_back("--list-processes");
        sets.push_back(o);
      }
    }
  }
  sets.push_back({"--units", "B"});
  return sets;
}

// Variables named by --split-env in `args`.
std::set<std::string> SplitEnvNames(const std::vector<std::string>& args) {
  std::set<std::string> names;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--split-env") names.insert(args[i + 1]);
  }
  return names;
}

std::string Join(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

// For scripts/sanitize.sh, where a sanitized memstats takes about 1 s a
// run and the 924 runs below would take over 15 minutes:
// MEMSTATS_PRIVACY_STRIDE=N runs only the combinations with (fixture +
// command + option set) % N == 0. With N at most the 22 commands and 21 option
// sets, every command still runs on both fixtures and every option set
// with several commands; the normal build runs them all.
int Stride() {
  const char* v = std::getenv("MEMSTATS_PRIVACY_STRIDE");
  const int n = v != nullptr ? std::atoi(v) : 0;
  return n > 0 ? n : 1;
}

TEST(EnvPrivacyTest, NoUnnamedValueInAnyOutput) {
  const int stride = Stride();
  int runs = 0;
  int combinations = 0;
  int fixture_index = 0;
  for (const Fixture& f : kFixtures) {
    const auto vars = EnvValues(f);
    // basic: PATH (twice), HOME (twice), APP_NAME, LANG; profile: PATH,
    // API_TOKEN and LANG of 5 processes.
    ASSERT_EQ(vars.size(), f.dir == "basic" ? 6u : 15u) << f.dir;
    const auto commands = Commands();
    const auto option_sets = GlobalOptionSets();
    for (size_t c = 0; c < commands.size(); ++c) {
      const auto& command = commands[c];
      for (size_t g = 0; g < option_sets.size(); ++g) {
        const auto& global = option_sets[g];
        ++combinations;
        if ((fixture_index + c + g) % stride != 0) continue;
        std::vector<std::string> args = {
            "--procfs-root", std::string(MEMSTATS_FIXTURES_DIR "/") + f.dir,
            "--threads", "1"};
        args.insert(args.end(), global.begin(), global.end());
        args.insert(args.end(), command.begin(), command.end());
        RunResult r = RunMemstats(args);
        ++runs;
        ASSERT_NE(r.exit_code, -1) << Join(args);
        // Every run succeeds but those with the unterminated filter, with
        // --json and --tsv together or with --list-processes for top or
        // snapshot, so the check below looks at reports.
        auto has = [&args](const char* a) {
          return std::find(args.begin(), args.end(), a) != args.end();
        };
        // --list-processes does nothing for top, snapshot, map, shm and
        // system, --filter nothing for system: refused.
        const bool bad =
            has("env_kv(API_TOKEN") || (has("--json") && has("--tsv")) ||
            (has("--list-processes") &&
             (has("top") || has("snapshot") || has("map") || has("shm") ||
              has("system"))) ||
            (has("--filter") && has("system"));
        // map needs kpageflags, which only the basic fixture has.
        const bool no_kpageflags = !bad && has("map") && f.dir != "basic";
        EXPECT_EQ(r.exit_code, bad ? 2 : no_kpageflags ? 1 : 0)
            << Join(args) << "\n" << r.err;
        const std::set<std::string> named = SplitEnvNames(args);
        for (const auto& [name, value] : vars) {
          if (named.count(name)) continue;
          EXPECT_EQ(r.out.find(value), std::string::npos)
              << name << "=" << value << " in stdout of " << Join(args);
          EXPECT_EQ(r.err.find(value), std::string::npos)
              << name << "=" << value << " in stderr of " << Join(args);
        }
      }
    }
    ++fixture_index;
  }
  std::filesystem::remove(MapOutput());
  // 2 fixtures x 22 command lines x (5 filters x 2 x 2 + 1).
  EXPECT_EQ(combinations, 2 * 22 * 21);
  if (stride == 1) {
    EXPECT_EQ(runs, 2 * 22 * 21);
  }
  EXPECT_GE(runs, 2 * 22 * 21 / stride) << "stride " << stride;
}

// The check above can fail: a variable named by --split-env does show its
// values (as group names), in text and in JSON.
TEST(EnvPrivacyTest, NamedVariableShowsItsValues) {
  for (bool json : {false, true}) {
    std::vector<std::string> args = {"groups", "--split-env", "HOME"};
    if (json) args.insert(args.begin(), "--json");
    RunResult r = RunOnFixture(args);
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_NE(r.out.find("/home/user"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("/root"), std::string::npos) << r.out;
  }
}

// Every command's --help, and a bad filter naming a variable.
TEST(EnvPrivacyTest, HelpAndErrorsShowNoValue) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"groups", "--help"}, {"single", "--help"},
           {"top", "--help"}, {"snapshot", "--help"},
           {"--filter", "env_kv(API_TOKEN,", "single"},
           {"--filter", "env_q(API_TOKEN)", "groups"},
           {"groups", "--split-env"}}) {
    std::vector<std::string> all = {"--procfs-root",
                                    MEMSTATS_FIXTURES_DIR "/profile"};
    all.insert(all.end(), args.begin(), args.end());
    RunResult r = RunMemstats(all);
    EXPECT_NE(r.exit_code, -1);
    EXPECT_EQ((r.out + r.err).find("s3cret-token"), std::string::npos)
        << Join(all);
  }
}

}  // namespace
}  // namespace memstats::testing
