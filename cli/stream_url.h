// The streaming URL a CRI Exec call returns ("http://127.0.0.1:41235/exec/Ab3_xY-9"):
// parsing it and opening the TCP connection to it.
#pragma once

#include <cstdint>
#include <string>

#include "shim/base/result.h"
#include "shim/base/unique_fd.h"

namespace airlock::cli {

struct StreamUrl {
  std::string scheme;     // "http" (https is refused until the client speaks TLS)
  std::string host;       // without the brackets of an IPv6 literal
  uint16_t port = 0;      // 80 when the URL names none
  std::string authority;  // host[:port] as written, for Host / :authority
  std::string path;       // starts with '/', query included
};

// Accepts absolute http URLs only (the CRI says the URL is fully qualified).
Result<StreamUrl> ParseStreamUrl(const std::string& url);

// A connected, blocking TCP socket to the URL's host and port (every address the name
// resolves to is tried in order), with Nagle off: keystrokes go out at once.
Result<UniqueFd> DialStreamUrl(const StreamUrl& url);

}  // namespace airlock::cli
