#include "streaming/spdy_header_block.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <set>

#include "streaming/spdy_frame.h"

namespace airlock::streaming {
namespace {

// Draft 3 §2.6.10.1 builds the dictionary from common header names and values, each
// preceded by its length as a big-endian u32, followed by a run of raw strings (status
// codes and texts, dates, content types) with no length prefixes.
constexpr std::array<std::string_view, 65> kDictionaryWords = {
    "options",
    "head",
    "post",
    "put",
    "delete",
    "trace",
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "accept-ranges",
    "age",
    "allow",
    "authorization",
    "cache-control",
    "connection",
    "content-base",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-md5",
    "content-range",
    "content-type",
    "date",
    "etag",
    "expect",
    "expires",
    "from",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "pragma",
    "proxy-authenticate",
    "proxy-authorization",
    "range",
    "referer",
    "retry-after",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "vary",
    "via",
    "warning",
    "www-authenticate",
    "method",
    "get",
    "status",
    "200 OK",
    "version",
    "HTTP/1.1",
    "url",
    "public",
    "set-cookie",
    "keep-alive",
    "origin",
};

constexpr std::string_view kDictionaryTail =
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504"
    "505203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 "
    "Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 "
    "Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, "
    "Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/"
    "xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,"
    "sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

std::string BuildDictionary() {
  std::string dictionary;
  for (std::string_view word : kDictionaryWords) {
    AppendBigEndian32(dictionary, static_cast<uint32_t>(word.size()));
    dictionary.append(word);
  }
  dictionary.append(kDictionaryTail);
  return dictionary;
}

Error HeaderError(const std::string& operation, const std::string& reason) {
  return MakeError(ErrorCode::kInvalidArgument, operation + " SPDY header block: " + reason);
}

Status CheckName(std::string_view name, const std::string& operation) {
  if (name.empty()) return HeaderError(operation, "empty header name");
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') {
      return HeaderError(operation, "header name \"" + std::string(name) + "\" is not lowercase");
    }
    if (c == '\0') return HeaderError(operation, "header name contains a NUL byte");
  }
  return Status::Ok();
}

std::string ZlibReason(z_stream_s* stream, int rc) {
  if (stream->msg != nullptr) return stream->msg;
  return "zlib error " + std::to_string(rc);
}

}  // namespace

void SpdyDeflateEnd::operator()(z_stream_s* stream) const {
  deflateEnd(stream);
  delete stream;
}

void SpdyInflateEnd::operator()(z_stream_s* stream) const {
  inflateEnd(stream);
  delete stream;
}

std::string_view SpdyHeaderDictionary() {
  // Immutable after first use; C++ guarantees thread-safe initialisation.
  static const std::string dictionary = BuildDictionary();
  return dictionary;
}

std::optional<std::string_view> FindSpdyHeader(const SpdyHeaderBlock& block,
                                               std::string_view name) {
  for (const SpdyHeaderField& field : block) {
    if (field.name == name) return std::string_view(field.value);
  }
  return std::nullopt;
}

std::vector<std::string_view> SplitSpdyHeaderValues(std::string_view value) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t nul = value.find('\0', start);
    parts.push_back(value.substr(start, nul == std::string_view::npos ? nul : nul - start));
    if (nul == std::string_view::npos) break;
    start = nul + 1;
  }
  return parts;
}

Result<std::string> SerializeSpdyHeaderBlock(const SpdyHeaderBlock& block) {
  std::set<std::string_view> seen;
  std::string out;
  AppendBigEndian32(out, static_cast<uint32_t>(block.size()));
  for (const SpdyHeaderField& field : block) {
    AIRLOCK_RETURN_IF_ERROR(CheckName(field.name, "encode"));
    if (!seen.insert(field.name).second) {
      return HeaderError("encode", "header name \"" + field.name + "\" repeated");
    }
    AppendBigEndian32(out, static_cast<uint32_t>(field.name.size()));
    out.append(field.name);
    AppendBigEndian32(out, static_cast<uint32_t>(field.value.size()));
    out.append(field.value);
  }
  return out;
}

Result<SpdyHeaderBlock> ParseSpdyHeaderBlock(std::string_view bytes,
                                             const SpdyHeaderLimits& limits) {
  size_t at = 0;
  // Every length is checked against the bytes present before anything is allocated.
  auto read_u32 = [&](uint32_t& value) {
    if (bytes.size() - at < 4) return false;
    value = ReadBigEndian32(bytes, at);
    at += 4;
    return true;
  };
  auto read_string = [&](std::string& value) {
    uint32_t length = 0;
    if (!read_u32(length) || bytes.size() - at < length) return false;
    value.assign(bytes.substr(at, length));
    at += length;
    return true;
  };

  uint32_t count = 0;
  if (!read_u32(count)) return HeaderError("decode", "shorter than its pair count");
  if (count > limits.max_headers) {
    return HeaderError("decode", std::to_string(count) + " headers exceed the limit of " +
                                     std::to_string(limits.max_headers));
  }
  SpdyHeaderBlock block;
  block.reserve(count);
  std::set<std::string> seen;
  for (uint32_t i = 0; i < count; ++i) {
    SpdyHeaderField field;
    if (!read_string(field.name) || !read_string(field.value)) {
      return HeaderError("decode", "header " + std::to_string(i) + " runs past the block end");
    }
    AIRLOCK_RETURN_IF_ERROR(CheckName(field.name, "decode"));
    if (!seen.insert(field.name).second) {
      return HeaderError("decode", "header name \"" + field.name + "\" repeated");
    }
    block.push_back(std::move(field));
  }
  if (at != bytes.size()) {
    return HeaderError("decode",
                       std::to_string(bytes.size() - at) + " bytes left after the last header");
  }
  return block;
}

