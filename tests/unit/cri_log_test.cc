// The CRI log codec: what `kubectl logs` (the kubelet's parser) will read back.
#include "shim/monitor/cri_log.h"

#include <gtest/gtest.h>
#include <time.h>

#include <string>
#include <vector>

namespace airlock::monitor {
namespace {

constexpr int64_t kT0 = 1'700'000'000'123'456'789;  // 2023-11-14T22:13:20.123456789Z

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    EXPECT_NE(nl, std::string::npos) << "every record ends with a newline";
    if (nl == std::string::npos) break;
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

TEST(CriLogTest, TimestampIsRfc3339NanoUtcWithNineDigits) {
  EXPECT_EQ(FormatRfc3339NanoUtc(kT0), "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(FormatRfc3339NanoUtc(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatRfc3339NanoUtc(1'000'000'007), "1970-01-01T00:00:01.000000007Z");
  EXPECT_EQ(FormatRfc3339NanoUtc(-1), "1969-12-31T23:59:59.999999999Z");
}

TEST(CriLogTest, TimestampAgreesWithGmtimeAcrossLeapYearsAndCenturies) {
  // Every 97,001 s from 1970 to ~2110: crosses leap days, 2000 (leap) and 2100 (not leap).
  for (int64_t secs = 0; secs < int64_t{4'400'000'000}; secs += 97'001) {
    time_t t = static_cast<time_t>(secs);
    struct tm tm {};
    ASSERT_NE(gmtime_r(&t, &tm), nullptr);
    char want[40];
    strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
    ASSERT_EQ(FormatRfc3339NanoUtc(secs * 1'000'000'000 + 42), std::string(want) + ".000000042Z");
  }
  EXPECT_EQ(FormatRfc3339NanoUtc(int64_t{951'782'400} * 1'000'000'000),
            "2000-02-29T00:00:00.000000000Z");
  EXPECT_EQ(FormatRfc3339NanoUtc(int64_t{4'107'542'399} * 1'000'000'000 + 999'999'999),
            "2100-02-28T23:59:59.999999999Z");
}

TEST(CriLogTest, RecordHasTimestampStreamTagAndLine) {
  std::string out;
  AppendCriLogRecord(kT0, LogStream::kStdout, false, "hello world", &out);
  AppendCriLogRecord(kT0, LogStream::kStderr, true, "part", &out);
  EXPECT_EQ(out,
            "2023-11-14T22:13:20.123456789Z stdout F hello world\n"
            "2023-11-14T22:13:20.123456789Z stderr P part\n");
}

TEST(CriLogTest, SplitsOnNewlinesAndKeepsEmptyLines) {
  CriLogSplitter s(LogStream::kStdout, /*tty=*/false);
  std::string out;
  s.Feed(kT0, "one\n\nthree\n", &out);
  EXPECT_EQ(Lines(out), (std::vector<std::string>{
                            "2023-11-14T22:13:20.123456789Z stdout F one",
                            "2023-11-14T22:13:20.123456789Z stdout F ",
                            "2023-11-14T22:13:20.123456789Z stdout F three",
                        }));
  EXPECT_EQ(s.pending_bytes(), 0u);
}

TEST(CriLogTest, LineSplitAcrossReadsIsJoinedWithTheTimeOfItsEnd) {
  CriLogSplitter s(LogStream::kStderr, false);
  std::string out;
  s.Feed(kT0, "hel", &out);
  EXPECT_EQ(out, "") << "an unterminated line waits for its newline";
  s.Feed(kT0 + 5, "lo\nwor", &out);
  EXPECT_EQ(out, "2023-11-14T22:13:20.123456794Z stderr F hello\n");
  out.clear();
  s.Finish(kT0 + 9, &out);
  EXPECT_EQ(out, "2023-11-14T22:13:20.123456798Z stderr F wor\n")
      << "output without a trailing newline is flushed as F at EOF";
  out.clear();
  s.Finish(kT0 + 10, &out);
  EXPECT_EQ(out, "") << "nothing pending, nothing written";
}

TEST(CriLogTest, LongLineBecomesPartialRecordsThenFull) {
  CriLogSplitter s(LogStream::kStdout, false, /*max_line=*/4);
  std::string out;
  s.Feed(kT0, "abcdefghij\n", &out);
  std::vector<std::string> lines = Lines(out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "2023-11-14T22:13:20.123456789Z stdout P abcd");
  EXPECT_EQ(lines[1], "2023-11-14T22:13:20.123456789Z stdout P efgh");
  EXPECT_EQ(lines[2], "2023-11-14T22:13:20.123456789Z stdout F ij");
}

TEST(CriLogTest, LineOfExactlyTheLimitIsOneFullRecord) {
  CriLogSplitter s(LogStream::kStdout, false, 4);
  std::string out;
  s.Feed(kT0, "abcd", &out);
  EXPECT_EQ(out, "") << "the limit is reached but the line may still end here";
  s.Feed(kT0, "\nabcde", &out);
  EXPECT_EQ(Lines(out), (std::vector<std::string>{
                            "2023-11-14T22:13:20.123456789Z stdout F abcd",
                            "2023-11-14T22:13:20.123456789Z stdout P abcd",
                        }));
  EXPECT_EQ(s.pending_bytes(), 1u);
}

TEST(CriLogTest, DefaultLimitIs16KiBAndReassemblesExactly) {
  const std::string line(40000, 'x');
  CriLogSplitter s(LogStream::kStdout, false);
  std::string out;
  // Arbitrary read boundaries must not change the records.
  s.Feed(kT0, std::string_view(line).substr(0, 1000), &out);
  s.Feed(kT0, std::string_view(line).substr(1000), &out);
  s.Feed(kT0, "\n", &out);
  std::vector<std::string> lines = Lines(out);
  ASSERT_EQ(lines.size(), 3u);
  std::string joined;
  const std::string prefix = "2023-11-14T22:13:20.123456789Z stdout ";
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_EQ(lines[i].compare(0, prefix.size(), prefix), 0);
    EXPECT_EQ(lines[i][prefix.size()], i + 1 < lines.size() ? 'P' : 'F');
    joined += lines[i].substr(prefix.size() + 2);
  }
  EXPECT_EQ(lines[0].size() - prefix.size() - 2, kMaxLogLine);
  EXPECT_EQ(joined, line);
}

TEST(CriLogTest, TtyDropsTheCarriageReturnOfCrLf) {
  CriLogSplitter s(LogStream::kStdout, /*tty=*/true);
  std::string out;
  s.Feed(kT0, "prompt\r\nin\rline\r\n\r\n", &out);
  EXPECT_EQ(Lines(out), (std::vector<std::string>{
                            "2023-11-14T22:13:20.123456789Z stdout F prompt",
                            "2023-11-14T22:13:20.123456789Z stdout F in\rline",
                            "2023-11-14T22:13:20.123456789Z stdout F ",
                        }));
}

TEST(CriLogTest, PipeKeepsCarriageReturns) {
  CriLogSplitter s(LogStream::kStdout, /*tty=*/false);
  std::string out;
  s.Feed(kT0, "dos\r\n", &out);
  EXPECT_EQ(out, "2023-11-14T22:13:20.123456789Z stdout F dos\r\n");
}

TEST(CriLogTest, BinaryBytesPassThrough) {
  CriLogSplitter s(LogStream::kStderr, false);
  std::string out;
  s.Feed(kT0, std::string("a\0b\xff\n", 5), &out);
  static constexpr char kWant[] = "2023-11-14T22:13:20.123456789Z stderr F a\0b\xff\n";
  EXPECT_EQ(out, std::string(kWant, sizeof kWant - 1));
}

}  // namespace
}  // namespace airlock::monitor
