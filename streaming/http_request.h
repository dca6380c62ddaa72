// HTTP/1.1 request head parsing for the streaming server. Boost.Beast's request_parser does
// the grammar (RFC 9112); this file adds the limits, a multi-valued header view and the
// byte count of the head, because every byte after it belongs to the upgraded protocol.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shim/base/result.h"

namespace airlock::streaming {

// Header fields in arrival order. Names compare case-insensitively (RFC 9110 §5.1); a name
// may repeat (X-Stream-Protocol-Version comes once per offered protocol).
class HttpHeaders {
 public:
  void Add(std::string name, std::string value);

  // First value of `name`, if present.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Every value of `name`, in arrival order.
  std::vector<std::string_view> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  size_t Count(std::string_view name) const { return GetAll(name).size(); }

  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct HttpRequest {
  std::string method;  // as sent, e.g. "GET", "POST"
  std::string target;  // origin-form request target: path plus "?query"
  std::string path;    // target before '?'
  std::string query;   // target after '?', without it; empty when none
  int version = 11;    // 10 or 11
  HttpHeaders headers;
  // Bytes of the input that the head used (request line through the blank line).
  size_t head_bytes = 0;
};

struct HttpLimits {
  size_t max_head_bytes = 16 * 1024;
  size_t max_header_count = 100;
};

// A malformed or oversize head. The server answers `status` with `reason` as the body and
// closes the connection: nothing after a bad head is parsed.
struct HttpParseError {
  int status = 400;
  std::string reason;
};

// Incremental: the connection appends what it reads to one buffer and passes the whole
// buffer every time, until the head is complete. The parser remembers how far it has already
// searched, so a client that trickles bytes costs linear time, not quadratic.
class HttpRequestParser {
 public:
  explicit HttpRequestParser(HttpLimits limits = {});
  ~HttpRequestParser();
  HttpRequestParser(HttpRequestParser&&) noexcept;
  HttpRequestParser& operator=(HttpRequestParser&&) noexcept;

  enum class State { kNeedMore, kDone, kError };
  struct Outcome {
    State state = State::kNeedMore;
    HttpRequest request;   // valid when kDone
    HttpParseError error;  // valid when kError
  };

  // `buffered` = every byte received so far on this connection (the same prefix each call,
  // possibly longer). After kDone or kError the parser must not be fed again.
  Outcome Parse(std::string_view buffered);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot convenience for a buffer that is known to hold the whole head.
HttpRequestParser::Outcome ParseHttpRequestHead(std::string_view bytes, HttpLimits limits = {});

}  // namespace airlock::streaming
