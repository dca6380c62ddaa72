#include "streaming/h2_transport.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

namespace airlock::streaming {
namespace {

// Memory we keep around after bytes were consumed, before moving the rest to the front.
constexpr size_t kCompactThreshold = 64 * 1024;
// How far past max_output_bytes control frames (ACKs, RST_STREAM, GOAWAY) may fill the
// output before we leave them in nghttp2's queue.
constexpr size_t kControlSlackFactor = 2;

struct CallbacksDeleter {
  void operator()(nghttp2_session_callbacks* callbacks) const {
    nghttp2_session_callbacks_del(callbacks);
  }
};
struct OptionDeleter {
  void operator()(nghttp2_option* option) const { nghttp2_option_del(option); }
};

Error H2Error(const std::string& operation, int lib_error) {
  return MakeError(ErrorCode::kInternal, operation + ": " + nghttp2_strerror(lib_error));
}

// The HTTP/2 error code a GOAWAY carries for one of nghttp2's fatal receive errors.
uint32_t GoAwayCodeFor(int lib_error) {
  switch (lib_error) {
    case NGHTTP2_ERR_FLOODED:
    case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS:
    case NGHTTP2_ERR_TOO_MANY_SETTINGS:
      return NGHTTP2_ENHANCE_YOUR_CALM;
    case NGHTTP2_ERR_HEADER_COMP:
      return NGHTTP2_COMPRESSION_ERROR;
    case NGHTTP2_ERR_NOMEM:
    case NGHTTP2_ERR_CALLBACK_FAILURE:
      return NGHTTP2_INTERNAL_ERROR;
    default:
      return NGHTTP2_PROTOCOL_ERROR;
  }
}

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Several fields of one name become one value, as HTTP allows for list-valued fields.
void AddHeader(std::map<std::string, std::string>& headers, std::string name,
               std::string_view value) {
  auto [it, inserted] = headers.try_emplace(std::move(name), value);
  if (!inserted) {
    it->second.append(", ");
    it->second.append(value);
  }
}

void Compact(std::string& buffer, size_t& pos) {
  if (pos == buffer.size()) {
    buffer.clear();
    pos = 0;
  } else if (pos >= kCompactThreshold && pos * 2 >= buffer.size()) {
    buffer.erase(0, pos);
    pos = 0;
  }
}

}  // namespace

// nghttp2 calls plain C functions with a user_data pointer; these forward to the transport.
// None of them lets an exception or an error escape into nghttp2: problems become
// failure_ (connection) or are left to nghttp2's own stream handling.
struct H2Transport::Callbacks {
  static H2Transport& Self(void* user_data) { return *static_cast<H2Transport*>(user_data); }

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    H2Transport& self = Self(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      return 0;
    }
    const StreamId id = static_cast<StreamId>(frame->hd.stream_id);
    self.streams_[id] = Stream{};
    self.last_client_stream_ = std::max(self.last_client_stream_, id);
    return 0;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_len, const uint8_t* value, size_t value_len, uint8_t,
                      void* user_data) {
    H2Transport& self = Self(user_data);
    if (self.failure_) return 0;
    Stream* stream = self.FindStream(static_cast<StreamId>(frame->hd.stream_id));
    if (stream == nullptr) return 0;
    // RFC 9113 §6.5.2 counts each field as name + value + 32 octets; trailers count on
    // top of the request head, so one stream cannot grow its headers without bound.
    stream->header_bytes += name_len + value_len + 32;
    if (stream->header_bytes > self.options_.max_header_list_bytes) {
      self.Fail(NGHTTP2_ENHANCE_YOUR_CALM,
                "receive HTTP/2 headers of stream " + std::to_string(frame->hd.stream_id) +
                    ": header list over " + std::to_string(self.options_.max_header_list_bytes) +
                    " bytes");
      return 0;
    }
    if (frame->headers.cat != NGHTTP2_HCAT_REQUEST || stream->reported) return 0;  // trailers
    // nghttp2's HTTP messaging already refused uppercase names; lowercasing is a no-op here.
    AddHeader(stream->headers, std::string(reinterpret_cast<const char*>(name), name_len),
              std::string_view(reinterpret_cast<const char*>(value), value_len));
    return 0;
  }

  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    H2Transport& self = Self(user_data);
    if (self.failure_ || self.events_ == nullptr) return 0;
    const StreamId id = static_cast<StreamId>(frame->hd.stream_id);
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS: {
        Stream* stream = self.FindStream(id);
        if (stream == nullptr) return 0;
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST && !stream->reported) {
          stream->reported = true;
          OpenedStream opened;
          opened.id = id;
          opened.headers = std::move(stream->headers);
          opened.remote_closed = end_stream;
          stream->headers.clear();
          self.events_->OnStreamOpened(opened);
        } else if (end_stream && stream->reported) {
          self.events_->OnStreamRemoteClosed(id);
        }
        return 0;
      }
      case NGHTTP2_DATA: {
        Stream* stream = self.FindStream(id);
        if (end_stream && stream != nullptr && stream->reported) {
          self.events_->OnStreamRemoteClosed(id);
        }
        return 0;
      }
      case NGHTTP2_RST_STREAM: {
        Stream* stream = self.FindStream(id);
        if (stream != nullptr && stream->reported && !stream->reset_reported) {
          stream->reset_reported = true;
          self.events_->OnStreamReset(id);
        }
        self.NoteClientReset();
        return 0;
      }
      case NGHTTP2_GOAWAY:
        self.events_->OnGoAway();
        return 0;
      default:
        return 0;
    }
  }

  static int OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t len, void* user_data) {
    H2Transport& self = Self(user_data);
    if (self.failure_ || self.events_ == nullptr) return 0;
    Stream* stream = self.FindStream(static_cast<StreamId>(stream_id));
    if (stream == nullptr || !stream->reported || stream->reset_by_us) return 0;
    self.events_->OnStreamData(static_cast<StreamId>(stream_id),
                               std::string_view(reinterpret_cast<const char*>(data), len));
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* user_data) {
    H2Transport& self = Self(user_data);
    auto it = self.streams_.find(static_cast<StreamId>(stream_id));
    if (it == self.streams_.end()) return 0;
    Stream& stream = it->second;
    // nghttp2 itself reset a stream the owner knows (e.g. DATA beyond content-length): the
    // owner must learn that nothing more will come or go on it.
    if (error_code != NGHTTP2_NO_ERROR && stream.reported && !stream.reset_by_us &&
        !stream.reset_reported && self.events_ != nullptr && !self.failure_) {
      stream.reset_reported = true;
      self.events_->OnStreamReset(static_cast<StreamId>(stream_id));
    }
    self.streams_.erase(static_cast<StreamId>(stream_id));
    return 0;
  }

  static int OnFrameSend(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    H2Transport& self = Self(user_data);
    if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
      if (Stream* stream = self.FindStream(static_cast<StreamId>(frame->hd.stream_id))) {
        stream->end_sent = true;
      }
    }
    // A GOAWAY with an error that we did not ask for is nghttp2 ending the connection over
    // a protocol violation: the owner must flush and close.
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR &&
        !self.failure_) {
      std::string reason(reinterpret_cast<const char*>(frame->goaway.opaque_data),
                         frame->goaway.opaque_data_len);
      if (reason.empty()) reason = self.last_library_error_;
      if (reason.empty()) reason = nghttp2_http2_strerror(frame->goaway.error_code);
      self.failure_ = "receive HTTP/2 frames: " + reason;
    }
    return 0;
  }

  static int OnError(nghttp2_session*, int, const char* msg, size_t len, void* user_data) {
    Self(user_data).last_library_error_.assign(msg, len);
    return 0;
  }

  static ssize_t ReadData(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                          uint32_t* data_flags, nghttp2_data_source*, void* user_data) {
    H2Transport& self = Self(user_data);
    Stream* stream = self.FindStream(static_cast<StreamId>(stream_id));
    if (stream == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const size_t pending = self.output_.size() - self.output_pos_;
    if (stream->backlog() == 0 && stream->eof) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    // Nothing to send, or the socket is behind: wait for Write()/End()/ConsumeOutput().
    if (stream->backlog() == 0 || pending >= self.options_.max_output_bytes) {
      stream->deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    const size_t n =
        std::min({length, stream->backlog(), self.options_.max_output_bytes - pending});
    std::memcpy(buf, stream->queue.data() + stream->queue_pos, n);
    stream->queue_pos += n;
    Compact(stream->queue, stream->queue_pos);
    if (stream->backlog() == 0 && stream->eof) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
};

void H2Transport::SessionDeleter::operator()(nghttp2_session* session) const {
  nghttp2_session_del(session);
}

H2Transport::H2Transport(H2Options options)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : &SystemClock::Instance()) {}

H2Transport::~H2Transport() = default;

Result<std::unique_ptr<H2Transport>> H2Transport::Create(H2Options options) {
  if (options.max_concurrent_streams == 0 || options.max_output_bytes == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "create HTTP/2 session: stream and output limits must be positive");
  }
  std::unique_ptr<H2Transport> self(new H2Transport(options));

  nghttp2_session_callbacks* raw_callbacks = nullptr;
  if (int rv = nghttp2_session_callbacks_new(&raw_callbacks); rv != 0) {
    return H2Error("create HTTP/2 callbacks", rv);
  }
  std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter> callbacks(raw_callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks.get(),
                                                          &Callbacks::OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(callbacks.get(), &Callbacks::OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks.get(), &Callbacks::OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks.get(),
                                                            &Callbacks::OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks.get(),
                                                         &Callbacks::OnStreamClose);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks.get(), &Callbacks::OnFrameSend);
  nghttp2_session_callbacks_set_error_callback2(callbacks.get(), &Callbacks::OnError);

  nghttp2_option* raw_option = nullptr;
  if (int rv = nghttp2_option_new(&raw_option); rv != 0) {
    return H2Error("create HTTP/2 options", rv);
  }
  std::unique_ptr<nghttp2_option, OptionDeleter> option(raw_option);
  nghttp2_option_set_max_continuations(option.get(), options.max_continuations);
  nghttp2_option_set_max_settings(option.get(), options.max_settings_entries);
  nghttp2_option_set_max_outbound_ack(option.get(), options.max_outbound_acks);
  const uint64_t resets = options.max_client_resets_per_second;
  // nghttp2's own token bucket (real time) is only a backstop behind our counter, which
  // runs on the injected clock: generous enough never to fire first.
  nghttp2_option_set_stream_reset_rate_limit(option.get(), 10 * resets + 1, resets + 1);
  // We keep no priority tree, so closed streams need not linger in nghttp2's memory.
  nghttp2_option_set_no_closed_streams(option.get(), 1);

  nghttp2_session* raw_session = nullptr;
  if (int rv = nghttp2_session_server_new2(&raw_session, callbacks.get(), self.get(), option.get());
      rv != 0) {
    return H2Error("create HTTP/2 server session", rv);
  }
  self->session_.reset(raw_session);
  return self;
}

