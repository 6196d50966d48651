// The exporter behind memstats serve: the last completed scan, published
// by the scan loop and read by scrapes, and the HTTP server answering
// GET /metrics and GET /healthz. Scrapes never scan: they render the last
// completed report with its age, so that scraping cannot hammer /proc.
#ifndef MEMSTATS_SERVE_EXPORTER_H_
#define MEMSTATS_SERVE_EXPORTER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "render/prometheus.h"
#include "serve/http_module.h"
#include "serve/listen_address.h"
#include "sets/report.h"

namespace memstats::serve {

using SteadyTime = std::chrono::steady_clock::time_point;

// A completed scan as scrapes see it.
struct PublishedScan {
  sets::Report report;
  double finished_unix_seconds = 0;
  SteadyTime finished;
  uint64_t self_rss_bytes = 0;
};

// The last completed scan and the count of failed scans. Safe to call from
// any thread: the scan loop publishes, HTTP threads read.
class LatestScan {
 public:
  void Publish(PublishedScan scan);
  void CountFailure();
  // The last published scan; null before the first.
  std::shared_ptr<const PublishedScan> Get() const;
  uint64_t failures() const { return failures_.load(); }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const PublishedScan> latest_;  // guarded by mu_
  std::atomic<uint64_t> failures_{0};
};

// True when an Accept header asks for OpenMetrics (names
// application/openmetrics-text with a q above 0).
bool WantsOpenMetrics(std::string_view accept);

// The answer to GET /metrics at `now`: the last scan in the format `accept`
// asks for, or 503 with a short text before the first scan completed.
HttpReply MetricsReply(const LatestScan& latest, std::string_view accept,
                       SteadyTime now, const std::string& version);

// The answer to GET /healthz: 200 "ok" once a scan completed, 503 before.
HttpReply HealthReply(const LatestScan& latest);

// The HTTP server, on threads of its own (a small pool), from the module
// memstats-http.so (http_module.h), loaded by the first Bind().
class Server {
 public:
  Server(const LatestScan& latest, std::string version);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on `address` (port 0: a free one). Fails with
  // InvalidArgument naming the cause: address already in use, not an
  // address of this machine, permission denied; with FailedPrecondition
  // when the module cannot be loaded (LoadModule).
  absl::Status Bind(const ListenAddress& address);
  // The port bound. REQUIRES: Bind() succeeded.
  int port() const { return port_; }
  // Serves on a thread until Stop(); `on_failure` runs on that thread if
  // serving ends on its own. REQUIRES: Bind() succeeded.
  void Start(std::function<void()> on_failure);
  // Stops serving and joins the thread. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> serving_done_{false};
};

}  // namespace memstats::serve

#endif  // MEMSTATS_SERVE_EXPORTER_H_
