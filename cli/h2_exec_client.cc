#include "cli/h2_exec_client.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>
#include <vector>

namespace airlock::cli {
namespace {

// Bigger than HTTP/2's 64 KiB default so one round trip does not cap a fast command's output;
// the session still writes what it receives before reading more, so memory stays bounded.
constexpr int32_t kStreamWindow = 1 << 20;
constexpr int32_t kConnectionWindow = 4 << 20;

nghttp2_nv Header(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

Error Nghttp2Error(const std::string& operation, int rc) {
  return MakeError(ErrorCode::kUnavailable, operation + ": " + nghttp2_strerror(rc));
}

}  // namespace

H2ExecClient::H2ExecClient(ExecTarget target, ExecStreams streams,
                           std::optional<TerminalSize> initial_size)
    : target_(std::move(target)), streams_(streams), initial_size_(initial_size) {}

H2ExecClient::~H2ExecClient() = default;

Result<std::unique_ptr<H2ExecClient>> H2ExecClient::Create(
    ExecTarget target, ExecStreams streams, std::optional<TerminalSize> initial_size) {
  std::unique_ptr<H2ExecClient> client(new H2ExecClient(std::move(target), streams, initial_size));

  nghttp2_session_callbacks* raw_callbacks = nullptr;
  if (int rc = nghttp2_session_callbacks_new(&raw_callbacks); rc != 0)
    return Nghttp2Error("create HTTP/2 callbacks", rc);
  std::unique_ptr<nghttp2_session_callbacks, decltype(&nghttp2_session_callbacks_del)> callbacks(
      raw_callbacks, nghttp2_session_callbacks_del);
  nghttp2_session_callbacks_set_on_header_callback(callbacks.get(), OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks.get(), OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks.get(), OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks.get(), OnStreamClose);

  nghttp2_session* raw_session = nullptr;
  if (int rc = nghttp2_session_client_new(&raw_session, callbacks.get(), client.get()); rc != 0)
    return Nghttp2Error("create HTTP/2 client session", rc);
  client->session_.reset(raw_session);
  return client;
}

Status H2ExecClient::Start() {
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
  };
  if (int rc =
          nghttp2_submit_settings(session_.get(), NGHTTP2_FLAG_NONE, settings, std::size(settings));
      rc != 0)
    return Nghttp2Error("queue HTTP/2 settings", rc);
  if (int rc = nghttp2_session_set_local_window_size(session_.get(), NGHTTP2_FLAG_NONE, 0,
                                                     kConnectionWindow);
      rc != 0)
    return Nghttp2Error("raise HTTP/2 connection window", rc);
  // The order the protocol names; the server may rely on the error stream existing first.
  AIRLOCK_RETURN_IF_ERROR(Open(Role::kError));
  if (streams_.stdin) AIRLOCK_RETURN_IF_ERROR(Open(Role::kStdin));
  if (streams_.stdout) AIRLOCK_RETURN_IF_ERROR(Open(Role::kStdout));
  if (streams_.stderr && !streams_.tty) AIRLOCK_RETURN_IF_ERROR(Open(Role::kStderr));
  if (streams_.tty) {
    AIRLOCK_RETURN_IF_ERROR(Open(Role::kResize));
    if (initial_size_) AIRLOCK_RETURN_IF_ERROR(SendResize(*initial_size_));
  }
  return Flush();
}

Status H2ExecClient::Open(Role role) {
  std::vector<nghttp2_nv> headers = {
      Header(":method", "POST"),
      Header(":scheme", target_.scheme),
      Header(":authority", target_.authority),
      Header(":path", target_.path),
      Header("streamtype", streaming::StreamTypeName(role)),
  };
  for (const auto& [name, value] : target_.headers) {
    headers.push_back(Header(name, value));
    // A credential stays out of HPACK's tables (RFC 7541 §7.1.3: never-indexed literal).
    if (name == "authorization") headers.back().flags = NGHTTP2_NV_FLAG_NO_INDEX;
  }
  Body* body = role == Role::kStdin ? &stdin_ : role == Role::kResize ? &resize_ : nullptr;
  nghttp2_data_provider provider{};
  provider.read_callback = ReadBody;
  provider.source.ptr = body;
  int32_t id = nghttp2_submit_request(session_.get(), nullptr, headers.data(), headers.size(),
                                      body != nullptr ? &provider : nullptr, nullptr);
  if (id < 0) return Nghttp2Error(std::string("open ") + streaming::StreamTypeName(role) + " stream", id);
  by_id_[id].role = role;
  if (body != nullptr) body->stream_id = id;
  return Status::Ok();
}

bool H2ExecClient::Ready() const {
  return std::all_of(by_id_.begin(), by_id_.end(),
                     [](const auto& entry) { return entry.second.http_status == 200; });
}

bool H2ExecClient::Finished() const {
  for (const auto& [id, stream] : by_id_) {
    bool output =
        stream.role == Role::kError || stream.role == Role::kStdout || stream.role == Role::kStderr;
    if (output && !stream.ended) return false;
  }
  return true;
}

Status H2ExecClient::QueueBody(Body& body, std::string_view bytes, bool eof) {
  if (body.stream_id < 0 || body.eof) return Status::Ok();  // not requested, or already ended
  body.pending.append(bytes);
  body.eof = eof;
  // The stream may be gone already (the server ended the session): nothing to resume then.
  if (nghttp2_session_find_stream(session_.get(), body.stream_id) != nullptr) {
    int rc = nghttp2_session_resume_data(session_.get(), body.stream_id);
    if (rc != 0 && rc != NGHTTP2_ERR_INVALID_ARGUMENT)
      return Nghttp2Error("resume request body", rc);
  }
  return Flush();
}

Status H2ExecClient::SendStdin(std::string_view bytes) { return QueueBody(stdin_, bytes, false); }

Status H2ExecClient::CloseStdin() { return QueueBody(stdin_, {}, true); }

Status H2ExecClient::SendResize(TerminalSize size) {
  const std::string line = ResizeMessage(size);
  return QueueBody(resize_, line, false);
}

Status H2ExecClient::Feed(std::string_view bytes, ExecProtocolEvents& events) {
  events_ = &events;
  ssize_t n = nghttp2_session_mem_recv(
      session_.get(), reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  events_ = nullptr;
  if (failure_) return *failure_;
  if (n < 0) return Nghttp2Error("read HTTP/2 from the streaming server", static_cast<int>(n));
  return Flush();
}

Status H2ExecClient::Flush() {
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_.get(), &data);
    if (n < 0) return Nghttp2Error("write HTTP/2", static_cast<int>(n));
    if (n == 0) break;
    output_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  if (failure_) return *failure_;
  return Status::Ok();
}

int H2ExecClient::OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                           size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                           void* user_data) {
  auto* self = static_cast<H2ExecClient*>(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  auto it = self->by_id_.find(frame->hd.stream_id);
  if (it == self->by_id_.end()) return 0;
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  if (n != ":status") return 0;
  // nghttp2 has validated :status as three digits.
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  int code = 0;
  std::from_chars(v.data(), v.data() + v.size(), code);
  if (it->second.http_status == 0) it->second.http_status = code;
  return 0;
}

int H2ExecClient::OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  auto* self = static_cast<H2ExecClient*>(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  auto it = self->by_id_.find(frame->hd.stream_id);
  if (it == self->by_id_.end()) return 0;
  if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) it->second.ended = true;
  return 0;
}

