// SpdyCodec (server side): the exec stream dance, pings, splitting, and hostile input.
#include "streaming/spdy_session_codec.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/unit/spdy_test_peer.h"

namespace airlock::streaming {
namespace {

using testing::ParseFrames;
using testing::RecordingSink;
using testing::SpdyTestClient;

SpdyCodec MakeCodec(SpdyCodecOptions options = {}) {
  Result<SpdyCodec> codec = SpdyCodec::Create(options);
  EXPECT_TRUE(codec.ok()) << codec.error().message;
  return std::move(codec).value();
}

uint16_t Type(SpdyControlType type) { return static_cast<uint16_t>(type); }

// What client-go sends for `exec -i` without a tty: error, stdin, stdout streams, stdin
// bytes, stdin half-close, a ping, and finally GOAWAY.
std::string ExecConversation(SpdyTestClient& client) {
  // One statement per header block: the client's zlib context makes their order matter.
  std::string wire = client.SynStream(1, {{"streamtype", "error"}});
  wire += client.SynStream(3, {{"streamtype", "stdin"}});
  wire += client.SynStream(5, {{"streamtype", "stdout"}});
  return wire + SpdyTestClient::Data(3, "hello ") + SpdyTestClient::Ping(1) +
         SpdyTestClient::Data(3, "world") + SpdyTestClient::Data(3, "", true) +
         SpdyTestClient::GoAway(5);
}

const std::vector<std::string> kExecLog = {
    "syn 1 streamtype=error",
    "syn 3 streamtype=stdin",
    "syn 5 streamtype=stdout",
    "data 3 [hello ]",
    "ping 1",
    "data 3 [world] fin",
    "goaway 5 0",
};

TEST(SpdyCodecTest, ExecConversation) {
  SpdyTestClient client;
  SpdyCodec codec = MakeCodec();
  RecordingSink sink;
  codec.Feed(ExecConversation(client), sink);
  EXPECT_EQ(sink.log, kExecLog);
  EXPECT_TRUE(codec.goaway_received());
  EXPECT_EQ(codec.open_streams(), 3u);

  // The client's ping was echoed byte for byte without the owner doing anything.
  EXPECT_EQ(codec.TakeOutput(), SpdyTestClient::Ping(1));

  for (uint32_t id : {1u, 3u, 5u}) ASSERT_TRUE(codec.SynReply(id, {}, false).ok());
  ASSERT_TRUE(codec.Data(5, "hello world", true).ok());
  ASSERT_TRUE(codec.Data(1, "{\"status\":\"Success\"}", true).ok());
  codec.GoAway(SpdyGoAwayStatus::kOk);

  std::vector<testing::ParsedFrame> frames = ParseFrames(codec.TakeOutput());
  ASSERT_EQ(frames.size(), 6u);
  Result<SpdyHeaderInflater> inflater = SpdyHeaderInflater::Create();
  ASSERT_TRUE(inflater.ok());
  for (int i = 0; i < 3; ++i) {
    const auto& frame = frames[i];
    ASSERT_TRUE(frame.header.control);
    EXPECT_EQ(frame.header.type, Type(SpdyControlType::kSynReply));
    EXPECT_EQ(frame.header.flags, 0);
    EXPECT_EQ(ReadBigEndian32(frame.payload, 0), 1u + 2u * i);
    // The client inflates every reply's block in one context: all must decode, empty.
    Result<SpdyHeaderBlock> block = inflater->Decompress(frame.payload.substr(4));
    ASSERT_TRUE(block.ok()) << block.error().message;
    EXPECT_TRUE(block->empty());
  }
  EXPECT_FALSE(frames[3].header.control);
  EXPECT_EQ(frames[3].header.stream_id, 5u);
  EXPECT_EQ(frames[3].header.flags, kSpdyFlagFin);
  EXPECT_EQ(frames[3].payload, "hello world");
  EXPECT_EQ(frames[4].header.stream_id, 1u);
  EXPECT_EQ(frames[5].header.type, Type(SpdyControlType::kGoAway));
  EXPECT_EQ(frames[5].payload, std::string("\0\0\0\5\0\0\0\0", 8));
  // Stdin (3) is closed both ways? No: we never FIN'ed it, so it stays open; 1 and 5 are
  // still open for reading.
  EXPECT_EQ(codec.open_streams(), 3u);
  ASSERT_TRUE(codec.Data(3, "", true).ok());
  EXPECT_EQ(codec.open_streams(), 2u);
}

TEST(SpdyCodecTest, SplitAtEveryByteBoundaryGivesTheSameEvents) {
  SpdyTestClient reference_client;
  const std::string wire = ExecConversation(reference_client);
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    SpdyCodec codec = MakeCodec();
    RecordingSink sink;
    codec.Feed(std::string_view(wire).substr(0, cut), sink);
    codec.Feed(std::string_view(wire).substr(cut), sink);
    ASSERT_EQ(sink.log, kExecLog) << "split at byte " << cut;
    ASSERT_EQ(codec.TakeOutput(), SpdyTestClient::Ping(1)) << "split at byte " << cut;
  }
  SpdyCodec codec = MakeCodec();
  RecordingSink sink;
  for (char c : wire) codec.Feed(std::string_view(&c, 1), sink);
  EXPECT_EQ(sink.log, kExecLog);
}

class CountingSink : public SpdyEventSink {
 public:
  void OnSpdyEvent(SpdyEvent& event) override {
    if (auto* data = std::get_if<SpdyData>(&event)) {
      ++pieces;
      bytes += data->bytes.size();
      fin = fin || data->fin;
      for (char c : data->bytes) checksum = checksum * 31 + static_cast<unsigned char>(c);
    }
  }
  size_t pieces = 0;
  size_t bytes = 0;
  bool fin = false;
  uint64_t checksum = 0;
};

TEST(SpdyCodecTest, LargeDataFramesStreamThroughWithoutBuffering) {
  SpdyTestClient client;
  SpdyCodec codec = MakeCodec();
  RecordingSink syn_sink;
  codec.Feed(client.SynStream(1, {{"streamtype", "stdin"}}), syn_sink);
  std::string payload(kSpdyMaxPayload, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7);
  const std::string wire = SpdyTestClient::Data(1, payload, true);
  CountingSink sink;
  constexpr size_t kChunk = 64 * 1024;
  for (size_t at = 0; at < wire.size(); at += kChunk) {
    codec.Feed(std::string_view(wire).substr(at, kChunk), sink);
  }
  EXPECT_EQ(sink.bytes, payload.size());
  EXPECT_TRUE(sink.fin);
  // Delivered as it arrived: about one piece per read, not one 16 MiB piece at the end.
  EXPECT_GE(sink.pieces, wire.size() / kChunk);
  CountingSink expected;
  SpdyData whole{1, payload, true};
  SpdyEvent event = whole;
  expected.OnSpdyEvent(event);
  EXPECT_EQ(sink.checksum, expected.checksum);
}

TEST(SpdyCodecTest, SendSplitsDataIntoMaxSizeFrames) {
  SpdyTestClient client;
  SpdyCodec codec = MakeCodec();
  RecordingSink sink;
  codec.Feed(client.SynStream(1, {{"streamtype", "stdout"}}), sink);
  ASSERT_TRUE(codec.SynReply(1, {}, false).ok());
  codec.TakeOutput();
  const std::string payload(kSpdyMaxPayload + 1000, 'x');
  ASSERT_TRUE(codec.Data(1, payload, true).ok());
  std::vector<testing::ParsedFrame> frames = ParseFrames(codec.TakeOutput());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].header.length, kSpdyMaxPayload);
  EXPECT_EQ(frames[0].header.flags, 0);
  EXPECT_EQ(frames[1].header.length, 1000u);
  EXPECT_EQ(frames[1].header.flags, kSpdyFlagFin);
}

