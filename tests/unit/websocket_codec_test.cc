// WebSocket framing (wslay, server side) and the k8s channel layer, from hand-built client
// frames (RFC 6455 §5.2) to the exact bytes the server writes.
#include "streaming/websocket_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "streaming/websocket_channel.h"

namespace airlock::streaming {
namespace {

// A client frame: FIN/opcode, the MASK bit and length, the masking key, the masked payload.
std::string ClientFrame(uint8_t opcode, std::string_view payload, bool fin = true,
                        bool masked = true) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0x00) | opcode);
  uint8_t mask_bit = masked ? 0x80 : 0x00;
  if (payload.size() < 126) {
    f += static_cast<char>(mask_bit | payload.size());
  } else if (payload.size() <= 0xffff) {
    f += static_cast<char>(mask_bit | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xff);
  } else {
    f += static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      f += static_cast<char>((payload.size() >> shift) & 0xff);
  }
  const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (masked) f.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    f += static_cast<char>(payload[i] ^ (masked ? key[i % 4] : 0));
  }
  return f;
}

std::string CloseBody(uint16_t code) {
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
}

std::unique_ptr<WebSocketCodec> NewCodec(uint64_t max = 32 * 1024 * 1024) {
  auto codec = WebSocketCodec::Create(WebSocketCodec::Options{max});
  EXPECT_TRUE(codec.ok());
  return std::move(*codec);
}

TEST(WebSocketCodecTest, RfcExampleMaskedHello) {
  // RFC 6455 §5.7: a single-frame masked text message containing "Hello".
  const std::string frame("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  auto codec = NewCodec();
  std::vector<WebSocketMessage> got;
  ASSERT_TRUE(codec->Receive(frame, &got).ok());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].binary);
  EXPECT_EQ(got[0].payload, "Hello");
  EXPECT_TRUE(codec->PendingOutput().empty());
}

TEST(WebSocketCodecTest, ServerFramesAreUnmasked) {
  auto codec = NewCodec();
  ASSERT_TRUE(codec->SendBinary("\x01hi").ok());
  EXPECT_EQ(codec->TakeOutput(), std::string("\x82\x03\x01hi", 5));
  std::string big(300, 'x');
  ASSERT_TRUE(codec->SendText(big).ok());
  std::string out = codec->TakeOutput();
  EXPECT_EQ(out.substr(0, 4), std::string("\x81\x7e\x01\x2c", 4));  // 126 + 16-bit length
  EXPECT_EQ(out.substr(4), big);
}

TEST(WebSocketCodecTest, FragmentedMessageArrivesWholeWithPingInBetween) {
  std::string stream = ClientFrame(0x2, std::string("\x00he", 3), false) + ClientFrame(0x9, "p1") +
                       ClientFrame(0x0, "ll", false) + ClientFrame(0x0, "o", true);
  // Any split of the byte stream gives the same result.
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    auto codec = NewCodec();
    std::vector<WebSocketMessage> got;
    ASSERT_TRUE(codec->Receive(std::string_view(stream).substr(0, cut), &got).ok());
    ASSERT_TRUE(codec->Receive(std::string_view(stream).substr(cut), &got).ok());
    ASSERT_EQ(got.size(), 1u) << "cut " << cut;
    EXPECT_TRUE(got[0].binary);
    EXPECT_EQ(got[0].payload, std::string("\x00hello", 6));
    // The ping was answered with a pong carrying its payload.
    EXPECT_EQ(codec->TakeOutput(), std::string("\x8a\x02p1", 4));
  }
}

TEST(WebSocketCodecTest, PeerCloseIsAnsweredAndFinishes) {
  auto codec = NewCodec();
  std::vector<WebSocketMessage> got;
  ASSERT_TRUE(codec->Receive(ClientFrame(0x8, CloseBody(1000) + "bye"), &got).ok());
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(codec->close_received());
  EXPECT_EQ(codec->peer_close_code(), 1000);
  EXPECT_TRUE(codec->close_sent());
  std::string out = codec->TakeOutput();
  ASSERT_GE(out.size(), 4u);
  EXPECT_EQ(out.substr(0, 1), "\x88");
  EXPECT_EQ(out.substr(2, 2), CloseBody(1000));
  EXPECT_TRUE(codec->finished());
  // Nothing can be sent after the close.
  EXPECT_FALSE(codec->SendBinary("x").ok());
}

