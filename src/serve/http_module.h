// The boundary between memstats and its HTTP server, which is a module of
// its own (memstats-http.so, http_module.cc) loaded by `memstats serve`
// only (module_file.h). cpp-httplib, as Debian builds it, links OpenSSL
// and brotli: loading them costs every run of memstats about 9 ms at
// start-up (a third of `memstats --version`), and only serve uses them.
// Only standard C++ types cross the boundary: the module and the binary
// are built together, by the same compiler, from this header; the ABI
// number below changes whenever it does.
#ifndef MEMSTATS_SERVE_HTTP_MODULE_H_
#define MEMSTATS_SERVE_HTTP_MODULE_H_

#include <ctime>
#include <functional>
#include <string>
#include <vector>

namespace memstats::serve {

struct HttpReply {
  int status = 200;
  std::string content_type;
  std::string body;
};

// Answers GET `path` (one of HttpSettings::paths) whose Accept header is
// `accept`. Runs on the server's threads.
using HttpHandler = std::function<HttpReply(const std::string& path,
                                            const std::string& accept)>;

struct HttpSettings {
  size_t threads = 4;              // the pool answering requests
  size_t max_payload = 65536;      // request bodies, bytes
  time_t idle_seconds = 1;         // keep-alive
  time_t read_seconds = 2;         // for a request to arrive
  std::vector<std::string> paths;  // answered by the handler
  std::string not_found_body;      // any other path or method: 404 with this
};

// An HTTP server made by the module.
class HttpListener {
 public:
  virtual ~HttpListener() = default;
  // Binds host:port (port 0: a free one). Returns the port, or -1.
  virtual int Bind(const std::string& host, int port) = 0;
  // Serves until Stop(); false when serving failed.
  virtual bool Listen() = 0;
  virtual bool IsRunning() const = 0;
  // Stops Listen(). Safe from any thread.
  virtual void Stop() = 0;
};

inline constexpr char kHttpModuleFile[] = "memstats-http.so";
inline constexpr int kHttpModuleAbi = 1;

}  // namespace memstats::serve

// The module's two entry points (dlsym names "memstats_http_abi" and
// "memstats_http_listener").
extern "C" {
// kHttpModuleAbi as the module was built.
int memstats_http_abi();
// A new server answering settings->paths with *handler; the caller owns it.
memstats::serve::HttpListener* memstats_http_listener(
    const memstats::serve::HttpSettings* settings,
    const memstats::serve::HttpHandler* handler);
}

#endif  // MEMSTATS_SERVE_HTTP_MODULE_H_
