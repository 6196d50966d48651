#include "serve/exporter.h"

#include <dlfcn.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "serve/module_file.h"

namespace memstats::serve {
namespace {

// HTTP threads: scrapes are cheap and few; a small pool bounds the
// exporter's memory however many clients connect.
constexpr size_t kHttpThreads = 4;
// Requests carry no body that matters.
constexpr size_t kMaxPayload = size_t{64} * 1024;
// How long an idle connection is kept, and a request may take to arrive.
// cpp-httplib's stop() waits for its workers, and a worker waits this long
// on an idle keep-alive connection (Prometheus keeps one open): it bounds
// how long SIGTERM takes. Scrapes further apart than this reconnect.
constexpr time_t kIdleSeconds = 1;
constexpr time_t kReadSeconds = 2;

// Why binding `address` fails, from a bind(2) of our own (cpp-httplib
// reports only that it failed).
std::string WhyBindFails(const ListenAddress& address) {
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (int rc = ::getaddrinfo(address.host.c_str(), port.c_str(), &hints,
                             &found);
      rc != 0) {
    return ::gai_strerror(rc);
  }
  int err = 0;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
                            a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    const bool bound = ::bind(fd, a->ai_addr, a->ai_addrlen) == 0;
    err = bound ? 0 : errno;
    ::close(fd);
    if (bound) break;
  }
  ::freeaddrinfo(found);
  switch (err) {
    case EADDRINUSE:
      return "address already in use";
    case EADDRNOTAVAIL:
      return "not an address of this machine";
    case EACCES:
      return "permission denied (ports below 1024 need privileges)";
    case 0:
      return "cannot listen there";
    default:
      return std::strerror(err);
  }
}

}  // namespace

void LatestScan::Publish(PublishedScan scan) {
  auto next = std::make_shared<const PublishedScan>(std::move(scan));
  std::shared_ptr<const PublishedScan> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = std::exchange(latest_, std::move(next));
  }
  // `old` is freed here, outside the lock (or by the last scrape using it).
}

void LatestScan::CountFailure() { failures_.fetch_add(1); }

std::shared_ptr<const PublishedScan> LatestScan::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}

bool WantsOpenMetrics(std::string_view accept_header) {
  const absl::string_view accept(accept_header.data(), accept_header.size());
  for (absl::string_view range : absl::StrSplit(accept, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(range, ';');
    if (absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0])) !=
        "application/openmetrics-text") {
      continue;
    }
    double q = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view p = absl::StripAsciiWhitespace(parts[i]);
      if (absl::StartsWith(p, "q=") && !absl::SimpleAtod(p.substr(2), &q)) {
        q = 0;
      }
    }
    if (q > 0) return true;
  }
  return false;
}

HttpReply MetricsReply(const LatestScan& latest, std::string_view accept,
                       SteadyTime now, const std::string& version) {
  std::shared_ptr<const PublishedScan> scan = latest.Get();
  if (scan == nullptr) {
    return {503, "text/plain; charset=utf-8",
            "memstats: no scan has completed yet\n"};
  }
  const render::MetricsFormat format =
      WantsOpenMetrics(accept) ? render::MetricsFormat::kOpenMetrics
                               : render::MetricsFormat::kPrometheusText;
  render::ScanFacts facts;
  facts.finished_unix_seconds = scan->finished_unix_seconds;
  facts.age_seconds =
      std::max(0.0, std::chrono::duration<double>(now - scan->finished).count());
  facts.self_rss_bytes = scan->self_rss_bytes;
  facts.failed_scans = latest.failures();
  facts.version = version;
  std::ostringstream out;
  render::RenderPrometheus(scan->report, facts, format, out);
  return {200, std::string(render::MetricsContentType(format)), out.str()};
}

HttpReply HealthReply(const LatestScan& latest) {
  if (latest.Get() == nullptr) {
    return {503, "text/plain; charset=utf-8", "starting: no scan yet\n"};
  }
  return {200, "text/plain; charset=utf-8", "ok\n"};
}

struct Server::Impl {
  const LatestScan& latest;
  std::string version;
  std::unique_ptr<HttpListener> http;  // made by Bind()
};

namespace {

// The module's listener answering /metrics and /healthz from `latest`.
absl::StatusOr<std::unique_ptr<HttpListener>> MakeListener(
    const LatestScan& latest, const std::string& version) {
  absl::StatusOr<void*> module = LoadModule(kHttpModuleFile);
  if (!module.ok()) return module.status();
  auto abi = reinterpret_cast<int (*)()>(::dlsym(*module, "memstats_http_abi"));
  auto make = reinterpret_cast<decltype(&memstats_http_listener)>(
      ::dlsym(*module, "memstats_http_listener"));
  if (abi == nullptr || make == nullptr || abi() != kHttpModuleAbi) {
    return absl::FailedPreconditionError(
        absl::StrCat(kHttpModuleFile,
                     ": not the module of this memstats (rebuild or "
                     "reinstall memstats)"));
  }
  HttpSettings settings;
  settings.threads = kHttpThreads;
  settings.max_payload = kMaxPayload;
  settings.idle_seconds = kIdleSeconds;
  settings.read_seconds = kReadSeconds;
  settings.paths = {"/metrics", "/healthz"};
  settings.not_found_body =
      "not found: memstats serves /metrics and /healthz\n";
  const HttpHandler handler = [&latest, version](const std::string& path,
                                                 const std::string& accept) {
    if (path == "/healthz") return HealthReply(latest);
    return MetricsReply(latest, accept, std::chrono::steady_clock::now(),
                        version);
  };
  return std::unique_ptr<HttpListener>(make(&settings, &handler));
}

}  // namespace

Server::Server(const LatestScan& latest, std::string version)
    : impl_(std::make_unique<Impl>(Impl{latest, std::move(version), nullptr})) {
}

Server::~Server() { Stop(); }

absl::Status Server::Bind(const ListenAddress& address) {
  if (impl_->http == nullptr) {
    auto http = MakeListener(impl_->latest, impl_->version);
    if (!http.ok()) return http.status();
    impl_->http = std::move(*http);
  }
  const int port = impl_->http->Bind(address.host, address.port);
  if (port > 0) {
    port_ = port;
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(FormatHostPort(address, address.port), ": ",
                   WhyBindFails(address)));
}

void Server::Start(std::function<void()> on_failure) {
  thread_ = std::thread([this, on_failure = std::move(on_failure)] {
    impl_->http->Listen();
    serving_done_.store(true);
    if (!stopping_.load() && on_failure) on_failure();
  });
  // httplib's stop() does nothing before its loop runs: wait for it, so
  // that a Stop() right after Start() is not lost.
  while (!impl_->http->IsRunning() && !serving_done_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void Server::Stop() {
  stopping_.store(true);
  if (impl_->http != nullptr) impl_->http->Stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace memstats::serve
