#include "streaming/websocket_codec.h"

#include <wslay/wslay.h>

#include <algorithm>
#include <cstring>

namespace airlock::streaming {

// wslay calls back with a C function pointer and our object as user_data.
struct WebSocketCodec::Callbacks {
  static ssize_t Recv(wslay_event_context_ptr ctx, uint8_t* buf, size_t len, int /*flags*/,
                      void* user_data) {
    auto* self = static_cast<WebSocketCodec*>(user_data);
    if (self->input_.empty()) {
      // "No more bytes for now": wslay keeps its partial-frame state until the next Receive().
      wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
      return -1;
    }
    size_t n = std::min(len, self->input_.size());
    std::memcpy(buf, self->input_.data(), n);
    self->input_.remove_prefix(n);
    return static_cast<ssize_t>(n);
  }

  static ssize_t Send(wslay_event_context_ptr /*ctx*/, const uint8_t* data, size_t len,
                      int /*flags*/, void* user_data) {
    auto* self = static_cast<WebSocketCodec*>(user_data);
    self->output_.append(reinterpret_cast<const char*>(data), len);
    return static_cast<ssize_t>(len);
  }

  static int GenMask(wslay_event_context_ptr /*ctx*/, uint8_t* buf, size_t len,
                     void* /*user_data*/) {
    // Only clients mask (RFC 6455 §5.3); a server context never asks.
    std::memset(buf, 0, len);
    return 0;
  }

  static void OnMessage(wslay_event_context_ptr /*ctx*/,
                        const struct wslay_event_on_msg_recv_arg* arg, void* user_data) {
    auto* self = static_cast<WebSocketCodec*>(user_data);
    // Control frames are handled by wslay itself (pong queued, close answered).
    if (arg->opcode != WSLAY_TEXT_FRAME && arg->opcode != WSLAY_BINARY_FRAME) return;
    if (self->sink_ == nullptr) return;
    WebSocketMessage msg;
    msg.binary = arg->opcode == WSLAY_BINARY_FRAME;
    msg.payload.assign(reinterpret_cast<const char*>(arg->msg), arg->msg_length);
    self->sink_->push_back(std::move(msg));
  }
};

void WebSocketCodec::ContextDeleter::operator()(wslay_event_context* ctx) const {
  wslay_event_context_free(ctx);
}

WebSocketCodec::WebSocketCodec(Options options) : options_(options) {}
WebSocketCodec::~WebSocketCodec() = default;

Result<std::unique_ptr<WebSocketCodec>> WebSocketCodec::Create(Options options) {
  std::unique_ptr<WebSocketCodec> codec(new WebSocketCodec(options));
  static constexpr wslay_event_callbacks kCallbacks = {
      Callbacks::Recv, Callbacks::Send, Callbacks::GenMask,  nullptr,
      nullptr,         nullptr,         Callbacks::OnMessage};
  wslay_event_context_ptr ctx = nullptr;
  int rv = wslay_event_context_server_init(&ctx, &kCallbacks, codec.get());
  if (rv != 0) {
    return MakeError(ErrorCode::kInternal,
                     "create websocket codec: wslay_event_context_server_init failed (" +
                         std::to_string(rv) + ")");
  }
  codec->ctx_.reset(ctx);
  wslay_event_config_set_max_recv_msg_length(ctx, options.max_message_bytes);
  return codec;
}

Status WebSocketCodec::Flush() {
  int rv = wslay_event_send(ctx_.get());
  if (rv != 0) {
    failed_ = true;
    return MakeError(ErrorCode::kInternal,
                     "write websocket frames: wslay error " + std::to_string(rv));
  }
  return Status::Ok();
}

Status WebSocketCodec::Receive(std::string_view bytes, std::vector<WebSocketMessage>* out) {
  if (failed_) return MakeError(ErrorCode::kFailedPrecondition, "read websocket: session failed");
  input_ = bytes;
  sink_ = out;
  int rv = wslay_event_recv(ctx_.get());
  input_ = {};
  sink_ = nullptr;
  // Whatever wslay queued in reaction (pong, close reply, close for a protocol error) goes
  // to the output even when the read failed.
  Status flushed = Flush();
  if (rv != 0) {
    failed_ = true;
    return MakeError(ErrorCode::kInvalidArgument,
                     "read websocket frame: protocol error (wslay " + std::to_string(rv) + ")");
  }
  // wslay reports most violations by queueing a close and disabling reads, not by a
  // return value; without a close from the peer, that is a protocol failure.
  if (!wslay_event_get_read_enabled(ctx_.get()) && !close_received()) {
    failed_ = true;
    return MakeError(ErrorCode::kInvalidArgument,
                     "read websocket frame: protocol violation, closed with status " +
                         std::to_string(wslay_event_get_status_code_sent(ctx_.get())));
  }
  return flushed;
}

Status WebSocketCodec::Queue(uint8_t opcode, std::string_view payload, const char* what) {
  wslay_event_msg msg = {opcode, reinterpret_cast<const uint8_t*>(payload.data()), payload.size()};
  int rv = wslay_event_queue_msg(ctx_.get(), &msg);
  if (rv != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     std::string("queue websocket ") + what + ": wslay error " + std::to_string(rv));
  }
  return Flush();
}

Status WebSocketCodec::SendBinary(std::string_view payload) {
  return Queue(WSLAY_BINARY_FRAME, payload, "message");
}

Status WebSocketCodec::SendText(std::string_view payload) {
  return Queue(WSLAY_TEXT_FRAME, payload, "message");
}

Status WebSocketCodec::SendPing(std::string_view payload) { return Queue(WSLAY_PING, payload, "ping"); }

Status WebSocketCodec::SendClose(uint16_t code, std::string_view reason) {
  int rv = wslay_event_queue_close(ctx_.get(), code,
                                   reinterpret_cast<const uint8_t*>(reason.data()), reason.size());
  if (rv != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "queue websocket close: wslay error " + std::to_string(rv));
  }
  return Flush();
}

void WebSocketCodec::ConsumeOutput(size_t n) {
  output_off_ += std::min(n, output_.size() - output_off_);
  if (output_off_ == output_.size()) {
    output_.clear();
    output_off_ = 0;
  }
}

std::string WebSocketCodec::TakeOutput() {
  std::string out = output_.substr(output_off_);
  output_.clear();
  output_off_ = 0;
  return out;
}

bool WebSocketCodec::close_received() const {
  return wslay_event_get_close_received(ctx_.get()) != 0;
}

bool WebSocketCodec::close_sent() const { return wslay_event_get_close_sent(ctx_.get()) != 0; }

uint16_t WebSocketCodec::peer_close_code() const {
  return wslay_event_get_status_code_received(ctx_.get());
}

bool WebSocketCodec::finished() const {
  bool done = failed_ ? close_sent() || !wslay_event_get_write_enabled(ctx_.get())
                      : close_sent() && close_received();
  return done && PendingOutput().empty();
}

}  // namespace airlock::streaming
