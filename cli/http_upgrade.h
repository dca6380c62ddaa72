// The HTTP/1.1 half of the upgrade-based exec transports (WebSocket, SPDY/3.1), client side:
// reading the server's answer to an upgrade request. Boost.Beast's response parser does the
// grammar; this file adds the limits, the split between the head and the bytes that follow
// it (they already belong to the upgraded protocol) and the body of a refusal, which
// explains it ("404 page not found", "requested protocol(s) are not supported: ...").
// Pure: bytes in, a parsed answer out.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "shim/base/result.h"
#include "streaming/http_request.h"

namespace airlock::cli {

struct UpgradeResponse {
  int status = 0;
  streaming::HttpHeaders headers;
  std::string body;  // a refusal's body (at most 4 KiB of it); empty for a 101
};

class UpgradeResponseReader {
 public:
  static constexpr size_t kMaxHeadBytes = 16 * 1024;
  static constexpr size_t kMaxBodyBytes = 4 * 1024;

  // Takes bytes read from the socket. Returns true once the answer is complete: for a 101
  // the head, and `rest` receives every byte after it; for any other status the head plus
  // its Content-Length body (capped), or the head alone when it declares no length.
  // Errors: a malformed or oversize head.
  Result<bool> Feed(std::string_view bytes, std::string* rest);
  const UpgradeResponse& response() const { return response_; }

 private:
  std::string buffered_;
  bool head_done_ = false;
  size_t head_bytes_ = 0;
  size_t body_wanted_ = 0;
  UpgradeResponse response_;
};

// The upgrading half of a client's Feed(): bytes go to `reader` until the answer is complete,
// then `check` judges it. Returns the bytes that followed the head (they already belong to
// the upgraded protocol) once the upgrade is accepted, nullopt while the head is incomplete.
Result<std::optional<std::string>> FeedUpgradeAnswer(
    UpgradeResponseReader& reader, std::string_view bytes,
    const std::function<Status(const UpgradeResponse&)>& check);

// The error for an answer that is not the expected 101, shaped like h2's refusals:
// "<operation>: the streaming server answered 404: 404 page not found".
Error UpgradeRefused(const std::string& operation, const UpgradeResponse& response);

// True when some comma-separated token of some `name` line equals `token`, ignoring case
// (Connection: keep-alive, Upgrade).
bool HeaderHasToken(const streaming::HttpHeaders& headers, std::string_view name,
                    std::string_view token);

}  // namespace airlock::cli
