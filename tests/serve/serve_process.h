// memstats serve as the tests see it: started as a subprocess on a free
// loopback port (--listen 127.0.0.1:0; it says which port on stderr),
// scraped with cpp-httplib's client, and stopped with a signal. The
// exposition parsed into (series -> value) for exact checks.
#ifndef MEMSTATS_TESTS_SERVE_SERVE_PROCESS_H_
#define MEMSTATS_TESTS_SERVE_SERVE_PROCESS_H_

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "httplib.h"
#include "subprocess.h"

namespace memstats::testing {

struct HttpResult {
  int status = -1;  // -1: no answer
  std::string content_type;
  std::string body;
};

// GET http://127.0.0.1:port/path with an optional Accept header.
inline HttpResult HttpGet(int port, const std::string& path,
                          const std::string& accept = "") {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  httplib::Headers headers;
  if (!accept.empty()) headers.emplace("Accept", accept);
  HttpResult r;
  if (auto res = client.Get(path.c_str(), headers)) {
    r.status = res->status;
    r.content_type = res->get_header_value("Content-Type");
    r.body = res->body;
  }
  return r;
}

// memstats serve, running. The constructor starts `argv` (the binary
// first) with stderr on a pipe and reads its "serving" line for the port;
// Stop() sends a signal and returns the exit code; the destructor kills it
// if it still runs.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& argv,
                        const std::optional<std::vector<std::string>>& env =
                            std::nullopt) {
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) return;
    pid_ = Spawn(argv, env, -1, -1, err[1]);
    ::close(err[1]);
    err_fd_ = err[0];
    if (pid_ <= 0) return;
    first_line_ = ReadFirstLine(err_fd_, 20000);
    static const std::regex kServing(
        "memstats: serving http://127\\.0\\.0\\.1:([0-9]+)/metrics");
    std::smatch m;
    if (std::regex_search(first_line_, m, kServing)) {
      port_ = std::stoi(m[1]);
    }
  }
  ~ServeProcess() {
    if (pid_ > 0) WaitOrKill(pid_, 0);
    if (err_fd_ >= 0) ::close(err_fd_);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }  // 0 when it did not say
  const std::string& first_line() const { return first_line_; }
  pid_t pid() const { return pid_; }

  // Polls GET `path` every 50 ms until it answers 200, up to timeout_ms.
  HttpResult WaitFor200(const std::string& path, int timeout_ms,
                        const std::string& accept = "") {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(timeout_ms);
    HttpResult r;
    do {
      r = HttpGet(port_, path, accept);
      if (r.status == 200) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    return r;
  }

  // Sends `sig` and waits up to timeout_ms for the exit; returns the exit
  // code (128 + SIGKILL when it had to be killed). The rest of stderr goes
  // to *rest_of_stderr when given.
  int Stop(int sig, int timeout_ms, std::string* rest_of_stderr = nullptr) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    const int code = WaitOrKill(pid_, timeout_ms);
    pid_ = -1;
    std::string rest;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(err_fd_, buf, sizeof buf)) > 0) {
      rest.append(buf, static_cast<size_t>(n));
    }
    if (rest_of_stderr != nullptr) *rest_of_stderr = rest;
    return code;
  }

 private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  int port_ = 0;
  std::string first_line_;
};

// One sample of the exposition: "name{labels}" (as written) -> value.
// Comment lines (# HELP, # TYPE, # EOF) are left out.
inline std::map<std::string, double> ParseSamples(const std::string& text) {
  std::map<std::string, double> samples;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

// The series name of a group metric, as memstats writes it.
inline std::string GroupSeries(const std::string& metric,
                               const std::string& split,
                               const std::string& group) {
  return "memstats_group_" + metric + "{split=\"" + split + "\",group=\"" +
         group + "\"}";
}

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_SERVE_SERVE_PROCESS_H_
