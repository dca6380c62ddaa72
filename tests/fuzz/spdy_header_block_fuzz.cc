// Fuzz target: SPDY header blocks — ParseSpdyHeaderBlock and SpdyHeaderInflater.
//
// Input: one control byte, then the payload. Its low two bits pick the mode:
//   0  parse the payload as an uncompressed block; a block that parses must serialise back
//      to the very same bytes (the format has one encoding) and survive a zlib round trip.
//   1  inflate the payload as consecutive compressed blocks of one connection (the seeds are
//      real client streams and decompression bombs); no block may inflate past the limit.
//   2  compress the payload (repeated up to 256 times, so highly compressible bombs are
//      easy to reach) and inflate it again: the exact bytes when within the limit, an error
//      when beyond it — the limit is exact, not approximate.
// Bits 2-3 pick the limits, bits 4-7 the repeat count and split points.
#include <cstdint>
#include <set>
#include <string>

#include "streaming/spdy_header_block.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using namespace airlock::streaming;

SpdyHeaderLimits PickLimits(uint8_t key) {
  SpdyHeaderLimits limits;
  switch ((key >> 2) & 3) {
    case 0:
      break;  // the defaults the server runs with
    case 1:
      limits.max_block_bytes = 64;
      limits.max_headers = 2;
      break;
    case 2:
      limits.max_block_bytes = 1024;
      limits.max_headers = 8;
      break;
    case 3:
      limits.max_block_bytes = 4096;
      limits.max_headers = 0;
      break;
  }
  return limits;
}

void CheckBlock(const SpdyHeaderBlock& block, const SpdyHeaderLimits& limits) {
  FUZZ_CHECK(block.size() <= limits.max_headers, "%zu headers, limit %zu", block.size(),
             limits.max_headers);
  std::set<std::string> names;
  for (const SpdyHeaderField& field : block) {
    FUZZ_CHECK(!field.name.empty(), "empty header name accepted");
    for (char c : field.name) {
      FUZZ_CHECK(!(c >= 'A' && c <= 'Z') && c != '\0', "bad name character accepted");
    }
    FUZZ_CHECK(names.insert(field.name).second, "repeated name accepted");
  }
}

void ParseMode(std::string_view bytes, const SpdyHeaderLimits& limits) {
  auto block = ParseSpdyHeaderBlock(bytes, limits);
  if (!block.ok()) {
    FUZZ_CHECK(!block.error().message.empty(), "error without a message");
    return;
  }
  CheckBlock(*block, limits);
  auto again = SerializeSpdyHeaderBlock(*block);
  FUZZ_CHECK(again.ok(), "serialise a parsed block: %s", again.error().message.c_str());
  FUZZ_CHECK(*again == bytes, "parse+serialise changed the block");
  // Through zlib and back, with limits that fit it.
  auto deflater = SpdyHeaderDeflater::Create();
  SpdyHeaderLimits roomy = limits;
  roomy.max_block_bytes = bytes.size();
  auto inflater = SpdyHeaderInflater::Create(roomy);
  FUZZ_CHECK(deflater.ok() && inflater.ok(), "create zlib contexts");
  auto compressed = deflater->Compress(*block);
  FUZZ_CHECK(compressed.ok(), "compress: %s", compressed.error().message.c_str());
  auto inflated = inflater->Inflate(*compressed);
  FUZZ_CHECK(inflated.ok(), "inflate our own block: %s", inflated.error().message.c_str());
  FUZZ_CHECK(*inflated == bytes, "zlib round trip changed the block");
}

void InflateMode(std::string_view bytes, uint8_t key, const SpdyHeaderLimits& limits) {
  auto inflater = SpdyHeaderInflater::Create(limits);
  FUZZ_CHECK(inflater.ok(), "create inflater");
  for (std::string_view piece : airlock::fuzz::SplitPieces(bytes, key, 3)) {
    auto raw = inflater->Inflate(piece);
    // The session fails the connection on the first error; a later block means nothing.
    if (!raw.ok()) return;
    FUZZ_CHECK(raw->size() <= limits.max_block_bytes, "inflated %zu bytes, limit %zu", raw->size(),
               limits.max_block_bytes);
    auto block = ParseSpdyHeaderBlock(*raw, limits);
    if (block.ok()) CheckBlock(*block, limits);
  }
}

void RoundTripMode(std::string_view bytes, uint8_t key, const SpdyHeaderLimits& limits) {
  const size_t repeat = 1 + (key >> 4) * 17;  // 1 .. 256
  std::string raw;
  raw.reserve(bytes.size() * repeat);
  for (size_t i = 0; i < repeat; ++i) raw.append(bytes);
  auto deflater = SpdyHeaderDeflater::Create();
  auto inflater = SpdyHeaderInflater::Create(limits);
  FUZZ_CHECK(deflater.ok() && inflater.ok(), "create zlib contexts");
  // Two blocks on one context, as two frames of one connection.
  for (int round = 0; round < 2; ++round) {
    auto compressed = deflater->CompressSerialized(raw);
    FUZZ_CHECK(compressed.ok(), "compress: %s", compressed.error().message.c_str());
    auto inflated = inflater->Inflate(*compressed);
    if (raw.size() > limits.max_block_bytes) {
      FUZZ_CHECK(!inflated.ok(), "%zu bytes inflated past the limit of %zu", raw.size(),
                 limits.max_block_bytes);
      return;  // the context is unusable after a failed block, as the session knows
    }
    FUZZ_CHECK(inflated.ok(), "inflate %zu bytes within the limit %zu: %s", raw.size(),
               limits.max_block_bytes, inflated.error().message.c_str());
    FUZZ_CHECK(*inflated == raw, "round trip changed %zu bytes", raw.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  airlock::fuzz::FuzzInput input(data, size);
  const uint8_t key = input.TakeByte();
  const SpdyHeaderLimits limits = PickLimits(key);
  switch (key & 3) {
    case 0:
    case 3:
      ParseMode(input.rest(), limits);
      break;
    case 1:
      InflateMode(input.rest(), key, limits);
      break;
    case 2:
      RoundTripMode(input.rest(), key, limits);
      break;
  }
  return 0;
}
