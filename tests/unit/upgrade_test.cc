// Upgrade negotiation against the wire facts of mission-anchors §2.4, §3.1, §3.8, §3.9.
#include "streaming/upgrade.h"

#include <gtest/gtest.h>

#include <string>

namespace airlock::streaming {
namespace {

HttpRequest Parse(const std::string& head) {
  auto out = ParseHttpRequestHead(head);
  EXPECT_EQ(out.state, HttpRequestParser::State::kDone) << out.error.reason;
  return out.request;
}

std::string SpdyHead(const std::string& protocol_lines,
                     const std::string& upgrade = "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n") {
  return "POST /exec/tok HTTP/1.1\r\nHost: h\r\n" + upgrade + protocol_lines + "\r\n";
}

std::string WsHead(const std::string& extra, const std::string& method = "GET") {
  return method +
         " /exec/tok HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
         extra + "\r\n";
}

TEST(UpgradeTest, Classify) {
  EXPECT_EQ(ClassifyUpgrade(Parse(SpdyHead(""))), UpgradeKind::kSpdy);
  EXPECT_EQ(ClassifyUpgrade(
                Parse(SpdyHead("", "connection: keep-alive, UPGRADE\r\nupgrade: spdy/3.1\r\n"))),
            UpgradeKind::kSpdy);
  EXPECT_EQ(ClassifyUpgrade(Parse(WsHead(""))), UpgradeKind::kWebSocket);
  EXPECT_EQ(
      ClassifyUpgrade(Parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                            "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")),
      UpgradeKind::kH2c);
  // h2c without its settings header is not an h2c upgrade (RFC 7540 §3.2.1).
  EXPECT_EQ(ClassifyUpgrade(Parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
                                  "Upgrade: h2c\r\n\r\n")),
            UpgradeKind::kPlain);
  EXPECT_EQ(ClassifyUpgrade(Parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n")), UpgradeKind::kPlain);
  // Upgrade without Connection: upgrade is no upgrade.
  EXPECT_EQ(ClassifyUpgrade(Parse("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: SPDY/3.1\r\n\r\n")),
            UpgradeKind::kPlain);
}

TEST(UpgradeTest, SplitAndNegotiateFollowClientOrder) {
  HttpRequest r =
      Parse(SpdyHead("X-Stream-Protocol-Version: v3.channel.k8s.io , v9.channel.k8s.io\r\n"
                     "X-Stream-Protocol-Version: ,v4.channel.k8s.io\r\n"));
  auto client = SplitHeaderValues(r.headers, "x-stream-protocol-version");
  EXPECT_EQ(client, (std::vector<std::string>{"v3.channel.k8s.io", "v9.channel.k8s.io",
                                              "v4.channel.k8s.io"}));
  // The client's first supported protocol wins even though the server prefers v4.
  EXPECT_EQ(NegotiateProtocol(client, SpdyProtocols(StreamService::kRemoteCommand)),
            "v3.channel.k8s.io");
  EXPECT_EQ(NegotiateProtocol({"x", "y"}, SpdyProtocols(StreamService::kRemoteCommand)),
            std::nullopt);
}

TEST(UpgradeTest, SpdyClientOfferingV5FirstGetsV4WithTheExactHead) {
  HttpRequest r =
      Parse(SpdyHead("X-Stream-Protocol-Version: v5.channel.k8s.io\r\nX-Stream-Protocol-Version: "
                     "v4.channel.k8s.io\r\n"
                     "X-Stream-Protocol-Version: v3.channel.k8s.io\r\nX-Stream-Protocol-Version: "
                     "v2.channel.k8s.io\r\n"
                     "X-Stream-Protocol-Version: channel.k8s.io\r\n"));
  UpgradeAnswer a = AnswerSpdyUpgrade(r, StreamService::kRemoteCommand);
  ASSERT_TRUE(a.accepted()) << a.response;
  EXPECT_EQ(a.protocol, "v4.channel.k8s.io");
  EXPECT_EQ(a.response,
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
            "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n");
}

TEST(UpgradeTest, SpdyOldClientsNegotiateTheirVersion) {
  for (std::string v : {"v2.channel.k8s.io", "channel.k8s.io", "v3.channel.k8s.io"}) {
    UpgradeAnswer a = AnswerSpdyUpgrade(Parse(SpdyHead("X-Stream-Protocol-Version: " + v + "\r\n")),
                                        StreamService::kRemoteCommand);
    ASSERT_TRUE(a.accepted());
    EXPECT_EQ(a.protocol, v);
  }
}

TEST(UpgradeTest, SpdyWithoutProtocolHeaderIs400) {
  UpgradeAnswer a = AnswerSpdyUpgrade(Parse(SpdyHead("")), StreamService::kRemoteCommand);
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.response.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  EXPECT_NE(a.response.find("\r\n\r\nunable to upgrade: X-Stream-Protocol-Version is required\n"),
            std::string::npos)
      << a.response;
  EXPECT_NE(a.response.find("Connection: close\r\n"), std::string::npos);
}

TEST(UpgradeTest, SpdyWithNoCommonProtocolIs403WithAcceptedVersions) {
  UpgradeAnswer a =
      AnswerSpdyUpgrade(Parse(SpdyHead("X-Stream-Protocol-Version: v5.channel.k8s.io, v9\r\n")),
                        StreamService::kRemoteCommand);
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.response.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u);
  for (const char* v :
       {"v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"}) {
    EXPECT_NE(a.response.find(std::string("X-Accepted-Stream-Protocol-Versions: ") + v + "\r\n"),
              std::string::npos)
        << v;
  }
  EXPECT_NE(a.response.find("unable to upgrade: unable to negotiate protocol: client supports "
                            "[v5.channel.k8s.io v9], server accepts [v4.channel.k8s.io "
                            "v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]\n"),
            std::string::npos)
      << a.response;
  // Content-Length matches the body so a client can read the reason.
  size_t body = a.response.find("\r\n\r\n") + 4;
  EXPECT_NE(a.response.find("Content-Length: " + std::to_string(a.response.size() - body)),
            std::string::npos);
}

TEST(UpgradeTest, SpdyMissingUpgradeHeadersIs400WithTheHeaderDump) {
  UpgradeAnswer a = AnswerSpdyUpgrade(
      Parse(SpdyHead("x-stream-protocol-version: v4.channel.k8s.io\r\n", "Connection: close\r\n")),
      StreamService::kRemoteCommand);
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.response.find("unable to upgrade: missing upgrade headers in request: "
                            "http.Header{\"Connection\":[]string{\"close\"}, "
                            "\"X-Stream-Protocol-Version\":[]string{\"v4.channel.k8s.io\"}}\n"),
            std::string::npos)
      << a.response;
}

