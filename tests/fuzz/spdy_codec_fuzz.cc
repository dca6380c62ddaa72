// Fuzz target: SpdyCodec::Feed on arbitrary client bytes.
//
// Input: one control byte (split key; its top bit lowers the stream limit to 2 so refusals
// happen), then the byte stream. The same bytes go once whole into one codec and once cut at
// a few points into another: frame parsing must not depend on how reads split the stream,
// so both must report the same events (DATA merged per stream) and queue the same output.
#include <cstdint>
#include <string>

#include "streaming/spdy_session_codec.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/spdy_fuzz_sink.h"

namespace {

using airlock::fuzz::CheckingSpdySink;
using airlock::streaming::SpdyCodec;
using airlock::streaming::SpdyCodecOptions;

struct Run {
  std::string log;
  std::string output;
};

Run FeedPieces(const SpdyCodecOptions& options, const std::vector<std::string_view>& pieces) {
  auto codec = SpdyCodec::Create(options);
  FUZZ_CHECK(codec.ok(), "create codec: %s", codec.error().message.c_str());
  CheckingSpdySink sink(*codec);
  sink.set_max_streams(options.max_concurrent_streams);
  Run run;
  for (std::string_view piece : pieces) {
    sink.Feed(piece);
    run.output += codec->TakeOutput();
  }
  airlock::fuzz::CheckSpdyOutputFrames(run.output);
  run.log = sink.log();
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  airlock::fuzz::FuzzInput input(data, size);
  const uint8_t key = input.TakeByte();
  SpdyCodecOptions options;
  if (key & 0x80) options.max_concurrent_streams = 2;
  const std::string_view bytes = input.rest();

  const Run whole = FeedPieces(options, {bytes});
  const Run split = FeedPieces(options, airlock::fuzz::SplitPieces(bytes, key, 4));
  FUZZ_CHECK(whole.log == split.log, "events depend on the split:\nwhole:%s\nsplit:%s",
             whole.log.c_str(), split.log.c_str());
  FUZZ_CHECK(whole.output == split.output, "output depends on the split (%zu vs %zu bytes)",
             whole.output.size(), split.output.size());
  return 0;
}
