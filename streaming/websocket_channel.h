// The Kubernetes channel layer on WebSocket messages (mission-anchors §3.8, §3.9): every
// message carries one channel, binary as [channel] + payload, or, for the base64
// subprotocols, text as '0'+channel followed by standard base64 of the payload. v5 adds the
// close signal [255, channel] (the client's stdin EOF). Pure mapping, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shim/base/result.h"
#include "streaming/websocket_codec.h"

namespace airlock::streaming {

inline constexpr uint8_t kStdinChannel = 0;
inline constexpr uint8_t kStdoutChannel = 1;
inline constexpr uint8_t kStderrChannel = 2;
inline constexpr uint8_t kErrorChannel = 3;
inline constexpr uint8_t kResizeChannel = 4;
inline constexpr uint8_t kCloseSignal = 255;

struct ChannelProtocol {
  bool base64 = false;  // text frames with base64 payloads
  int version = 1;      // 1: "", channel.k8s.io, base64.channel.k8s.io; 4: v4.*; 5: v5.*

  // nullopt for a subprotocol that is not a channel protocol.
  static std::optional<ChannelProtocol> FromSubprotocol(std::string_view subprotocol);
  // Status on the error channel: v4+ write metav1.Status JSON always, v1 text on failure only.
  bool json_status() const { return version >= 4; }
  bool close_signal() const { return version >= 5; }
};

struct ChannelEvent {
  enum class Type {
    kData,   // payload for `channel`
    kClose,  // v5 close signal: the client will send no more on `channel`
  };
  Type type = Type::kData;
  uint8_t channel = 0;
  std::string data;
};

// Encodes one payload for `channel` as a WebSocket message.
WebSocketMessage EncodeChannelMessage(ChannelProtocol protocol, uint8_t channel,
                                      std::string_view payload);

// Decodes one received message. nullopt for an empty message (ignored, as upstream does).
// Error for invalid base64, a base64 channel digit out of range, or a malformed v5 close
// signal (anything but exactly [255, ch]) — upstream ends the read loop on those.
Result<std::optional<ChannelEvent>> DecodeChannelMessage(ChannelProtocol protocol,
                                                         const WebSocketMessage& message);

// The "ready" message goes to the lowest writable channel: stdout if requested, else
// stderr, else the error channel (upstream createWebSocketStreams).
uint8_t ReadyChannel(bool stdout_requested, bool stderr_requested);

// Port-forward over WebSocket: port i uses data channel 2i and error channel 2i+1; the first
// message the server sends on each is the port, uint16 little-endian.
inline uint8_t PortForwardDataChannel(size_t port_index) { return uint8_t(2 * port_index); }
inline uint8_t PortForwardErrorChannel(size_t port_index) { return uint8_t(2 * port_index + 1); }
std::string PortPrefix(uint16_t port);

// A WebSocketCodec with the channel layer on top: bytes in, channel events out.
class WebSocketChannelCodec {
 public:
  static Result<std::unique_ptr<WebSocketChannelCodec>> Create(
      ChannelProtocol protocol, WebSocketCodec::Options options = {});

  // Errors end the session (see WebSocketCodec::Receive and DecodeChannelMessage); after a
  // channel-layer error a close 1002/1007 is already queued.
  Status Receive(std::string_view bytes, std::vector<ChannelEvent>* out);
  Status Send(uint8_t channel, std::string_view payload);
  // The empty message on ReadyChannel(); send it right after the 101.
  Status SendReady(bool stdout_requested, bool stderr_requested);
  Status SendClose(uint16_t code = 1000, std::string_view reason = {});

  WebSocketCodec& transport() { return *codec_; }
  ChannelProtocol protocol() const { return protocol_; }

 private:
  WebSocketChannelCodec(ChannelProtocol protocol, std::unique_ptr<WebSocketCodec> codec)
      : protocol_(protocol), codec_(std::move(codec)) {}
  ChannelProtocol protocol_;
  std::unique_ptr<WebSocketCodec> codec_;
};

}  // namespace airlock::streaming
