// Base64 as HTTP peers use it: standard alphabet with padding (RFC 4648 §4) for
// Sec-WebSocket-Accept/Key and the base64 k8s channel protocol; URL-safe without padding
// (§5) for stream tokens and the HTTP2-Settings header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace airlock::streaming {

std::string Base64Encode(std::string_view bytes);
std::string Base64UrlEncodeNoPad(std::string_view bytes);

// Strict: length a multiple of 4, padding only at the end, no whitespace (Go's
// base64.StdEncoding, which the k8s peers use). nullopt on any violation.
std::optional<std::string> Base64Decode(std::string_view text);

// URL-safe alphabet; trailing padding optional (RFC 7540 §3.2.1 says it is omitted).
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace airlock::streaming
