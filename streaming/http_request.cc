#include "streaming/http_request.h"

#include <strings.h>

// GCC 12 with -fsanitize reports a false -Wmaybe-uninitialized on boost::optional inside
// Beast's parser (Boost 1.74); the warning is about library code we do not own.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#pragma GCC diagnostic pop

namespace airlock::streaming {
namespace http = boost::beast::http;

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string ToString(boost::beast::string_view s) { return std::string(s.data(), s.size()); }

HttpRequestParser::Outcome Fail(std::string reason) {
  HttpRequestParser::Outcome out;
  out.state = HttpRequestParser::State::kError;
  out.error = HttpParseError{400, "parse HTTP request head: " + std::move(reason)};
  return out;
}

// Reduces an absolute-form target (RFC 9112 §3.2.2, "http://host/path?q") to origin-form;
// servers must accept it even though our peers send origin-form.
std::optional<std::string> OriginForm(std::string target) {
  if (!target.empty() && target[0] == '/') return target;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() > scheme.size() &&
        EqualsIgnoreCase(target.substr(0, scheme.size()), scheme)) {
      size_t slash = target.find_first_of("/?", scheme.size());
      if (slash == std::string::npos) return std::string("/");
      std::string rest = target.substr(slash);
      return rest[0] == '/' ? rest : "/" + rest;
    }
  }
  return std::nullopt;
}

}  // namespace

void HttpHeaders::Add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string_view> HttpHeaders::Get(std::string_view name) const {
  for (const auto& [n, v] : fields_) {
    if (EqualsIgnoreCase(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string_view> HttpHeaders::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : fields_) {
    if (EqualsIgnoreCase(n, name)) out.emplace_back(v);
  }
  return out;
}

struct HttpRequestParser::Impl {
  HttpLimits limits;
  http::request_parser<http::empty_body> parser;
  bool finished = false;
  // Bytes of the buffer Beast has taken already: it must never see them twice (a request
  // line fed again would be read as a header field).
  size_t consumed = 0;
};

HttpRequestParser::HttpRequestParser(HttpLimits limits) : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
  impl_->parser.header_limit(static_cast<std::uint32_t>(limits.max_head_bytes));
  // Stop at the end of the head: whatever follows is SPDY, WebSocket or HTTP/2 bytes.
  impl_->parser.eager(false);
}

HttpRequestParser::~HttpRequestParser() = default;
HttpRequestParser::HttpRequestParser(HttpRequestParser&&) noexcept = default;
HttpRequestParser& HttpRequestParser::operator=(HttpRequestParser&&) noexcept = default;

HttpRequestParser::Outcome HttpRequestParser::Parse(std::string_view buffered) {
  if (impl_->finished) return Fail("parser already finished");
  Outcome out;
  size_t used = 0;
  boost::beast::error_code ec;
  try {
    // Beast may stop after the request line with need_more; go on while it makes progress.
    do {
      std::string_view rest = buffered.substr(std::min(impl_->consumed, buffered.size()));
      ec = {};
      size_t n = impl_->parser.put(boost::asio::const_buffer(rest.data(), rest.size()), ec);
      impl_->consumed += n;
      used = n;
      if (ec != http::error::need_more || n == 0 || impl_->consumed >= buffered.size()) break;
    } while (true);
  } catch (const std::exception& e) {  // Beast reports through ec; this is allocation failure.
    impl_->finished = true;
    return Fail(e.what());
  }
  used = impl_->consumed;
  if (ec == http::error::need_more) {
    // Beast only enforces the limit once it has the bytes; this also catches a client that
    // never sends the blank line.
    if (buffered.size() >= impl_->limits.max_head_bytes) {
      impl_->finished = true;
      return Fail("head larger than " + std::to_string(impl_->limits.max_head_bytes) + " bytes");
    }
    return out;
  }
  impl_->finished = true;
  if (ec == http::error::header_limit) {
    return Fail("head larger than " + std::to_string(impl_->limits.max_head_bytes) + " bytes");
  }
  if (ec) return Fail(ec.message());
  if (!impl_->parser.is_header_done()) return Fail("incomplete head");
  // Beast unfolds obs-fold continuation lines; RFC 9112 §5.2 lets a server reject them
  // instead, and we do: folding has been a request-smuggling vector, and no peer sends it.
  std::string_view head = buffered.substr(0, used);
  if (head.find("\n ") != std::string_view::npos || head.find("\n\t") != std::string_view::npos) {
    return Fail("obsolete line folding in header");
  }

  const auto& msg = impl_->parser.get();
  HttpRequest& req = out.request;
  req.method = ToString(msg.method_string());
  req.version = static_cast<int>(msg.version());
  if (req.version != 10 && req.version != 11) {
    return Fail("unsupported HTTP version " + std::to_string(req.version / 10) + "." +
                std::to_string(req.version % 10));
  }
  auto target = OriginForm(ToString(msg.target()));
  if (!target) return Fail("unsupported request target \"" + ToString(msg.target()) + "\"");
  req.target = std::move(*target);
  size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);

  size_t count = 0;
  for (const auto& field : msg) {
    if (++count > impl_->limits.max_header_count) {
      return Fail("more than " + std::to_string(impl_->limits.max_header_count) + " header fields");
    }
    req.headers.Add(ToString(field.name_string()), ToString(field.value()));
  }
  // RFC 9112 §3.2: a 1.1 request without exactly one Host is answered 400.
  size_t hosts = req.headers.Count("Host");
  if (req.version == 11 && hosts == 0) return Fail("missing required Host header");
  if (hosts > 1) return Fail("more than one Host header");

  req.head_bytes = used;
  out.state = State::kDone;
  return out;
}

HttpRequestParser::Outcome ParseHttpRequestHead(std::string_view bytes, HttpLimits limits) {
  HttpRequestParser parser(limits);
  return parser.Parse(bytes);
}

}  // namespace airlock::streaming
