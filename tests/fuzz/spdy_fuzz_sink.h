// The checking event sink shared by the SpdyCodec fuzz targets.
//
// It plays a well-behaved owner (replies to every stream it is told about, so that the
// codec's reply/half-close bookkeeping is exercised) and checks, on every event, what the
// header promises: DATA is never buffered (each piece points into the bytes of the current
// Feed call), only open streams carry data, a protocol error comes once and nothing follows
// it. It also keeps a normalised log (adjacent DATA pieces merged) so that two feeds of the
// same bytes with different splits can be compared.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "streaming/spdy_frame.h"
#include "streaming/spdy_session_codec.h"
#include "tests/fuzz/fuzz_check.h"

namespace airlock::fuzz {

class CheckingSpdySink : public streaming::SpdyEventSink {
 public:
  explicit CheckingSpdySink(streaming::SpdyCodec& codec, bool reply_to_streams = true)
      : codec_(codec), reply_(reply_to_streams) {}
  virtual ~CheckingSpdySink() = default;

  // Feeds one piece and checks the codec's promises about it.
  void Feed(std::string_view piece) {
    current_ = piece;
    const size_t output_before = codec_.OutputSize();
    const size_t events_before = events_;
    const bool failed_before = codec_.failed();
    codec_.Feed(piece, *this);
    if (failed_before) {
      FUZZ_CHECK(events_ == events_before, "events after the protocol error");
      FUZZ_CHECK(codec_.OutputSize() == output_before, "output after the protocol error");
    }
    FUZZ_CHECK(codec_.failed() == error_reported_, "failed() disagrees with the events");
    FUZZ_CHECK(codec_.open_streams() <= options_max_streams_, "%zu streams open",
               codec_.open_streams());
    fed_ += piece.size();
    FUZZ_CHECK(data_bytes_ <= fed_, "reported %zu payload bytes of %zu fed", data_bytes_, fed_);
    current_ = {};
  }

  void set_max_streams(size_t n) { options_max_streams_ = n; }
  const std::string& log() const { return log_; }
  // Stream-open events the owner may act on (see the stream fuzz target).
  const std::set<uint32_t>& open() const { return open_; }
  // The owner reset `stream_id`: the codec must report nothing more on it.
  void ForgetStream(uint32_t stream_id) { open_.erase(stream_id); }

