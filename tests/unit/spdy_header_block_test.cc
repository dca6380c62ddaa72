// SPDY/3 name/value blocks: layout, the preset dictionary, shared zlib contexts, limits.
#include "streaming/spdy_header_block.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "streaming/spdy_frame.h"

namespace airlock::streaming {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string RawBlock(uint32_t count, std::initializer_list<std::string> strings) {
  std::string out;
  AppendBigEndian32(out, count);
  for (const std::string& s : strings) {
    AppendBigEndian32(out, static_cast<uint32_t>(s.size()));
    out.append(s);
  }
  return out;
}

TEST(SpdyHeaderBlockTest, DictionaryMatchesTheDraft) {
  std::string_view dictionary = SpdyHeaderDictionary();
  ASSERT_EQ(dictionary.size(), 1423u);
  EXPECT_EQ(dictionary.substr(0, 11), std::string_view("\0\0\0\7options", 11));
  EXPECT_TRUE(dictionary.ends_with("charset=utf-8charset=iso-8859-1,utf-,*,enq=0."));
  // The DICTID every SPDY/3 peer puts in its first zlib header.
  EXPECT_EQ(adler32(1, reinterpret_cast<const Bytef*>(dictionary.data()),
                    static_cast<uInt>(dictionary.size())),
            0xe3c6a7c2u);
}

TEST(SpdyHeaderBlockTest, SerializedLayoutIsByteExact) {
  Result<std::string> raw = SerializeSpdyHeaderBlock({{"streamtype", "error"}});
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  EXPECT_EQ(*raw, std::string("\0\0\0\1\0\0\0\x0astreamtype\0\0\0\5error", 27));
  Result<std::string> empty = SerializeSpdyHeaderBlock({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, std::string(4, '\0'));
}

TEST(SpdyHeaderBlockTest, DecodesABlockFromAnotherEncoder) {
  // {streamtype: error} compressed by Python's zlib (level 9, dictionary), as in the
  // reference notes: the codec must accept any valid encoder's bytes.
  Result<SpdyHeaderInflater> inflater = SpdyHeaderInflater::Create();
  ASSERT_TRUE(inflater.ok());
  Result<SpdyHeaderBlock> block =
      inflater->Decompress(FromHex("78f9e3c6a7c202a62346703a2b294a4dcc851625aca9a08006000000ffff"));
  ASSERT_TRUE(block.ok()) << block.error().message;
  ASSERT_EQ(block->size(), 1u);
  EXPECT_EQ((*block)[0].name, "streamtype");
  EXPECT_EQ((*block)[0].value, "error");
}

TEST(SpdyHeaderBlockTest, FirstBlockNamesTheSpdyDictionary) {
  Result<SpdyHeaderDeflater> deflater = SpdyHeaderDeflater::Create();
  ASSERT_TRUE(deflater.ok());
  Result<std::string> block = deflater->Compress({});
  ASSERT_TRUE(block.ok()) << block.error().message;
  ASSERT_GE(block->size(), 6u);
  EXPECT_EQ(static_cast<uint8_t>((*block)[0]) & 0x0f, 8);         // CM = deflate
  EXPECT_NE(static_cast<uint8_t>((*block)[1]) & 0x20, 0);         // FDICT
  EXPECT_EQ(block->substr(2, 4), FromHex("e3c6a7c2"));            // DICTID
  EXPECT_TRUE(block->ends_with(std::string("\0\0\xff\xff", 4)));  // sync flush marker
}

TEST(SpdyHeaderBlockTest, ContextsSpanBlocks) {
  Result<SpdyHeaderDeflater> deflater = SpdyHeaderDeflater::Create(9, 15, 8);
  Result<SpdyHeaderInflater> inflater = SpdyHeaderInflater::Create();
  ASSERT_TRUE(deflater.ok() && inflater.ok());
  const SpdyHeaderBlock headers = {{"streamtype", "stdout"}, {"port", "8080"}, {"requestid", "0"}};
  std::vector<size_t> sizes;
  for (int i = 0; i < 3; ++i) {
    Result<std::string> compressed = deflater->Compress(headers);
    ASSERT_TRUE(compressed.ok()) << compressed.error().message;
    sizes.push_back(compressed->size());
    Result<SpdyHeaderBlock> decoded = inflater->Decompress(*compressed);
    ASSERT_TRUE(decoded.ok()) << "block " << i << ": " << decoded.error().message;
    ASSERT_EQ(decoded->size(), 3u);
    EXPECT_EQ(*FindSpdyHeader(*decoded, "port"), "8080");
    EXPECT_FALSE(FindSpdyHeader(*decoded, "Port").has_value());
  }
  // The second block back-references the first: only possible with one shared context.
  EXPECT_LT(sizes[1], sizes[0]);
}

TEST(SpdyHeaderBlockTest, BlockOutOfContextFails) {
  Result<SpdyHeaderDeflater> deflater = SpdyHeaderDeflater::Create();
  ASSERT_TRUE(deflater.ok());
  ASSERT_TRUE(deflater->Compress({{"a", "1"}}).ok());
  Result<std::string> second = deflater->Compress({{"a", "1"}});
  ASSERT_TRUE(second.ok());
  // A fresh inflater never saw the first block (nor a zlib header): the second is garbage.
  Result<SpdyHeaderInflater> inflater = SpdyHeaderInflater::Create();
  ASSERT_TRUE(inflater.ok());
  EXPECT_FALSE(inflater->Decompress(*second).ok());
}

TEST(SpdyHeaderBlockTest, MultipleValuesAreNulJoined) {
  Result<SpdyHeaderBlock> block =
      ParseSpdyHeaderBlock(RawBlock(1, {"x-stream-protocol-version",
                                        std::string("v4.channel.k8s.io\0v3.channel.k8s.io", 35)}),
                           {});
  ASSERT_TRUE(block.ok()) << block.error().message;
  std::vector<std::string_view> values = SplitSpdyHeaderValues((*block)[0].value);
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0], "v4.channel.k8s.io");
  EXPECT_EQ(values[1], "v3.channel.k8s.io");
}

