#include "cli/ws_exec_client.h"

#include <sys/random.h>
#include <wslay/wslay.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "streaming/http_base64.h"
#include "streaming/upgrade.h"

namespace airlock::cli {
namespace {

constexpr uint8_t kStdinChannel = 0;
constexpr uint8_t kStdoutChannel = 1;
constexpr uint8_t kStderrChannel = 2;
constexpr uint8_t kErrorChannel = 3;
constexpr uint8_t kResizeChannel = 4;
constexpr uint8_t kCloseSignal = 255;
// A status is a few hundred bytes; a server that sends more is broken.
constexpr size_t kMaxStatusBytes = 64 * 1024;
// x/net/websocket's limit, which the Kubernetes servers send under.
constexpr uint64_t kMaxMessageBytes = 32 * 1024 * 1024;

Status FillRandom(void* buf, size_t len) {
  auto* p = static_cast<uint8_t*>(buf);
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read random bytes for websocket", errno);
    p += n;
    len -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Error Broken(const std::string& why) {
  return MakeError(ErrorCode::kUnavailable, "read websocket from the streaming server: " + why);
}

}  // namespace

// wslay calls back with C function pointers and our object as user_data.
struct WsExecClient::Callbacks {
  static ssize_t Recv(wslay_event_context_ptr ctx, uint8_t* buf, size_t len, int, void* user_data) {
    auto* self = static_cast<WsExecClient*>(user_data);
    if (self->input_.empty()) {
      // "Nothing more for now": wslay keeps a partial frame until the next Feed().
      wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
      return -1;
    }
    size_t n = std::min(len, self->input_.size());
    std::memcpy(buf, self->input_.data(), n);
    self->input_.remove_prefix(n);
    return static_cast<ssize_t>(n);
  }

  static ssize_t Send(wslay_event_context_ptr, const uint8_t* data, size_t len, int,
                      void* user_data) {
    auto* self = static_cast<WsExecClient*>(user_data);
    self->output_.append(reinterpret_cast<const char*>(data), len);
    return static_cast<ssize_t>(len);
  }

  static int GenMask(wslay_event_context_ptr ctx, uint8_t* buf, size_t len, void* user_data) {
    // Masking keys must be unpredictable to the page's peers (RFC 6455 §10.3).
    if (Status s = FillRandom(buf, len); !s.ok()) {
      auto* self = static_cast<WsExecClient*>(user_data);
      if (!self->failure_) self->failure_ = s.error();
      wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
      return -1;
    }
    return 0;
  }