TEST(SpdyCodecTest, EmptyFinIsOneEmptyFrame) {
  SpdyTestClient client;
  SpdyCodec codec = MakeCodec();
  RecordingSink sink;
  codec.Feed(client.SynStream(1, {{"streamtype", "stdout"}}), sink);
  ASSERT_TRUE(codec.SynReply(1, {}, false).ok());
  codec.TakeOutput();
  ASSERT_TRUE(codec.Data(1, "", false).ok());
  EXPECT_FALSE(codec.HasOutput());
  ASSERT_TRUE(codec.Data(1, "", true).ok());
  EXPECT_EQ(codec.TakeOutput(), std::string("\0\0\0\1\1\0\0\0", 8));
}

TEST(SpdyCodecTest, ServerPingsAreEvenAndRepliesAreReported) {
  SpdyCodec codec = MakeCodec();
  EXPECT_EQ(codec.Ping(), 2u);
  EXPECT_EQ(codec.Ping(), 4u);
  EXPECT_EQ(codec.TakeOutput(), SpdyTestClient::Ping(2) + SpdyTestClient::Ping(4));
  RecordingSink sink;
  codec.Feed(SpdyTestClient::Ping(2), sink);
  EXPECT_EQ(sink.log, std::vector<std::string>{"ping 2 reply"});
  EXPECT_FALSE(codec.HasOutput());  // replies are not echoed again
}