TEST(SpdyHeaderBlockTest, RejectsNamesGoPeersReject) {
  EXPECT_FALSE(ParseSpdyHeaderBlock(RawBlock(1, {"StreamType", "error"}), {}).ok());
  EXPECT_FALSE(ParseSpdyHeaderBlock(RawBlock(2, {"a", "1", "a", "2"}), {}).ok());
  EXPECT_FALSE(ParseSpdyHeaderBlock(RawBlock(1, {"", "x"}), {}).ok());
  EXPECT_FALSE(SerializeSpdyHeaderBlock({{"Upper", "x"}}).ok());
  EXPECT_FALSE(SerializeSpdyHeaderBlock({{"a", "1"}, {"a", "2"}}).ok());
}

TEST(SpdyHeaderBlockTest, RejectsTruncatedAndTrailingBytes) {
  std::string block = RawBlock(1, {"name", "value"});
  for (size_t cut = 0; cut < block.size(); ++cut) {
    EXPECT_FALSE(ParseSpdyHeaderBlock(block.substr(0, cut), {}).ok()) << "cut at " << cut;
  }
  EXPECT_FALSE(ParseSpdyHeaderBlock(block + "x", {}).ok());
  // A length of 4 GiB inside a small block is an error, not an allocation.
  std::string huge;
  AppendBigEndian32(huge, 1);
  AppendBigEndian32(huge, 0xffffffff);
  EXPECT_FALSE(ParseSpdyHeaderBlock(huge, {}).ok());
}

TEST(SpdyHeaderBlockTest, EnforcesHeaderCount) {
  SpdyHeaderLimits limits;
  limits.max_headers = 2;
  EXPECT_TRUE(ParseSpdyHeaderBlock(RawBlock(2, {"a", "1", "b", "2"}), limits).ok());
  Result<SpdyHeaderBlock> three =
      ParseSpdyHeaderBlock(RawBlock(3, {"a", "1", "b", "2", "c", "3"}), limits);
  ASSERT_FALSE(three.ok());
  EXPECT_NE(three.error().message.find("exceed the limit"), std::string::npos);
}

TEST(SpdyHeaderBlockTest, StopsACompressionBomb) {
  // 4 MiB of one repeated byte deflates to a few KiB.
  Result<SpdyHeaderDeflater> deflater = SpdyHeaderDeflater::Create(9, 15, 8);
  ASSERT_TRUE(deflater.ok());
  Result<std::string> bomb =
      deflater->CompressSerialized(RawBlock(1, {"a", std::string(4 << 20, 'a')}));
  ASSERT_TRUE(bomb.ok());
  ASSERT_LT(bomb->size(), 64u * 1024);
  Result<SpdyHeaderInflater> inflater = SpdyHeaderInflater::Create();
  ASSERT_TRUE(inflater.ok());
  Result<std::string> inflated = inflater->Inflate(*bomb);
  ASSERT_FALSE(inflated.ok());
  EXPECT_NE(inflated.error().message.find("exceeds 262144 bytes"), std::string::npos)
      << inflated.error().message;
}

TEST(SpdyHeaderBlockTest, RejectsCorruptAndForeignStreams) {
  Result<SpdyHeaderInflater> inflater = SpdyHeaderInflater::Create();
  ASSERT_TRUE(inflater.ok());
  EXPECT_FALSE(inflater->Decompress("not zlib at all").ok());

  // Valid zlib, but primed with another dictionary: the DICTID check catches it.
  z_stream stream{};
  ASSERT_EQ(deflateInit(&stream, 9), Z_OK);
  const std::string other = "some other dictionary";
  deflateSetDictionary(&stream, reinterpret_cast<const Bytef*>(other.data()),
                       static_cast<uInt>(other.size()));
  std::string raw = RawBlock(0, {});
  std::string out(256, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(raw.data());
  stream.avail_in = static_cast<uInt>(raw.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  ASSERT_EQ(deflate(&stream, Z_SYNC_FLUSH), Z_OK);
  out.resize(out.size() - stream.avail_out);
  deflateEnd(&stream);
  Result<SpdyHeaderInflater> fresh = SpdyHeaderInflater::Create();
  ASSERT_TRUE(fresh.ok());
  Result<SpdyHeaderBlock> block = fresh->Decompress(out);
  ASSERT_FALSE(block.ok());
  EXPECT_NE(block.error().message.find("not the SPDY/3 dictionary"), std::string::npos);
}

}  // namespace
}  // namespace airlock::streaming
