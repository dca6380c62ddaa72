#include "streaming/spdy_session_codec.h"

#include <algorithm>
#include <string>
#include <utility>

namespace airlock::streaming {
namespace {

std::string StreamName(uint32_t stream_id) { return "SPDY stream " + std::to_string(stream_id); }

bool KnownControlType(uint16_t type) {
  switch (static_cast<SpdyControlType>(type)) {
    case SpdyControlType::kSynStream:
    case SpdyControlType::kSynReply:
    case SpdyControlType::kRstStream:
    case SpdyControlType::kSettings:
    case SpdyControlType::kPing:
    case SpdyControlType::kGoAway:
    case SpdyControlType::kHeaders:
    case SpdyControlType::kWindowUpdate:
      return true;
    case SpdyControlType::kNoop:
    case SpdyControlType::kCredential:
      return false;
  }
  return false;
}

}  // namespace

Result<SpdyCodec> SpdyCodec::Create(SpdyCodecOptions options) {
  Result<SpdyHeaderDeflater> deflater = SpdyHeaderDeflater::Create();
  if (!deflater.ok()) return deflater.error();
  Result<SpdyHeaderInflater> inflater = SpdyHeaderInflater::Create(options.header_limits);
  if (!inflater.ok()) return inflater.error();
  return SpdyCodec(options, std::move(*deflater), std::move(*inflater));
}

void SpdyCodec::Feed(std::string_view bytes, SpdyEventSink& sink) {
  size_t pos = 0;
  while (!failed_ && pos < bytes.size()) Step(bytes, pos, sink);
}

void SpdyCodec::Step(std::string_view bytes, size_t& pos, SpdyEventSink& sink) {
  if (!have_header_) {
    const size_t take = std::min(kSpdyFrameHeaderSize - pending_.size(), bytes.size() - pos);
    pending_.append(bytes.substr(pos, take));
    pos += take;
    if (pending_.size() < kSpdyFrameHeaderSize) return;
    header_ = DecodeSpdyFrameHeader(pending_);
    pending_.clear();
    have_header_ = true;
    if (!header_.control) {
      BeginData(header_, sink);
      return;
    }
    // Everything that can be judged from the header is judged before buffering the payload.
    if (header_.version != kSpdyVersion) {
      Fail("SPDY control frame version " + std::to_string(header_.version) + " is not 3", sink);
      return;
    }
    if (!KnownControlType(header_.type)) {
      Fail(std::string("unsupported SPDY control frame type ") + std::to_string(header_.type) +
               " (" + SpdyControlTypeName(header_.type) + ")",
           sink);
      return;
    }
    if (header_.length > options_.max_control_frame_payload) {
      Fail(std::string("SPDY ") + SpdyControlTypeName(header_.type) + " frame of " +
               std::to_string(header_.length) + " bytes exceeds the limit of " +
               std::to_string(options_.max_control_frame_payload),
           sink);
      return;
    }
    if (header_.length == 0) {
      have_header_ = false;
      HandleControl(header_, {}, sink);
    }
    return;
  }

  if (!header_.control) {
    const size_t take = std::min<size_t>(data_remaining_, bytes.size() - pos);
    const std::string_view piece = bytes.substr(pos, take);
    pos += take;
    data_remaining_ -= static_cast<uint32_t>(take);
    const bool last = data_remaining_ == 0;
    if (last) have_header_ = false;
    const uint32_t id = header_.stream_id;
    // The owner may have reset the stream while an earlier piece was being delivered.
    if (data_deliver_ && streams_.count(id) == 0) data_deliver_ = false;
    if (!data_deliver_) return;
    const bool fin = last && (header_.flags & kSpdyFlagFin) != 0;
    if (fin) streams_[id].remote_closed = true;
    if (!piece.empty() || fin) {
      SpdyEvent event = SpdyData{id, piece, fin};
      sink.OnSpdyEvent(event);
    }
    if (fin) CloseIfDone(id);
    return;
  }

  // A control payload: use the caller's bytes in place when the whole payload is there.
  if (pending_.empty() && bytes.size() - pos >= header_.length) {
    const std::string_view payload = bytes.substr(pos, header_.length);
    pos += header_.length;
    have_header_ = false;
    HandleControl(header_, payload, sink);
    return;
  }
  const size_t take = std::min<size_t>(header_.length - pending_.size(), bytes.size() - pos);
  pending_.append(bytes.substr(pos, take));
  pos += take;
  if (pending_.size() < header_.length) return;
  const std::string payload = std::move(pending_);
  pending_.clear();
  have_header_ = false;
  HandleControl(header_, payload, sink);
  return;
}

void SpdyCodec::BeginData(const SpdyFrameHeader& header, SpdyEventSink& sink) {
  const uint32_t id = header.stream_id;
  data_remaining_ = header.length;
  data_deliver_ = false;
  if (id == 0) {
    Fail("SPDY DATA frame on stream 0", sink);
    return;
  }
  auto it = streams_.find(id);
  if (it == streams_.end()) {
    // A stream we closed or reset may still have bytes in flight: drop them quietly. A
    // stream that never existed gets the stream error the draft asks for (§2.4.2).
    if (id > last_stream_id_ || id % 2 == 0) {
      AppendSpdyRstStream(output_, id, SpdyRstStatus::kInvalidStream);
    }
  } else if (it->second.remote_closed) {
    Fail("SPDY DATA on " + StreamName(id) + " after the client's FIN", sink);
    return;
  } else {
    data_deliver_ = true;
  }
  if (header.length == 0) {
    have_header_ = false;
    if (data_deliver_ && (header.flags & kSpdyFlagFin) != 0) {
      it->second.remote_closed = true;
      SpdyEvent event = SpdyData{id, {}, true};
      sink.OnSpdyEvent(event);
      CloseIfDone(id);
    }
  }
}

void SpdyCodec::HandleControl(const SpdyFrameHeader& header, std::string_view payload,
                              SpdyEventSink& sink) {
  switch (static_cast<SpdyControlType>(header.type)) {
    case SpdyControlType::kSynStream:
      HandleSynStream(header, payload, sink);
      return;
    case SpdyControlType::kHeaders:
      HandleHeaders(header, payload, sink);
      return;
    case SpdyControlType::kSynReply: {
      // We open no streams (no server push), so a reply can only be a protocol violation;
      // the connection ends here, so its header block need not be inflated.
      Result<uint32_t> id = DecodeSpdyStreamIdPrefix(payload);
      if (!id.ok()) return Fail(id.error().message, sink);
      return Fail("SPDY SYN_REPLY from the client for " + StreamName(*id) +
                      ", which the server never opened",
                  sink);
    }
    case SpdyControlType::kRstStream: {
      Result<SpdyRstStreamFrame> rst = DecodeSpdyRstStream(payload);
      if (!rst.ok()) return Fail(rst.error().message, sink);
      // A reset of a stream we already forgot needs no answer (never RST a RST).
      if (streams_.erase(rst->stream_id) == 0) return;
      SpdyEvent event = SpdyRstStream{rst->stream_id, rst->status};
      sink.OnSpdyEvent(event);
      return;
    }
    case SpdyControlType::kSettings: {
      Result<SpdySettingsFrame> settings = DecodeSpdySettings(header.flags, payload);
      if (!settings.ok()) return Fail(settings.error().message, sink);
      SpdyEvent event = SpdySettings{std::move(*settings)};
      sink.OnSpdyEvent(event);
      return;
    }
    case SpdyControlType::kPing: {
      Result<uint32_t> id = DecodeSpdyPing(payload);
      if (!id.ok()) return Fail(id.error().message, sink);
      // Client pings are odd, ours even (spdystream uses the parity the same way).
      const bool reply = *id % 2 == 0;
      if (!reply) AppendSpdyPing(output_, *id);
      SpdyEvent event = SpdyPing{*id, reply};
      sink.OnSpdyEvent(event);
      return;
    }
    case SpdyControlType::kGoAway: {
      Result<SpdyGoAwayFrame> goaway = DecodeSpdyGoAway(payload);
      if (!goaway.ok()) return Fail(goaway.error().message, sink);
      goaway_received_ = true;
      SpdyEvent event = SpdyGoAway{goaway->last_good_stream_id, goaway->status};
      sink.OnSpdyEvent(event);
      return;
    }
    case SpdyControlType::kWindowUpdate: {
      Result<SpdyWindowUpdateFrame> update = DecodeSpdyWindowUpdate(payload);
      if (!update.ok()) return Fail(update.error().message, sink);
      SpdyEvent event = SpdyWindowUpdate{update->stream_id, update->delta};
      sink.OnSpdyEvent(event);
      return;
    }
    case SpdyControlType::kNoop:
    case SpdyControlType::kCredential:
      break;
  }
  Fail("unsupported SPDY control frame type " + std::to_string(header.type), sink);
}

void SpdyCodec::HandleSynStream(const SpdyFrameHeader& header, std::string_view payload,
                                SpdyEventSink& sink) {
  Result<SpdySynStreamPrefix> prefix = DecodeSpdySynStreamPrefix(payload);
  if (!prefix.ok()) return Fail(prefix.error().message, sink);
  const uint32_t id = prefix->stream_id;
  // Inflate before any decision: the zlib context spans the connection.
  Result<SpdyHeaderBlock> headers = inflater_.Decompress(payload.substr(kSpdySynStreamPrefixSize));
  if (!headers.ok()) return Fail(headers.error().message + " (" + StreamName(id) + ")", sink);
  // After our GOAWAY new streams are ignored (draft 3 §2.6.6).
  if (goaway_sent_) return;
  if (id % 2 == 0) {
    return Fail("SPDY SYN_STREAM with the server-side (even) id " + std::to_string(id), sink);
  }
  if (id <= last_stream_id_) {
    return Fail("SPDY SYN_STREAM id " + std::to_string(id) + " is not above the last id " +
                    std::to_string(last_stream_id_),
                sink);
  }
  last_stream_id_ = id;
  if (streams_.size() >= options_.max_concurrent_streams) {
    AppendSpdyRstStream(output_, id, SpdyRstStatus::kRefusedStream);
    return;
  }
  const bool fin = (header.flags & kSpdyFlagFin) != 0;
  const bool unidirectional = (header.flags & kSpdyFlagUnidirectional) != 0;
  StreamState& state = streams_[id];
  state.remote_closed = fin;
  // The recipient of a unidirectional stream is half-closed: it may not send on it.
  state.local_closed = unidirectional;
  SpdyEvent event = SpdySynStream{
      id, prefix->associated_stream_id, prefix->priority, std::move(*headers), fin, unidirectional};
  sink.OnSpdyEvent(event);
  CloseIfDone(id);
}

void SpdyCodec::HandleHeaders(const SpdyFrameHeader& header, std::string_view payload,
                              SpdyEventSink& sink) {
  Result<uint32_t> id = DecodeSpdyStreamIdPrefix(payload);
  if (!id.ok()) return Fail(id.error().message, sink);
  Result<SpdyHeaderBlock> headers = inflater_.Decompress(payload.substr(kSpdyStreamIdPrefixSize));
  if (!headers.ok()) return Fail(headers.error().message + " (" + StreamName(*id) + ")", sink);
  auto it = streams_.find(*id);
  if (it == streams_.end() || it->second.remote_closed) return;
  const bool fin = (header.flags & kSpdyFlagFin) != 0;
  it->second.remote_closed = fin;
  SpdyEvent event = SpdyHeaders{*id, std::move(*headers), fin};
  sink.OnSpdyEvent(event);
  if (fin) CloseIfDone(*id);
}

void SpdyCodec::Fail(std::string reason, SpdyEventSink& sink) {
  if (failed_) return;
  failed_ = true;
  pending_.clear();
  if (!goaway_sent_) {
    AppendSpdyGoAway(output_, last_stream_id_, SpdyGoAwayStatus::kProtocolError);
    goaway_sent_ = true;
  }
  SpdyEvent event = SpdyProtocolError{std::move(reason)};
  sink.OnSpdyEvent(event);
}

void SpdyCodec::CloseIfDone(uint32_t stream_id) {
  auto it = streams_.find(stream_id);
  if (it != streams_.end() && it->second.remote_closed && it->second.local_closed) {
    streams_.erase(it);
  }
}

Status SpdyCodec::SynReply(uint32_t stream_id, const SpdyHeaderBlock& headers, bool fin) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) {
    return MakeError(ErrorCode::kNotFound, "reply to " + StreamName(stream_id) + ": not open");
  }
  if (it->second.replied) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "reply to " + StreamName(stream_id) + ": already replied");
  }
  if (it->second.local_closed) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "reply to " + StreamName(stream_id) + ": stream is unidirectional");
  }
  Result<std::string> block = deflater_.Compress(headers);
  if (!block.ok()) return block.error().Wrap("reply to " + StreamName(stream_id));
  AppendSpdySynReply(output_, stream_id, fin ? kSpdyFlagFin : 0, *block);
  it->second.replied = true;
  if (fin) {
    it->second.local_closed = true;
    CloseIfDone(stream_id);
  }
  return Status::Ok();
}