Result<std::unique_ptr<H2Transport>> H2Transport::CreatePriorKnowledge(H2Options options) {
  return Create(options);
}

Result<std::unique_ptr<H2Transport>> H2Transport::CreateUpgraded(
    H2Options options, std::string_view http2_settings_payload,
    const HttpRequest& upgrade_request) {
  auto created = Create(options);
  if (!created.ok()) return created.error();
  std::unique_ptr<H2Transport> self = std::move(created).value();
  const int head_request = upgrade_request.method == "HEAD" ? 1 : 0;
  // Stream 1 is the upgrade request, already complete: nghttp2 opens it half-closed
  // (remote) and applies the client's SETTINGS from the HTTP2-Settings header.
  if (int rv = nghttp2_session_upgrade2(
          self->session_.get(), reinterpret_cast<const uint8_t*>(http2_settings_payload.data()),
          http2_settings_payload.size(), head_request, nullptr);
      rv != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string("upgrade to HTTP/2: ") + nghttp2_strerror(rv));
  }
  OpenedStream opened;
  opened.id = 1;
  opened.remote_closed = true;
  for (const auto& [name, value] : upgrade_request.headers.fields()) {
    AddHeader(opened.headers, Lowercase(name), value);
  }
  opened.headers[":method"] = upgrade_request.method;
  opened.headers[":path"] = upgrade_request.target;
  opened.headers[":scheme"] = "http";
  if (auto host = upgrade_request.headers.Get("Host")) {
    opened.headers[":authority"] = std::string(*host);
  }
  self->streams_[1] = Stream{};
  self->last_client_stream_ = 1;
  self->upgraded_stream_ = std::move(opened);
  return self;
}