TEST(SpdyCodecTest, OwnerMistakesAreErrorsAndQueueNothing) {
  SpdyTestClient client;
  SpdyCodec codec = MakeCodec();
  RecordingSink sink;
  codec.Feed(client.SynStream(1, {{"streamtype", "stdout"}}), sink);
  EXPECT_EQ(codec.Data(1, "early", false).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(codec.SynReply(3, {}, false).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(codec.SynReply(1, {{"Bad", "name"}}, false).ok());
  EXPECT_FALSE(codec.HasOutput());
  ASSERT_TRUE(codec.SynReply(1, {}, false).ok());
  EXPECT_EQ(codec.SynReply(1, {}, false).error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(codec.Data(1, "x", true).ok());
  codec.TakeOutput();
  EXPECT_FALSE(codec.Data(1, "late", false).ok());
  // Resetting what is already gone is a quiet no-op.
  EXPECT_TRUE(codec.RstStream(99, SpdyRstStatus::kCancel).ok());
  EXPECT_FALSE(codec.HasOutput());
}

TEST(SpdyCodecTest, ClientResetForgetsTheStreamAndDropsLateData) {
  SpdyTestClient client;
  SpdyCodec codec = MakeCodec();
  RecordingSink sink;
  codec.Feed(client.SynStream(1, {{"streamtype", "stdin"}}) +
                 SpdyTestClient::Rst(1, SpdyRstStatus::kCancel) + SpdyTestClient::Data(1, "late"),
             sink);
  EXPECT_EQ(sink.log, (std::vector<std::string>{"syn 1 streamtype=stdin", "rst 1 5"}));
  EXPECT_EQ(codec.open_streams(), 0u);
  EXPECT_FALSE(codec.HasOutput());  // no RST answering a RST, nothing for late data
  EXPECT_FALSE(codec.failed());
}

TEST(SpdyCodecTest, OwnerResetDuringDeliveryDropsTheRestOfTheFrame) {
  SpdyTestClient client;
  SpdyCodec codec = MakeCodec();
  RecordingSink syn_sink;
  codec.Feed(client.SynStream(1, {{"streamtype", "stdin"}}), syn_sink);
  const std::string wire = SpdyTestClient::Data(1, std::string(100, 'a'), true);
  struct ResettingSink : SpdyEventSink {
    SpdyCodec* codec = nullptr;
    size_t pieces = 0;
    void OnSpdyEvent(SpdyEvent&) override {
      ++pieces;
      EXPECT_TRUE(codec->RstStream(1, SpdyRstStatus::kCancel).ok());
    }
  } sink;
  sink.codec = &codec;
  codec.Feed(std::string_view(wire).substr(0, 50), sink);
  codec.Feed(std::string_view(wire).substr(50), sink);
  EXPECT_EQ(sink.pieces, 1u);
  EXPECT_EQ(codec.TakeOutput(), SpdyTestClient::Rst(1, SpdyRstStatus::kCancel));
}

TEST(SpdyCodecTest, DataOnAStreamThatNeverExistedIsAnInvalidStream) {
  SpdyCodec codec = MakeCodec();
  RecordingSink sink;
  codec.Feed(SpdyTestClient::Data(7, "who?"), sink);
  EXPECT_TRUE(sink.log.empty());
  EXPECT_EQ(codec.TakeOutput(), SpdyTestClient::Rst(7, SpdyRstStatus::kInvalidStream));
  EXPECT_FALSE(codec.failed());
}

TEST(SpdyCodecTest, RefusesStreamsBeyondTheConcurrencyLimit) {
  SpdyTestClient client;
  SpdyCodecOptions options;
  options.max_concurrent_streams = 2;
  SpdyCodec codec = MakeCodec(options);
  RecordingSink sink;
  std::string wire = client.SynStream(1, {{"streamtype", "a"}});
  wire += client.SynStream(3, {{"streamtype", "b"}});
  wire += client.SynStream(5, {{"streamtype", "c"}});
  codec.Feed(wire, sink);
  EXPECT_EQ(sink.log.size(), 2u);
  EXPECT_EQ(codec.TakeOutput(), SpdyTestClient::Rst(5, SpdyRstStatus::kRefusedStream));
  // Closing stream 1 both ways frees a slot; the header context stayed in sync throughout.
  ASSERT_TRUE(codec.SynReply(1, {}, true).ok());
  codec.Feed(SpdyTestClient::Data(1, "", true) + client.SynStream(7, {{"streamtype", "d"}}), sink);
  EXPECT_EQ(sink.log.back(), "syn 7 streamtype=d");
  EXPECT_EQ(codec.open_streams(), 2u);
}

TEST(SpdyCodecTest, SettingsAndWindowUpdatesAreReportedAndIgnored) {
  SpdyCodec codec = MakeCodec();
  RecordingSink sink;
  std::string wire;
  AppendSpdySettings(wire, SpdySettingsFrame{0, {{0, 7, 1 << 20}}});
  AppendSpdyWindowUpdate(wire, 0, 4096);
  codec.Feed(wire, sink);
  EXPECT_EQ(sink.log, (std::vector<std::string>{"settings 1", "window 0 4096"}));
  EXPECT_FALSE(codec.HasOutput());
}

TEST(SpdyCodecTest, StreamsAfterOurGoAwayAreIgnoredButDecoded) {
  SpdyTestClient client;
  SpdyCodec codec = MakeCodec();
  RecordingSink sink;
  codec.Feed(client.SynStream(1, {{"streamtype", "error"}}), sink);
  codec.GoAway(SpdyGoAwayStatus::kOk);
  EXPECT_EQ(codec.TakeOutput(), SpdyTestClient::GoAway(1));
  std::string wire = client.SynStream(3, {{"streamtype", "late"}});
  wire += client.Headers(1, {{"extra", "yes"}}, kSpdyFlagFin);
  codec.Feed(wire, sink);
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{"syn 1 streamtype=error", "headers 1 extra=yes fin"}));
  EXPECT_FALSE(codec.failed());
}

// Feeds what `make_wire` builds after a valid stream 1 and expects a protocol error whose
// reason contains `reason`, a GOAWAY(PROTOCOL_ERROR) as the last output, and deafness
// afterwards.
void ExpectProtocolError(const std::function<std::string(SpdyTestClient&)>& make_wire,
                         const std::string& reason, SpdyCodecOptions options = {}) {
  SCOPED_TRACE(reason);
  SpdyTestClient client;
  SpdyCodec codec = MakeCodec(options);
  RecordingSink sink;
  std::string wire = client.SynStream(1, {{"streamtype", "error"}});
  wire += make_wire(client);
  codec.Feed(wire, sink);
  ASSERT_TRUE(codec.failed()) << "no error for: " << reason;
  EXPECT_NE(sink.LastError().find(reason), std::string::npos) << sink.LastError();
  std::vector<testing::ParsedFrame> frames = ParseFrames(codec.TakeOutput());
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().header.type, Type(SpdyControlType::kGoAway));
  EXPECT_EQ(ReadBigEndian32(frames.back().payload, 4), 1u);  // PROTOCOL_ERROR
  const size_t events = sink.log.size();
  codec.Feed(SpdyTestClient::Ping(3) + client.SynStream(9, {}), sink);
  EXPECT_EQ(sink.log.size(), events);
  EXPECT_FALSE(codec.HasOutput());
}

