// ResizeDecoder: the remotecommand resize stream, a sequence of JSON objects
// {"Width":W,"Height":H} (Go's json.Encoder output: newline-terminated, but objects may be
// split across or packed into frames; keys match case-insensitively as in Go). Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shim/base/result.h"
#include "streaming/runtime.h"

namespace airlock::streaming {

class ResizeDecoder {
 public:
  // A resize stream never needs more than this between two objects.
  static constexpr size_t kMaxPending = 4096;

  // Appends every complete object's size to `out`, in order. Sizes with a zero dimension
  // are reported too (the session ignores them, as peers do). Error for input that is not
  // a stream of such objects (bad JSON, non-numeric or out-of-range values, an object over
  // kMaxPending bytes): the resize stream is then abandoned, the session goes on.
  Status Feed(std::string_view bytes, std::vector<TerminalSize>* out);

 private:
  std::string pending_;
  bool failed_ = false;
};

}  // namespace airlock::streaming
