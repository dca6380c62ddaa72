// WebSocketCodec: server side RFC 6455 framing over in-memory buffers, by wslay's event API.
// Pure (DESIGN.md §4.4): Receive() takes the bytes read from the socket and returns complete
// data messages; everything to be written (data frames, pongs, close replies) collects in an
// output buffer that the connection drains. No sockets, threads or clocks here.
//
// wslay enforces what a server must (RFC 6455 §5): client frames are masked, control frames
// are short and unfragmented, opcodes and RSV bits are known, text is UTF-8, a message stays
// under max_message_bytes. A violation queues a close frame with the matching status code
// (1002, 1007, 1009) and Receive() reports kFailed; the connection flushes and closes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shim/base/result.h"

struct wslay_event_context;

namespace airlock::streaming {

struct WebSocketMessage {
  bool binary = true;  // false: text (UTF-8 validated)
  std::string payload;
};

class WebSocketCodec {
 public:
  struct Options {
    // x/net/websocket's default maximum payload, which the k8s servers use.
    uint64_t max_message_bytes = 32 * 1024 * 1024;
  };

  static Result<std::unique_ptr<WebSocketCodec>> Create(Options options);
  static Result<std::unique_ptr<WebSocketCodec>> Create() { return Create(Options{}); }
  ~WebSocketCodec();
  WebSocketCodec(const WebSocketCodec&) = delete;
  WebSocketCodec& operator=(const WebSocketCodec&) = delete;

  // Parses `bytes` (any split of the stream) and appends completed data messages to `out`.
  // Pings are answered, a peer's close is answered. Error when the peer broke the protocol or
  // wslay failed: the session is over, flush the output (it holds our close frame) and close.
  Status Receive(std::string_view bytes, std::vector<WebSocketMessage>* out);

  // Queues one unfragmented message. Error after the close was sent.
  Status SendBinary(std::string_view payload);
  Status SendText(std::string_view payload);
  Status SendPing(std::string_view payload);
  // Queues our close frame (status code + reason ≤ 123 bytes); no data may follow it.
  Status SendClose(uint16_t code, std::string_view reason = {});

  // Bytes to write to the socket. ConsumeOutput(n) after writing n of them.
  std::string_view PendingOutput() const { return std::string_view(output_).substr(output_off_); }
  void ConsumeOutput(size_t n);
  std::string TakeOutput();

  bool close_received() const;
  bool close_sent() const;
  // Status code in the peer's close frame (1005 when it carried none).
  uint16_t peer_close_code() const;
  // Both closes exchanged (or the protocol failed) and all output taken: close the socket.
  bool finished() const;

 private:
  struct Callbacks;
  explicit WebSocketCodec(Options options);
  Status Flush();
  // Queues one message (binary, text or ping) and flushes; `what` names it in errors.
  Status Queue(uint8_t opcode, std::string_view payload, const char* what);

  struct ContextDeleter {
    void operator()(wslay_event_context* ctx) const;
  };
  Options options_;
  std::unique_ptr<wslay_event_context, ContextDeleter> ctx_;
  std::string_view input_;  // valid only during Receive()
  std::vector<WebSocketMessage>* sink_ = nullptr;
  std::string output_;
  size_t output_off_ = 0;
  bool failed_ = false;
};

}  // namespace airlock::streaming
