// H2Transport against the attacks an HTTP/2 server must survive: too many streams, rapid
// reset, CONTINUATION and PING floods, oversized header lists and SETTINGS, garbage instead
// of the preface. Each ends the connection (or refuses the stream) with the right code.
#include "streaming/h2_transport.h"

#include <gtest/gtest.h>

#include "h2_test_peer.h"

namespace airlock::streaming {
namespace {

// ---- attacks ----------------------------------------------------------------------------

TEST(H2TransportTest, TooManyConcurrentStreamsAreRefused) {
  H2Options options;
  options.max_concurrent_streams = 16;
  Pair p(options);
  // The client opens 20 streams before it has seen our SETTINGS (as an attacker would).
  std::vector<int32_t> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(p.client.OpenExecStream("stdout"));
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.events.opened.size(), 16u);
  int refused = 0;
  for (int32_t id : ids) {
    auto it = p.client.resets.find(id);
    if (it != p.client.resets.end() && it->second == NGHTTP2_REFUSED_STREAM) ++refused;
  }
  EXPECT_EQ(refused, 4);
  EXPECT_EQ(p.server->open_streams(), 16u);  // refused streams leave nothing behind
}

// The rapid-reset pattern: HEADERS and RST_STREAM of a new stream in one read.
Status OpenAndResetAtOnce(H2Transport& server, H2Client& client, Recorder& events) {
  int32_t id = client.OpenExecStream("stdin", /*with_body=*/true);
  std::string bytes = client.TakeOutput();
  client.ResetStream(id);
  bytes += client.TakeOutput();
  Status fed = server.Feed(bytes, events);
  client.Receive(server.PendingOutput());
  server.ConsumeOutput(server.PendingOutput().size());
  return fed;
}

TEST(H2TransportTest, RapidResetEndsTheConnection) {
  FakeClock clock;
  H2Options options;
  options.clock = &clock;
  options.max_client_resets_per_second = 32;
  Pair p(options);
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  Status result;
  int opened = 0;
  for (int i = 0; i < 40 && result.ok(); ++i) {
    ++opened;
    result = OpenAndResetAtOnce(*p.server, p.client, p.events);
  }
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(opened, 33);
  EXPECT_NE(result.error().message.find("reset by the client"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(p.client.goaways, std::vector<uint32_t>{NGHTTP2_ENHANCE_YOUR_CALM});
  // Broken for good: further input is refused.
  EXPECT_FALSE(p.server->Feed("x", p.events).ok());
}

TEST(H2TransportTest, ResetsSpreadOverTimeAreFine) {
  FakeClock clock;
  H2Options options;
  options.clock = &clock;
  options.max_client_resets_per_second = 32;
  Pair p(options);
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  for (int second = 0; second < 3; ++second) {
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(OpenAndResetAtOnce(*p.server, p.client, p.events).ok()) << second << "/" << i;
    }
    clock.Advance(std::chrono::milliseconds(1001));
  }
  EXPECT_EQ(p.events.reset.size(), 90u);
  EXPECT_EQ(p.server->open_streams(), 0u);
  EXPECT_TRUE(p.client.goaways.empty());
}

TEST(H2TransportTest, ContinuationFloodEndsTheConnection) {
  Pair p;
  std::string bytes = p.client.TakeOutput();  // preface + SETTINGS
  // A valid request header block (GET http /) plus a literal field, cut into 1-byte pieces:
  // one HEADERS and 30 CONTINUATION frames, none with END_HEADERS.
  std::string block = "\x82\x86\x84";
  block += std::string("\x00\x05x-pad\x10", 8) + std::string(16, 'a');
  block += std::string("\x00\x05x-pad\x10", 8) + std::string(16, 'b');
  bytes += Frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1, block.substr(0, 1));
  for (size_t i = 1; i <= 30 && i < block.size(); ++i) {
    bytes += Frame(NGHTTP2_CONTINUATION, 0, 1, block.substr(i, 1));
  }
  Status fed = p.server->Feed(bytes, p.events);
  ASSERT_FALSE(fed.ok());
  EXPECT_NE(fed.error().message.find("CONTINUATION"), std::string::npos) << fed.error().message;
  EXPECT_TRUE(p.events.opened.empty());
  p.client.Receive(p.server->PendingOutput());
  EXPECT_EQ(p.client.goaways, std::vector<uint32_t>{NGHTTP2_ENHANCE_YOUR_CALM});
}

TEST(H2TransportTest, HeaderListTooBigEndsTheConnection) {
  Pair p;
  std::map<std::string, std::string> big;
  for (int i = 0; i < 20; ++i) big["x-pad-" + std::to_string(i)] = std::string(1000, 'a' + i);
  big["streamtype"] = "stdout";
  p.client.Open("/exec/tok", big, false);
  Status result = Exchange(*p.server, p.client, p.events);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("header list over 16384 bytes"), std::string::npos)
      << result.error().message;
  EXPECT_TRUE(p.events.opened.empty());
  EXPECT_EQ(p.client.goaways, std::vector<uint32_t>{NGHTTP2_ENHANCE_YOUR_CALM});
}