TEST(UpgradeTest, SpdyPortForward) {
  UpgradeAnswer ok =
      AnswerSpdyUpgrade(Parse(SpdyHead("X-Stream-Protocol-Version: portforward.k8s.io\r\n")),
                        StreamService::kPortForward);
  ASSERT_TRUE(ok.accepted());
  EXPECT_NE(ok.response.find("X-Stream-Protocol-Version: portforward.k8s.io\r\n"),
            std::string::npos);
  UpgradeAnswer bad =
      AnswerSpdyUpgrade(Parse(SpdyHead("X-Stream-Protocol-Version: v4.channel.k8s.io\r\n")),
                        StreamService::kPortForward);
  EXPECT_EQ(bad.status, 403);
  EXPECT_NE(bad.response.find("X-Accepted-Stream-Protocol-Versions: portforward.k8s.io\r\n"),
            std::string::npos);
}

TEST(UpgradeTest, WebSocketAcceptMatchesRfc6455Example) {
  EXPECT_EQ(WebSocketAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(UpgradeTest, WebSocketPicksTheClientsFirstAllowedProtocol) {
  UpgradeAnswer a = AnswerWebSocketUpgrade(
      Parse(WsHead("Sec-WebSocket-Protocol: v2.channel.k8s.io, v4.channel.k8s.io, "
                   "base64.channel.k8s.io\r\n")),
      StreamService::kRemoteCommand);
  ASSERT_TRUE(a.accepted()) << a.response;
  EXPECT_EQ(a.protocol, "v4.channel.k8s.io");
  EXPECT_EQ(a.response,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n");
  for (std::string p : {"channel.k8s.io", "base64.channel.k8s.io", "v4.base64.channel.k8s.io",
                        "v5.channel.k8s.io"}) {
    UpgradeAnswer b = AnswerWebSocketUpgrade(Parse(WsHead("Sec-WebSocket-Protocol: " + p + "\r\n")),
                                             StreamService::kRemoteCommand);
    EXPECT_EQ(b.protocol, p);
  }
}

TEST(UpgradeTest, WebSocketWithoutSubprotocolGetsNoneInThe101) {
  UpgradeAnswer a = AnswerWebSocketUpgrade(Parse(WsHead("")), StreamService::kRemoteCommand);
  ASSERT_TRUE(a.accepted());
  EXPECT_EQ(a.protocol, "");
  EXPECT_EQ(a.response.find("Sec-WebSocket-Protocol"), std::string::npos);
}

TEST(UpgradeTest, WebSocketRefusals) {
  EXPECT_EQ(AnswerWebSocketUpgrade(Parse(WsHead("", "POST")), StreamService::kRemoteCommand).status,
            405);
  UpgradeAnswer unsupported =
      AnswerWebSocketUpgrade(Parse(WsHead("Sec-WebSocket-Protocol: v3.channel.k8s.io\r\n")),
                             StreamService::kRemoteCommand);
  EXPECT_EQ(unsupported.status, 403);
  EXPECT_NE(
      unsupported.response.find("requested protocol(s) are not supported: [v3.channel.k8s.io]"),
      std::string::npos);
  // Port-forward over WebSocket knows no v5 and no v1 names.
  EXPECT_EQ(AnswerWebSocketUpgrade(Parse(WsHead("Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n")),
                                   StreamService::kPortForward)
                .status,
            403);
  EXPECT_EQ(
      AnswerWebSocketUpgrade(Parse(WsHead("Sec-WebSocket-Protocol: v4.base64.channel.k8s.io\r\n")),
                             StreamService::kPortForward)
          .protocol,
      "v4.base64.channel.k8s.io");

  std::string v8 =
      "GET /exec/t HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  UpgradeAnswer version = AnswerWebSocketUpgrade(Parse(v8), StreamService::kRemoteCommand);
  EXPECT_EQ(version.status, 400);
  EXPECT_NE(version.response.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);

  std::string short_key =
      "GET /exec/t HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c2hvcnQ=\r\n\r\n";
  EXPECT_EQ(AnswerWebSocketUpgrade(Parse(short_key), StreamService::kRemoteCommand).status, 400);
}

TEST(UpgradeTest, H2cSettingsDecode) {
  HttpRequest r = Parse(
      "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
  auto settings = DecodeHttp2Settings(r);
  ASSERT_TRUE(settings);
  // SETTINGS_MAX_CONCURRENT_STREAMS=100, SETTINGS_INITIAL_WINDOW_SIZE=65535.
  EXPECT_EQ(*settings, std::string("\x00\x03\x00\x00\x00\x64\x00\x04\x00\x00\xff\xff", 12));
  HttpRequest bad = Parse("GET / HTTP/1.1\r\nHost: h\r\nHTTP2-Settings: not*base64\r\n\r\n");
  EXPECT_FALSE(DecodeHttp2Settings(bad));
  EXPECT_EQ(H2cSwitchingProtocolsResponse(),
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
}

TEST(UpgradeTest, PlainErrorResponses) {
  std::string nf = NotFoundResponse();
  EXPECT_EQ(nf.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u);
  EXPECT_EQ(nf.substr(nf.size() - 19), "404 page not found\n");
  EXPECT_NE(nf.find("Content-Length: 19\r\n"), std::string::npos);
  std::string busy = TooManyRequestsResponse("too many streaming sessions");
  EXPECT_EQ(busy.rfind("HTTP/1.1 429 Too Many Requests\r\n", 0), 0u);
  EXPECT_NE(busy.find("Retry-After: 60\r\n"), std::string::npos);
  std::string method = MethodNotAllowedResponse();
  EXPECT_EQ(method.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u);
  EXPECT_NE(method.find("Allow: GET, POST\r\n"), std::string::npos);
  EXPECT_NE(BadRequestResponse("parse HTTP request head: bad method").find("\r\n\r\nparse HTTP"),
            std::string::npos);
}

}  // namespace
}  // namespace airlock::streaming
