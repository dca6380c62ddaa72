#include "shim/nodeapi/utf8_stream.h"

#include <cstdint>

namespace airlock::nodeapi {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the sequence a lead byte starts and the range its second byte must fall in
// (RFC 3629 §4: no overlong forms, no surrogates, nothing above U+10FFFF); 0 for a byte
// that cannot start a sequence.
struct Lead {
  int length;
  uint8_t lo;
  uint8_t hi;
};

Lead LeadOf(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

}  // namespace

std::string Utf8Stream::Feed(std::string_view bytes) {
  std::string in = std::move(pending_);
  pending_.clear();
  in.append(bytes);
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const uint8_t b = static_cast<uint8_t>(in[i]);
    const Lead lead = LeadOf(b);
    if (lead.length == 1) {
      out.push_back(in[i++]);
      continue;
    }
    if (lead.length == 0) {
      out.append(kReplacement);
      ++i;
      continue;
    }
    // Walk the continuation bytes as far as they are valid.
    int have = 1;
    while (have < lead.length && i + have < in.size()) {
      const uint8_t c = static_cast<uint8_t>(in[i + have]);
      const uint8_t lo = have == 1 ? lead.lo : 0x80;
      const uint8_t hi = have == 1 ? lead.hi : 0xBF;
      if (c < lo || c > hi) break;
      ++have;
    }
    if (have == lead.length) {
      out.append(in, i, size_t(have));
    } else if (i + have == in.size()) {
      pending_ = in.substr(i);  // valid so far, cut by the chunk end
    } else {
      out.append(kReplacement);  // the valid prefix is one maximal invalid subpart
    }
    i += size_t(have);
  }
  return out;
}

std::string Utf8Stream::Finish() {
  if (pending_.empty()) return {};
  pending_.clear();
  return std::string(kReplacement);
}

}  // namespace airlock::nodeapi
