#include "streaming/spdy_frame.h"

#include <string>

namespace airlock::streaming {
namespace {

// The high bit of every stream-id field is reserved ("X" in the draft) and ignored on receipt.
constexpr uint32_t kStreamIdMask = 0x7fffffff;

Error FrameError(const char* frame, const std::string& reason) {
  return MakeError(ErrorCode::kInvalidArgument,
                   std::string("decode SPDY ") + frame + ": " + reason);
}

uint8_t Byte(std::string_view bytes, size_t offset) { return static_cast<uint8_t>(bytes[offset]); }

void AppendBigEndian24(std::string& out, uint32_t value) {
  out.push_back(static_cast<char>((value >> 16) & 0xff));
  out.push_back(static_cast<char>((value >> 8) & 0xff));
  out.push_back(static_cast<char>(value & 0xff));
}

}  // namespace

uint32_t ReadBigEndian32(std::string_view bytes, size_t offset) {
  return (uint32_t{Byte(bytes, offset)} << 24) | (uint32_t{Byte(bytes, offset + 1)} << 16) |
         (uint32_t{Byte(bytes, offset + 2)} << 8) | uint32_t{Byte(bytes, offset + 3)};
}

void AppendBigEndian32(std::string& out, uint32_t value) {
  out.push_back(static_cast<char>((value >> 24) & 0xff));
  AppendBigEndian24(out, value);
}

const char* SpdyControlTypeName(uint16_t type) {
  switch (static_cast<SpdyControlType>(type)) {
    case SpdyControlType::kSynStream:
      return "SYN_STREAM";
    case SpdyControlType::kSynReply:
      return "SYN_REPLY";
    case SpdyControlType::kRstStream:
      return "RST_STREAM";
    case SpdyControlType::kSettings:
      return "SETTINGS";
    case SpdyControlType::kNoop:
      return "NOOP";
    case SpdyControlType::kPing:
      return "PING";
    case SpdyControlType::kGoAway:
      return "GOAWAY";
    case SpdyControlType::kHeaders:
      return "HEADERS";
    case SpdyControlType::kWindowUpdate:
      return "WINDOW_UPDATE";
    case SpdyControlType::kCredential:
      return "CREDENTIAL";
  }
  return "unknown";
}

SpdyFrameHeader DecodeSpdyFrameHeader(std::string_view bytes) {
  SpdyFrameHeader header;
  const uint32_t first = ReadBigEndian32(bytes, 0);
  const uint32_t second = ReadBigEndian32(bytes, 4);
  header.control = (first & 0x80000000u) != 0;
  if (header.control) {
    header.version = static_cast<uint16_t>((first >> 16) & 0x7fff);
    header.type = static_cast<uint16_t>(first & 0xffff);
  } else {
    header.stream_id = first & kStreamIdMask;
  }
  header.flags = static_cast<uint8_t>(second >> 24);
  header.length = second & kSpdyMaxPayload;
  return header;
}

Result<SpdySynStreamPrefix> DecodeSpdySynStreamPrefix(std::string_view payload) {
  if (payload.size() < kSpdySynStreamPrefixSize) {
    return FrameError("SYN_STREAM", "payload of " + std::to_string(payload.size()) +
                                        " bytes is shorter than its 10 fixed bytes");
  }
  SpdySynStreamPrefix prefix;
  prefix.stream_id = ReadBigEndian32(payload, 0) & kStreamIdMask;
  prefix.associated_stream_id = ReadBigEndian32(payload, 4) & kStreamIdMask;
  prefix.priority = static_cast<uint8_t>(Byte(payload, 8) >> 5);
  prefix.slot = Byte(payload, 9);
  if (prefix.stream_id == 0) return FrameError("SYN_STREAM", "stream id 0");
  return prefix;
}

Result<uint32_t> DecodeSpdyStreamIdPrefix(std::string_view payload) {
  if (payload.size() < kSpdyStreamIdPrefixSize) {
    return FrameError("SYN_REPLY/HEADERS", "payload shorter than its stream id");
  }
  const uint32_t id = ReadBigEndian32(payload, 0) & kStreamIdMask;
  if (id == 0) return FrameError("SYN_REPLY/HEADERS", "stream id 0");
  return id;
}

Result<SpdyRstStreamFrame> DecodeSpdyRstStream(std::string_view payload) {
  if (payload.size() != 8) {
    return FrameError("RST_STREAM", "length " + std::to_string(payload.size()) + " is not 8");
  }
  SpdyRstStreamFrame frame{ReadBigEndian32(payload, 0) & kStreamIdMask,
                           ReadBigEndian32(payload, 4)};
  if (frame.stream_id == 0) return FrameError("RST_STREAM", "stream id 0");
  // Status 0 is undefined; spdystream rejects it the same way.
  if (frame.status == 0) return FrameError("RST_STREAM", "status 0");
  return frame;
}

Result<SpdySettingsFrame> DecodeSpdySettings(uint8_t flags, std::string_view payload) {
  if (payload.size() < 4) return FrameError("SETTINGS", "payload shorter than its count");
  const uint32_t count = ReadBigEndian32(payload, 0);
  // The count must match the length exactly, so it can never size an allocation beyond
  // the bytes that actually arrived (the pre-0.5.1 spdystream bug).
  if ((payload.size() - 4) % 8 != 0 || (payload.size() - 4) / 8 != count) {
    return FrameError("SETTINGS", "count " + std::to_string(count) + " does not match length " +
                                      std::to_string(payload.size()));
  }
  SpdySettingsFrame frame;
  frame.flags = flags;
  frame.entries.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const size_t at = 4 + size_t{i} * 8;
    const uint32_t flags_and_id = ReadBigEndian32(payload, at);
    frame.entries.push_back(SpdySettingsEntry{static_cast<uint8_t>(flags_and_id >> 24),
                                              flags_and_id & 0xffffff,
                                              ReadBigEndian32(payload, at + 4)});
  }
  return frame;
}

