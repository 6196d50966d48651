#include "serve/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace memstats::serve {
namespace {

constexpr char kExpected[] =
    "expected HOST:PORT with HOST an IPv4 address, [IPv6 address] or "
    "localhost, and PORT from 0 to 65535";

absl::Status Bad(const std::string& text, const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "': ", why, " (", kExpected, ")"));
}

}  // namespace

absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view listen) {
  const std::string text(listen);
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return Bad(text, "no port");
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  ListenAddress a;
  uint32_t port = 0;
  if (port_text.empty() ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return Bad(text, absl::StrCat("bad port '", port_text, "'"));
  }
  a.port = static_cast<int>(port);
  const bool bracketed =
      host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  a.host = host;
  if (host.empty()) return Bad(text, "no host");
  in_addr v4;
  in6_addr v6;
  if (!bracketed && host == "localhost") {
    a.loopback = true;
  } else if (!bracketed && ::inet_pton(AF_INET, a.host.c_str(), &v4) == 1) {
    a.loopback = (ntohl(v4.s_addr) >> 24) == 127;
  } else if (bracketed && ::inet_pton(AF_INET6, a.host.c_str(), &v6) == 1) {
    a.loopback = IN6_IS_ADDR_LOOPBACK(&v6);
  } else if (!bracketed && host.find(':') != std::string::npos) {
    return Bad(text, "an IPv6 address goes in brackets");
  } else {
    return Bad(text, absl::StrCat("'", host, "' is not an IP address"));
  }
  return a;
}

std::string FormatHostPort(const ListenAddress& address, int port) {
  const bool v6 = address.host.find(':') != std::string::npos;
  return v6 ? absl::StrCat("[", address.host, "]:", port)
            : absl::StrCat(address.host, ":", port);
}

}  // namespace memstats::serve
