// Fuzz target: SpdyCodec::Feed after a valid SYN_STREAM, with an owner that acts mid-stream.
//
// Random bytes rarely get past a header block, whose zlib context spans the connection, so
// this target starts every input with a well-formed SYN_STREAM for stream 1 (compressed by a
// fresh deflater, as a real client's first frame is) and feeds the fuzz bytes after it. The
// seeds continue that zlib stream, so mutated follow-up frames still inflate.
//
// Input: one policy byte (what the owner does: reply, echo data, half-close on the client's
// FIN, reset a stream while its DATA is being delivered, ping, go away), one split key, then
// the frames. An owner that resets a stream in the middle of a DATA frame is exactly the case
// the codec must stop delivering for.
#include <cstdint>
#include <string>

#include "streaming/spdy_frame.h"
#include "streaming/spdy_header_block.h"
#include "streaming/spdy_session_codec.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/spdy_fuzz_sink.h"

namespace {

using namespace airlock::streaming;

// The first frame of every input: SYN_STREAM 1 {streamtype: error} as client-go opens it.
const std::string& FirstSynStream() {
  static const std::string frame = [] {
    auto deflater = SpdyHeaderDeflater::Create();
    FUZZ_CHECK(deflater.ok(), "create deflater");
    auto block = deflater->Compress({{"streamtype", "error"}, {"requestid", "0"}});
    FUZZ_CHECK(block.ok(), "compress");
    std::string out;
    AppendSpdySynStream(out, SpdySynStreamPrefix{1, 0, 0, 0}, 0, *block);
    return out;
  }();
  return frame;
}

enum Policy : uint8_t {
  kReply = 1 << 0,
  kEcho = 1 << 1,
  kHalfCloseOnFin = 1 << 2,
  kResetOnData = 1 << 3,
  kPingOnEvent = 1 << 4,
  kGoAwayOnThirdStream = 1 << 5,
  kSmallLimits = 1 << 6,
};

class OwnerSink : public airlock::fuzz::CheckingSpdySink {
 public:
  OwnerSink(SpdyCodec& codec, uint8_t policy)
      : CheckingSpdySink(codec, (policy & kReply) != 0), policy_(policy) {}

 protected:
  void AfterEvent(SpdyEvent& event) override {
    // Owner mistakes (data before a reply, after FIN) come back as errors; the codec must
    // refuse them without queueing anything, which the output frame check below covers.
    if (std::holds_alternative<SpdySynStream>(event)) {
      if ((policy_ & kGoAwayOnThirdStream) && ++streams_ == 3)
        codec().GoAway(SpdyGoAwayStatus::kOk);
    } else if (auto* data = std::get_if<SpdyData>(&event)) {
      if (policy_ & kEcho) (void)codec().Data(data->stream_id, data->bytes, false);
      if ((policy_ & kHalfCloseOnFin) && data->fin) (void)codec().Data(data->stream_id, {}, true);
      if ((policy_ & kResetOnData) && !data->fin && data->bytes.size() % 2 == 1) {
        FUZZ_CHECK(codec().RstStream(data->stream_id, SpdyRstStatus::kCancel).ok(), "reset");
        ForgetStream(data->stream_id);
      }
    }
    if (policy_ & kPingOnEvent) codec().Ping();
  }

 private:
  uint8_t policy_;
  int streams_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  airlock::fuzz::FuzzInput input(data, size);
  const uint8_t policy = input.TakeByte();
  const uint8_t key = input.TakeByte();
  SpdyCodecOptions options;
  if (policy & kSmallLimits) {
    options.max_concurrent_streams = 3;
    options.max_control_frame_payload = 512;
    options.header_limits.max_block_bytes = 256;
    options.header_limits.max_headers = 4;
  }
  auto codec = SpdyCodec::Create(options);
  FUZZ_CHECK(codec.ok(), "create codec");
  OwnerSink sink(*codec, policy);
  sink.set_max_streams(options.max_concurrent_streams);

  std::string output;
  sink.Feed(FirstSynStream());
  FUZZ_CHECK(!codec->failed(), "the valid SYN_STREAM failed the codec");
  for (std::string_view piece : airlock::fuzz::SplitPieces(input.rest(), key, 6)) {
    sink.Feed(piece);
    output += codec->TakeOutput();
  }
  // Resetting what is still open at the end must also yield whole frames.
  for (uint32_t id : sink.open()) {
    FUZZ_CHECK(codec->RstStream(id, SpdyRstStatus::kCancel).ok(), "final reset of %u", id);
  }
  output += codec->TakeOutput();
  airlock::fuzz::CheckSpdyOutputFrames(output);
  return 0;
}
