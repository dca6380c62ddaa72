// The WebSocketChannelCodec::Receive fuzz body, shared by the binary and base64 targets.
//
// Input: one control byte (protocol version, message size limit, split key), then the bytes
// a client sends after the 101. The bytes go once whole and once cut at a few points into two
// codecs; both must report the same channel events up to the first error, the same verdict
// and, when no error happened, the same output (pongs aside). On top of that: events never carry
// more payload than was fed, what the server writes back is well-formed unmasked frames, an error
// leaves our close frame in the output, and once the WebSocket layer failed the codec reports
// nothing more.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "streaming/websocket_channel.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace airlock::fuzz {

// Walks server-to-client frames (RFC 6455 §5.2) and returns the status code of the close
// frame among them (1005 for one without a code, 0 for none); `kept` (if given) receives
// every frame but the pongs. A server never masks; control frames are final and ≤ 125 bytes.
inline uint16_t CheckServerFrames(std::string_view out, std::string* kept = nullptr) {
  uint16_t close = 0;
  while (!out.empty()) {
    FUZZ_CHECK(out.size() >= 2, "output ends inside a frame header");
    const uint8_t b0 = static_cast<uint8_t>(out[0]);
    const uint8_t b1 = static_cast<uint8_t>(out[1]);
    const uint8_t opcode = b0 & 0x0f;
    FUZZ_CHECK((b0 & 0x70) == 0, "RSV bits in our frame");
    FUZZ_CHECK((b1 & 0x80) == 0, "the server masked a frame");
    FUZZ_CHECK(opcode <= 2 || (opcode >= 8 && opcode <= 10), "opcode %u", opcode);
    uint64_t length = b1 & 0x7f;
    size_t header = 2;
    if (length == 126 || length == 127) {
      const size_t width = length == 126 ? 2 : 8;
      FUZZ_CHECK(out.size() >= 2 + width, "output ends inside an extended length");
      length = 0;
      for (size_t i = 0; i < width; ++i) length = length << 8 | static_cast<uint8_t>(out[2 + i]);
      header += width;
    }
    if (opcode >= 8) {
      FUZZ_CHECK((b0 & 0x80) != 0 && length <= 125, "bad control frame from the server");
      FUZZ_CHECK(opcode != 8 || length != 1, "close frame with a 1-byte payload");
      if (opcode == 8 && close == 0) {
        const size_t at = header;
        close = length < 2 ? 1005
                           : static_cast<uint16_t>(static_cast<uint8_t>(out[at]) << 8 |
                                                   static_cast<uint8_t>(out[at + 1]));
      }
    }
    FUZZ_CHECK(out.size() - header >= length, "output frame cut short");
    if (kept != nullptr && opcode != 10) kept->append(out.substr(0, header + length));
    out.remove_prefix(header + length);
  }
  return close;
}

inline std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

inline std::string WithoutPongs(std::string_view frames) {
  std::string kept;
  CheckServerFrames(frames, &kept);
  return kept;
}

struct ChannelRun {
  std::string events;  // a printable log, for comparing runs
  bool failed = false;
  bool close_received = false;  // the client's close frame was accepted
  uint16_t close_sent = 0;      // status code of our close frame, 0 for none
  std::string output;
};

