#include "streaming/resize_decoder.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <strings.h>

namespace airlock::streaming {
namespace {

// Index one past the end of the first complete top-level object in `s` (which starts at
// '{'), or npos when it is not complete yet. Braces inside strings do not count.
size_t ObjectEnd(std::string_view s) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{') ++depth;
    else if (c == '}' && --depth == 0) return i + 1;
  }
  return std::string_view::npos;
}

Result<TerminalSize> Decode(std::string_view text) {
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return MakeError(ErrorCode::kInvalidArgument, "decode resize: not a JSON object");
  TerminalSize size;
  for (const auto& [key, value] : doc.items()) {
    uint16_t* field = nullptr;
    if (strcasecmp(key.c_str(), "width") == 0) field = &size.width;
    else if (strcasecmp(key.c_str(), "height") == 0) field = &size.height;
    else continue;  // Go ignores unknown keys
    if (!value.is_number_unsigned() || value.get<uint64_t>() > 0xffff) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "decode resize: " + key + " is not a number in 0..65535");
    }
    *field = uint16_t(value.get<uint64_t>());
  }
  return size;
}

}  // namespace

Status ResizeDecoder::Feed(std::string_view bytes, std::vector<TerminalSize>* out) {
  if (failed_) return MakeError(ErrorCode::kInvalidArgument, "decode resize: stream already failed");
  pending_.append(bytes);
  size_t pos = 0;
  for (;;) {
    while (pos < pending_.size() && std::isspace(static_cast<unsigned char>(pending_[pos]))) ++pos;
    if (pos == pending_.size()) break;
    if (pending_[pos] != '{') {
      failed_ = true;
      return MakeError(ErrorCode::kInvalidArgument, "decode resize: expected '{'");
    }
    const size_t end = ObjectEnd(std::string_view(pending_).substr(pos));
    if (end == std::string_view::npos) break;
    auto size = Decode(std::string_view(pending_).substr(pos, end));
    if (!size.ok()) {
      failed_ = true;
      return size.error();
    }
    out->push_back(*size);
    pos += end;
  }
  pending_.erase(0, pos);
  if (pending_.size() > kMaxPending) {
    failed_ = true;
    return MakeError(ErrorCode::kInvalidArgument, "decode resize: object longer than 4096 bytes");
  }
  return Status::Ok();
}

}  // namespace airlock::streaming