using Client = SpdyTestClient;

TEST(SpdyCodecTest, InvalidStreamIdsEndTheSession) {
  ExpectProtocolError([](Client& c) { return c.SynStream(4, {}); }, "even");
  ExpectProtocolError([](Client& c) { return c.SynStream(1, {}); }, "not above the last id 1");
  ExpectProtocolError(
      [](Client& c) {
        std::string zero;
        AppendSpdySynStream(zero, SpdySynStreamPrefix{0, 0, 0, 0}, 0, c.Compress({}));
        return zero;
      },
      "stream id 0");
  ExpectProtocolError([](Client&) { return Client::Data(0, "x"); }, "stream 0");
  ExpectProtocolError([](Client&) { return Client::Data(1, "", true) + Client::Data(1, "x"); },
                      "after the client's FIN");
  ExpectProtocolError([](Client& c) { return c.SynReply(1); }, "SYN_REPLY from the client");
}

TEST(SpdyCodecTest, UnknownAndUnsupportedControlFramesEndTheSession) {
  for (uint16_t type : {0, 5, 10, 11, 0x7fff, 0xffff}) {
    // A huge length too: the codec must decide from the header, before buffering.
    ExpectProtocolError(
        [type](Client&) {
          std::string frame;
          AppendSpdyControlHeader(frame, static_cast<SpdyControlType>(type), 0, kSpdyMaxPayload);
          return frame;
        },
        "unsupported SPDY control frame type " + std::to_string(type));
  }
}

