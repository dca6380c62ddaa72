#include "cli/http_upgrade.h"

#include <strings.h>

#include <algorithm>
#include <charconv>

// GCC 12 reports a false -Wmaybe-uninitialized inside Beast's parser (Boost 1.74), as in
// streaming/http_request.cc; the warning is about library code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#pragma GCC diagnostic pop

namespace airlock::cli {
namespace http = boost::beast::http;

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Error BadHead(const std::string& why) {
  return MakeError(ErrorCode::kUnavailable, "read the streaming server's upgrade answer: " + why);
}

}  // namespace

Result<bool> UpgradeResponseReader::Feed(std::string_view bytes, std::string* rest) {
  buffered_.append(bytes);
  if (!head_done_) {
    size_t end = buffered_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (buffered_.size() > kMaxHeadBytes)
        return BadHead("head larger than " + std::to_string(kMaxHeadBytes) + " bytes");
      return false;
    }
    head_bytes_ = end + 4;
    if (head_bytes_ > kMaxHeadBytes)
      return BadHead("head larger than " + std::to_string(kMaxHeadBytes) + " bytes");
    // The whole head is here: one pass of Beast over exactly its bytes.
    http::response_parser<http::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(kMaxHeadBytes));
    parser.eager(false);
    boost::beast::error_code ec;
    try {
      size_t used = 0;
      while (used < head_bytes_ && !parser.is_header_done()) {
        size_t n =
            parser.put(boost::asio::const_buffer(buffered_.data() + used, head_bytes_ - used), ec);
        used += n;
        if (ec && ec != http::error::need_more) break;
        if (n == 0) break;
        ec = {};
      }
    } catch (const std::exception& e) {  // Beast reports through ec; this is allocation failure.
      return BadHead(e.what());
    }
    if (ec && ec != http::error::need_more) return BadHead(ec.message());
    if (!parser.is_header_done()) return BadHead("incomplete head");
    const auto& msg = parser.get();
    response_.status = static_cast<int>(msg.result_int());
    for (const auto& field : msg) {
      response_.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    head_done_ = true;
    if (response_.status != 101) {
      if (auto length = response_.headers.Get("Content-Length")) {
        std::string_view v = Trim(*length);
        size_t n = 0;
        auto [ptr, err] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (err == std::errc() && ptr == v.data() + v.size())
          body_wanted_ = std::min(n, kMaxBodyBytes);
      }
    }
  }
  if (response_.status == 101) {
    if (rest != nullptr) rest->assign(buffered_, head_bytes_, std::string::npos);
    buffered_.clear();
    return true;
  }
  // A refusal: wait for the part of its body worth showing. Without a Content-Length the
  // server would end the body by closing; what has arrived with the head must do.
  size_t have = buffered_.size() - head_bytes_;
  if (have < body_wanted_) return false;
  response_.body = buffered_.substr(head_bytes_, std::min(have, kMaxBodyBytes));
  return true;
}

Error UpgradeRefused(const std::string& operation, const UpgradeResponse& response) {
  std::string body = response.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' '))
    body.pop_back();
  std::string message = operation + ": the streaming server answered " +
                        std::to_string(response.status) + (body.empty() ? "" : ": " + body);
  // The streaming server's answer to an unknown token: the URL is single use and expires.
  if (response.status == 404) message += " (the exec URL may be used or expired)";
  return MakeError(ErrorCode::kUnavailable, message);
}

bool HeaderHasToken(const streaming::HttpHeaders& headers, std::string_view name,
                    std::string_view token) {
  for (std::string_view line : headers.GetAll(name)) {
    while (!line.empty()) {
      size_t comma = line.find(',');
      std::string_view item = Trim(line.substr(0, comma));
      if (item.size() == token.size() &&
          ::strncasecmp(item.data(), token.data(), token.size()) == 0)
        return true;
      if (comma == std::string_view::npos) break;
      line.remove_prefix(comma + 1);
    }
  }
  return false;
}

Result<std::optional<std::string>> FeedUpgradeAnswer(
    UpgradeResponseReader& reader, std::string_view bytes,
    const std::function<Status(const UpgradeResponse&)>& check) {
  std::string rest;
  Result<bool> done = reader.Feed(bytes, &rest);
  if (!done.ok()) return done.error();
  if (!*done) return std::optional<std::string>();
  AIRLOCK_RETURN_IF_ERROR(check(reader.response()));
  return std::optional<std::string>(std::move(rest));
}

}  // namespace airlock::cli
