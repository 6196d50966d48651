// memstats serve scraped by the real Prometheus (Debian's /usr/bin/prometheus):
// memstats_layout_helper's processes with a known layout, exported split by
// their role variable, arrive in Prometheus with the numbers that the
// independent checker (independent_pagemap.py: PFN set differences, smaps)
// finds for the same processes. A second exporter, over processes whose
// variable holds quotes, backslashes, newlines, invalid UTF-8 and text that
// looks like exposition, must come through with those names intact (the
// invalid byte as U+FFFD). `promtool check metrics` checks both
// expositions. Everything started here is stopped at the end, also on
// failure (destructors).
//
// Tolerance: the helper's processes do not change while they wait, so
// processes, RSS, anonymous USS and swap are exact. USS is exact but for
// file pages (page cache that processes outside the group can start or
// stop mapping between the checker's scan and memstats's): memstats's USS
// minus the checker's non-file USS lies in [0, the checker's file RSS].
// PSS is the smaps sum within 256 KiB per process (shared libraries' PSS
// moves with every process that maps them).
//
// Needs root (pagemap PFNs).
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "e2e/layout_process.h"
#include "exec/exec_test_util.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "serve/serve_process.h"
#include "subprocess.h"

namespace memstats::testing {
namespace {

using nlohmann::json;

constexpr char kNastyKey[] = "MEMSTATS_NASTY";
// Environment values that need every escape, and what Prometheus must
// store as the group label.
const std::vector<std::pair<std::string, std::string>> kNasty = {
    {"a\"b\\c\nd\xff e", "a\"b\\c\nd\xef\xbf\xbd e"},
    {"x\"} 1\n# EOF\nfake{a=\"", "x\"} 1\n# EOF\nfake{a=\""},
};
constexpr int64_t kPssSlackPerProcess = 256 * 1024;

std::string Join(const std::vector<pid_t>& pids) {
  std::string s;
  for (pid_t p : pids) s += (s.empty() ? "" : ",") + std::to_string(p);
  return s;
}

// A loopback port nobody listens on now (Prometheus cannot be asked to
// pick one and say which).
int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (fd >= 0 &&
      ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

// Processes that only sleep, each with kNastyKey=<value> as its whole
// environment; killed and reaped by the destructor.
class Sleepers {
 public:
  explicit Sleepers(const std::vector<std::string>& values) {
    for (const std::string& v : values) {
      pids_.push_back(Spawn({"/bin/sleep", "120"},
                            std::vector<std::string>{std::string(kNastyKey) +
                                                     "=" + v},
                            -1, -1, 2));
    }
  }
  ~Sleepers() {
    for (pid_t p : pids_) {
      if (p > 0) WaitOrKill(p, 0);
    }
  }

 private:
  std::vector<pid_t> pids_;
};

// Prometheus on a free loopback port, scraping `targets` every second, its
// data in `dir`. The destructor stops it (SIGTERM, SIGKILL after 10 s).
class Prometheus {
 public:
  Prometheus(const std::string& dir, const std::vector<int>& targets)
      : dir_(dir), port_(FreeLoopbackPort()) {
    std::ofstream config(dir + "/prometheus.yml");
    config << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
           << "scrape_configs:\n  - job_name: memstats\n"
           << "    static_configs:\n      - targets: [";
    for (size_t i = 0; i < targets.size(); ++i) {
      config << (i ? ", " : "") << "'127.0.0.1:" << targets[i] << "'";
    }
    config << "]\n";
    config.close();
    const int log = ::open((dir + "/prometheus.log").c_str(),
                           O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    pid_ = Spawn({"/usr/bin/prometheus", "--config.file=" + dir +
                  "/prometheus.yml", "--storage.tsdb.path=" + dir + "/data",
                  "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
                 std::nullopt, -1, log, log);
    if (log >= 0) ::close(log);
  }
  ~Prometheus() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      WaitOrKill(pid_, 10000);
    }
  }

  // The result vector of an instant query (null when Prometheus did not
  // answer with success).
  json Query(const std::string& expr) const {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(2);
    client.set_read_timeout(5);
    auto res = client.Get("/api/v1/query", httplib::Params{{"query", expr}},
                          httplib::Headers{});
    if (!res || res->status != 200) return json();
    json j = json::parse(res->body, nullptr, false);
    if (j.is_discarded() || j.value("status", "") != "success") return json();
    return j["data"]["result"];
  }

  std::string Log() const {
    std::ifstream f(dir_ + "/prometheus.log");
    return std::string(std::istreambuf_iterator<char>(f), {});
  }

 private:
  std::string dir_;
  int port_;
  pid_t pid_ = -1;
};

// label value of `label` -> sample value, for every series of a query.
std::map<std::string, double> ByLabel(const json& result,
                                      const std::string& label) {
  std::map<std::string, double> out;
  if (!result.is_array()) return out;
  for (const json& s : result) {
    out[s["metric"].value(label, "")] =
        std::stod(s["value"][1].get<std::string>());
  }
  return out;
}

// A number of the checker's JSON (bytes, or a count).
double N(const json& g, const char* field) { return g.at(field).get<double>(); }

// `promtool check metrics` on an exposition: its exit code and output.
RunResult Promtool(const std::string& dir, const std::string& exposition) {
  const std::string path = dir + "/exposition.txt";
  std::ofstream(path) << exposition;
  return RunCommand({"/bin/sh", "-c",
                     "exec /usr/bin/promtool check metrics < \"$0\"", path});
}

class ServePrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root: pagemap shows PFNs only with CAP_SYS_ADMIN";
    lock_ = std::make_unique<LiveTestLock>();
  }
  std::unique_ptr<LiveTestLock> lock_;
};

TEST_F(ServePrometheusTest, SeriesArriveWithTheLayoutsNumbers) {
  LayoutHelper h;
  ASSERT_TRUE(h.ok()) << h.error();
  const std::string split = std::string("env:") + kEnvKey;
  ServeProcess layout({MemstatsBinary(), "--filter",
                       "descendants(" + std::to_string(h.parent()) + ")",
                       "serve", "--listen", "127.0.0.1:0", "--interval", "1s",
                       "--split-env", kEnvKey});
  ASSERT_GT(layout.port(), 0) << layout.first_line();
  Sleepers sleepers({kNasty[0].first, kNasty[1].first});
  ServeProcess nasty({MemstatsBinary(), "--filter",
                      std::string("env_k(") + kNastyKey + ")", "serve",
                      "--listen", "127.0.0.1:0", "--interval", "1s",
                      "--split-env", kNastyKey});
  ASSERT_GT(nasty.port(), 0) << nasty.first_line();
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  Prometheus prometheus(dir.path(), {layout.port(), nasty.port()});

  // While Prometheus starts: the independent numbers, and promtool.
  std::map<std::string, std::vector<pid_t>> roles = {{"parent", {h.parent()}}};
  for (size_t i = 0; i < h.children().size(); ++i) {
    roles[i % 2 == 0 ? "childA" : "childB"].push_back(h.children()[i]);
  }
  std::vector<std::string> args = {PYTHON3, INDEPENDENT_CHECKER};
  for (const auto& [name, pids] : roles) {
    args.push_back("--group");
    args.push_back(name + "=" + Join(pids));
  }
  RunResult checked = RunCommand(args);
  ASSERT_EQ(checked.exit_code, 0) << checked.Describe();
  const json c = json::parse(checked.out);
  for (ServeProcess* serve : {&layout, &nasty}) {
    HttpResult text = serve->WaitFor200("/metrics", 10000);
    ASSERT_EQ(text.status, 200);
    RunResult lint = Promtool(dir.path(), text.body);
    EXPECT_EQ(lint.exit_code, 0) << lint.Describe() << "\n" << text.body;
    EXPECT_EQ(lint.out + lint.err, "") << text.body;
  }

  // Wait for every series: a few seconds (Prometheus's start, then a scrape
  // a second).
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::map<std::string, double> rss, nasty_procs;
  while (std::chrono::steady_clock::now() < deadline) {
    rss = ByLabel(prometheus.Query("memstats_group_rss_bytes{split=\"" +
                                   split + "\"}"),
                  "group");
    nasty_procs = ByLabel(
        prometheus.Query(std::string("memstats_group_processes{split=\"env:") +
                         kNastyKey + "\"}"),
        "group");
    if (rss.size() == 3 && nasty_procs.size() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(rss.size(), 3u) << prometheus.Log();
  ASSERT_EQ(nasty_procs.size(), 2u) << prometheus.Log();
  for (const auto& [value, label] : kNasty) {
    EXPECT_EQ(nasty_procs.count(label), 1u) << json(nasty_procs).dump();
    EXPECT_EQ(nasty_procs[label], 1);
  }

  auto query = [&](const std::string& metric) {
    return ByLabel(prometheus.Query("memstats_group_" + metric + "{split=\"" +
                                    split + "\"}"),
                   "group");
  };
  const std::map<std::string, double> uss = query("uss_bytes"),
                                      pss = query("pss_bytes"),
                                      anon_uss = query("anon_uss_bytes"),
                                      swap = query("swap_bytes"),
                                      procs = query("processes");
  for (const auto& [name, pids] : roles) {
    const json& g = c["groups"][name];
    SCOPED_TRACE(name + "\nchecker: " + g.dump());
    EXPECT_EQ(procs.at(name), static_cast<double>(pids.size()));
    EXPECT_EQ(procs.at(name), N(g, "processes"));
    EXPECT_EQ(rss.at(name), N(g, "rss"));
    EXPECT_EQ(anon_uss.at(name), N(g, "anon_uss"));
    EXPECT_EQ(swap.at(name), N(g, "swap_rss"));
    const double non_file_uss = N(g, "uss") - N(g, "file_uss");
    EXPECT_GE(uss.at(name), non_file_uss);
    EXPECT_LE(uss.at(name), non_file_uss + N(g, "file_rss"));
    EXPECT_NEAR(pss.at(name), N(g["smaps"], "pss"),
                kPssSlackPerProcess * static_cast<double>(pids.size()));
  }
  const std::map<std::string, double> scanned = ByLabel(
      prometheus.Query("memstats_scan_processes"), "instance");
  EXPECT_EQ(scanned.at("127.0.0.1:" + std::to_string(layout.port())),
            1 + kChildren);
  EXPECT_EQ(scanned.at("127.0.0.1:" + std::to_string(nasty.port())), 2);
  const std::map<std::string, double> up =
      ByLabel(prometheus.Query("up"), "instance");
  EXPECT_EQ(up.size(), 2u);
  for (const auto& [instance, value] : up) EXPECT_EQ(value, 1) << instance;

  EXPECT_EQ(layout.Stop(SIGTERM, 10000), 0);
  EXPECT_EQ(nasty.Stop(SIGTERM, 10000), 0);
}

}  // namespace
}  // namespace memstats::testing