int H2ExecClient::OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                              size_t len, void* user_data) {
  auto* self = static_cast<H2ExecClient*>(user_data);
  auto it = self->by_id_.find(stream_id);
  if (it == self->by_id_.end()) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data), len);
  Stream& s = it->second;
  if (s.http_status != 200) {
    // Keep enough of a refusal's body to explain it.
    if (s.body.size() < 4096) s.body.append(bytes.substr(0, 4096 - s.body.size()));
    return 0;
  }
  switch (s.role) {
    case Role::kStdout:
      if (self->events_ != nullptr) self->events_->OnStdout(bytes);
      break;
    case Role::kStderr:
      if (self->events_ != nullptr) self->events_->OnStderr(bytes);
      break;
    case Role::kError:
      // A status is a few hundred bytes; a server that sends more is broken.
      if (self->status_payload_.size() + len > 64 * 1024) {
        self->failure_ =
            MakeError(ErrorCode::kInternal, "read exec status: the error stream exceeds 64 KiB");
        return NGHTTP2_ERR_CALLBACK_FAILURE;
      }
      self->status_payload_.append(bytes);
      break;
    case Role::kStdin:
    case Role::kResize:
      break;  // the server has nothing to say on these
  }
  return 0;
}

int H2ExecClient::OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                                void* user_data) {
  auto* self = static_cast<H2ExecClient*>(user_data);
  auto it = self->by_id_.find(stream_id);
  if (it == self->by_id_.end()) return 0;
  Stream& s = it->second;
  if (s.role == Role::kStdin) self->stdin_.stream_id = -1;
  if (s.role == Role::kResize) self->resize_.stream_id = -1;
  if (self->failure_) return 0;
  std::string role = streaming::StreamTypeName(s.role);
  if (s.http_status != 0 && s.http_status != 200) {
    std::string body = s.body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    self->failure_ =
        MakeError(ErrorCode::kUnavailable,
                  "open " + role + " stream: the streaming server answered " +
                      std::to_string(s.http_status) + (body.empty() ? std::string() : ": " + body));
  } else if (s.http_status == 0 && error_code != NGHTTP2_NO_ERROR) {
    // Reset before any answer: the server's form of a 404 for an unknown token.
    self->failure_ = MakeError(ErrorCode::kUnavailable,
                               "open " + role + " stream: the streaming server refused it (" +
                                   nghttp2_http2_strerror(error_code) +
                                   "); the exec URL may be used or expired");
  } else if (s.role == Role::kError && !s.ended) {
    self->failure_ = MakeError(
        ErrorCode::kUnavailable,
        "read exec status: the streaming server closed the error stream without a status (" +
            std::string(nghttp2_http2_strerror(error_code)) + ")");
  }
  // Output streams reset after their data count as ended: the status decides the outcome.
  s.ended = true;
  return 0;
}

ssize_t H2ExecClient::ReadBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                               uint32_t* data_flags, nghttp2_data_source* source, void*) {
  auto* body = static_cast<Body*>(source->ptr);
  if (body->pending.empty()) {
    if (body->eof) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    return NGHTTP2_ERR_DEFERRED;
  }
  size_t n = std::min(length, body->pending.size());
  std::memcpy(buf, body->pending.data(), n);
  body->pending.erase(0, n);
  if (body->pending.empty() && body->eof) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

}  // namespace airlock::cli
