#include "streaming/websocket_channel.h"

#include "streaming/http_base64.h"

namespace airlock::streaming {

std::optional<ChannelProtocol> ChannelProtocol::FromSubprotocol(std::string_view subprotocol) {
  if (subprotocol.empty() || subprotocol == "channel.k8s.io") return ChannelProtocol{false, 1};
  if (subprotocol == "base64.channel.k8s.io") return ChannelProtocol{true, 1};
  if (subprotocol == "v4.channel.k8s.io") return ChannelProtocol{false, 4};
  if (subprotocol == "v4.base64.channel.k8s.io") return ChannelProtocol{true, 4};
  if (subprotocol == "v5.channel.k8s.io") return ChannelProtocol{false, 5};
  return std::nullopt;
}

WebSocketMessage EncodeChannelMessage(ChannelProtocol protocol, uint8_t channel,
                                      std::string_view payload) {
  WebSocketMessage msg;
  if (protocol.base64) {
    msg.binary = false;
    msg.payload = static_cast<char>('0' + channel);
    msg.payload += Base64Encode(payload);
  } else {
    msg.binary = true;
    msg.payload.reserve(payload.size() + 1);
    msg.payload = static_cast<char>(channel);
    msg.payload += payload;
  }
  return msg;
}

Result<std::optional<ChannelEvent>> DecodeChannelMessage(ChannelProtocol protocol,
                                                         const WebSocketMessage& message) {
  std::string_view bytes = message.payload;
  if (bytes.empty()) return std::optional<ChannelEvent>();
  ChannelEvent event;
  uint8_t first = static_cast<uint8_t>(bytes[0]);
  bytes.remove_prefix(1);
  if (protocol.close_signal() && first == kCloseSignal) {
    if (bytes.size() != 1) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          "decode websocket close signal: want 2 bytes, got " + std::to_string(bytes.size() + 1));
    }
    event.type = ChannelEvent::Type::kClose;
    event.channel = static_cast<uint8_t>(bytes[0]);
    return std::optional<ChannelEvent>(std::move(event));
  }
  if (protocol.base64) {
    if (first < '0' || first > '9') {
      return MakeError(ErrorCode::kInvalidArgument,
                       "decode base64 channel message: channel character is not a digit");
    }
    event.channel = static_cast<uint8_t>(first - '0');
    auto decoded = Base64Decode(bytes);
    if (!decoded) {
      return MakeError(ErrorCode::kInvalidArgument, "decode base64 channel message on channel " +
                                                        std::to_string(event.channel) +
                                                        ": invalid base64");
    }
    event.data = std::move(*decoded);
  } else {
    event.channel = first;
    event.data.assign(bytes);
  }
  return std::optional<ChannelEvent>(std::move(event));
}

uint8_t ReadyChannel(bool stdout_requested, bool stderr_requested) {
  if (stdout_requested) return kStdoutChannel;
  if (stderr_requested) return kStderrChannel;
  return kErrorChannel;
}

std::string PortPrefix(uint16_t port) {
  std::string out(2, '\0');
  out[0] = static_cast<char>(port & 0xff);
  out[1] = static_cast<char>(port >> 8);
  return out;
}

Result<std::unique_ptr<WebSocketChannelCodec>> WebSocketChannelCodec::Create(
    ChannelProtocol protocol, WebSocketCodec::Options options) {
  auto codec = WebSocketCodec::Create(options);
  if (!codec.ok()) return codec.error();
  return std::unique_ptr<WebSocketChannelCodec>(
      new WebSocketChannelCodec(protocol, std::move(*codec)));
}

Status WebSocketChannelCodec::Receive(std::string_view bytes, std::vector<ChannelEvent>* out) {
  std::vector<WebSocketMessage> messages;
  Status received = codec_->Receive(bytes, &messages);
  // Messages completed before a failure are still delivered: they were valid.
  for (const WebSocketMessage& msg : messages) {
    auto event = DecodeChannelMessage(protocol_, msg);
    if (!event.ok()) {
      // 1007 "inconsistent data" for bad base64, 1002 for a malformed signal.
      uint16_t code = protocol_.base64 ? 1007 : 1002;
      (void)codec_->SendClose(code, "invalid channel message");
      return event.error();
    }
    if (event->has_value()) out->push_back(std::move(**event));
  }
  return received;
}

Status WebSocketChannelCodec::Send(uint8_t channel, std::string_view payload) {
  WebSocketMessage msg = EncodeChannelMessage(protocol_, channel, payload);
  return msg.binary ? codec_->SendBinary(msg.payload) : codec_->SendText(msg.payload);
}

Status WebSocketChannelCodec::SendReady(bool stdout_requested, bool stderr_requested) {
  return Send(ReadyChannel(stdout_requested, stderr_requested), "");
}

Status WebSocketChannelCodec::SendClose(uint16_t code, std::string_view reason) {
  return codec_->SendClose(code, reason);
}

}  // namespace airlock::streaming
