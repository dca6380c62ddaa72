// The kinds of stream in a remotecommand session, named by the `streamtype` header on every
// transport (SPDY and HTTP/2 headers; WebSocket channels are mapped to them). One table for
// the server's sessions and the CLI's clients, so both sides spell them alike.
#pragma once

#include <strings.h>

#include <cstddef>
#include <optional>
#include <string_view>

namespace airlock::streaming {

enum class StreamType { kError = 0, kStdin, kStdout, kStderr, kResize };
inline constexpr size_t kStreamTypeCount = 5;

inline const char* StreamTypeName(StreamType type) {
  constexpr const char* kNames[kStreamTypeCount] = {"error", "stdin", "stdout", "stderr",
                                                    "resize"};
  return kNames[static_cast<size_t>(type)];
}

// "error", "stdin", ... → type; nullopt for anything else (matched case-insensitively, as
// the kubelet's header lookup is).
inline std::optional<StreamType> ParseStreamType(std::string_view value) {
  for (size_t i = 0; i < kStreamTypeCount; ++i) {
    const std::string_view name = StreamTypeName(static_cast<StreamType>(i));
    if (value.size() == name.size() && strncasecmp(value.data(), name.data(), name.size()) == 0) {
      return static_cast<StreamType>(i);
    }
  }
  return std::nullopt;
}

}  // namespace airlock::streaming
