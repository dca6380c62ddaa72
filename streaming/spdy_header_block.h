// SPDY/3 name/value header blocks (draft 3 §2.6.10) and their zlib compression.
//
// Uncompressed layout: u32 pair count, then per pair u32 name length, name, u32 value
// length, value (all big-endian). Names are lowercase and unique within a block; several
// values for one name travel as one value joined with NUL bytes.
//
// Compression state spans the whole connection: one deflater for everything we send and
// one inflater for everything we receive, each block ending on a Z_SYNC_FLUSH boundary.
// Losing one block therefore desynchronises the connection — header errors are always
// connection errors.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shim/base/result.h"

struct z_stream_s;

namespace airlock::streaming {

struct SpdyHeaderField {
  std::string name;   // lowercase
  std::string value;  // several values joined by '\0'
};
using SpdyHeaderBlock = std::vector<SpdyHeaderField>;

struct SpdyHeaderLimits {
  // Bound on the decompressed block: a few bytes of deflate can expand a thousandfold,
  // so inflation stops here instead of at the attacker's will.
  size_t max_block_bytes = 256 * 1024;
  // Kubernetes streams carry 1-3 headers (streamtype, port, requestid).
  size_t max_headers = 128;
};

// The SPDY/3 zlib preset dictionary (draft 3 §2.6.10.1), 1423 bytes.
std::string_view SpdyHeaderDictionary();

// The value of `name` (exact, lowercase match), or nullopt.
std::optional<std::string_view> FindSpdyHeader(const SpdyHeaderBlock& block, std::string_view name);
// Splits a NUL-joined value into its parts.
std::vector<std::string_view> SplitSpdyHeaderValues(std::string_view value);

// The uncompressed encoding. Rejects empty, uppercase, NUL-containing or repeated names,
// because a Go peer ends the whole session on such a block.
Result<std::string> SerializeSpdyHeaderBlock(const SpdyHeaderBlock& block);
// Parses an uncompressed block under `limits`; the same name rules apply.
Result<SpdyHeaderBlock> ParseSpdyHeaderBlock(std::string_view bytes,
                                             const SpdyHeaderLimits& limits);

// zlib handles, owned (DESIGN.md §4.2); z_stream_s is zlib's own struct tag.
struct SpdyDeflateEnd {
  void operator()(z_stream_s* stream) const;
};
struct SpdyInflateEnd {
  void operator()(z_stream_s* stream) const;
};

// Compresses header blocks for one direction of one connection.
class SpdyHeaderDeflater {
 public:
  // window_bits/mem_level trade ratio for memory. We only send tiny blocks (SYN_REPLY),
  // so the default keeps ~10 KiB per connection instead of zlib's ~256 KiB; a 2 KiB window
  // still holds the whole dictionary. Any SPDY peer inflates with a 32 KiB window anyway.
  static Result<SpdyHeaderDeflater> Create(int level = 9, int window_bits = 11, int mem_level = 2);

  Result<std::string> Compress(const SpdyHeaderBlock& block);
  // Compresses an already serialised block.
  Result<std::string> CompressSerialized(std::string_view raw);

 private:
  explicit SpdyHeaderDeflater(std::unique_ptr<z_stream_s, SpdyDeflateEnd> stream)
      : stream_(std::move(stream)) {}
  std::unique_ptr<z_stream_s, SpdyDeflateEnd> stream_;
};

// Decompresses header blocks for one direction of one connection.
class SpdyHeaderInflater {
 public:
  static Result<SpdyHeaderInflater> Create(SpdyHeaderLimits limits = {});

  // Inflates exactly `compressed` (the whole block of one frame) and parses it.
  Result<SpdyHeaderBlock> Decompress(std::string_view compressed);
  // Inflates only; fails beyond limits.max_block_bytes.
  Result<std::string> Inflate(std::string_view compressed);

 private:
  SpdyHeaderInflater(std::unique_ptr<z_stream_s, SpdyInflateEnd> stream, SpdyHeaderLimits limits)
      : stream_(std::move(stream)), limits_(limits) {}
  std::unique_ptr<z_stream_s, SpdyInflateEnd> stream_;
  SpdyHeaderLimits limits_;
};

}  // namespace airlock::streaming