Status H2Transport::Start(StreamEvents& events) {
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, options_.max_header_list_bytes},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.initial_window_bytes},
  };
  if (int rv = nghttp2_submit_settings(session_.get(), NGHTTP2_FLAG_NONE, settings,
                                       sizeof(settings) / sizeof(settings[0]));
      rv != 0) {
    return H2Error("submit HTTP/2 SETTINGS", rv);
  }
  if (upgraded_stream_) {
    OpenedStream opened = std::move(*upgraded_stream_);
    upgraded_stream_.reset();
    Stream* stream = FindStream(opened.id);
    if (stream != nullptr) {
      stream->reported = true;
      events_ = &events;
      events.OnStreamOpened(opened);
      events_ = nullptr;
    }
  }
  Pump();
  return BrokenStatus();
}

Status H2Transport::Feed(std::string_view bytes, StreamEvents& events) {
  if (failure_) return BrokenStatus();
  events_ = &events;
  in_recv_ = true;
  const ssize_t rv = nghttp2_session_mem_recv(
      session_.get(), reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  in_recv_ = false;
  events_ = nullptr;
  if (rv < 0 && !failure_) {
    std::string reason = nghttp2_strerror(static_cast<int>(rv));
    if (!last_library_error_.empty()) reason += " (" + last_library_error_ + ")";
    Fail(GoAwayCodeFor(static_cast<int>(rv)), "receive HTTP/2 frames: " + reason);
  }
  Pump();
  return BrokenStatus();
}

Status H2Transport::Accept(StreamId id) {
  if (failure_) return BrokenStatus();
  Stream* stream = FindStream(id);
  if (stream == nullptr) return KnownButGone(id, "accept");
  if (stream->accepted) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "accept HTTP/2 stream " + std::to_string(id) + ": already accepted");
  }
  static constexpr char kStatus[] = ":status";
  static constexpr char kOk[] = "200";
  const nghttp2_nv nv[] = {{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(kStatus)),
                            const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(kOk)),
                            sizeof(kStatus) - 1, sizeof(kOk) - 1, NGHTTP2_NV_FLAG_NONE}};
  nghttp2_data_provider provider{};
  provider.read_callback = &Callbacks::ReadData;
  if (int rv = nghttp2_submit_response(session_.get(), static_cast<int32_t>(id), nv, 1, &provider);
      rv != 0) {
    return H2Error("accept HTTP/2 stream " + std::to_string(id), rv);
  }
  stream->accepted = true;
  Pump();
  return Status::Ok();
}