TEST(WebSocketCodecTest, ServerCloseThenPeerReply) {
  auto codec = NewCodec();
  ASSERT_TRUE(codec->SendClose(1000).ok());
  EXPECT_EQ(codec->TakeOutput(), std::string("\x88\x02\x03\xe8", 4));
  EXPECT_FALSE(codec->finished());
  std::vector<WebSocketMessage> got;
  ASSERT_TRUE(codec->Receive(ClientFrame(0x8, CloseBody(1000)), &got).ok());
  EXPECT_TRUE(codec->finished());
}

void ExpectProtocolFailure(const std::string& bytes, uint16_t code, uint64_t max = 1 << 20) {
  auto codec = NewCodec(max);
  std::vector<WebSocketMessage> got;
  Status s = codec->Receive(bytes, &got);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(got.empty());
  std::string out = codec->TakeOutput();
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x88) << "a close frame is queued";
  if (code != 0) {
    ASSERT_GE(out.size(), 4u);
    EXPECT_EQ(out.substr(2, 2), CloseBody(code));
  }
  EXPECT_TRUE(codec->finished());
  EXPECT_FALSE(codec->Receive(ClientFrame(0x2, "x"), &got).ok()) << "a failed session stays failed";
}

TEST(WebSocketCodecTest, UnmaskedClientFrameIsAProtocolError) {
  ExpectProtocolFailure(ClientFrame(0x2, "\x00hi", true, false), 1002);
}

TEST(WebSocketCodecTest, OversizeMessageIsClosedWith1009) {
  ExpectProtocolFailure(ClientFrame(0x2, std::string(11, 'a')), 1009, 10);
  // Also when the fragments only add up to too much.
  ExpectProtocolFailure(
      ClientFrame(0x2, std::string(6, 'a'), false) + ClientFrame(0x0, std::string(6, 'a')), 1009,
      10);
}

TEST(WebSocketCodecTest, BadOpcodesAndBadControlFramesFail) {
  ExpectProtocolFailure(ClientFrame(0x3, "x"), 0);                    // reserved opcode
  ExpectProtocolFailure(ClientFrame(0x9, std::string(126, 'p')), 0);  // control frame > 125
  ExpectProtocolFailure(ClientFrame(0x9, "p", false), 0);             // fragmented control
  ExpectProtocolFailure(ClientFrame(0x0, "x"), 1002);                 // continuation first
  ExpectProtocolFailure(ClientFrame(0x1, "\xff\xfe"), 1007);          // invalid UTF-8 text
}

TEST(WebSocketChannelTest, ProtocolsFromSubprotocols) {
  auto v4 = ChannelProtocol::FromSubprotocol("v4.channel.k8s.io");
  ASSERT_TRUE(v4);
  EXPECT_FALSE(v4->base64);
  EXPECT_TRUE(v4->json_status());
  EXPECT_FALSE(v4->close_signal());
  auto b64 = ChannelProtocol::FromSubprotocol("base64.channel.k8s.io");
  ASSERT_TRUE(b64);
  EXPECT_TRUE(b64->base64);
  EXPECT_FALSE(b64->json_status());
  EXPECT_TRUE(ChannelProtocol::FromSubprotocol("v5.channel.k8s.io")->close_signal());
  EXPECT_TRUE(ChannelProtocol::FromSubprotocol("v4.base64.channel.k8s.io")->base64);
  EXPECT_FALSE(ChannelProtocol::FromSubprotocol("")->base64);
  EXPECT_FALSE(ChannelProtocol::FromSubprotocol("v3.channel.k8s.io"));
}

TEST(WebSocketChannelTest, EncodeBinaryAndBase64) {
  ChannelProtocol binary{false, 4};
  ChannelProtocol base64{true, 1};
  WebSocketMessage b = EncodeChannelMessage(binary, kStdoutChannel, "out");
  EXPECT_TRUE(b.binary);
  EXPECT_EQ(b.payload, "\x01out");
  WebSocketMessage t = EncodeChannelMessage(base64, kStderrChannel, "hello");
  EXPECT_FALSE(t.binary);
  EXPECT_EQ(t.payload, "2aGVsbG8=");
  // The empty ready message.
  EXPECT_EQ(EncodeChannelMessage(binary, kStdoutChannel, "").payload, "\x01");
  EXPECT_EQ(EncodeChannelMessage(base64, kStdoutChannel, "").payload, "1");
}