Result<SpdyHeaderDeflater> SpdyHeaderDeflater::Create(int level, int window_bits, int mem_level) {
  std::unique_ptr<z_stream_s, SpdyDeflateEnd> stream(new z_stream_s{});
  int rc =
      deflateInit2(stream.get(), level, Z_DEFLATED, window_bits, mem_level, Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) {
    // deflateEnd on a stream whose init failed is harmless: it reports Z_STREAM_ERROR.
    return MakeError(ErrorCode::kInternal,
                     "create SPDY header deflater: " + ZlibReason(stream.get(), rc));
  }
  const std::string_view dictionary = SpdyHeaderDictionary();
  rc = deflateSetDictionary(stream.get(), reinterpret_cast<const Bytef*>(dictionary.data()),
                            static_cast<uInt>(dictionary.size()));
  if (rc != Z_OK) {
    return MakeError(ErrorCode::kInternal,
                     "set SPDY header dictionary: " + ZlibReason(stream.get(), rc));
  }
  return SpdyHeaderDeflater(std::move(stream));
}

Result<std::string> SpdyHeaderDeflater::Compress(const SpdyHeaderBlock& block) {
  Result<std::string> raw = SerializeSpdyHeaderBlock(block);
  if (!raw.ok()) return raw.error();
  return CompressSerialized(*raw);
}

Result<std::string> SpdyHeaderDeflater::CompressSerialized(std::string_view raw) {
  z_stream_s* stream = stream_.get();
  std::string out(deflateBound(stream, static_cast<uLong>(raw.size())) + 16, '\0');
  stream->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  stream->avail_in = static_cast<uInt>(raw.size());
  size_t produced = 0;
  while (true) {
    stream->next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    stream->avail_out = static_cast<uInt>(out.size() - produced);
    const int rc = deflate(stream, Z_SYNC_FLUSH);
    produced = out.size() - stream->avail_out;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return MakeError(ErrorCode::kInternal,
                       "compress SPDY header block: " + ZlibReason(stream, rc));
    }
    // A sync flush is complete once deflate leaves output space unused.
    if (stream->avail_in == 0 && stream->avail_out != 0) break;
    out.resize(out.size() * 2);
  }
  out.resize(produced);
  return out;
}

Result<SpdyHeaderInflater> SpdyHeaderInflater::Create(SpdyHeaderLimits limits) {
  std::unique_ptr<z_stream_s, SpdyInflateEnd> stream(new z_stream_s{});
  const int rc = inflateInit(stream.get());
  if (rc != Z_OK) {
    return MakeError(ErrorCode::kInternal,
                     "create SPDY header inflater: " + ZlibReason(stream.get(), rc));
  }
  return SpdyHeaderInflater(std::move(stream), limits);
}

Result<std::string> SpdyHeaderInflater::Inflate(std::string_view compressed) {
  z_stream_s* stream = stream_.get();
  const size_t limit = limits_.max_block_bytes;
  stream->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream->avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  size_t produced = 0;
  while (true) {
    if (produced == out.size()) {
      // Grow geometrically but never past limit+1: one byte beyond proves the overflow.
      const size_t next = std::min(limit + 1, std::max<size_t>(1024, out.size() * 2));
      if (next == out.size()) {
        return HeaderError("inflate",
                           "decompressed size exceeds " + std::to_string(limit) + " bytes");
      }
      out.resize(next);
    }
    stream->next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    stream->avail_out = static_cast<uInt>(out.size() - produced);
    const int rc = inflate(stream, Z_SYNC_FLUSH);
    produced = out.size() - stream->avail_out;
    if (rc == Z_NEED_DICT) {
      const std::string_view dictionary = SpdyHeaderDictionary();
      const int set =
          inflateSetDictionary(stream, reinterpret_cast<const Bytef*>(dictionary.data()),
                               static_cast<uInt>(dictionary.size()));
      if (set != Z_OK) {
        return HeaderError("inflate", "peer's dictionary is not the SPDY/3 dictionary");
      }
      continue;
    }
    if (rc == Z_STREAM_END) {
      return HeaderError("inflate", "peer ended the connection's zlib stream");
    }
    if (rc == Z_BUF_ERROR) {
      // No progress possible: either all input is used up or we need more room.
      if (stream->avail_out == 0) continue;
      if (stream->avail_in == 0) break;
      return HeaderError("inflate", "zlib made no progress");
    }
    if (rc != Z_OK) return HeaderError("inflate", ZlibReason(stream, rc));
    if (stream->avail_in == 0 && stream->avail_out != 0) break;
  }
  if (produced > limit) {
    return HeaderError("inflate", "decompressed size exceeds " + std::to_string(limit) + " bytes");
  }
  out.resize(produced);
  return out;
}

Result<SpdyHeaderBlock> SpdyHeaderInflater::Decompress(std::string_view compressed) {
  Result<std::string> raw = Inflate(compressed);
  if (!raw.ok()) return raw.error();
  return ParseSpdyHeaderBlock(*raw, limits_);
}

}  // namespace airlock::streaming
