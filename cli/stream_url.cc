#include "cli/stream_url.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <memory>

namespace airlock::cli {
namespace {

Error BadUrl(const std::string& url, const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument, "parse streaming URL \"" + url + "\": " + why);
}

struct AddrInfoDeleter {
  void operator()(addrinfo* ai) const { freeaddrinfo(ai); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

}  // namespace

Result<StreamUrl> ParseStreamUrl(const std::string& url) {
  StreamUrl out;
  auto sep = url.find("://");
  if (sep == std::string::npos) return BadUrl(url, "no scheme");
  out.scheme = url.substr(0, sep);
  if (out.scheme != "http" && out.scheme != "https") return BadUrl(url, "scheme must be http(s)");
  std::string rest = url.substr(sep + 3);
  auto slash = rest.find_first_of("/?#");
  out.authority = rest.substr(0, slash);
  out.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (out.path[0] != '/') out.path = "/" + out.path;
  if (auto hash = out.path.find('#'); hash != std::string::npos) out.path.resize(hash);
  if (out.authority.empty()) return BadUrl(url, "no host");
  if (out.authority.find('@') != std::string::npos) return BadUrl(url, "user info not allowed");

  std::string port_text;
  if (out.authority[0] == '[') {
    auto close = out.authority.find(']');
    if (close == std::string::npos) return BadUrl(url, "unterminated IPv6 literal");
    out.host = out.authority.substr(1, close - 1);
    std::string after = out.authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return BadUrl(url, "junk after IPv6 literal");
      port_text = after.substr(1);
    }
  } else {
    auto colon = out.authority.rfind(':');
    out.host = out.authority.substr(0, colon);
    if (colon != std::string::npos) port_text = out.authority.substr(colon + 1);
  }
  if (out.host.empty()) return BadUrl(url, "no host");
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535)
      return BadUrl(url, "bad port \"" + port_text + "\"");
    out.port = static_cast<uint16_t>(value);
  }
  return out;
}

Result<UniqueFd> DialStreamUrl(const StreamUrl& url) {
  const std::string what = "connect to streaming server " + url.authority;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  std::string port = std::to_string(url.port);
  if (int rc = getaddrinfo(url.host.c_str(), port.c_str(), &hints, &raw); rc != 0)
    return MakeError(ErrorCode::kUnavailable, what + ": " + gai_strerror(rc));
  AddrInfoPtr list(raw);
  int last_errno = EADDRNOTAVAIL;
  for (addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) {
      last_errno = errno;
      continue;
    }
    if (connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      last_errno = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
  }
  return ErrnoError(what, last_errno, ErrorCode::kUnavailable);
}

Result<StreamConnection> ConnectStreamUrl(const StreamUrl& url, const TlsDialOptions& tls) {
  auto tcp = DialStreamUrl(url);
  if (!tcp.ok()) return tcp.error();
  StreamConnection out;
  if (url.scheme != "https") {
    out.fd = std::move(*tcp);
    return out;
  }
  auto tunnel = TlsTunnel::Start(std::move(*tcp), url.host, tls);
  if (!tunnel.ok()) return tunnel.error().Wrap("connect to streaming server " + url.authority);
  out.fd = (*tunnel)->TakeLocalEnd();
  out.tls = std::move(*tunnel);
  return out;
}

}  // namespace airlock::cli