Status H2Transport::Refuse(StreamId id, int http_status, std::string_view body) {
  if (failure_) return BrokenStatus();
  Stream* stream = FindStream(id);
  if (stream == nullptr) return KnownButGone(id, "refuse");
  if (stream->accepted) return Reset(id);
  // The HTTP answer a client shows ("401 Unauthorized: ..."): status, text body, end.
  const std::string status = std::to_string(http_status);
  static constexpr char kStatus[] = ":status";
  static constexpr char kType[] = "content-type";
  static constexpr char kText[] = "text/plain; charset=utf-8";
  auto bytes = [](const char* p) { return const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(p)); };
  const nghttp2_nv nv[] = {
      {bytes(kStatus), bytes(status.c_str()), sizeof(kStatus) - 1, status.size(), NGHTTP2_NV_FLAG_NONE},
      {bytes(kType), bytes(kText), sizeof(kType) - 1, sizeof(kText) - 1, NGHTTP2_NV_FLAG_NONE}};
  stream->queue.assign(body);
  stream->queue_pos = 0;
  stream->eof = true;
  nghttp2_data_provider provider{};
  provider.read_callback = &Callbacks::ReadData;
  if (int rv = nghttp2_submit_response(session_.get(), static_cast<int32_t>(id), nv, 2, &provider);
      rv != 0) {
    return H2Error("refuse HTTP/2 stream " + std::to_string(id), rv);
  }
  stream->accepted = true;
  Pump();
  return Status::Ok();
}

Status H2Transport::Reset(StreamId id) {
  if (failure_) return Status::Ok();  // the connection goes away anyway
  Stream* stream = FindStream(id);
  if (stream == nullptr) return KnownButGone(id, "reset");
  if (stream->reset_by_us) return Status::Ok();
  if (int rv = nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE,
                                         static_cast<int32_t>(id), NGHTTP2_CANCEL);
      rv != 0) {
    return H2Error("reset HTTP/2 stream " + std::to_string(id), rv);
  }
  stream->reset_by_us = true;
  stream->queue.clear();
  stream->queue_pos = 0;
  Pump();
  return Status::Ok();
}

Status H2Transport::Write(StreamId id, std::string_view bytes) {
  if (failure_) return BrokenStatus();
  Stream* stream = FindStream(id);
  if (stream == nullptr) return KnownButGone(id, "write to");
  if (stream->reset_by_us || stream->reset_reported) return Status::Ok();
  if (!stream->accepted || stream->eof) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "write to HTTP/2 stream " + std::to_string(id) +
                         (stream->eof ? ": already ended" : ": not accepted"));
  }
  if (bytes.empty()) return Status::Ok();
  stream->queue.append(bytes);
  if (stream->deferred) {
    stream->deferred = false;
    nghttp2_session_resume_data(session_.get(), static_cast<int32_t>(id));
  }
  Pump();
  return Status::Ok();
}