  void OnSpdyEvent(streaming::SpdyEvent& event) override {
    using namespace streaming;
    ++events_;
    FUZZ_CHECK(!error_reported_, "event after SpdyProtocolError");
    if (auto* syn = std::get_if<SpdySynStream>(&event)) {
      FUZZ_CHECK(syn->stream_id % 2 == 1, "client stream id %u is even", syn->stream_id);
      FUZZ_CHECK(syn->stream_id > last_syn_, "stream id %u after %u", syn->stream_id, last_syn_);
      FUZZ_CHECK(syn->stream_id <= kSpdyMaxStreamId, "stream id %u", syn->stream_id);
      FUZZ_CHECK(syn->headers.size() <= SpdyHeaderLimits{}.max_headers, "too many headers");
      last_syn_ = syn->stream_id;
      if (!syn->fin) open_.insert(syn->stream_id);
      Log("syn " + std::to_string(syn->stream_id) + (syn->fin ? " fin" : "") +
          (syn->unidirectional ? " uni" : "") + " h" + std::to_string(syn->headers.size()));
      if (reply_ && !syn->unidirectional) {
        FUZZ_CHECK(codec_.SynReply(syn->stream_id, {{"ok", "1"}}, false).ok(), "reply failed");
      }
    } else if (auto* data = std::get_if<SpdyData>(&event)) {
      FUZZ_CHECK(open_.count(data->stream_id) == 1, "data on stream %u, which is not open",
                 data->stream_id);
      FUZZ_CHECK(data->bytes.empty() ||
                     (data->bytes.data() >= current_.data() &&
                      data->bytes.data() + data->bytes.size() <= current_.data() + current_.size()),
                 "DATA bytes do not point into the fed piece: the codec buffered them");
      FUZZ_CHECK(!data->bytes.empty() || data->fin, "empty DATA event without FIN");
      data_bytes_ += data->bytes.size();
      if (data->fin) open_.erase(data->stream_id);
      // Merge pieces of the same stream so that different splits log the same text.
      const std::string prefix = "data " + std::to_string(data->stream_id) + " ";
      if (last_data_stream_ != data->stream_id) {
        Log(prefix);
        last_data_stream_ = data->stream_id;
      }
      log_.append(data->bytes);
      if (data->fin) {
        log_ += " fin";
        last_data_stream_ = 0;
      }
      AfterEvent(event);
      return;
    } else if (auto* rst = std::get_if<SpdyRstStream>(&event)) {
      open_.erase(rst->stream_id);
      Log("rst " + std::to_string(rst->stream_id) + " " + std::to_string(rst->status));
    } else if (auto* ping = std::get_if<SpdyPing>(&event)) {
      Log("ping " + std::to_string(ping->id));
    } else if (auto* goaway = std::get_if<SpdyGoAway>(&event)) {
      Log("goaway " + std::to_string(goaway->last_good_stream_id));
    } else if (auto* settings = std::get_if<SpdySettings>(&event)) {
      Log("settings " + std::to_string(settings->frame.entries.size()));
    } else if (auto* update = std::get_if<SpdyWindowUpdate>(&event)) {
      Log("window " + std::to_string(update->stream_id) + " " + std::to_string(update->delta));
    } else if (auto* headers = std::get_if<SpdyHeaders>(&event)) {
      FUZZ_CHECK(open_.count(headers->stream_id) == 1, "HEADERS on stream %u, not open",
                 headers->stream_id);
      if (headers->fin) open_.erase(headers->stream_id);
      Log("headers " + std::to_string(headers->stream_id) + (headers->fin ? " fin" : ""));
    } else if (auto* error = std::get_if<SpdyProtocolError>(&event)) {
      FUZZ_CHECK(!error->reason.empty(), "protocol error without a reason");
      error_reported_ = true;
      Log("error " + error->reason);
    }
    last_data_stream_ = 0;
    AfterEvent(event);
  }

 protected:
  // An owner's reaction to an event that passed the checks.
  virtual void AfterEvent(streaming::SpdyEvent& /*event*/) {}
  streaming::SpdyCodec& codec() { return codec_; }

 private:
  void Log(const std::string& line) {
    log_ += '\n';
    log_ += line;
  }

  streaming::SpdyCodec& codec_;
  bool reply_;
  std::string_view current_;
  size_t fed_ = 0;
  size_t data_bytes_ = 0;
  size_t events_ = 0;
  size_t options_max_streams_ = streaming::SpdyCodecOptions{}.max_concurrent_streams;
  bool error_reported_ = false;
  uint32_t last_syn_ = 0;
  uint32_t last_data_stream_ = 0;
  std::set<uint32_t> open_;  // client half open, as far as the events tell
  std::string log_;
};

// The codec's output must be whole frames: every header's length covers exactly the bytes
// that follow, and control frames say version 3. A torn frame would desynchronise the peer.
inline void CheckSpdyOutputFrames(std::string_view out) {
  using namespace streaming;
  while (!out.empty()) {
    FUZZ_CHECK(out.size() >= kSpdyFrameHeaderSize, "output ends inside a frame header");
    const SpdyFrameHeader header = DecodeSpdyFrameHeader(out);
    FUZZ_CHECK(!header.control || header.version == kSpdyVersion, "output frame version %u",
               header.version);
    FUZZ_CHECK(out.size() - kSpdyFrameHeaderSize >= header.length,
               "output frame of %u bytes is cut short", header.length);
    out.remove_prefix(kSpdyFrameHeaderSize + header.length);
  }
}

}  // namespace airlock::fuzz