TEST(H2TransportTest, HeaderListJustUnderTheLimitIsServed) {
  Pair p;
  std::map<std::string, std::string> fields;
  for (int i = 0; i < 10; ++i) fields["x-pad-" + std::to_string(i)] = std::string(1000, 'a');
  fields["streamtype"] = "stdout";
  p.client.Open("/exec/tok", fields, false);
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  ASSERT_EQ(p.events.opened.size(), 1u);
  EXPECT_EQ(p.events.opened[0].headers.at("x-pad-3"), std::string(1000, 'a'));
}

TEST(H2TransportTest, PingFloodFromAClientThatNeverReadsEndsTheConnection) {
  H2Options options;
  options.max_output_bytes = 1024;
  options.max_outbound_acks = 64;
  Pair p(options);
  std::string bytes = p.client.TakeOutput();
  for (int i = 0; i < 1000; ++i) bytes += Frame(NGHTTP2_PING, 0, 0, std::string(8, 'p'));
  // The socket never drains: the output stops growing and nghttp2's ACK queue overflows.
  Status fed;
  for (size_t pos = 0; pos < bytes.size() && fed.ok(); pos += 170) {
    fed = p.server->Feed(std::string_view(bytes).substr(pos, 170), p.events);
    if (fed.ok()) {
      ASSERT_LE(p.server->PendingOutput().size(), 2 * 1024u + 17);
    }
  }
  ASSERT_FALSE(fed.ok());
  EXPECT_NE(fed.error().message.find("Flooding"), std::string::npos) << fed.error().message;
  // Only the GOAWAY may go past the bound once the connection failed.
  EXPECT_LE(p.server->PendingOutput().size(), 2 * 1024u + 17 + 17 + 64);
}

TEST(H2TransportTest, TooManySettingsEntriesEndTheConnection) {
  Pair p;  // max_settings_entries = 16
  std::string bytes = p.client.TakeOutput();
  std::string entries;
  for (int i = 0; i < 17; ++i) entries += std::string("\x00\x04\x00\x01\x00\x00", 6);
  bytes += Frame(NGHTTP2_SETTINGS, 0, 0, entries);
  Status fed = p.server->Feed(bytes, p.events);
  ASSERT_FALSE(fed.ok());
  p.client.Receive(p.server->PendingOutput());
  EXPECT_EQ(p.client.goaways, std::vector<uint32_t>{NGHTTP2_ENHANCE_YOUR_CALM});
}

TEST(H2TransportTest, Http1RequestInsteadOfPrefaceIsAnError) {
  auto created = H2Transport::CreatePriorKnowledge({});
  ASSERT_TRUE(created.ok());
  auto server = std::move(created).value();
  Recorder events;
  events.transport = server.get();
  ASSERT_TRUE(server->Start(events).ok());
  Status fed = server->Feed("GET /exec/tok HTTP/1.1\r\nHost: x\r\n\r\n", events);
  ASSERT_FALSE(fed.ok());
  EXPECT_NE(fed.error().message.find("receive HTTP/2 frames"), std::string::npos);
  EXPECT_TRUE(events.opened.empty());
}

TEST(H2TransportTest, MalformedFrameAfterPrefaceIsAnError) {
  Pair p;
  std::string bytes = p.client.TakeOutput();
  bytes += Frame(NGHTTP2_DATA, 0, 0, "garbage");  // DATA on stream 0: PROTOCOL_ERROR
  Status fed = p.server->Feed(bytes, p.events);
  ASSERT_FALSE(fed.ok());
  p.client.Receive(p.server->PendingOutput());
  EXPECT_EQ(p.client.goaways, std::vector<uint32_t>{NGHTTP2_PROTOCOL_ERROR});
  EXPECT_TRUE(p.server->Feed("more", p.events).ok() == false);
}

}  // namespace
}  // namespace airlock::streaming
