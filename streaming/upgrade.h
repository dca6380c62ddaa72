// Upgrade negotiation of the streaming server: which transport a request asks for, which
// remotecommand/port-forward protocol both sides speak, and the exact response heads,
// byte-compatible with k8s.io/apimachinery httpstream (SPDY) and x/net/websocket + wsstream
// (WebSocket) as described in mission-anchors §2.4, §3.1, §3.8, §3.9. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streaming/http_request.h"

namespace airlock::streaming {

enum class UpgradeKind {
  kPlain,      // no upgrade we know: answered like the SPDY path (its 400 texts)
  kSpdy,       // Connection contains "upgrade" and Upgrade contains "spdy/3.1"
  kWebSocket,  // Connection contains "upgrade" and Upgrade is "websocket"
  kH2c,        // Upgrade: h2c with exactly one HTTP2-Settings header (RFC 7540 §3.2)
};
UpgradeKind ClassifyUpgrade(const HttpRequest& request);
const char* UpgradeKindName(UpgradeKind kind);

// What the stream carries: remotecommand for /exec and /attach, port-forward for /portforward.
enum class StreamService { kRemoteCommand, kPortForward };

// Server protocol lists, most preferred first (SPDY) or in the order upstream lists them.
const std::vector<std::string>& SpdyProtocols(StreamService service);
const std::vector<std::string>& WebSocketProtocols(StreamService service);

// Every value of every `header` line, split on "," and trimmed, empty items dropped.
std::vector<std::string> SplitHeaderValues(const HttpHeaders& headers, std::string_view header);
// The first client protocol (client order) that the server supports; nullopt when none.
std::optional<std::string> NegotiateProtocol(const std::vector<std::string>& client,
                                             const std::vector<std::string>& server);

// The outcome of an upgrade attempt: a 101 to send before switching protocols, or a
// complete error response after which the connection is closed unread.
struct UpgradeAnswer {
  int status = 0;
  std::string protocol;  // negotiated protocol when status == 101 (may be "" for WebSocket)
  std::string response;  // exact bytes to write
  bool accepted() const { return status == 101; }
};

// SPDY/3.1: X-Stream-Protocol-Version negotiation first (400 when absent, 403 with
// X-Accepted-Stream-Protocol-Versions when no match), then the upgrade headers (400).
UpgradeAnswer AnswerSpdyUpgrade(const HttpRequest& request, StreamService service);

// WebSocket (RFC 6455 §4.2): GET only (405), version 13 and a 16-byte key (400),
// Sec-WebSocket-Protocol negotiated from the first header line (403 when none allowed).
UpgradeAnswer AnswerWebSocketUpgrade(const HttpRequest& request, StreamService service);

// Sec-WebSocket-Accept for a client key: base64(SHA-1(key + RFC 6455 GUID)).
std::string WebSocketAccept(std::string_view key);

// h2c (RFC 7540 §3.2): the decoded SETTINGS payload of HTTP2-Settings (for
// nghttp2_session_upgrade2), or nullopt when it is not valid base64url.
std::optional<std::string> DecodeHttp2Settings(const HttpRequest& request);
std::string H2cSwitchingProtocolsResponse();

// Error responses shaped like Go's http.Error: text/plain body ending in "\n",
// nosniff, Content-Length, and Connection: close because the server closes after it.
std::string ErrorResponse(int status, std::string_view body,
                          const std::vector<std::pair<std::string, std::string>>& extra = {});
std::string NotFoundResponse();                              // 404 "404 page not found"
std::string MethodNotAllowedResponse();                      // 405, Allow: GET, POST
std::string TooManyRequestsResponse(std::string_view body);  // 429, Retry-After: 60
std::string BadRequestResponse(std::string_view reason);     // 400 with the reason
const char* HttpStatusText(int status);

}  // namespace airlock::streaming
