// memstats serve, the binary, on tests/fixtures/basic: /healthz, /metrics
// in both formats with the numbers `memstats groups --json` prints for the
// same fixture, --max-groups folding into an honest "other", 404, clean
// exit on SIGTERM and SIGINT; and its bad input (exit 2, one message, no
// output).
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cli/run_memstats.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "serve/serve_process.h"

namespace memstats::testing {
namespace {

using nlohmann::json;

constexpr int kExitBadInput = 2;
constexpr char kExpectedListen[] =
    " (expected HOST:PORT with HOST an IPv4 address, [IPv6 address] or "
    "localhost, and PORT from 0 to 65535)";

std::vector<std::string> ServeArgv(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {MemstatsBinary(), "--procfs-root", kFixture,
                                   "serve", "--listen", "127.0.0.1:0",
                                   "--interval", "1s"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

json GroupsJson(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"groups", "--json"};
  all.insert(all.end(), args.begin(), args.end());
  RunResult r = RunOnFixture(all);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  return json::parse(r.out, nullptr, false);
}

// Every group metric of `split` (JSON) against the scraped samples.
void ExpectGroupsMatch(const std::map<std::string, double>& samples,
                       const json& split, const std::string& label,
                       const std::string& rename_from = "",
                       const std::string& rename_to = "") {
  ASSERT_TRUE(split.is_object());
  for (const json& g : split["groups"]) {
    std::string name = g["name"].get<std::string>();
    if (name == rename_from) name = rename_to;
    SCOPED_TRACE(name);
    const std::map<std::string, const char*> fields = {
        {"processes", "processes"}, {"rss_bytes", "rss"},
        {"uss_bytes", "uss"},       {"pss_bytes", "pss"},
        {"anon_uss_bytes", "anon_uss"}, {"swap_bytes", "swap_rss"}};
    for (const auto& [metric, field] : fields) {
      auto it = samples.find(GroupSeries(metric, label, name));
      ASSERT_NE(it, samples.end()) << GroupSeries(metric, label, name);
      EXPECT_EQ(it->second, g[field].get<double>()) << metric;
    }
  }
}

TEST(ServeCli, HealthzMetricsAndSigterm) {
  ServeProcess serve(ServeArgv({"--split-uid", "--split-comm"}));
  ASSERT_GT(serve.port(), 0) << serve.first_line();
  EXPECT_EQ(serve.first_line(),
            "memstats: serving http://127.0.0.1:" +
                std::to_string(serve.port()) +
                "/metrics, a scan every 1 s\n");
  HttpResult health = serve.WaitFor200("/healthz", 20000);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");

  HttpResult text = HttpGet(serve.port(), "/metrics");
  ASSERT_EQ(text.status, 200);
  EXPECT_EQ(text.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::map<std::string, double> samples = ParseSamples(text.body);
  const json groups = GroupsJson({"--split-uid", "--split-comm"});
  ASSERT_EQ(groups["splits"].size(), 2u);
  ExpectGroupsMatch(samples, groups["splits"][0], "uid");
  ExpectGroupsMatch(samples, groups["splits"][1], "comm");
  EXPECT_EQ(samples.at("memstats_scan_processes"), 3);
  EXPECT_EQ(samples.at("memstats_scan_vanished_processes"), 0);
  EXPECT_EQ(samples.at("memstats_scan_page_level"), 1);
  EXPECT_EQ(samples.at("memstats_scan_failures_total"), 0);
  EXPECT_GT(samples.at("memstats_self_rss_bytes"), 0);
  // A scan every second: the last one finished less than ~2 s ago.
  EXPECT_GE(samples.at("memstats_scan_age_seconds"), 0);
  EXPECT_LT(samples.at("memstats_scan_age_seconds"), 5);
  EXPECT_NE(text.body.find("\n# TYPE memstats_group_rss_bytes gauge\n"),
            std::string::npos);

  HttpResult om = HttpGet(serve.port(), "/metrics",
                          "application/openmetrics-text; version=1.0.0");
  ASSERT_EQ(om.status, 200);
  EXPECT_EQ(om.content_type,
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
  ASSERT_GE(om.body.size(), 6u);
  EXPECT_EQ(om.body.substr(om.body.size() - 6), "# EOF\n");
  EXPECT_NE(om.body.find("\n# TYPE memstats_build info\n"), std::string::npos);

  HttpResult missing = HttpGet(serve.port(), "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "not found: memstats serves /metrics and /healthz\n");

  std::string rest;
  EXPECT_EQ(serve.Stop(SIGTERM, 10000, &rest), 0);
  EXPECT_EQ(rest, "memstats: stopped by SIGTERM\n");
}

TEST(ServeCli, SigintExitsZero) {
  ServeProcess serve(ServeArgv({}));
  ASSERT_GT(serve.port(), 0) << serve.first_line();
  EXPECT_EQ(serve.WaitFor200("/metrics", 20000).status, 200);
  std::string rest;
  EXPECT_EQ(serve.Stop(SIGINT, 10000, &rest), 0);
  EXPECT_EQ(rest, "memstats: stopped by SIGINT\n");
}

// Prometheus keeps its connection open between scrapes: SIGTERM must not
// wait for the client to close it. The server drops an idle connection
// after 1 s; cpp-httplib's default (5 s) would run past the 4 s allowed.
TEST(ServeCli, SigtermWithAnIdleKeepAliveConnection) {
  ServeProcess serve(ServeArgv({}));
  ASSERT_GT(serve.port(), 0) << serve.first_line();
  ASSERT_EQ(serve.WaitFor200("/metrics", 20000).status, 200);
  httplib::Client client("127.0.0.1", serve.port());
  client.set_keep_alive(true);
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(serve.Stop(SIGTERM, 4000), 0);
}

// --max-groups 2 on the comm split (P1, P2, bash): P1, the largest, keeps
// its name; P2 and bash are one group "other", with the numbers of a
// custom group of exactly those two processes (a union, not a sum).
TEST(ServeCli, MaxGroupsFoldsIntoAnHonestOther) {
  ServeProcess serve(ServeArgv({"--split-comm", "--max-groups", "2"}));
  ASSERT_GT(serve.port(), 0) << serve.first_line();
  HttpResult text = serve.WaitFor200("/metrics", 20000);
  ASSERT_EQ(text.status, 200);
  const std::map<std::string, double> samples = ParseSamples(text.body);
  int series = 0;
  for (const auto& [name, value] : samples) {
    if (name.rfind("memstats_group_processes{", 0) == 0) ++series;
  }
  EXPECT_EQ(series, 2) << text.body;

  const std::string custom = "or(comm(P2),comm(bash))";
  json j = GroupsJson({"--split-custom", custom});
  ASSERT_EQ(j["splits"].size(), 1u);
  json& groups = j["splits"][0]["groups"];
  // Only the custom group: P1 is "Other" there.
  for (size_t i = 0; i < groups.size(); ++i) {
    if (groups[i]["name"] != custom) groups.erase(i--);
  }
  ASSERT_EQ(groups.size(), 1u);
  ExpectGroupsMatch(samples, j["splits"][0], "comm", custom, "other");
  const json p1 = GroupsJson({"--split-comm"});
  ASSERT_EQ(p1["splits"][0]["groups"][0]["name"], "P1");
  EXPECT_EQ(samples.at(GroupSeries("rss_bytes", "comm", "P1")),
            p1["splits"][0]["groups"][0]["rss"].get<double>());
  EXPECT_EQ(serve.Stop(SIGTERM, 10000), 0);
}

// The whole of stderr must equal `err`; nothing on stdout.
void ExpectBadInput(const std::vector<std::string>& args,
                    const std::string& err) {
  std::vector<std::string> all = {"serve"};
  all.insert(all.end(), args.begin(), args.end());
  RunResult r = RunOnFixture(all);
  EXPECT_EQ(r.exit_code, kExitBadInput) << r.Describe();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, err);
}

TEST(ServeCli, BadInterval) {
  ExpectBadInput({"--interval", "soon"},
                 "memstats: error: --interval: expected seconds or a duration "
                 "such as 90s, 30m, 1h, got 'soon'\n");
  ExpectBadInput({"--interval", "0"},
                 "memstats: error: --interval: expected a number of seconds "
                 "above 0 and at most 604800 (a week), got 0\n");
  ExpectBadInput({"--interval", "-5s"},
                 "memstats: error: --interval: expected a number of seconds "
                 "above 0 and at most 604800 (a week), got -5\n");
}

TEST(ServeCli, BadListen) {
  ExpectBadInput({"--listen", "127.0.0.1"},
                 std::string("memstats: error: --listen '127.0.0.1': no port") +
                     kExpectedListen + "\n");
  ExpectBadInput({"--listen", "127.0.0.1:70000"},
                 std::string("memstats: error: --listen '127.0.0.1:70000': "
                             "bad port '70000'") +
                     kExpectedListen + "\n");
  ExpectBadInput({"--listen", "db01:9952"},
                 std::string("memstats: error: --listen 'db01:9952': 'db01' "
                             "is not an IP address") +
                     kExpectedListen + "\n");
}

TEST(ServeCli, NonLoopbackNeedsAllowRemote) {
  ExpectBadInput({"--listen", "0.0.0.0:9952"},
                 "memstats: error: --listen 0.0.0.0:9952: not a loopback "
                 "address; memory figures of every process would be open to "
                 "the network. Add --allow-remote to serve there\n");
  ExpectBadInput({"--listen", "[::]:9952"},
                 "memstats: error: --listen [::]:9952: not a loopback "
                 "address; memory figures of every process would be open to "
                 "the network. Add --allow-remote to serve there\n");
}

TEST(ServeCli, MaxGroupsBelowOne) {
  ExpectBadInput({"--max-groups", "0"},
                 "memstats: error: --max-groups: must be at least 1, got 0\n");
}

TEST(ServeCli, OptionsServeIgnores) {
  RunResult r = RunOnFixture({"--json", "serve"});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_EQ(r.err,
            "memstats: error: --json does nothing for serve: serve answers in "
            "the Prometheus text format\n");
}

TEST(ServeCli, AddressInUse) {
  // A socket of ours listening on a free loopback port.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  ExpectBadInput({"--listen", "127.0.0.1:" + port},
                 "memstats: error: --listen 127.0.0.1:" + port +
                     ": address already in use\n");
  ::close(fd);
}

// The HTTP server is a module (memstats-http.so) loaded from beside the
// binary or ../lib/<multiarch>/memstats: a binary without one says where it
// looked, and one that others could have replaced (writable by group, a
// symbolic link) is refused by name. Exit 1 (the installation, not the input,
// is wrong), nothing on stdout.
TEST(ServeCli, MissingOrUntrustedHttpModuleIsRefused) {
  char tmpl[] = "/tmp/memstats_module_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string binary = dir + "/memstats";
  const std::string module = dir + "/memstats-http.so";
  const std::string built = MemstatsBinary();
  const std::string built_module =
      built.substr(0, built.rfind('/')) + "/memstats-http.so";
  std::filesystem::copy_file(built, binary);
  auto serve = [&] {
    return RunCommand({binary, "--procfs-root", kFixture, "serve", "--listen",
                       "127.0.0.1:0", "--interval", "1s"});
  };
  RunResult r = serve();
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_EQ(r.out, "");
  // ../lib/x86_64-linux-gnu/memstats on Debian's amd64.
  EXPECT_TRUE(
      r.err.starts_with("memstats: error: the HTTP server: cannot "
                        "find memstats-http.so in " +
                        dir + " or " + dir + "/../lib/"))
      << r.err;
  EXPECT_TRUE(r.err.ends_with("/memstats\n")) << r.err;

  std::filesystem::copy_file(built_module, module);
  ASSERT_EQ(::chmod(module.c_str(), 0664), 0);
  struct stat st = {};
  ASSERT_EQ(::stat(module.c_str(), &st), 0);
  r = serve();
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_EQ(r.err, "memstats: error: the HTTP server: " + module +
                       ": writable by group " + std::to_string(st.st_gid) +
                       " (mode 0664)\n");

  ASSERT_EQ(::unlink(module.c_str()), 0);
  ASSERT_EQ(::symlink(built_module.c_str(), module.c_str()), 0);
  r = serve();
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_EQ(r.err, "memstats: error: the HTTP server: " + module +
                       ": Too many levels of symbolic links\n");

  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace memstats::testing