Result<uint32_t> DecodeSpdyPing(std::string_view payload) {
  if (payload.size() != 4) {
    return FrameError("PING", "length " + std::to_string(payload.size()) + " is not 4");
  }
  const uint32_t id = ReadBigEndian32(payload, 0);
  if (id == 0) return FrameError("PING", "id 0");
  return id;
}

Result<SpdyGoAwayFrame> DecodeSpdyGoAway(std::string_view payload) {
  if (payload.size() != 8) {
    return FrameError("GOAWAY", "length " + std::to_string(payload.size()) + " is not 8");
  }
  return SpdyGoAwayFrame{ReadBigEndian32(payload, 0) & kStreamIdMask, ReadBigEndian32(payload, 4)};
}

Result<SpdyWindowUpdateFrame> DecodeSpdyWindowUpdate(std::string_view payload) {
  if (payload.size() != 8) {
    return FrameError("WINDOW_UPDATE", "length " + std::to_string(payload.size()) + " is not 8");
  }
  return SpdyWindowUpdateFrame{ReadBigEndian32(payload, 0) & kStreamIdMask,
                               ReadBigEndian32(payload, 4) & 0x7fffffff};
}

void AppendSpdyControlHeader(std::string& out, SpdyControlType type, uint8_t flags,
                             uint32_t length) {
  AppendBigEndian32(out,
                    0x80000000u | (uint32_t{kSpdyVersion} << 16) | static_cast<uint32_t>(type));
  out.push_back(static_cast<char>(flags));
  AppendBigEndian24(out, length);
}

void AppendSpdyDataHeader(std::string& out, uint32_t stream_id, uint8_t flags, uint32_t length) {
  AppendBigEndian32(out, stream_id & kStreamIdMask);
  out.push_back(static_cast<char>(flags));
  AppendBigEndian24(out, length);
}

void AppendSpdySynStream(std::string& out, const SpdySynStreamPrefix& prefix, uint8_t flags,
                         std::string_view compressed_headers) {
  AppendSpdyControlHeader(
      out, SpdyControlType::kSynStream, flags,
      static_cast<uint32_t>(kSpdySynStreamPrefixSize + compressed_headers.size()));
  AppendBigEndian32(out, prefix.stream_id & kStreamIdMask);
  AppendBigEndian32(out, prefix.associated_stream_id & kStreamIdMask);
  out.push_back(static_cast<char>((prefix.priority & 0x7) << 5));
  out.push_back(static_cast<char>(prefix.slot));
  out.append(compressed_headers);
}

void AppendSpdySynReply(std::string& out, uint32_t stream_id, uint8_t flags,
                        std::string_view compressed_headers) {
  AppendSpdyControlHeader(
      out, SpdyControlType::kSynReply, flags,
      static_cast<uint32_t>(kSpdyStreamIdPrefixSize + compressed_headers.size()));
  AppendBigEndian32(out, stream_id & kStreamIdMask);
  out.append(compressed_headers);
}

void AppendSpdyHeaders(std::string& out, uint32_t stream_id, uint8_t flags,
                       std::string_view compressed_headers) {
  AppendSpdyControlHeader(
      out, SpdyControlType::kHeaders, flags,
      static_cast<uint32_t>(kSpdyStreamIdPrefixSize + compressed_headers.size()));
  AppendBigEndian32(out, stream_id & kStreamIdMask);
  out.append(compressed_headers);
}

void AppendSpdyRstStream(std::string& out, uint32_t stream_id, SpdyRstStatus status) {
  AppendSpdyControlHeader(out, SpdyControlType::kRstStream, 0, 8);
  AppendBigEndian32(out, stream_id & kStreamIdMask);
  AppendBigEndian32(out, static_cast<uint32_t>(status));
}

void AppendSpdySettings(std::string& out, const SpdySettingsFrame& frame) {
  AppendSpdyControlHeader(out, SpdyControlType::kSettings, frame.flags,
                          static_cast<uint32_t>(4 + 8 * frame.entries.size()));
  AppendBigEndian32(out, static_cast<uint32_t>(frame.entries.size()));
  for (const SpdySettingsEntry& entry : frame.entries) {
    AppendBigEndian32(out, (uint32_t{entry.flags} << 24) | (entry.id & 0xffffff));
    AppendBigEndian32(out, entry.value);
  }
}

void AppendSpdyPing(std::string& out, uint32_t id) {
  AppendSpdyControlHeader(out, SpdyControlType::kPing, 0, 4);
  AppendBigEndian32(out, id);
}

void AppendSpdyGoAway(std::string& out, uint32_t last_good_stream_id, SpdyGoAwayStatus status) {
  AppendSpdyControlHeader(out, SpdyControlType::kGoAway, 0, 8);
  AppendBigEndian32(out, last_good_stream_id & kStreamIdMask);
  AppendBigEndian32(out, static_cast<uint32_t>(status));
}

void AppendSpdyWindowUpdate(std::string& out, uint32_t stream_id, uint32_t delta) {
  AppendSpdyControlHeader(out, SpdyControlType::kWindowUpdate, 0, 8);
  AppendBigEndian32(out, stream_id & kStreamIdMask);
  AppendBigEndian32(out, delta & 0x7fffffff);
}

void AppendSpdyData(std::string& out, uint32_t stream_id, uint8_t flags, std::string_view data) {
  AppendSpdyDataHeader(out, stream_id, flags, static_cast<uint32_t>(data.size()));
  out.append(data);
}

}  // namespace airlock::streaming