  static void OnMessage(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg,
                        void* user_data) {
    auto* self = static_cast<WsExecClient*>(user_data);
    self->OnMessage(arg->opcode,
                    std::string_view(reinterpret_cast<const char*>(arg->msg), arg->msg_length));
  }
};

void WsExecClient::ContextDeleter::operator()(wslay_event_context* ctx) const {
  wslay_event_context_free(ctx);
}

WsExecClient::WsExecClient(ExecTarget target, ExecStreams streams,
                           std::optional<TerminalSize> initial_size)
    : target_(std::move(target)), streams_(streams), initial_size_(initial_size) {}

WsExecClient::~WsExecClient() = default;

Result<std::unique_ptr<WsExecClient>> WsExecClient::Create(
    ExecTarget target, ExecStreams streams, std::optional<TerminalSize> initial_size) {
  std::unique_ptr<WsExecClient> client(new WsExecClient(std::move(target), streams, initial_size));
  static constexpr wslay_event_callbacks kCallbacks = {
      Callbacks::Recv, Callbacks::Send, Callbacks::GenMask,  nullptr,
      nullptr,         nullptr,         Callbacks::OnMessage};
  wslay_event_context_ptr ctx = nullptr;
  if (int rv = wslay_event_context_client_init(&ctx, &kCallbacks, client.get()); rv != 0)
    return MakeError(ErrorCode::kInternal,
                     "create websocket client: wslay error " + std::to_string(rv));
  client->ctx_.reset(ctx);
  wslay_event_config_set_max_recv_msg_length(ctx, kMaxMessageBytes);

  char nonce[16];
  AIRLOCK_RETURN_IF_ERROR(FillRandom(nonce, sizeof nonce));
  client->key_ = streaming::Base64Encode(std::string_view(nonce, sizeof nonce));
  return client;
}

Status WsExecClient::Start() {
  output_ += "GET " + target_.path + " HTTP/1.1\r\n";
  output_ += "Host: " + target_.authority + "\r\n";
  for (const auto& [name, value] : target_.headers) output_ += name + ": " + value + "\r\n";
  output_ +=
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Version: 13\r\n";
  output_ += "Sec-WebSocket-Key: " + key_ + "\r\n";
  // One line: x/net/websocket reads only the first Sec-WebSocket-Protocol header.
  output_ += std::string("Sec-WebSocket-Protocol: ") + kOfferedProtocols + "\r\n";
  output_ += "User-Agent: airlock\r\n\r\n";
  return Status::Ok();
}

Status WsExecClient::CheckUpgrade(const UpgradeResponse& response) {
  const std::string op = "upgrade to websocket";
  if (response.status != 101) return UpgradeRefused(op, response);
  auto refuse = [&](const std::string& why) {
    return MakeError(ErrorCode::kUnavailable, op + ": " + why);
  };
  if (!HeaderHasToken(response.headers, "Upgrade", "websocket") ||
      !HeaderHasToken(response.headers, "Connection", "upgrade"))
    return refuse("the 101 answer lacks Upgrade: websocket / Connection: Upgrade");
  std::string_view accept = response.headers.Get("Sec-WebSocket-Accept").value_or("");
  if (accept != streaming::WebSocketAccept(key_))
    return refuse("Sec-WebSocket-Accept does not match our key");
  protocol_ = std::string(response.headers.Get("Sec-WebSocket-Protocol").value_or(""));
  if (protocol_ == "v5.channel.k8s.io") {
    version_ = 5;
  } else if (protocol_ == "v4.channel.k8s.io") {
    version_ = 4;
  } else {
    // As client-go and gorilla: a protocol we did not offer means a server we cannot read.
    return refuse("the server chose subprotocol \"" + protocol_ + "\"; expected one of " +
                  kOfferedProtocols);
  }
  return Status::Ok();
}

Status WsExecClient::Feed(std::string_view bytes, ExecProtocolEvents& events) {
  events_ = &events;
  Status result = Status::Ok();
  if (upgraded_) {
    result = FeedFrames(bytes);
  } else {
    auto rest = FeedUpgradeAnswer(upgrade_, bytes,
                                  [this](const UpgradeResponse& r) { return CheckUpgrade(r); });
    if (!rest.ok()) {
      result = rest.error();
    } else if (*rest) {
      upgraded_ = true;
      if (streams_.tty && initial_size_) result = SendResize(*initial_size_);
      if (result.ok()) result = FeedFrames(**rest);
    }
  }
  events_ = nullptr;
  return result;
}

Status WsExecClient::FeedFrames(std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  input_ = bytes;
  int rv = wslay_event_recv(ctx_.get());
  input_ = {};
  // A pong, or the answer to the server's close, goes out even when the read failed.
  Status flushed = Flush();
  if (failure_) return *failure_;
  if (rv != 0) return Broken("protocol error (wslay " + std::to_string(rv) + ")");
  bool close_received = wslay_event_get_close_received(ctx_.get()) != 0;
  // wslay reports most violations by queueing a close and disabling reads.
  if (!wslay_event_get_read_enabled(ctx_.get()) && !close_received)
    return Broken("protocol violation, closed with status " +
                  std::to_string(wslay_event_get_status_code_sent(ctx_.get())));
  if (close_received && status_payload_.empty()) {
    // v4 and v5 always write a status before closing; without one the outcome is unknown.
    return Broken("the server closed the websocket (status " +
                  std::to_string(wslay_event_get_status_code_received(ctx_.get())) +
                  ") without an exit status");
  }
  return flushed;
}

void WsExecClient::OnMessage(uint8_t opcode, std::string_view message) {
  if (failure_) return;
  // Control frames are wslay's: it queues the pong and the close reply itself.
  if (opcode == WSLAY_TEXT_FRAME) {
    failure_ = Broken("a text message on a binary channel protocol");
    return;
  }
  if (opcode != WSLAY_BINARY_FRAME || message.empty()) return;
  uint8_t channel = static_cast<uint8_t>(message[0]);
  std::string_view payload = message.substr(1);
  // The ready signal is an empty payload: nothing to write.
  if (payload.empty()) return;
  switch (channel) {
    case kStdoutChannel:
      if (events_ != nullptr) events_->OnStdout(payload);
      break;
    case kStderrChannel:
      if (events_ != nullptr) events_->OnStderr(payload);
      break;
    case kErrorChannel:
      if (status_payload_.size() + payload.size() > kMaxStatusBytes) {
        failure_ = Broken("the error channel exceeds 64 KiB");
        return;
      }
      status_payload_.append(payload);
      break;
    default:
      break;  // stdin and resize are ours to write; nothing else exists
  }
}

Status WsExecClient::SendChannel(uint8_t channel, std::string_view payload) {
  if (wslay_event_get_close_sent(ctx_.get()) != 0) return Status::Ok();  // session over
  std::string message;
  message.reserve(payload.size() + 1);
  message.push_back(static_cast<char>(channel));
  message.append(payload);
  wslay_event_msg msg = {WSLAY_BINARY_FRAME, reinterpret_cast<const uint8_t*>(message.data()),
                         message.size()};
  if (int rv = wslay_event_queue_msg(ctx_.get(), &msg); rv != 0)
    return MakeError(ErrorCode::kUnavailable,
                     "queue websocket message: wslay error " + std::to_string(rv));
  return Flush();
}

Status WsExecClient::Flush() {
  if (int rv = wslay_event_send(ctx_.get()); rv != 0) {
    if (failure_) return *failure_;
    return MakeError(ErrorCode::kUnavailable,
                     "write websocket frames: wslay error " + std::to_string(rv));
  }
  if (failure_) return *failure_;
  return Status::Ok();
}

Status WsExecClient::SendStdin(std::string_view bytes) {
  if (!upgraded_ || !streams_.stdin || stdin_closed_ || bytes.empty()) return Status::Ok();
  return SendChannel(kStdinChannel, bytes);
}

Status WsExecClient::CloseStdin() {
  if (!upgraded_ || !streams_.stdin || stdin_closed_) return Status::Ok();
  stdin_closed_ = true;
  // v4 cannot say "no more input" short of closing the whole connection, which would end
  // the session before the command's output; kubectl sends nothing either.
  if (version_ < 5) return Status::Ok();
  const char signal[] = {static_cast<char>(kCloseSignal), static_cast<char>(kStdinChannel)};
  wslay_event_msg msg = {WSLAY_BINARY_FRAME, reinterpret_cast<const uint8_t*>(signal),
                         sizeof signal};
  if (wslay_event_get_close_sent(ctx_.get()) != 0) return Status::Ok();
  if (int rv = wslay_event_queue_msg(ctx_.get(), &msg); rv != 0)
    return MakeError(ErrorCode::kUnavailable,
                     "queue websocket stdin close: wslay error " + std::to_string(rv));
  return Flush();
}

Status WsExecClient::SendResize(TerminalSize size) {
  if (!streams_.tty) return Status::Ok();
  if (!upgraded_) {
    initial_size_ = size;  // the latest size before the 101 is the one that goes first
    return Status::Ok();
  }
  const std::string line = ResizeMessage(size);
  return SendChannel(kResizeChannel, line);
}

bool WsExecClient::Finished() const {
  // The server's close has been received and our answer to it has left.
  return upgraded_ && wslay_event_get_close_received(ctx_.get()) != 0 && output_.empty();
}

}  // namespace airlock::cli