TEST(SpdyCodecTest, MalformedControlFramesEndTheSession) {
  ExpectProtocolError(
      [](Client&) {
        std::string v2 = Client::Ping(1);
        v2[1] = 2;
        return v2;
      },
      "version 2");
  ExpectProtocolError(
      [](Client&) {
        std::string huge;
        AppendSpdyControlHeader(huge, SpdyControlType::kSynStream, 0, 1 << 20);
        return huge;
      },
      "exceeds the limit");
  ExpectProtocolError(
      [](Client&) {
        std::string short_rst;
        AppendSpdyControlHeader(short_rst, SpdyControlType::kRstStream, 0, 4);
        AppendBigEndian32(short_rst, 1);
        return short_rst;
      },
      "RST_STREAM: length 4");
  ExpectProtocolError([](Client&) { return Client::Ping(0); }, "PING: id 0");
  ExpectProtocolError(
      [](Client&) {
        std::string empty_settings;
        AppendSpdyControlHeader(empty_settings, SpdyControlType::kSettings, 0, 0);
        return empty_settings;
      },
      "SETTINGS");
}

// A SYN_STREAM for id 3 whose uncompressed block is `raw` (which SpdyTestClient refuses to
// build), compressed as the second block of a context like the test client's.
std::string SynStreamWithRawBlock(const std::string& raw) {
  Result<SpdyHeaderDeflater> deflater = SpdyHeaderDeflater::Create(9, 15, 8);
  EXPECT_TRUE(deflater.ok());
  // Replay the client's first block so this context matches the codec's inflater.
  EXPECT_TRUE(deflater->Compress({{"streamtype", "error"}}).ok());
  Result<std::string> block = deflater->CompressSerialized(raw);
  EXPECT_TRUE(block.ok());
  std::string frame;
  AppendSpdySynStream(frame, SpdySynStreamPrefix{3, 0, 0, 0}, 0, block.ok() ? *block : "");
  return frame;
}