inline ChannelRun ReceiveChannelPieces(streaming::ChannelProtocol protocol, uint64_t max_message,
                                       const std::vector<std::string_view>& pieces) {
  using streaming::ChannelEvent;
  auto codec = streaming::WebSocketChannelCodec::Create(protocol, {max_message});
  FUZZ_CHECK(codec.ok(), "create codec");
  ChannelRun run;
  size_t fed = 0;
  size_t payload = 0;
  bool transport_failed = false;
  for (std::string_view piece : pieces) {
    std::vector<ChannelEvent> events;
    const airlock::Status status = (*codec)->Receive(piece, &events);
    fed += piece.size();
    if (run.failed) {
      // A failed WebSocketCodec parses nothing more. After a channel-layer error only the
      // owner stops (the connection stops reading), so later events there are not counted.
      if (!transport_failed) break;
      FUZZ_CHECK(events.empty(), "%zu events after the session failed", events.size());
      FUZZ_CHECK(!status.ok(), "Receive succeeded after the session failed");
      FUZZ_CHECK((*codec)->transport().PendingOutput().empty(), "output after the failure");
      continue;
    }
    for (const ChannelEvent& event : events) {
      payload += event.data.size() + 1;
      if (event.type == ChannelEvent::Type::kClose) {
        FUZZ_CHECK(protocol.close_signal(), "close signal on protocol v%d", protocol.version);
        FUZZ_CHECK(event.data.empty(), "close signal with data");
      }
      FUZZ_CHECK(!protocol.base64 || event.channel <= 9, "base64 channel %u", event.channel);
      run.events += (event.type == ChannelEvent::Type::kClose ? "\nclose " : "\ndata ") +
                    std::to_string(event.channel) + " " + event.data;
    }
    // Every event costs at least a 6-byte masked frame header plus the channel byte.
    FUZZ_CHECK(payload <= fed, "%zu event bytes from %zu bytes fed", payload, fed);
    run.output += (*codec)->transport().TakeOutput();
    if (!status.ok()) {
      FUZZ_CHECK(!status.error().message.empty(), "error without a message");
      run.failed = true;
      // Receiving nothing tells whether the WebSocket layer itself has failed.
      std::vector<streaming::WebSocketMessage> none;
      transport_failed = !(*codec)->transport().Receive({}, &none).ok();
      FUZZ_CHECK(none.empty(), "a message out of no bytes");
    }
  }
  run.close_received = (*codec)->transport().close_received();
  run.close_sent = CheckServerFrames(run.output);
  if (run.failed) FUZZ_CHECK(run.close_sent != 0, "the session failed but no close was queued");
  return run;
}

inline int FuzzChannelCodec(const uint8_t* data, size_t size, bool base64) {
  FuzzInput input(data, size);
  const uint8_t key = input.TakeByte();
  static constexpr int kBinaryVersions[] = {1, 4, 5, 5};
  static constexpr int kBase64Versions[] = {1, 4, 4, 1};
  const streaming::ChannelProtocol protocol{
      base64, base64 ? kBase64Versions[key & 3] : kBinaryVersions[key & 3]};
  // A small limit makes message-too-big (1009) reachable with short inputs.
  const uint64_t max_message =
      (key & 4) ? 64 : streaming::WebSocketCodec::Options{}.max_message_bytes;
  const std::string_view bytes = input.rest();

  const ChannelRun whole = ReceiveChannelPieces(protocol, max_message, {bytes});
  const ChannelRun split = ReceiveChannelPieces(protocol, max_message, SplitPieces(bytes, key, 5));
  FUZZ_CHECK(whole.events == split.events, "events depend on the split:\nwhole:%s\nsplit:%s",
             whole.events.c_str(), split.events.c_str());
  // wslay 1.1.1 skips the first two bytes of *every* chunk of a close frame when it checks
  // the reason's UTF-8 (wslay_event.c, wslay_event_recv: `i = 2` per chunk), so whether a
  // bad reason is refused with 1007 depends on the reads; seed wslay-close-reason-split.
  auto wslay_1007 = [](const ChannelRun& run) {
    // Our own 1007 (bad base64) carries a reason; wslay's carries none.
    return run.close_sent == 1007 && run.output.find("invalid channel") == std::string::npos;
  };
  const bool utf8_close =
      wslay_1007(whole) || wslay_1007(split) || whole.close_received || split.close_received;
  if (!utf8_close) {
    FUZZ_CHECK(whole.failed == split.failed, "verdict depends on the split (%d vs %d)",
               whole.failed, split.failed);
  }
  // On errors the close frame differs legitimately: with the whole input wslay may find a
  // later violation (and queue its own close) before the channel layer refuses an earlier
  // message. Otherwise the output is the same, pongs aside: wslay puts a close ahead of
  // pongs still queued and drops them, so a pong flushed at the end of an earlier read is on
  // the wire in one run only.
  if (whole.failed || split.failed) return 0;
  const std::string whole_out = WithoutPongs(whole.output);
  const std::string split_out = WithoutPongs(split.output);
  FUZZ_CHECK(whole_out == split_out, "output depends on the split:\nwhole: %s\nsplit: %s",
             Hex(whole_out).c_str(), Hex(split_out).c_str());
  return 0;
}

}  // namespace airlock::fuzz
