// Session recording: asciicast v2 validity, UTF-8 across chunk boundaries, the size cap,
// and (when the Debian package is installed) what `asciinema cat` replays.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "shim/base/clock.h"
#include "shim/nodeapi/asciicast_recorder.h"
#include "shim/nodeapi/utf8_stream.h"

namespace airlock::nodeapi {
namespace {

using namespace std::chrono_literals;

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8Stream, KeepsSequencesSplitAcrossChunks) {
  Utf8Stream s;
  const std::string euro = "\xE2\x82\xAC";  // U+20AC
  EXPECT_EQ(s.Feed("a" + euro.substr(0, 1)), "a");
  EXPECT_EQ(s.Feed(euro.substr(1, 1)), "");
  EXPECT_EQ(s.Feed(euro.substr(2) + "b"), euro + "b");
  EXPECT_EQ(s.Finish(), "");
}

TEST(Utf8Stream, ReplacesInvalidBytes) {
  Utf8Stream s;
  EXPECT_EQ(s.Feed("x\xFFy"), "x" + kFffd + "y");
  EXPECT_EQ(s.Feed("\xC0\xAF"), kFffd + kFffd);                          // overlong '/'
  EXPECT_EQ(s.Feed("\xED\xA0\x80"), kFffd + kFffd + kFffd);              // UTF-16 surrogate
  EXPECT_EQ(s.Feed("\xE2\x82z"), kFffd + "z");                           // truncated, then ASCII
  EXPECT_EQ(s.Feed("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
  EXPECT_EQ(s.Feed("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");             // U+1F600 passes
  EXPECT_EQ(s.Feed("\xF0\x9F"), "");
  EXPECT_EQ(s.Finish(), kFffd);  // the stream ended inside a sequence
}

class AsciicastTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nodeapi-cast-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::vector<nlohmann::json> Lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<nlohmann::json> out;
    std::string line;
    while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
    return out;
  }
  std::string dir_;
  FakeClock clock_;
};

// Every line after the header: [float >= previous, "o"|"r", string].
std::string CheckEventsAndCollectOutput(const std::vector<nlohmann::json>& lines) {
  std::string output;
  double last = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto& e = lines[i];
    EXPECT_TRUE(e.is_array() && e.size() == 3) << e.dump();
    EXPECT_TRUE(e[0].is_number_float()) << e.dump();
    EXPECT_GE(e[0].get<double>(), last);
    last = e[0].get<double>();
    EXPECT_TRUE(e[1] == "o" || e[1] == "r") << e.dump();
    EXPECT_TRUE(e[2].is_string());
    if (e[1] == "o") output += e[2].get<std::string>();
  }
  return output;
}

TEST_F(AsciicastTest, WritesAValidV2Recording) {
  AsciicastRecorder::Options options;
  options.path = dir_ + "/s.cast";
  options.width = 100;
  options.height = 30;
  options.title = "exec dev/web/app by alice";
  options.command = "sh";
  auto rec = AsciicastRecorder::Create(options, clock_);
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  const std::string smile = "\xF0\x9F\x98\x80";
  (*rec)->Output("$ echo hi\r\n");
  clock_.Advance(250ms);
  (*rec)->Output("hi " + smile.substr(0, 2));  // split emoji
  clock_.Advance(1ms);
  (*rec)->Output(smile.substr(2) + "\x1b[0m\r\n\xFF");
  clock_.Advance(1s);
  (*rec)->Resize(120, 40);
  (*rec)->Finish();

  struct stat st {};
  ASSERT_EQ(::stat(options.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto lines = Lines(options.path);
  ASSERT_GE(lines.size(), 4u);
  const auto& h = lines[0];
  EXPECT_EQ(h["version"], 2);
  EXPECT_EQ(h["width"], 100);
  EXPECT_EQ(h["height"], 30);
  EXPECT_EQ(h["timestamp"], clock_.WallNanos() / 1'000'000'000 - 1);  // at Create, 1.251 s ago
  EXPECT_TRUE(h["env"].is_object());
  EXPECT_EQ(h["title"], "exec dev/web/app by alice");

  EXPECT_EQ(CheckEventsAndCollectOutput(lines), "$ echo hi\r\nhi " + smile + "\x1b[0m\r\n" + kFffd);
  EXPECT_DOUBLE_EQ(lines[2][0].get<double>(), 0.25);
  EXPECT_EQ(lines.back()[1], "r");
  EXPECT_EQ(lines.back()[2], "120x40");
}

TEST_F(AsciicastTest, StopsAtTheSizeCap) {
  AsciicastRecorder::Options options;
  options.path = dir_ + "/capped.cast";
  options.max_bytes = 2000;
  auto rec = AsciicastRecorder::Create(options, clock_);
  ASSERT_TRUE(rec.ok());
  for (int i = 0; i < 100; ++i) (*rec)->Output(std::string(50, 'a' + i % 26));
  EXPECT_TRUE((*rec)->truncated());
  (*rec)->Finish();
  struct stat st {};
  ASSERT_EQ(::stat(options.path.c_str(), &st), 0);
  EXPECT_LE(st.st_size, 2000);
  EXPECT_GT(st.st_size, 1500) << "the cap should be filled, not abandoned early";
  auto lines = Lines(options.path);  // still valid: whole lines only
  CheckEventsAndCollectOutput(lines);
}

TEST_F(AsciicastTest, RefusesToOverwriteAFile) {
  AsciicastRecorder::Options options;
  options.path = dir_ + "/exists.cast";
  std::ofstream(options.path) << "x";
  EXPECT_FALSE(AsciicastRecorder::Create(options, clock_).ok());
}

TEST_F(AsciicastTest, AsciinemaReplaysTheOutput) {
  if (::access("/usr/bin/asciinema", X_OK) != 0 || ::access("/usr/bin/script", X_OK) != 0) {
    GTEST_SKIP() << "asciinema not installed (apt-get install asciinema)";
  }
  AsciicastRecorder::Options options;
  options.path = dir_ + "/replay.cast";
  auto rec = AsciicastRecorder::Create(options, clock_);
  ASSERT_TRUE(rec.ok());
  (*rec)->Output("hello ");
  clock_.Advance(10ms);
  (*rec)->Output("w\xC3");
  (*rec)->Output("\xB6rld\n");  // "wörld" split inside the o-umlaut
  (*rec)->Finish();
  // `asciinema cat` reads its keyboard from /dev/tty: script(1) gives it a terminal. It
  // puts that terminal in raw mode, so the bytes come back unchanged ("\n" stays "\n").
  std::string cmd = "/usr/bin/script -qec '/usr/bin/asciinema cat " + options.path +
                    "' /dev/null 2>&1 </dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  std::array<char, 256> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  EXPECT_EQ(::pclose(p), 0) << out;
  EXPECT_EQ(out, "hello w\xC3\xB6rld\n");
}

}  // namespace
}  // namespace airlock::nodeapi
