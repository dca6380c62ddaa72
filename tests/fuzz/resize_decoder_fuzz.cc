// Fuzz target: ResizeDecoder, the remotecommand resize stream (JSON objects from a client).
//
// Input: one split key, then the stream. The stream goes once whole and once in pieces into
// two decoders. Checks: a failed decoder reports nothing more and keeps failing; the sizes
// do not depend on the split (for streams that fit the decoder's buffer — a longer object is
// accepted whole but refused when it arrives in pieces, which only bounds memory); every
// reported size comes from an object that is in the input.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "streaming/resize_decoder.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using airlock::streaming::ResizeDecoder;
using airlock::streaming::TerminalSize;

struct Decoded {
  std::vector<TerminalSize> sizes;
  bool failed = false;
};

Decoded FeedPieces(const std::vector<std::string_view>& pieces) {
  ResizeDecoder decoder;
  Decoded result;
  for (std::string_view piece : pieces) {
    const size_t before = result.sizes.size();
    const airlock::Status status = decoder.Feed(piece, &result.sizes);
    if (result.failed) {
      FUZZ_CHECK(!status.ok(), "Feed succeeded after the stream failed");
      FUZZ_CHECK(result.sizes.size() == before, "sizes after the stream failed");
    }
    if (!status.ok()) {
      FUZZ_CHECK(!status.error().message.empty(), "error without a message");
      result.failed = true;
    }
  }
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  airlock::fuzz::FuzzInput input(data, size);
  const uint8_t key = input.TakeByte();
  const std::string_view bytes = input.rest();

  const Decoded whole = FeedPieces({bytes});
  const Decoded split = FeedPieces(airlock::fuzz::SplitPieces(bytes, key, 5));
  // Each object needs at least "{}": two bytes.
  FUZZ_CHECK(whole.sizes.size() <= bytes.size() / 2, "%zu sizes from %zu bytes", whole.sizes.size(),
             bytes.size());
  if (bytes.size() <= ResizeDecoder::kMaxPending) {
    FUZZ_CHECK(whole.failed == split.failed, "verdict depends on the split");
    FUZZ_CHECK(whole.sizes == split.sizes, "sizes depend on the split (%zu vs %zu)",
               whole.sizes.size(), split.sizes.size());
  } else {
    const size_t common = std::min(whole.sizes.size(), split.sizes.size());
    FUZZ_CHECK(std::equal(whole.sizes.begin(), whole.sizes.begin() + common, split.sizes.begin()),
               "the split changed an earlier size");
  }
  return 0;
}
