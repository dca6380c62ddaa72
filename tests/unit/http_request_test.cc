// HTTP/1.1 request head parsing: what the streaming server needs from a client's first bytes.
#include "streaming/http_request.h"

#include <gtest/gtest.h>

#include <string>

namespace airlock::streaming {
namespace {

using State = HttpRequestParser::State;

const std::string kSpdyHead =
    "POST /exec/Ab3_xY-9?ignored=1 HTTP/1.1\r\n"
    "Host: 127.0.0.1:41235\r\n"
    "Connection: Upgrade\r\n"
    "Upgrade: SPDY/3.1\r\n"
    "X-Stream-Protocol-Version: v5.channel.k8s.io\r\n"
    "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
    "x-stream-protocol-version: channel.k8s.io\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

TEST(HttpRequestTest, ParsesClientGoSpdyHead) {
  auto out = ParseHttpRequestHead(kSpdyHead);
  ASSERT_EQ(out.state, State::kDone) << out.error.reason;
  const HttpRequest& r = out.request;
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/exec/Ab3_xY-9?ignored=1");
  EXPECT_EQ(r.path, "/exec/Ab3_xY-9");
  EXPECT_EQ(r.query, "ignored=1");
  EXPECT_EQ(r.version, 11);
  EXPECT_EQ(r.head_bytes, kSpdyHead.size());
  // Case-insensitive lookup, every line of a repeated header, in order.
  EXPECT_EQ(r.headers.Get("upgrade"), "SPDY/3.1");
  EXPECT_EQ(r.headers.Get("CONNECTION"), "Upgrade");
  auto versions = r.headers.GetAll("X-Stream-Protocol-Version");
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(versions[0], "v5.channel.k8s.io");
  EXPECT_EQ(versions[1], "v4.channel.k8s.io");
  EXPECT_EQ(versions[2], "channel.k8s.io");
  EXPECT_FALSE(r.headers.Has("Sec-WebSocket-Key"));
}

TEST(HttpRequestTest, BytesAfterTheHeadAreNotConsumed) {
  // A SPDY client may send its first SYN_STREAM in the same segment as the head.
  std::string bytes = kSpdyHead + std::string("\x80\x03\x00\x01", 4);
  auto out = ParseHttpRequestHead(bytes);
  ASSERT_EQ(out.state, State::kDone) << out.error.reason;
  EXPECT_EQ(out.request.head_bytes, kSpdyHead.size());
  EXPECT_EQ(bytes.substr(out.request.head_bytes), std::string("\x80\x03\x00\x01", 4));
}

TEST(HttpRequestTest, ByteByByteNeedsMoreUntilTheBlankLine) {
  HttpRequestParser parser;
  for (size_t n = 1; n < kSpdyHead.size(); ++n) {
    auto out = parser.Parse(std::string_view(kSpdyHead).substr(0, n));
    ASSERT_EQ(out.state, State::kNeedMore) << "at " << n << ": " << out.error.reason;
  }
  auto out = parser.Parse(kSpdyHead);
  ASSERT_EQ(out.state, State::kDone) << out.error.reason;
  EXPECT_EQ(out.request.headers.GetAll("x-stream-protocol-version").size(), 3u);
}

TEST(HttpRequestTest, HeadOverTheLimitIs400) {
  std::string head =
      "GET /exec/t HTTP/1.1\r\nHost: h\r\nX-Pad: " + std::string(17 * 1024, 'a') + "\r\n\r\n";
  auto out = ParseHttpRequestHead(head);
  ASSERT_EQ(out.state, State::kError);
  EXPECT_EQ(out.error.status, 400);
  EXPECT_NE(out.error.reason.find("larger than 16384 bytes"), std::string::npos)
      << out.error.reason;

  // A client that never ends its head is cut off at the limit too.
  HttpRequestParser parser;
  std::string endless = "GET /exec/t HTTP/1.1\r\nX-Pad: " + std::string(16 * 1024, 'b');
  EXPECT_EQ(parser.Parse(endless).state, State::kError);
}

TEST(HttpRequestTest, TooManyHeaderFieldsIs400) {
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 20; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
  head += "\r\n";
  HttpLimits limits;
  limits.max_header_count = 10;
  auto out = ParseHttpRequestHead(head, limits);
  ASSERT_EQ(out.state, State::kError);
  EXPECT_NE(out.error.reason.find("more than 10 header fields"), std::string::npos);
  EXPECT_EQ(ParseHttpRequestHead(head).state, State::kDone);
}

TEST(HttpRequestTest, MalformedHeadsAreRejectedWithAReason) {
  const char* bad[] = {
      "GET /x HTTP/1.1\r\nHost h\r\n\r\n",              // no colon
      "GET /x HTTP/1.1\r\nHost : h\r\n\r\n",            // space before colon
      "G(T /x HTTP/1.1\r\nHost: h\r\n\r\n",             // bad method token
      "GET /x HTTP/2.0\r\nHost: h\r\n\r\n",             // not HTTP/1.x
      "GET /x HTTP/1.1\r\n\r\n",                        // 1.1 without Host
      "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  // two Hosts
      "GET x HTTP/1.1\r\nHost: h\r\n\r\n",              // not origin-form
      "GET /x HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",  // obsolete line folding
  };
  for (const char* head : bad) {
    auto out = ParseHttpRequestHead(head);
    EXPECT_EQ(out.state, State::kError) << head;
    EXPECT_EQ(out.error.status, 400) << head;
    EXPECT_EQ(out.error.reason.rfind("parse HTTP request head: ", 0), 0u) << out.error.reason;
  }
}

TEST(HttpRequestTest, AbsoluteFormBecomesOriginForm) {
  auto out =
      ParseHttpRequestHead("GET http://127.0.0.1:1/attach/tok?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(out.state, State::kDone) << out.error.reason;
  EXPECT_EQ(out.request.path, "/attach/tok");
  EXPECT_EQ(out.request.query, "x=1");
}

TEST(HttpRequestTest, Http10WithoutHostIsAccepted) {
  auto out = ParseHttpRequestHead("GET /portforward/t HTTP/1.0\r\n\r\n");
  ASSERT_EQ(out.state, State::kDone) << out.error.reason;
  EXPECT_EQ(out.request.version, 10);
}

TEST(HttpRequestTest, ParserRefusesToContinueAfterAnError) {
  HttpRequestParser parser;
  ASSERT_EQ(parser.Parse("BAD\x01 / HTTP/1.1\r\n\r\n").state, State::kError);
  EXPECT_EQ(parser.Parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n").state, State::kError);
}

}  // namespace
}  // namespace airlock::streaming
