// Fuzz target: DecodeChannelMessage, the k8s channel layer on one WebSocket message.
//
// Input: one control byte (protocol: base64 or not, version 1/4/5; text or binary message),
// then the message payload. Checks: the binary protocols map [ch]+payload to exactly that
// channel and payload; a v5 close signal is exactly two bytes; a base64 message decodes to
// bytes that encode back to the same text (Go's StdEncoding is canonical, so is ours) and
// to a payload of 3/4 the text's size; and Encode→Decode returns what was encoded.
#include <cstdint>
#include <string>

#include "streaming/http_base64.h"
#include "streaming/websocket_channel.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

using namespace airlock::streaming;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  airlock::fuzz::FuzzInput input(data, size);
  const uint8_t key = input.TakeByte();
  static constexpr int kVersions[] = {1, 4, 5};
  ChannelProtocol protocol{(key & 1) != 0, kVersions[(key >> 1) % 3]};
  if (protocol.base64 && protocol.version == 5) protocol.version = 4;  // no v5.base64
  WebSocketMessage message{(key & 0x80) == 0, std::string(input.rest())};
  const std::string_view payload = message.payload;

  auto decoded = DecodeChannelMessage(protocol, message);
  if (payload.empty()) {
    FUZZ_CHECK(decoded.ok() && !decoded->has_value(), "an empty message is ignored");
  } else if (decoded.ok()) {
    FUZZ_CHECK(decoded->has_value(), "a non-empty message decoded to nothing");
    const ChannelEvent& event = **decoded;
    const uint8_t first = static_cast<uint8_t>(payload[0]);
    if (event.type == ChannelEvent::Type::kClose) {
      FUZZ_CHECK(protocol.close_signal() && first == kCloseSignal && payload.size() == 2,
                 "close signal from a %zu-byte message on v%d", payload.size(), protocol.version);
      FUZZ_CHECK(event.channel == static_cast<uint8_t>(payload[1]), "close channel");
    } else if (!protocol.base64) {
      FUZZ_CHECK(!(protocol.close_signal() && first == kCloseSignal), "255 taken as data on v5");
      FUZZ_CHECK(event.channel == first && event.data == payload.substr(1), "binary mapping");
    } else {
      FUZZ_CHECK(first >= '0' && first <= '9' && event.channel == first - '0', "base64 channel");
      const std::string_view text = payload.substr(1);
      FUZZ_CHECK(Base64Encode(event.data) == text, "base64 \"%.*s\" is not canonical",
                 static_cast<int>(text.size()), text.data());
      FUZZ_CHECK(event.data.size() <= text.size() * 3 / 4, "decoded more than 3/4 of the text");
    }
  } else {
    FUZZ_CHECK(!decoded.error().message.empty(), "error without a message");
    // Binary data messages always decode; only a malformed close signal can fail.
    FUZZ_CHECK(protocol.base64 ||
                   (protocol.close_signal() && static_cast<uint8_t>(payload[0]) == kCloseSignal),
               "binary message rejected: %s", decoded.error().message.c_str());
  }

  // Whatever we send must decode to itself on the same protocol (channels 0-9 exist).
  const uint8_t channel = payload.empty() ? 0 : static_cast<uint8_t>(payload[0]) % 10;
  const std::string body = payload.empty() ? std::string() : std::string(payload.substr(1));
  const WebSocketMessage encoded = EncodeChannelMessage(protocol, channel, body);
  auto back = DecodeChannelMessage(protocol, encoded);
  FUZZ_CHECK(back.ok() && back->has_value(), "decode our own message");
  FUZZ_CHECK((*back)->type == ChannelEvent::Type::kData && (*back)->channel == channel &&
                 (*back)->data == body,
             "encode/decode round trip");
  return 0;
}
