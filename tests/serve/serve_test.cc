// memstats serve's parts without sockets: --listen parsing and the loopback
// rule, Accept negotiation, and the replies to /metrics and /healthz before
// and after the first scan.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "serve/exporter.h"
#include "serve/listen_address.h"
#include "serve/module_file.h"

namespace memstats::serve {
namespace {

TEST(ListenAddressTest, Accepted) {
  struct {
    const char* text;
    const char* host;
    int port;
    bool loopback;
  } cases[] = {
      {"127.0.0.1:9952", "127.0.0.1", 9952, true},
      {"127.1.2.3:0", "127.1.2.3", 0, true},
      {"localhost:80", "localhost", 80, true},
      {"[::1]:9952", "::1", 9952, true},
      {"0.0.0.0:9952", "0.0.0.0", 9952, false},
      {"192.168.1.20:65535", "192.168.1.20", 65535, false},
      {"[::]:9952", "::", 9952, false},
      {"[fe80::1]:1", "fe80::1", 1, false},
  };
  for (const auto& c : cases) {
    absl::StatusOr<ListenAddress> a = ParseListenAddress(c.text);
    ASSERT_TRUE(a.ok()) << c.text << ": " << a.status();
    EXPECT_EQ(a->host, c.host) << c.text;
    EXPECT_EQ(a->port, c.port) << c.text;
    EXPECT_EQ(a->loopback, c.loopback) << c.text;
  }
}

TEST(ListenAddressTest, Refused) {
  struct {
    const char* text;
    const char* why;
  } cases[] = {
      {"9952", "no port"},
      {"127.0.0.1", "no port"},
      {"127.0.0.1:", "bad port ''"},
      {"127.0.0.1:99999", "bad port '99999'"},
      {"127.0.0.1:-1", "bad port '-1'"},
      {"127.0.0.1:http", "bad port 'http'"},
      {":9952", "no host"},
      {"[]:9952", "no host"},
      {"::1:9952", "an IPv6 address goes in brackets"},
      {"example.com:9952", "'example.com' is not an IP address"},
      {"[127.0.0.1]:9952", "'127.0.0.1' is not an IP address"},
      {"[localhost]:9952", "'localhost' is not an IP address"},
      {"300.1.1.1:9952", "'300.1.1.1' is not an IP address"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<ListenAddress> a = ParseListenAddress(c.text);
    ASSERT_FALSE(a.ok()) << c.text;
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(a.status().message()),
              std::string("'") + c.text + "': " + c.why +
                  " (expected HOST:PORT with HOST an IPv4 address, [IPv6 "
                  "address] or localhost, and PORT from 0 to 65535)");
  }
}

TEST(ListenAddressTest, FormatHostPort) {
  EXPECT_EQ(FormatHostPort(*ParseListenAddress("127.0.0.1:0"), 4242),
            "127.0.0.1:4242");
  EXPECT_EQ(FormatHostPort(*ParseListenAddress("[::1]:0"), 4242),
            "[::1]:4242");
}

TEST(ExporterTest, WantsOpenMetrics) {
  // What Prometheus 2.42 sends.
  EXPECT_TRUE(WantsOpenMetrics(
      "application/openmetrics-text;version=1.0.0,application/"
      "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
      "*/*;q=0.1"));
  EXPECT_TRUE(WantsOpenMetrics("Application/OpenMetrics-Text"));
  EXPECT_FALSE(WantsOpenMetrics(""));
  EXPECT_FALSE(WantsOpenMetrics("*/*"));
  EXPECT_FALSE(WantsOpenMetrics("text/plain;version=0.0.4"));
  EXPECT_FALSE(WantsOpenMetrics("application/openmetrics-text;q=0"));
  EXPECT_FALSE(WantsOpenMetrics("application/openmetrics-textx"));
}

TEST(ExporterTest, RepliesBeforeAndAfterTheFirstScan) {
  LatestScan latest;
  const auto t0 = std::chrono::steady_clock::now();
  HttpReply m = MetricsReply(latest, "", t0, "9.9");
  EXPECT_EQ(m.status, 503);
  EXPECT_EQ(m.body, "memstats: no scan has completed yet\n");
  EXPECT_EQ(HealthReply(latest).status, 503);

  PublishedScan scan;
  scan.report.page_level = false;
  scan.report.scan.scanned = 3;
  scan.finished = t0;
  scan.finished_unix_seconds = 1000.5;
  scan.self_rss_bytes = 4096;
  latest.Publish(std::move(scan));
  latest.CountFailure();

  const HttpReply health = HealthReply(latest);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");

  // The age is taken at the scrape: 2.5 s after the scan finished.
  const auto later = t0 + std::chrono::milliseconds(2500);
  m = MetricsReply(latest, "text/plain", later, "9.9");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("\nmemstats_scan_age_seconds 2.500\n"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("\nmemstats_scan_timestamp_seconds 1000.500\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("\nmemstats_scan_processes 3\n"), std::string::npos);
  EXPECT_NE(m.body.find("\nmemstats_scan_failures_total 1\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("\nmemstats_self_rss_bytes 4096\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("\nmemstats_build_info{version=\"9.9\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(m.body.find("# EOF"), std::string::npos);

  m = MetricsReply(latest, "application/openmetrics-text; version=1.0.0",
                   later, "9.9");
  EXPECT_EQ(m.content_type,
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
  ASSERT_GE(m.body.size(), 6u);
  EXPECT_EQ(m.body.substr(m.body.size() - 6), "# EOF\n");
}

TEST(ExporterTest, ScrapesKeepTheScanTheyGot) {
  LatestScan latest;
  PublishedScan first;
  first.report.scan.scanned = 1;
  latest.Publish(std::move(first));
  std::shared_ptr<const PublishedScan> held = latest.Get();
  PublishedScan second;
  second.report.scan.scanned = 2;
  latest.Publish(std::move(second));
  EXPECT_EQ(held->report.scan.scanned, 1u);
  EXPECT_EQ(latest.Get()->report.scan.scanned, 2u);
}

// The HTTP module's file and directory (LoadModule): a regular file, owned
// by root, this user or the owner of the memstats binary (who decides what
// it runs already), and neither writable by anyone else. chown needs root,
// which CI is.
TEST(ModuleFileTest, OwnersAndModes) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
  char tmpl[] = "/tmp/memstats_module_file_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string path = dir + "/memstats-http.so";
  std::ofstream(path) << "not loaded here";
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(dir_fd, 0);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(CheckModuleFile(dir_fd, fd, 0, path).ok());

  ASSERT_EQ(::fchown(fd, 12345, static_cast<gid_t>(-1)), 0);
  EXPECT_EQ(CheckModuleFile(dir_fd, fd, 0, path).message(),
            path +
                ": owned by uid 12345, neither root, this user nor the "
                "owner of memstats");
  EXPECT_TRUE(CheckModuleFile(dir_fd, fd, 12345, path).ok());

  ASSERT_EQ(::fchmod(fd, 0664), 0);
  struct stat st = {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  EXPECT_EQ(CheckModuleFile(dir_fd, fd, 12345, path).message(),
            path + ": writable by group " + std::to_string(st.st_gid) +
                " (mode 0664)");
  ASSERT_EQ(::fchmod(fd, 0644), 0);
  ASSERT_EQ(::fchmod(dir_fd, 0757), 0);
  EXPECT_EQ(CheckModuleFile(dir_fd, fd, 12345, path).message(),
            path + ": its directory: writable by others (mode 0757)");
  ASSERT_EQ(::fchmod(dir_fd, 0700), 0);
  EXPECT_EQ(CheckModuleFile(dir_fd, dir_fd, 0, path).message(),
            path + ": not a regular file");
  ::close(fd);
  ::close(dir_fd);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace memstats::serve
