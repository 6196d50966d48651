// memstats-http.so: the HTTP server of memstats serve, on cpp-httplib
// (http_module.h says why it is a module).
#include "serve/http_module.h"

#include <memory>
#include <utility>

#include "httplib.h"

namespace memstats::serve {
namespace {

class HttplibListener final : public HttpListener {
 public:
  HttplibListener(const HttpSettings& s, HttpHandler handler)
      : handler_(std::move(handler)) {
    const size_t threads = s.threads;
    http_.new_task_queue = [threads] {
      return new httplib::ThreadPool(threads);
    };
    http_.set_payload_max_length(s.max_payload);
    http_.set_keep_alive_timeout(s.idle_seconds);
    http_.set_read_timeout(s.read_seconds, 0);
    for (const std::string& path : s.paths) {
      http_.Get(path, [this, path](const httplib::Request& req,
                                   httplib::Response& res) {
        const HttpReply reply = handler_(path, req.get_header_value("Accept"));
        res.status = reply.status;
        res.set_content(reply.body, reply.content_type);
      });
    }
    // Any other path or method (the handler runs for unmatched requests).
    http_.set_error_handler([body = s.not_found_body](const httplib::Request&,
                                                      httplib::Response& res) {
      if (res.status == 404) {
        res.set_content(body, "text/plain; charset=utf-8");
      }
    });
  }

  int Bind(const std::string& host, int port) override {
    if (port == 0) {
      const int bound = http_.bind_to_any_port(host);
      return bound > 0 ? bound : -1;
    }
    return http_.bind_to_port(host, port) ? port : -1;
  }
  bool Listen() override { return http_.listen_after_bind(); }
  bool IsRunning() const override { return http_.is_running(); }
  void Stop() override { http_.stop(); }

 private:
  HttpHandler handler_;
  httplib::Server http_;
};

}  // namespace
}  // namespace memstats::serve

extern "C" int memstats_http_abi() { return memstats::serve::kHttpModuleAbi; }

extern "C" memstats::serve::HttpListener* memstats_http_listener(
    const memstats::serve::HttpSettings* settings,
    const memstats::serve::HttpHandler* handler) {
  return std::make_unique<memstats::serve::HttplibListener>(*settings, *handler)
      .release();
}
