// SPDY/3 frame layouts and their big-endian encoding (SPDY draft 3 §2.2, §2.6).
//
// Only the fixed parts of frames live here; name/value blocks are opaque compressed bytes
// (spdy_header_block.h owns their compression). Every function is pure: decoders read a
// complete payload, encoders append one complete frame to a caller's buffer.
//
// The wire version is 3 although the HTTP upgrade token says "SPDY/3.1": that is what
// moby/spdystream (every Go peer) writes, and 3.1 changed no frame layout we use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shim/base/result.h"

namespace airlock::streaming {

inline constexpr uint16_t kSpdyVersion = 3;
inline constexpr size_t kSpdyFrameHeaderSize = 8;
// The length field has 24 bits.
inline constexpr uint32_t kSpdyMaxPayload = (1u << 24) - 1;
inline constexpr uint32_t kSpdyMaxStreamId = 0x7fffffff;

enum class SpdyControlType : uint16_t {
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kNoop = 5,  // SPDY/2 only; Go peers treat it as an invalid frame
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
  kCredential = 10,  // dropped by 3.1; Go peers treat it as an invalid frame
};

// Flags of SYN_STREAM, SYN_REPLY, HEADERS and DATA.
inline constexpr uint8_t kSpdyFlagFin = 0x01;
// SYN_STREAM only: the sender will not receive on this stream.
inline constexpr uint8_t kSpdyFlagUnidirectional = 0x02;
// SETTINGS only.
inline constexpr uint8_t kSpdyFlagClearSettings = 0x01;

enum class SpdyRstStatus : uint32_t {
  kProtocolError = 1,
  kInvalidStream = 2,
  kRefusedStream = 3,
  kUnsupportedVersion = 4,
  kCancel = 5,
  kInternalError = 6,
  kFlowControlError = 7,
  kStreamInUse = 8,
  kStreamAlreadyClosed = 9,
  kInvalidCredentials = 10,
  kFrameTooLarge = 11,
};

enum class SpdyGoAwayStatus : uint32_t {
  kOk = 0,
  kProtocolError = 1,
  kInternalError = 2,
};

const char* SpdyControlTypeName(uint16_t type);

// The common 8-byte header. For control frames `type` and `version` are set and
// `stream_id` is 0; for data frames `stream_id` is set.
struct SpdyFrameHeader {
  bool control = false;
  uint16_t version = 0;
  uint16_t type = 0;
  uint32_t stream_id = 0;
  uint8_t flags = 0;
  uint32_t length = 0;
};

// `bytes` must hold at least kSpdyFrameHeaderSize bytes.
SpdyFrameHeader DecodeSpdyFrameHeader(std::string_view bytes);

// Fixed fields that precede the name/value block.
struct SpdySynStreamPrefix {
  uint32_t stream_id = 0;
  uint32_t associated_stream_id = 0;
  uint8_t priority = 0;  // 3 bits, 0 = highest
  uint8_t slot = 0;
};
inline constexpr size_t kSpdySynStreamPrefixSize = 10;
inline constexpr size_t kSpdyStreamIdPrefixSize = 4;  // SYN_REPLY and HEADERS

struct SpdyRstStreamFrame {
  uint32_t stream_id = 0;
  uint32_t status = 0;
};

struct SpdySettingsEntry {
  uint8_t flags = 0;
  uint32_t id = 0;  // 24 bits
  uint32_t value = 0;
};

struct SpdySettingsFrame {
  uint8_t flags = 0;
  std::vector<SpdySettingsEntry> entries;
};

struct SpdyGoAwayFrame {
  uint32_t last_good_stream_id = 0;
  uint32_t status = 0;
};

struct SpdyWindowUpdateFrame {
  uint32_t stream_id = 0;
  uint32_t delta = 0;
};

// Payload decoders: `payload` is exactly the frame's payload. They check lengths and
// reserved values; stream-state rules belong to the session codec.
Result<SpdySynStreamPrefix> DecodeSpdySynStreamPrefix(std::string_view payload);
// SYN_REPLY and HEADERS start with a 31-bit stream id.
Result<uint32_t> DecodeSpdyStreamIdPrefix(std::string_view payload);
Result<SpdyRstStreamFrame> DecodeSpdyRstStream(std::string_view payload);
Result<SpdySettingsFrame> DecodeSpdySettings(uint8_t flags, std::string_view payload);
Result<uint32_t> DecodeSpdyPing(std::string_view payload);
Result<SpdyGoAwayFrame> DecodeSpdyGoAway(std::string_view payload);
Result<SpdyWindowUpdateFrame> DecodeSpdyWindowUpdate(std::string_view payload);

// Encoders append one whole frame to `out`. Callers keep payloads within
// kSpdyMaxPayload (the session codec splits DATA); header blocks arrive compressed.
void AppendSpdyControlHeader(std::string& out, SpdyControlType type, uint8_t flags,
                             uint32_t length);
void AppendSpdyDataHeader(std::string& out, uint32_t stream_id, uint8_t flags, uint32_t length);
void AppendSpdySynStream(std::string& out, const SpdySynStreamPrefix& prefix, uint8_t flags,
                         std::string_view compressed_headers);
void AppendSpdySynReply(std::string& out, uint32_t stream_id, uint8_t flags,
                        std::string_view compressed_headers);
void AppendSpdyHeaders(std::string& out, uint32_t stream_id, uint8_t flags,
                       std::string_view compressed_headers);
void AppendSpdyRstStream(std::string& out, uint32_t stream_id, SpdyRstStatus status);
void AppendSpdySettings(std::string& out, const SpdySettingsFrame& frame);
void AppendSpdyPing(std::string& out, uint32_t id);
void AppendSpdyGoAway(std::string& out, uint32_t last_good_stream_id, SpdyGoAwayStatus status);
void AppendSpdyWindowUpdate(std::string& out, uint32_t stream_id, uint32_t delta);
void AppendSpdyData(std::string& out, uint32_t stream_id, uint8_t flags, std::string_view data);

// Big-endian helpers shared by the SPDY files.
uint32_t ReadBigEndian32(std::string_view bytes, size_t offset);
void AppendBigEndian32(std::string& out, uint32_t value);

}  // namespace airlock::streaming