std::string RawPair(const std::string& name, const std::string& value) {
  std::string raw;
  AppendBigEndian32(raw, 1);
  AppendBigEndian32(raw, static_cast<uint32_t>(name.size()));
  raw += name;
  AppendBigEndian32(raw, static_cast<uint32_t>(value.size()));
  raw += value;
  return raw;
}

TEST(SpdyCodecTest, BadHeaderBlocksEndTheSession) {
  ExpectProtocolError(
      [](Client&) {
        std::string corrupt;
        AppendSpdySynStream(corrupt, SpdySynStreamPrefix{3, 0, 0, 0}, 0, "\x78\xf9garbage-bytes");
        return corrupt;
      },
      "stream 3");
  ExpectProtocolError(
      [](Client& c) {
        return c.SynStream(3, {{"streamtype", "x"}, {"other", "y"}});
      },
      "exceed the limit", SpdyCodecOptions{{256 * 1024, 1}, 128, 300000});
  // A small frame that inflates past the limit.
  ExpectProtocolError(
      [](Client&) {
        std::string frame = SynStreamWithRawBlock(RawPair("a", std::string(1 << 20, 'v')));
        EXPECT_LT(frame.size(), 8u * 1024);
        return frame;
      },
      "exceeds 262144 bytes");
  ExpectProtocolError([](Client&) { return SynStreamWithRawBlock(RawPair("StreamType", "error")); },
                      "not lowercase");
}

TEST(SpdyCodecTest, FinAndUnidirectionalStreamsAreHalfClosed) {
  SpdyTestClient client;
  SpdyCodec codec = MakeCodec();
  RecordingSink sink;
  std::string wire = client.SynStream(1, {{"streamtype", "x"}}, kSpdyFlagFin);
  wire += client.SynStream(3, {{"streamtype", "y"}}, kSpdyFlagUnidirectional);
  codec.Feed(wire, sink);
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{"syn 1 streamtype=x fin", "syn 3 streamtype=y uni"}));
  EXPECT_FALSE(codec.SynReply(3, {}, false).ok());  // we may not send on a unidirectional one
  ASSERT_TRUE(codec.SynReply(1, {}, false).ok());
  ASSERT_TRUE(codec.Data(1, "answer", true).ok());
  EXPECT_EQ(codec.open_streams(), 1u);  // 1 is done; 3 waits for the client's FIN
}

}  // namespace
}  // namespace airlock::streaming

namespace airlock::streaming {
namespace {

// A poor man's fuzz run: random bytes behind a valid start, in random splits. The codec must
// neither crash nor queue a partial frame, and must stay deaf once it failed.
TEST(SpdyCodecTest, SurvivesRandomInput) {
  uint64_t state = 0x9e3779b97f4a7c15u;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  size_t failures = 0;
  for (int round = 0; round < 500; ++round) {
    SpdyTestClient client;
    std::string wire = client.SynStream(1, {{"streamtype", "stdin"}});
    const size_t keep = next() % wire.size();
    // Corrupt some of the valid frame too, then append noise.
    for (size_t i = keep; i < wire.size(); ++i) wire[i] = static_cast<char>(next());
    const size_t noise = next() % 4096;
    for (size_t i = 0; i < noise; ++i) wire.push_back(static_cast<char>(next()));
    SpdyCodec codec = MakeCodec();
    RecordingSink sink;
    for (size_t at = 0; at < wire.size();) {
      const size_t take = 1 + next() % 97;
      codec.Feed(std::string_view(wire).substr(at, take), sink);
      at += take;
    }
    ParseFrames(codec.TakeOutput());
    if (codec.failed()) {
      ++failures;
      EXPECT_TRUE(sink.HasError());
      EXPECT_EQ(sink.log.back().rfind("error ", 0), 0u) << "events after the error";
    }
  }
  EXPECT_GT(failures, 0u);
}

}  // namespace
}  // namespace airlock::streaming