Status SpdyCodec::Data(uint32_t stream_id, std::string_view bytes, bool fin) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) {
    return MakeError(ErrorCode::kNotFound, "send data on " + StreamName(stream_id) + ": not open");
  }
  if (!it->second.replied) {
    // spdystream blocks writes until SYN_REPLY; a data frame first would confuse the peer.
    return MakeError(ErrorCode::kFailedPrecondition,
                     "send data on " + StreamName(stream_id) + ": no SYN_REPLY sent yet");
  }
  if (it->second.local_closed) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "send data on " + StreamName(stream_id) + ": already half-closed");
  }
  if (bytes.empty() && !fin) return Status::Ok();
  const size_t frames = bytes.empty() ? 1 : (bytes.size() + kSpdyMaxPayload - 1) / kSpdyMaxPayload;
  output_.reserve(output_.size() + bytes.size() + frames * kSpdyFrameHeaderSize);
  size_t offset = 0;
  do {
    const size_t take = std::min<size_t>(kSpdyMaxPayload, bytes.size() - offset);
    const bool last = offset + take == bytes.size();
    AppendSpdyData(output_, stream_id, last && fin ? kSpdyFlagFin : 0, bytes.substr(offset, take));
    offset += take;
  } while (offset < bytes.size());
  if (fin) {
    it->second.local_closed = true;
    CloseIfDone(stream_id);
  }
  return Status::Ok();
}

Status SpdyCodec::RstStream(uint32_t stream_id, SpdyRstStatus status) {
  // Resetting a stream the codec already forgot (closed, or reset by the client) is a
  // no-op, so an owner can reset "everything still open" at the end without races.
  if (streams_.erase(stream_id) == 0) return Status::Ok();
  AppendSpdyRstStream(output_, stream_id, status);
  return Status::Ok();
}

uint32_t SpdyCodec::Ping() {
  const uint32_t id = next_ping_id_;
  // Stay even and non-zero when the 31-bit space wraps.
  next_ping_id_ = next_ping_id_ >= 0x7ffffffe ? 2 : next_ping_id_ + 2;
  AppendSpdyPing(output_, id);
  return id;
}

void SpdyCodec::GoAway(SpdyGoAwayStatus status) {
  if (goaway_sent_) return;
  goaway_sent_ = true;
  AppendSpdyGoAway(output_, last_stream_id_, status);
}

std::string SpdyCodec::TakeOutput() {
  std::string out;
  out.swap(output_);
  return out;
}

}  // namespace airlock::streaming
