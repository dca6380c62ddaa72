// FuzzInput: carves control values off the front of a fuzz input.
//
// The targets spend a byte or two choosing limits, options or split points, and feed the rest
// to the parser. Taking from the front keeps the payload contiguous, so the mutators and the
// seeds (which start with those control bytes) still line up with the protocol's framing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace airlock::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  // The next byte, or 0 once the input is used up.
  uint8_t TakeByte() {
    if (rest_.empty()) return 0;
    const uint8_t b = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return b;
  }

  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

// Cuts `bytes` into consecutive pieces at up to `count` points chosen by `key`; the same key
// always gives the same cuts, so a saved crash input replays exactly. Pieces may be empty
// (a zero-length read must be harmless too).
inline std::vector<std::string_view> SplitPieces(std::string_view bytes, uint8_t key,
                                                 size_t count = 3) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  uint32_t state = key * 2654435761u + 1;
  for (size_t i = 0; i < count && !bytes.empty(); ++i) {
    state = state * 1103515245u + 12345u;
    // Mostly small steps: frame headers are 2-14 bytes, and cuts inside them matter most.
    const size_t step = (state >> 16) % ((i % 2 == 0) ? 16 : bytes.size() + 1);
    const size_t cut = std::min(bytes.size(), start + step);
    pieces.push_back(bytes.substr(start, cut - start));
    start = cut;
  }
  pieces.push_back(bytes.substr(start));
  return pieces;
}

}  // namespace airlock::fuzz
