// H2Transport: the server side of one HTTP/2 connection as a StreamTransport (issue #5,
// streaming/README.md "HTTP/2 exec protocol"). Each stdio role of an exec/attach (and each
// data/error pair of a port-forward) is one client-opened HTTP/2 request stream, told apart
// by its `streamtype` header; our 200 response body carries the bytes we send.
//
// nghttp2 does framing, HPACK, flow control and PING/SETTINGS answers; it runs on memory
// buffers (nghttp2_session_mem_recv/mem_send, as nghttpx does), so this class stays pure
// like the other codecs: bytes in through Feed(), events out to the sink, frames out through
// PendingOutput(). The only time it reads is the injected Clock of the rapid-reset counter.
//
// Back-pressure. Bytes the owner Write()s wait in a per-stream queue; nghttp2 pulls from
// that queue only as far as the peer's stream and connection windows allow, and we pull
// frames from nghttp2 only while PendingOutput() is below `max_output_bytes`. So a client
// that reads slowly (small window) or a socket that drains slowly (full output) both show up
// as StreamBacklog(id), which the session uses to stop reading the process.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "shim/base/clock.h"
#include "shim/base/result.h"
#include "streaming/http_request.h"
#include "streaming/stream_transport.h"

struct nghttp2_session;

namespace airlock::streaming {

struct H2Options {
  // SETTINGS_MAX_CONCURRENT_STREAMS. Exec and attach need at most 5 streams; a request
  // stream beyond the limit is refused with RST_STREAM(REFUSED_STREAM) by nghttp2.
  uint32_t max_concurrent_streams = 16;
  // SETTINGS_MAX_HEADER_LIST_SIZE, enforced by us (nghttp2 only advertises it): the sum of
  // name + value + 32 over one request's fields. Over it: GOAWAY(ENHANCE_YOUR_CALM).
  uint32_t max_header_list_bytes = 16 * 1024;
  // SETTINGS_INITIAL_WINDOW_SIZE: how much stdin/port data a client may send on a stream
  // before we acknowledge it (nghttp2 sends WINDOW_UPDATE as we consume).
  uint32_t initial_window_bytes = 256 * 1024;
  // CONTINUATION frames after one HEADERS frame (nghttp2 option; its default is 8).
  size_t max_continuations = 8;
  // SETTINGS entries per frame (nghttp2 option).
  size_t max_settings_entries = 16;
  // Unanswered SETTINGS/PING ACKs nghttp2 keeps for a client that sends but never reads.
  size_t max_outbound_acks = 256;
  // Streams the client resets within one second (the "rapid reset" attack, CVE-2023-44487).
  // More: GOAWAY(ENHANCE_YOUR_CALM) and a Feed error. nghttp2's own token bucket (burst
  // ten times this, refilled at this rate per second) stays behind it as a second line.
  uint32_t max_client_resets_per_second = 32;
  // Frames we take from nghttp2 ahead of the socket. DATA beyond it stays in the stream
  // queues (and in StreamBacklog) until ConsumeOutput() makes room; control frames may use
  // up to twice this, then they wait in nghttp2 (whose max_outbound_acks then applies).
  size_t max_output_bytes = 256 * 1024;
  // Time for the rapid-reset window; nullptr = the steady system clock.
  const Clock* clock = nullptr;
};

class H2Transport final : public StreamTransport {
 public:
  // HTTP/2 with prior knowledge (or TLS ALPN "h2", which is the same after the handshake):
  // the first bytes Feed() sees are the client connection preface.
  static Result<std::unique_ptr<H2Transport>> CreatePriorKnowledge(H2Options options);
  // After `HTTP/1.1 101 Switching Protocols` for `Upgrade: h2c` (RFC 7540 §3.2).
  // `http2_settings_payload` is the decoded HTTP2-Settings header (DecodeHttp2Settings).
  // The upgrade request becomes stream 1, half-closed by the client: Start() reports it
  // with the request's headers (lowercase names) plus ":method" and ":path" (the target).
  static Result<std::unique_ptr<H2Transport>> CreateUpgraded(
      H2Options options, std::string_view http2_settings_payload,
      const HttpRequest& upgrade_request);
  ~H2Transport() override;
  H2Transport(const H2Transport&) = delete;
  H2Transport& operator=(const H2Transport&) = delete;

