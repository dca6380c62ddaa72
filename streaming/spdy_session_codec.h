// SpdyCodec: the server side of one SPDY/3.1 connection, as a pure codec.
//
// The owner (a connection object) reads bytes from its socket and passes them to Feed();
// the codec parses frames, keeps per-stream state and reports what happened as events to
// a sink. Everything the codec wants to send — the owner's SYN_REPLY/DATA/RST_STREAM/PING/
// GOAWAY plus its own automatic answers (PING echoes, RST_STREAM for refused streams,
// GOAWAY on a protocol error) — is appended to an output buffer the owner drains with
// TakeOutput(). No sockets, threads or clocks inside (DESIGN.md §4.4).
//
// Peer model: moby/spdystream (client-go, crictl, kubelet's proxy). It implements no flow
// control, so neither do we: WINDOW_UPDATE and SETTINGS are parsed, reported and otherwise
// ignored, and we never send them. Back-pressure is the owner's business (stop reading the
// socket while its output is full).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "shim/base/result.h"
#include "streaming/spdy_frame.h"
#include "streaming/spdy_header_block.h"

namespace airlock::streaming {

// A client opened a stream. The codec has accepted it; the owner answers with SynReply
// (or RstStream to refuse it).
struct SpdySynStream {
  uint32_t stream_id = 0;
  uint32_t associated_stream_id = 0;
  uint8_t priority = 0;
  SpdyHeaderBlock headers;
  bool fin = false;             // the client will send nothing more
  bool unidirectional = false;  // the client will accept nothing on it
};

// Payload bytes of a stream. One DATA frame may be reported in several pieces as its
// bytes arrive (the codec never buffers a whole 16 MiB frame); `bytes` is valid only
// during the sink call. `fin` is set on the last piece of the client's half of the stream
// (possibly with empty bytes).
struct SpdyData {
  uint32_t stream_id = 0;
  std::string_view bytes;
  bool fin = false;
};

// The client reset an open stream; the codec has forgotten it.
struct SpdyRstStream {
  uint32_t stream_id = 0;
  uint32_t status = 0;
};

// A PING arrived. A client ping (odd id) has already been echoed into the output;
// `reply` marks the answer to one of our own pings (even id).
struct SpdyPing {
  uint32_t id = 0;
  bool reply = false;
};

// The client will open no more streams; streams up to last_good_stream_id go on.
struct SpdyGoAway {
  uint32_t last_good_stream_id = 0;
  uint32_t status = 0;
};

// Reported for completeness; both are ignored, like spdystream does.
struct SpdySettings {
  SpdySettingsFrame frame;
};
struct SpdyWindowUpdate {
  uint32_t stream_id = 0;
  uint32_t delta = 0;
};

// Extra headers on an open stream (unused by Kubernetes).
struct SpdyHeaders {
  uint32_t stream_id = 0;
  SpdyHeaderBlock headers;
  bool fin = false;
};

// The connection is unusable: the codec has queued GOAWAY(PROTOCOL_ERROR) where it could,
// ignores all further input, and the owner should flush the output and close. Reported
// exactly once.
struct SpdyProtocolError {
  std::string reason;
};

using SpdyEvent = std::variant<SpdySynStream, SpdyData, SpdyRstStream, SpdyPing, SpdyGoAway,
                               SpdySettings, SpdyWindowUpdate, SpdyHeaders, SpdyProtocolError>;

class SpdyEventSink {
 public:
  virtual ~SpdyEventSink() = default;
  virtual void OnSpdyEvent(SpdyEvent& event) = 0;
};

struct SpdyCodecOptions {
  SpdyHeaderLimits header_limits;
  // Streams open at once (not yet closed in both directions or reset); beyond it a new
  // stream is refused with RST_STREAM(REFUSED_STREAM). Exec uses 5; port-forward 2 per port.
  size_t max_concurrent_streams = 128;
  // Control frames are buffered whole, so their size is bounded (DATA frames are not
  // buffered and may use the full 24-bit length).
  uint32_t max_control_frame_payload = 256 * 1024 + 64;
};

class SpdyCodec {
 public:
  static Result<SpdyCodec> Create(SpdyCodecOptions options = {});

