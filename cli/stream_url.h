// The streaming URL a CRI Exec call returns ("http://127.0.0.1:41235/exec/Ab3_xY-9"), or a
// node exec URL (remote_exec.h): parsing it and opening the connection to it (TCP, plus TLS
// for https).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cli/tls_dial.h"
#include "shim/base/result.h"
#include "shim/base/unique_fd.h"

namespace airlock::cli {

struct StreamUrl {
  std::string scheme;     // "http" or "https"
  std::string host;       // without the brackets of an IPv6 literal
  uint16_t port = 0;      // 80 (http) or 443 (https) when the URL names none
  std::string authority;  // host[:port] as written, for Host / :authority
  std::string path;       // starts with '/', query included
};

// Accepts absolute http and https URLs only (the CRI says the URL is fully qualified).
Result<StreamUrl> ParseStreamUrl(const std::string& url);

// A connected, blocking TCP socket to the URL's host and port (every address the name
// resolves to is tried in order), with Nagle off: keystrokes go out at once.
Result<UniqueFd> DialStreamUrl(const StreamUrl& url);

// What a session reads and writes: the TCP socket itself (http), or the plaintext end of a
// TLS tunnel (https) that must outlive the session.
struct StreamConnection {
  UniqueFd fd;
  std::unique_ptr<TlsTunnel> tls;  // https only
};

// DialStreamUrl, then for https the TLS handshake with `tls` (ALPN, verification, client
// certificate) against the URL's host.
Result<StreamConnection> ConnectStreamUrl(const StreamUrl& url, const TlsDialOptions& tls);

}  // namespace airlock::cli