TEST(WebSocketChannelTest, DecodeMessages) {
  ChannelProtocol base64{true, 4};
  auto in = DecodeChannelMessage(base64, WebSocketMessage{false, "0aGVsbG8="});
  ASSERT_TRUE(in.ok() && in->has_value());
  EXPECT_EQ((*in)->channel, kStdinChannel);
  EXPECT_EQ((*in)->data, "hello");
  EXPECT_FALSE(DecodeChannelMessage(base64, WebSocketMessage{false, "0aGVsbG8"}).ok());
  EXPECT_FALSE(DecodeChannelMessage(base64, WebSocketMessage{false, "0a*=="}).ok());
  EXPECT_FALSE(DecodeChannelMessage(base64, WebSocketMessage{false, "xaGVsbG8="}).ok());
  // Empty messages are ignored.
  auto empty = DecodeChannelMessage(base64, WebSocketMessage{false, ""});
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());

  ChannelProtocol v4{false, 4};
  auto resize =
      DecodeChannelMessage(v4, WebSocketMessage{true, "\x04{\"Width\":80,\"Height\":24}"});
  ASSERT_TRUE(resize.ok());
  EXPECT_EQ((*resize)->channel, kResizeChannel);
  EXPECT_EQ((*resize)->data, "{\"Width\":80,\"Height\":24}");
}

TEST(WebSocketChannelTest, V5CloseSignal) {
  ChannelProtocol v5{false, 5};
  auto close = DecodeChannelMessage(v5, WebSocketMessage{true, std::string("\xff\x00", 2)});
  ASSERT_TRUE(close.ok());
  EXPECT_EQ((*close)->type, ChannelEvent::Type::kClose);
  EXPECT_EQ((*close)->channel, kStdinChannel);
  EXPECT_FALSE(DecodeChannelMessage(v5, WebSocketMessage{true, "\xff"}).ok());
  EXPECT_FALSE(
      DecodeChannelMessage(v5, WebSocketMessage{true, std::string("\xff\x00\x01", 3)}).ok());
  // Before v5, 255 is only an unknown channel, left for the session to ignore.
  auto v4 = DecodeChannelMessage(ChannelProtocol{false, 4},
                                 WebSocketMessage{true, std::string("\xff\x00", 2)});
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ((*v4)->type, ChannelEvent::Type::kData);
  EXPECT_EQ((*v4)->channel, 255);
}

TEST(WebSocketChannelTest, ReadyChannelAndPortPrefix) {
  EXPECT_EQ(ReadyChannel(true, true), kStdoutChannel);
  EXPECT_EQ(ReadyChannel(false, true), kStderrChannel);
  EXPECT_EQ(ReadyChannel(false, false), kErrorChannel);
  EXPECT_EQ(PortPrefix(8080), std::string("\x90\x1f", 2));
  EXPECT_EQ(PortForwardDataChannel(1), 2);
  EXPECT_EQ(PortForwardErrorChannel(1), 3);
}

TEST(WebSocketChannelTest, CodecEchoRoundTrip) {
  auto codec = WebSocketChannelCodec::Create(ChannelProtocol{true, 1});
  ASSERT_TRUE(codec.ok());
  WebSocketChannelCodec& c = **codec;
  ASSERT_TRUE(c.SendReady(true, false).ok());
  EXPECT_EQ(c.transport().TakeOutput(), std::string("\x81\x01"
                                                    "1",
                                                    3));
  std::vector<ChannelEvent> events;
  ASSERT_TRUE(c.Receive(ClientFrame(0x1, "0aGk="), &events).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].channel, kStdinChannel);
  EXPECT_EQ(events[0].data, "hi");
  ASSERT_TRUE(c.Send(kStdoutChannel, events[0].data).ok());
  EXPECT_EQ(c.transport().TakeOutput(), std::string("\x81\x05"
                                                    "1aGk=",
                                                    7));
  // Invalid base64 ends the session with close 1007.
  Status bad = c.Receive(ClientFrame(0x1, "0a!"), &events);
  EXPECT_FALSE(bad.ok());
  std::string out = c.transport().TakeOutput();
  ASSERT_GE(out.size(), 4u);
  EXPECT_EQ(out.substr(0, 1), "\x88");
  EXPECT_EQ(out.substr(2, 2), CloseBody(1007));
}

}  // namespace
}  // namespace airlock::streaming
