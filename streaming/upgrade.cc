#include "streaming/upgrade.h"

#include <openssl/evp.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "streaming/http_base64.h"

namespace airlock::streaming {
namespace {

constexpr std::string_view kProtocolHeader = "X-Stream-Protocol-Version";
constexpr std::string_view kAcceptedProtocolsHeader = "X-Accepted-Stream-Protocol-Versions";
// RFC 6455 §1.3.
constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  return Lower(haystack).find(Lower(needle)) != std::string::npos;
}

bool AnyLineContains(const HttpHeaders& headers, std::string_view name, std::string_view needle) {
  for (std::string_view v : headers.GetAll(name)) {
    if (ContainsIgnoreCase(v, needle)) return true;
  }
  return false;
}

bool HasToken(const HttpHeaders& headers, std::string_view name, std::string_view token) {
  for (const std::string& v : SplitHeaderValues(headers, name)) {
    if (Lower(v) == Lower(token)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Go's fmt "%v" of a []string: "[a b c]".
std::string GoList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ' ';
    out += items[i];
  }
  return out + "]";
}

// Go's textproto.CanonicalMIMEHeaderKey: "x-stream-protocol-version" ->
// "X-Stream-Protocol-Version".
std::string CanonicalHeaderKey(std::string_view name) {
  std::string out(name);
  bool upper = true;
  for (char& c : out) {
    c = upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
              : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    upper = c == '-';
  }
  return out;
}

std::string GoQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Go's "%#v" of the request's http.Header, as upstream puts it in its 400 text. Go keeps
// Host outside the header map, so it is left out here as well.
std::string GoHeaderDump(const HttpHeaders& headers) {
  std::map<std::string, std::vector<std::string>> sorted;
  for (const auto& [name, value] : headers.fields()) {
    std::string key = CanonicalHeaderKey(name);
    if (key == "Host") continue;
    sorted[key].push_back(value);
  }
  std::string out = "http.Header{";
  bool first = true;
  for (const auto& [key, values] : sorted) {
    if (!first) out += ", ";
    first = false;
    out += GoQuote(key) + ":[]string{";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) out += ", ";
      out += GoQuote(values[i]);
    }
    out += "}";
  }
  return out + "}";
}

UpgradeAnswer Refuse(int status, std::string_view body,
                     const std::vector<std::pair<std::string, std::string>>& extra = {}) {
  return UpgradeAnswer{status, "", ErrorResponse(status, body, extra)};
}

// x/net/websocket answers handshake errors with a bare status line and the error text; we
// keep its texts but use the common, length-delimited error shape.
UpgradeAnswer RefuseWebSocket(int status, std::string_view text,
                              const std::vector<std::pair<std::string, std::string>>& extra = {}) {
  return Refuse(status, text, extra);
}

}  // namespace

const char* UpgradeKindName(UpgradeKind kind) {
  switch (kind) {
    case UpgradeKind::kPlain:
      return "plain";
    case UpgradeKind::kSpdy:
      return "spdy";
    case UpgradeKind::kWebSocket:
      return "websocket";
    case UpgradeKind::kH2c:
      return "h2c";
  }
  return "unknown";
}

UpgradeKind ClassifyUpgrade(const HttpRequest& request) {
  const HttpHeaders& h = request.headers;
  bool connection_upgrade = AnyLineContains(h, "Connection", "upgrade");
  if (!connection_upgrade) return UpgradeKind::kPlain;
  auto upgrade = h.Get("Upgrade");
  if (!upgrade) return UpgradeKind::kPlain;
  if (HasToken(h, "Upgrade", "websocket")) return UpgradeKind::kWebSocket;
  if (HasToken(h, "Upgrade", "h2c") && h.Count("HTTP2-Settings") == 1) return UpgradeKind::kH2c;
  if (ContainsIgnoreCase(*upgrade, "spdy/3.1")) return UpgradeKind::kSpdy;
  return UpgradeKind::kPlain;
}

const std::vector<std::string>& SpdyProtocols(StreamService service) {
  // No v5 over SPDY: client-go offers it first and, like the CRI library, we answer v4.
  static const std::vector<std::string> kRemoteCommand = {"v4.channel.k8s.io", "v3.channel.k8s.io",
                                                          "v2.channel.k8s.io", "channel.k8s.io"};
  static const std::vector<std::string> kPortForward = {"portforward.k8s.io"};
  return service == StreamService::kRemoteCommand ? kRemoteCommand : kPortForward;
}

const std::vector<std::string>& WebSocketProtocols(StreamService service) {
  // "" stands for "the client offered no subprotocol" (binary channel framing).
  static const std::vector<std::string> kRemoteCommand = {"",
                                                          "channel.k8s.io",
                                                          "base64.channel.k8s.io",
                                                          "v4.channel.k8s.io",
                                                          "v4.base64.channel.k8s.io",
                                                          "v5.channel.k8s.io"};
  static const std::vector<std::string> kPortForward = {"", "v4.channel.k8s.io",
                                                        "v4.base64.channel.k8s.io"};
  return service == StreamService::kRemoteCommand ? kRemoteCommand : kPortForward;
}

std::vector<std::string> SplitHeaderValues(const HttpHeaders& headers, std::string_view header) {
  std::vector<std::string> out;
  for (std::string_view line : headers.GetAll(header)) {
    while (true) {
      size_t comma = line.find(',');
      std::string_view item = Trim(line.substr(0, comma));
      if (!item.empty()) out.emplace_back(item);
      if (comma == std::string_view::npos) break;
      line.remove_prefix(comma + 1);
    }
  }
  return out;
}

