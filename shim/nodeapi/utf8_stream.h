// Utf8Stream: turns a byte stream (terminal output read in arbitrary chunks) into valid
// UTF-8 for JSON strings. Invalid bytes become U+FFFD, one per maximal invalid subsequence
// (the WHATWG/Unicode "substitution of maximal subparts" practice, which is what terminals
// and browsers display); a sequence cut by a chunk boundary is held back and completed by the
// next chunk instead of being replaced.
#pragma once

#include <string>
#include <string_view>

namespace airlock::nodeapi {

class Utf8Stream {
 public:
  // The valid UTF-8 text of `bytes`, after what was held back from the previous call.
  std::string Feed(std::string_view bytes);
  // End of stream: a held-back incomplete sequence becomes U+FFFD.
  std::string Finish();

 private:
  std::string pending_;  // at most 3 bytes: the start of a sequence not yet complete
};

}  // namespace airlock::nodeapi
