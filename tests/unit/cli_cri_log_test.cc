#include <gtest/gtest.h>

#include "cli/cri_log.h"

namespace airlock::cli {
namespace {

struct Captured {
  std::string out, err;
  CriLogDecoder::Sink Sink() {
    return [this](LogStream s, std::string_view d) { (s == LogStream::kStdout ? out : err) += d; };
  }
};

TEST(CliCriLog, ParsesOneRecord) {
  auto r = ParseCriLogLine("2026-11-29T21:20:34.123456789Z stderr F oops: a b");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->timestamp, "2026-11-29T21:20:34.123456789Z");
  EXPECT_EQ(r->stream, LogStream::kStderr);
  EXPECT_FALSE(r->partial);
  EXPECT_EQ(r->content, "oops: a b");

  auto empty = ParseCriLogLine("2026-11-29T21:20:34Z stdout F");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->content, "");
  auto tagged = ParseCriLogLine("2026-11-29T21:20:34Z stdout P:extra x");
  ASSERT_TRUE(tagged.has_value());
  EXPECT_TRUE(tagged->partial);
  EXPECT_EQ(tagged->content, "x");
}

TEST(CliCriLog, RejectsNonRecords) {
  EXPECT_FALSE(ParseCriLogLine("hello world").has_value());
  EXPECT_FALSE(ParseCriLogLine("ts stdin F x").has_value());
  EXPECT_FALSE(ParseCriLogLine("ts stdout X x").has_value());
  EXPECT_FALSE(ParseCriLogLine("").has_value());
}

TEST(CliCriLog, JoinsPartialChunksAndSplitsStreams) {
  Captured c;
  CriLogDecoder d(c.Sink());
  d.Feed(
      "t1 stdout P hello \n"
      "t2 stderr F warn\n"
      "t3 stdout P wor\n"
      "t4 stdout F ld\n"
      "t5 stdout F \n");
  d.Finish();
  EXPECT_EQ(c.out, "hello world\n\n");
  EXPECT_EQ(c.err, "warn\n");
  EXPECT_EQ(d.malformed(), 0u);
}

TEST(CliCriLog, BuffersAnIncompleteLineAcrossFeeds) {
  Captured c;
  CriLogDecoder d(c.Sink());
  d.Feed("t1 stdout F fir");
  EXPECT_EQ(c.out, "");  // a follower must not print half a record
  d.Feed("st\nt2 std");
  EXPECT_EQ(c.out, "first\n");
  d.Feed("out F second\n");
  EXPECT_EQ(c.out, "first\nsecond\n");
}

TEST(CliCriLog, FinishFlushesAnUnterminatedLastRecord) {
  Captured c;
  CriLogDecoder d(c.Sink());
  d.Feed("t1 stdout F last");
  d.Finish();
  EXPECT_EQ(c.out, "last\n");
}

TEST(CliCriLog, SkipsAndCountsGarbage) {
  Captured c;
  CriLogDecoder d(c.Sink(), /*max_line=*/32);
  d.Feed("garbage line\n");
  d.Feed("t1 stdout F " + std::string(40, 'x'));  // over-long, arrives in pieces
  d.Feed(std::string(10, 'y') + "\nt2 stdout F ok\n");
  d.Finish();
  EXPECT_EQ(c.out, "ok\n");
  EXPECT_EQ(d.malformed(), 2u);
}

}  // namespace
}  // namespace airlock::cli