std::optional<std::string> NegotiateProtocol(const std::vector<std::string>& client,
                                             const std::vector<std::string>& server) {
  for (const std::string& c : client) {
    if (std::find(server.begin(), server.end(), c) != server.end()) return c;
  }
  return std::nullopt;
}

UpgradeAnswer AnswerSpdyUpgrade(const HttpRequest& request, StreamService service) {
  const std::vector<std::string>& server = SpdyProtocols(service);
  std::vector<std::string> client = SplitHeaderValues(request.headers, kProtocolHeader);
  if (client.empty()) {
    return Refuse(400, "unable to upgrade: " + std::string(kProtocolHeader) + " is required");
  }
  std::optional<std::string> chosen = NegotiateProtocol(client, server);
  if (!chosen) {
    std::vector<std::pair<std::string, std::string>> accepted;
    for (const std::string& p : server) accepted.emplace_back(kAcceptedProtocolsHeader, p);
    return Refuse(403,
                  "unable to upgrade: unable to negotiate protocol: client supports " +
                      GoList(client) + ", server accepts " + GoList(server),
                  accepted);
  }
  if (!AnyLineContains(request.headers, "Connection", "upgrade") ||
      !ContainsIgnoreCase(request.headers.Get("Upgrade").value_or(""), "spdy/3.1")) {
    return Refuse(400, "unable to upgrade: missing upgrade headers in request: " +
                           GoHeaderDump(request.headers));
  }
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Connection: Upgrade\r\n"
      "Upgrade: SPDY/3.1\r\n"
      "X-Stream-Protocol-Version: " +
      *chosen + "\r\n\r\n";
  return UpgradeAnswer{101, *chosen, std::move(response)};
}

UpgradeAnswer AnswerWebSocketUpgrade(const HttpRequest& request, StreamService service) {
  const HttpHeaders& h = request.headers;
  if (request.method != "GET") return RefuseWebSocket(405, "bad method", {{"Allow", "GET"}});
  if (!HasToken(h, "Upgrade", "websocket") || !AnyLineContains(h, "Connection", "upgrade")) {
    return RefuseWebSocket(400, "not websocket protocol");
  }
  if (Trim(h.Get("Sec-WebSocket-Version").value_or("")) != "13") {
    return RefuseWebSocket(400, "missing or bad WebSocket Version",
                           {{"Sec-WebSocket-Version", "13"}});
  }
  std::string_view key = Trim(h.Get("Sec-WebSocket-Key").value_or(""));
  auto raw_key = Base64Decode(key);
  if (h.Count("Sec-WebSocket-Key") != 1 || !raw_key || raw_key->size() != 16) {
    return RefuseWebSocket(400, "bad Sec-WebSocket-Key: want base64 of 16 bytes");
  }
  // x/net reads only the first Sec-WebSocket-Protocol line; offering none means "".
  std::vector<std::string> offered;
  if (auto line = h.Get("Sec-WebSocket-Protocol")) {
    HttpHeaders first;
    first.Add("Sec-WebSocket-Protocol", std::string(*line));
    offered = SplitHeaderValues(first, "Sec-WebSocket-Protocol");
  }
  const std::vector<std::string>& server = WebSocketProtocols(service);
  std::optional<std::string> chosen =
      NegotiateProtocol(offered.empty() ? std::vector<std::string>{""} : offered, server);
  if (!chosen) {
    std::vector<std::string> named;
    for (const std::string& p : server) named.push_back(p.empty() ? "\"\"" : p);
    return RefuseWebSocket(403, "requested protocol(s) are not supported: " + GoList(offered) +
                                    "; supports " + GoList(named));
  }
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      WebSocketAccept(key) + "\r\n";
  // An empty Sec-WebSocket-Protocol would name a protocol the client did not offer.
  if (!chosen->empty()) response += "Sec-WebSocket-Protocol: " + *chosen + "\r\n";
  response += "\r\n";
  return UpgradeAnswer{101, *chosen, std::move(response)};
}

std::string WebSocketAccept(std::string_view key) {
  std::string input = std::string(key) + std::string(kWebSocketGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr) != 1) {
    return "";  // libcrypto without SHA-1: the client rejects the handshake, loudly.
  }
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::optional<std::string> DecodeHttp2Settings(const HttpRequest& request) {
  auto values = request.headers.GetAll("HTTP2-Settings");
  if (values.size() != 1) return std::nullopt;
  return Base64UrlDecode(Trim(values[0]));
}

std::string H2cSwitchingProtocolsResponse() {
  return "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
}

const char* HttpStatusText(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
  }
  return "Unknown";
}

std::string ErrorResponse(int status, std::string_view body,
                          const std::vector<std::pair<std::string, std::string>>& extra) {
  std::string text(body);
  text += '\n';
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + HttpStatusText(status) + "\r\n";
  for (const auto& [name, value] : extra) out += name + ": " + value + "\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "X-Content-Type-Options: nosniff\r\n";
  out += "Content-Length: " + std::to_string(text.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  return out + text;
}

std::string NotFoundResponse() { return ErrorResponse(404, "404 page not found"); }

std::string MethodNotAllowedResponse() {
  return ErrorResponse(405, "405: Method Not Allowed", {{"Allow", "GET, POST"}});
}

std::string TooManyRequestsResponse(std::string_view body) {
  return ErrorResponse(429, body, {{"Retry-After", "60"}});
}

std::string BadRequestResponse(std::string_view reason) { return ErrorResponse(400, reason); }

}  // namespace airlock::streaming