  // Queues our SETTINGS (the server preface); after an upgrade also reports stream 1.
  Status Start(StreamEvents& events) override;
  Status Feed(std::string_view bytes, StreamEvents& events) override;
  // Submits `:status 200` with a body fed from the stream's queue.
  Status Accept(StreamId id) override;
  // RST_STREAM(CANCEL).
  Status Reset(StreamId id) override;
  // Write/End on a stream that the client reset or that already closed are dropped quietly
  // (the RST may cross our write); on a stream that never existed or was not accepted they
  // are the owner's mistake and return an error.
  Status Write(StreamId id, std::string_view bytes) override;
  Status End(StreamId id) override;
  // GOAWAY(NO_ERROR, last processed stream): no new streams, open ones finish normally.
  void Close() override;
  std::string_view PendingOutput() override;
  void ConsumeOutput(size_t n) override;
  size_t StreamBacklog(StreamId id) const override;
  // Answers the stream's request with `http_status` and `body` (node-API refusals).
  Status Refuse(StreamId id, int http_status, std::string_view body) override;
  const char* name() const override { return "h2"; }

  // Everything Write()n and every End() has gone into PendingOutput(): no stream holds
  // bytes or an END_STREAM back for want of flow-control window or output room. Until then
  // an empty PendingOutput() does not mean the tail is out (the client has not opened its
  // window yet): the connection should keep reading WINDOW_UPDATEs before it closes.
  bool Drained() const override;
  // nghttp2 wants neither to read nor to write (both sides sent GOAWAY and every stream is
  // closed, or the connection failed) and the output is drained: close the socket.
  bool finished() const;
  // Streams nghttp2 still holds open (for tests and metrics).
  size_t open_streams() const;

  struct Callbacks;  // nghttp2 callback trampolines (h2_transport.cc)

 private:
  struct SessionDeleter {
    void operator()(nghttp2_session* session) const;
  };
  using SessionPtr = std::unique_ptr<nghttp2_session, SessionDeleter>;

  struct Stream {
    std::map<std::string, std::string> headers;  // collected until END_HEADERS
    size_t header_bytes = 0;
    bool reported = false;  // OnStreamOpened went out
    bool accepted = false;  // our 200 is submitted
    bool deferred = false;  // the data source returned NGHTTP2_ERR_DEFERRED
    bool eof = false;       // End() called
    bool end_sent = false;  // our END_STREAM went into the output
    bool reset_by_us = false;
    bool reset_reported = false;  // OnStreamReset went out
    std::string queue;            // bytes written but not yet taken by nghttp2
    size_t queue_pos = 0;
    size_t backlog() const { return queue.size() - queue_pos; }
  };

  explicit H2Transport(H2Options options);
  static Result<std::unique_ptr<H2Transport>> Create(H2Options options);

  // Moves frames from nghttp2 into the output buffer, within the output limits.
  // Never called from inside an nghttp2 callback (nghttp2 forbids mem_send there).
  void Pump();
  // Marks the connection broken: GOAWAY(code) is queued where nghttp2 still can.
  void Fail(uint32_t error_code, std::string reason);
  Status BrokenStatus() const;
  Stream* FindStream(StreamId id);
  void NoteClientReset();
  Status KnownButGone(StreamId id, const char* operation) const;

  H2Options options_;
  const Clock* clock_;
  SessionPtr session_;
  std::map<StreamId, Stream> streams_;
  StreamId last_client_stream_ = 0;
  std::optional<OpenedStream> upgraded_stream_;  // reported by Start()

  StreamEvents* events_ = nullptr;  // set only while Start()/Feed() run
  bool in_recv_ = false;            // inside mem_recv: no mem_send allowed
  bool closed_ = false;             // our GOAWAY(NO_ERROR) is submitted

  std::string output_;
  size_t output_pos_ = 0;

  std::optional<std::string> failure_;  // set once the connection is broken
  std::string last_library_error_;      // nghttp2's own wording of its last complaint

  Clock::TimePoint reset_window_start_{};
  uint32_t resets_in_window_ = 0;
};

}  // namespace airlock::streaming