  SpdyCodec(SpdyCodec&&) = default;
  SpdyCodec& operator=(SpdyCodec&&) = default;

  // Parses `bytes` (any split of the byte stream) and reports events to `sink` in wire
  // order. Once a SpdyProtocolError was reported, further input is ignored.
  void Feed(std::string_view bytes, SpdyEventSink& sink);

  // Encoders. Errors here are the owner's mistakes (unknown stream, data before the reply,
  // data after FIN); nothing is queued then.
  Status SynReply(uint32_t stream_id, const SpdyHeaderBlock& headers, bool fin);
  // Splits into frames of at most kSpdyMaxPayload bytes; FIN goes on the last one.
  // `fin` with empty `bytes` sends one empty DATA+FIN (the half-close Go peers expect).
  Status Data(uint32_t stream_id, std::string_view bytes, bool fin);
  Status RstStream(uint32_t stream_id, SpdyRstStatus status);
  // Sends a server ping (even ids 2, 4, ...) and returns its id.
  uint32_t Ping();
  // Announces the end of the session: no new streams are accepted after it. Sent once.
  void GoAway(SpdyGoAwayStatus status);

  // The bytes queued for the peer; the owner writes them out in order.
  std::string TakeOutput();
  bool HasOutput() const { return !output_.empty(); }
  size_t OutputSize() const { return output_.size(); }

  bool failed() const { return failed_; }
  bool goaway_sent() const { return goaway_sent_; }
  bool goaway_received() const { return goaway_received_; }
  size_t open_streams() const { return streams_.size(); }
  // Highest client stream id seen (0 before the first).
  uint32_t last_stream_id() const { return last_stream_id_; }

 private:
  struct StreamState {
    bool replied = false;
    bool remote_closed = false;  // client sent FIN (or opened it unidirectional)
    bool local_closed = false;   // we sent FIN
  };

  SpdyCodec(SpdyCodecOptions options, SpdyHeaderDeflater deflater, SpdyHeaderInflater inflater)
      : options_(options), deflater_(std::move(deflater)), inflater_(std::move(inflater)) {}

  // Consumes at least one byte of `bytes` from `pos` on, or fails the connection.
  void Step(std::string_view bytes, size_t& pos, SpdyEventSink& sink);
  void HandleControl(const SpdyFrameHeader& header, std::string_view payload, SpdyEventSink& sink);
  void HandleSynStream(const SpdyFrameHeader& header, std::string_view payload,
                       SpdyEventSink& sink);
  void HandleHeaders(const SpdyFrameHeader& header, std::string_view payload, SpdyEventSink& sink);
  void BeginData(const SpdyFrameHeader& header, SpdyEventSink& sink);
  void Fail(std::string reason, SpdyEventSink& sink);
  void CloseIfDone(uint32_t stream_id);

  SpdyCodecOptions options_;
  SpdyHeaderDeflater deflater_;
  SpdyHeaderInflater inflater_;
  std::map<uint32_t, StreamState> streams_;

  // Parser state: a frame header being assembled, a control payload being assembled, or
  // the remaining bytes of a DATA frame being passed through.
  std::string pending_;
  bool have_header_ = false;
  SpdyFrameHeader header_;
  uint32_t data_remaining_ = 0;
  bool data_deliver_ = false;  // false: the stream is unknown, skip the payload

  std::string output_;
  uint32_t last_stream_id_ = 0;
  uint32_t next_ping_id_ = 2;
  bool failed_ = false;
  bool goaway_sent_ = false;
  bool goaway_received_ = false;
};

}  // namespace airlock::streaming
