// memstats serve's --listen HOST:PORT: parsed and checked before anything
// binds, so that a typo or a public address is refused with a clear message.
#ifndef MEMSTATS_SERVE_LISTEN_ADDRESS_H_
#define MEMSTATS_SERVE_LISTEN_ADDRESS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace memstats::serve {

struct ListenAddress {
  std::string host;  // an IP address without brackets, or "localhost"
  int port = 0;      // 0: a free port the kernel picks
  bool loopback = false;  // 127.0.0.0/8, ::1 or localhost
};

// "HOST:PORT": HOST an IPv4 address, an IPv6 address in brackets ("[::1]")
// or "localhost"; PORT a decimal number from 0 to 65535. Fails with
// InvalidArgument saying what is wrong (host names other than localhost
// are refused: what they resolve to could change between runs).
absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view listen);

// "127.0.0.1:9952", "[::1]:9952" for `port`.
std::string FormatHostPort(const ListenAddress& address, int port);

}  // namespace memstats::serve

#endif  // MEMSTATS_SERVE_LISTEN_ADDRESS_H_
