// SPDY/3 frame encoding: byte-exact layouts from draft 3 §2.2/§2.6 and the decoders' checks.
#include "streaming/spdy_frame.h"

#include <gtest/gtest.h>

#include <string>

namespace airlock::streaming {
namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(SpdyFrameTest, PingIsByteExact) {
  std::string out;
  AppendSpdyPing(out, 1);
  // Control bit + version 3, type 6, flags 0, length 4, id.
  EXPECT_EQ(out, Bytes({0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01}));
}

TEST(SpdyFrameTest, RstStreamGoAwayAndWindowUpdateAreByteExact) {
  std::string out;
  AppendSpdyRstStream(out, 3, SpdyRstStatus::kCancel);
  EXPECT_EQ(out, Bytes({0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03,
                        0x00, 0x00, 0x00, 0x05}));
  out.clear();
  AppendSpdyGoAway(out, 5, SpdyGoAwayStatus::kProtocolError);
  EXPECT_EQ(out, Bytes({0x80, 0x03, 0x00, 0x07, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x05,
                        0x00, 0x00, 0x00, 0x01}));
  out.clear();
  AppendSpdyWindowUpdate(out, 0, 0x10000);
  EXPECT_EQ(out, Bytes({0x80, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00,
                        0x00, 0x01, 0x00, 0x00}));
}

TEST(SpdyFrameTest, DataFrameCarriesStreamFlagsAndLength) {
  std::string out;
  AppendSpdyData(out, 0x01020305, kSpdyFlagFin, "hi");
  EXPECT_EQ(out, Bytes({0x01, 0x02, 0x03, 0x05, 0x01, 0x00, 0x00, 0x02, 'h', 'i'}));
  SpdyFrameHeader header = DecodeSpdyFrameHeader(out);
  EXPECT_FALSE(header.control);
  EXPECT_EQ(header.stream_id, 0x01020305u);
  EXPECT_EQ(header.flags, kSpdyFlagFin);
  EXPECT_EQ(header.length, 2u);
}

TEST(SpdyFrameTest, SynStreamAndSynReplyLayout) {
  std::string out;
  AppendSpdySynStream(out, SpdySynStreamPrefix{7, 0, 5, 0}, kSpdyFlagUnidirectional, "NV");
  EXPECT_EQ(out, Bytes({0x80, 0x03, 0x00, 0x01, 0x02, 0x00, 0x00, 0x0c, 0x00, 0x00,
                        0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x00, 'N',  'V'}));
  SpdyFrameHeader header = DecodeSpdyFrameHeader(out);
  EXPECT_TRUE(header.control);
  EXPECT_EQ(header.version, 3);
  EXPECT_EQ(header.type, static_cast<uint16_t>(SpdyControlType::kSynStream));
  Result<SpdySynStreamPrefix> prefix =
      DecodeSpdySynStreamPrefix(std::string_view(out).substr(kSpdyFrameHeaderSize));
  ASSERT_TRUE(prefix.ok()) << prefix.error().message;
  EXPECT_EQ(prefix->stream_id, 7u);
  EXPECT_EQ(prefix->priority, 5);

  out.clear();
  AppendSpdySynReply(out, 1, 0, Bytes({0xaa}));
  EXPECT_EQ(out,
            Bytes({0x80, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0xaa}));
}

TEST(SpdyFrameTest, SettingsRoundTrip) {
  SpdySettingsFrame frame;
  frame.flags = kSpdyFlagClearSettings;
  frame.entries = {{0x01, 4, 100}, {0x00, 7, 65536}};
  std::string out;
  AppendSpdySettings(out, frame);
  SpdyFrameHeader header = DecodeSpdyFrameHeader(out);
  ASSERT_EQ(header.length, 4u + 16u);
  Result<SpdySettingsFrame> decoded =
      DecodeSpdySettings(header.flags, std::string_view(out).substr(kSpdyFrameHeaderSize));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->flags, kSpdyFlagClearSettings);
  ASSERT_EQ(decoded->entries.size(), 2u);
  EXPECT_EQ(decoded->entries[0].flags, 0x01);
  EXPECT_EQ(decoded->entries[0].id, 4u);
  EXPECT_EQ(decoded->entries[0].value, 100u);
  EXPECT_EQ(decoded->entries[1].id, 7u);
  EXPECT_EQ(decoded->entries[1].value, 65536u);
}

TEST(SpdyFrameTest, SettingsCountMustMatchLength) {
  // A count of 2^32-1 in an 8-byte payload must not size anything.
  Result<SpdySettingsFrame> decoded =
      DecodeSpdySettings(0, Bytes({0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1}));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("count 4294967295"), std::string::npos);
}

TEST(SpdyFrameTest, DecodersRejectBadFixedFields) {
  EXPECT_FALSE(DecodeSpdyRstStream(Bytes({0, 0, 0, 1, 0, 0, 0})).ok());              // length 7
  EXPECT_FALSE(DecodeSpdyRstStream(Bytes({0, 0, 0, 1, 0, 0, 0, 0})).ok());           // status 0
  EXPECT_FALSE(DecodeSpdyRstStream(Bytes({0, 0, 0, 0, 0, 0, 0, 5})).ok());           // stream 0
  EXPECT_FALSE(DecodeSpdyPing(Bytes({0, 0, 0, 0})).ok());                            // id 0
  EXPECT_FALSE(DecodeSpdyPing(Bytes({0, 0, 0, 1, 0})).ok());                         // length 5
  EXPECT_FALSE(DecodeSpdyGoAway(Bytes({0, 0, 0, 1})).ok());                          // SPDY/2 size
  EXPECT_FALSE(DecodeSpdyWindowUpdate(Bytes({0, 0, 0, 1})).ok());                    // length 4
  EXPECT_FALSE(DecodeSpdySynStreamPrefix(Bytes({0, 0, 0, 1, 0, 0, 0, 0, 0})).ok());  // short
  EXPECT_FALSE(DecodeSpdySynStreamPrefix(Bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0})).ok());  // id 0
  EXPECT_FALSE(DecodeSpdyStreamIdPrefix(Bytes({0, 0, 1})).ok());
}

TEST(SpdyFrameTest, ReservedBitOfStreamIdsIsIgnored) {
  Result<SpdyRstStreamFrame> rst = DecodeSpdyRstStream(Bytes({0x80, 0, 0, 3, 0, 0, 0, 5}));
  ASSERT_TRUE(rst.ok()) << rst.error().message;
  EXPECT_EQ(rst->stream_id, 3u);
}

TEST(SpdyFrameTest, ControlTypeNames) {
  EXPECT_STREQ(SpdyControlTypeName(1), "SYN_STREAM");
  EXPECT_STREQ(SpdyControlTypeName(9), "WINDOW_UPDATE");
  EXPECT_STREQ(SpdyControlTypeName(42), "unknown");
}

}  // namespace
}  // namespace airlock::streaming
