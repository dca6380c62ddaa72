// Test helpers for the SPDY codec tests: a client-side frame builder (with its own header
// compression context, as a real client has), a parser for what the codec sends, and a sink
// that records events in a comparable form.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "streaming/spdy_frame.h"
#include "streaming/spdy_header_block.h"
#include "streaming/spdy_session_codec.h"

namespace airlock::streaming::testing {

// Builds the bytes a client (spdystream) would send. Compression parameters are Go's
// (level 9, 32 KiB window) so the codec decodes blocks it did not produce itself.
class SpdyTestClient {
 public:
  SpdyTestClient() : deflater_(SpdyHeaderDeflater::Create(9, 15, 8).value()) {}

  std::string SynStream(uint32_t id, const SpdyHeaderBlock& headers, uint8_t flags = 0) {
    std::string out;
    AppendSpdySynStream(out, SpdySynStreamPrefix{id, 0, 0, 0}, flags, Compress(headers));
    return out;
  }
  std::string Headers(uint32_t id, const SpdyHeaderBlock& headers, uint8_t flags = 0) {
    std::string out;
    AppendSpdyHeaders(out, id, flags, Compress(headers));
    return out;
  }
  std::string SynReply(uint32_t id) {
    std::string out;
    AppendSpdySynReply(out, id, 0, Compress({}));
    return out;
  }
  std::string Compress(const SpdyHeaderBlock& headers) {
    Result<std::string> block = deflater_.Compress(headers);
    EXPECT_TRUE(block.ok()) << block.error().message;
    return block.ok() ? *block : std::string();
  }

  static std::string Data(uint32_t id, std::string_view bytes, bool fin = false) {
    std::string out;
    AppendSpdyData(out, id, fin ? kSpdyFlagFin : 0, bytes);
    return out;
  }
  static std::string Ping(uint32_t id) {
    std::string out;
    AppendSpdyPing(out, id);
    return out;
  }
  static std::string Rst(uint32_t id, SpdyRstStatus status) {
    std::string out;
    AppendSpdyRstStream(out, id, status);
    return out;
  }
  static std::string GoAway(uint32_t last) {
    std::string out;
    AppendSpdyGoAway(out, last, SpdyGoAwayStatus::kOk);
    return out;
  }

 private:
  SpdyHeaderDeflater deflater_;
};

struct ParsedFrame {
  SpdyFrameHeader header;
  std::string payload;
};

// Splits complete frames; fails the test on a trailing partial frame.
inline std::vector<ParsedFrame> ParseFrames(std::string_view bytes) {
  std::vector<ParsedFrame> frames;
  size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < kSpdyFrameHeaderSize) {
      ADD_FAILURE() << "partial frame header at " << at;
      break;
    }
    ParsedFrame frame{DecodeSpdyFrameHeader(bytes.substr(at)), {}};
    at += kSpdyFrameHeaderSize;
    if (bytes.size() - at < frame.header.length) {
      ADD_FAILURE() << "partial frame payload at " << at;
      break;
    }
    frame.payload = std::string(bytes.substr(at, frame.header.length));
    at += frame.header.length;
    frames.push_back(std::move(frame));
  }
  return frames;
}

// One line per event; consecutive DATA pieces of one stream are merged so that logs of
// the same bytes fed in different splits compare equal.
class RecordingSink : public SpdyEventSink {
 public:
  void OnSpdyEvent(SpdyEvent& event) override {
    if (auto* data = std::get_if<SpdyData>(&event)) {
      if (!log.empty() && merge_stream_ == data->stream_id) {
        data_bytes_.append(data->bytes);
      } else {
        log.emplace_back();
        data_bytes_.assign(data->bytes);
        merge_stream_ = data->stream_id;
      }
      log.back() = "data " + std::to_string(data->stream_id) + " [" + data_bytes_ + "]" +
                   (data->fin ? " fin" : "");
      ++data_pieces;
      if (data->fin) merge_stream_ = 0;
      return;
    }
    merge_stream_ = 0;
    events.push_back(event);
    log.push_back(Describe(event));
  }

  static std::string Describe(const SpdyEvent& event) {
    if (auto* syn = std::get_if<SpdySynStream>(&event)) {
      std::string line = "syn " + std::to_string(syn->stream_id);
      for (const SpdyHeaderField& field : syn->headers)
        line += " " + field.name + "=" + field.value;
      if (syn->fin) line += " fin";
      if (syn->unidirectional) line += " uni";
      return line;
    }
    if (auto* rst = std::get_if<SpdyRstStream>(&event)) {
      return "rst " + std::to_string(rst->stream_id) + " " + std::to_string(rst->status);
    }
    if (auto* ping = std::get_if<SpdyPing>(&event)) {
      return "ping " + std::to_string(ping->id) + (ping->reply ? " reply" : "");
    }
    if (auto* goaway = std::get_if<SpdyGoAway>(&event)) {
      return "goaway " + std::to_string(goaway->last_good_stream_id) + " " +
             std::to_string(goaway->status);
    }
    if (auto* settings = std::get_if<SpdySettings>(&event)) {
      return "settings " + std::to_string(settings->frame.entries.size());
    }
    if (auto* update = std::get_if<SpdyWindowUpdate>(&event)) {
      return "window " + std::to_string(update->stream_id) + " " + std::to_string(update->delta);
    }
    if (auto* headers = std::get_if<SpdyHeaders>(&event)) {
      std::string line = "headers " + std::to_string(headers->stream_id);
      for (const SpdyHeaderField& field : headers->headers) {
        line += " " + field.name + "=" + field.value;
      }
      return line + (headers->fin ? " fin" : "");
    }
    if (auto* error = std::get_if<SpdyProtocolError>(&event)) return "error " + error->reason;
    return "?";
  }

  bool HasError() const {
    for (const SpdyEvent& event : events) {
      if (std::holds_alternative<SpdyProtocolError>(event)) return true;
    }
    return false;
  }
  std::string LastError() const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (auto* error = std::get_if<SpdyProtocolError>(&*it)) return error->reason;
    }
    return "";
  }

  std::vector<std::string> log;
  std::vector<SpdyEvent> events;  // everything but DATA (its bytes are not owned)
  size_t data_pieces = 0;

 private:
  uint32_t merge_stream_ = 0;
  std::string data_bytes_;
};

}  // namespace airlock::streaming::testing