Status H2Transport::End(StreamId id) {
  if (failure_) return BrokenStatus();
  Stream* stream = FindStream(id);
  if (stream == nullptr) return KnownButGone(id, "end");
  if (stream->reset_by_us || stream->reset_reported || stream->eof) return Status::Ok();
  if (!stream->accepted) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "end HTTP/2 stream " + std::to_string(id) + ": not accepted");
  }
  stream->eof = true;
  if (stream->deferred) {
    stream->deferred = false;
    nghttp2_session_resume_data(session_.get(), static_cast<int32_t>(id));
  }
  Pump();
  return Status::Ok();
}

void H2Transport::Close() {
  if (failure_ || closed_) return;
  closed_ = true;
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  Pump();
}

std::string_view H2Transport::PendingOutput() {
  return std::string_view(output_).substr(output_pos_);
}

void H2Transport::ConsumeOutput(size_t n) {
  output_pos_ += std::min(n, output_.size() - output_pos_);
  Compact(output_, output_pos_);
  if (in_recv_) return;
  // Streams that stopped because the output was full get another turn.
  for (auto& [id, stream] : streams_) {
    if (stream.deferred && (stream.backlog() > 0 || stream.eof)) {
      stream.deferred = false;
      nghttp2_session_resume_data(session_.get(), static_cast<int32_t>(id));
    }
  }
  Pump();
}

size_t H2Transport::StreamBacklog(StreamId id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? 0 : it->second.backlog();
}

bool H2Transport::Drained() const {
  for (const auto& [id, stream] : streams_) {
    if (stream.reset_by_us || stream.reset_reported) continue;
    if (stream.backlog() > 0 || (stream.eof && !stream.end_sent)) return false;
  }
  return true;
}

bool H2Transport::finished() const {
  if (output_pos_ != output_.size()) return false;
  if (failure_) return true;
  return nghttp2_session_want_read(session_.get()) == 0 &&
         nghttp2_session_want_write(session_.get()) == 0;
}

size_t H2Transport::open_streams() const { return streams_.size(); }

void H2Transport::Pump() {
  if (in_recv_) return;  // nghttp2 forbids mem_send inside its callbacks; Feed pumps after
  for (;;) {
    // DATA stops at max_output_bytes (ReadData). Control frames may go a little further,
    // but not without bound: a client that sends PINGs and never reads must leave its ACKs
    // in nghttp2's queue, where max_outbound_acks catches it (NGHTTP2_ERR_FLOODED). Once the
    // connection failed, the GOAWAY must get out whatever the backlog.
    if (!failure_ &&
        output_.size() - output_pos_ >= kControlSlackFactor * options_.max_output_bytes) {
      return;
    }
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_.get(), &data);
    if (n < 0) {
      if (!failure_) failure_ = std::string("send HTTP/2 frames: ") + nghttp2_strerror(n);
      return;
    }
    if (n == 0) return;
    output_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
}

void H2Transport::Fail(uint32_t error_code, std::string reason) {
  if (failure_) return;
  failure_ = std::move(reason);
  // Queues GOAWAY(error_code) and makes nghttp2 ignore all further input; the frame goes
  // out with the next Pump().
  nghttp2_session_terminate_session(session_.get(), error_code);
}

Status H2Transport::BrokenStatus() const {
  if (!failure_) return Status::Ok();
  return MakeError(ErrorCode::kInvalidArgument, *failure_);
}

H2Transport::Stream* H2Transport::FindStream(StreamId id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

void H2Transport::NoteClientReset() {
  const Clock::TimePoint now = clock_->Now();
  if (now - reset_window_start_ >= std::chrono::seconds(1)) {
    reset_window_start_ = now;
    resets_in_window_ = 0;
  }
  if (++resets_in_window_ > options_.max_client_resets_per_second) {
    Fail(NGHTTP2_ENHANCE_YOUR_CALM, "receive HTTP/2 RST_STREAM: more than " +
                                        std::to_string(options_.max_client_resets_per_second) +
                                        " streams reset by the client within one second");
  }
}

Status H2Transport::KnownButGone(StreamId id, const char* operation) const {
  // Ids up to the highest the client opened were real streams that closed or were reset;
  // the owner may not have seen that yet.
  if (id != 0 && id <= last_client_stream_ && (id % 2) == 1) return Status::Ok();
  return MakeError(ErrorCode::kNotFound, std::string(operation) + " HTTP/2 stream " +
                                             std::to_string(id) + ": no such stream");
}

}  // namespace airlock::streaming
