// RequestCache: the single-use tokens that turn a CRI Exec/Attach/PortForward call into a
// streaming URL. The token is the only capability a streaming client holds, so it is
// unguessable (128 bits from getrandom), single use, expires after a TTL, and at most
// max_in_flight wait at once (mission-anchors §2.2; upstream's 48-bit token is not copied).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "shim/base/clock.h"
#include "shim/base/result.h"

namespace airlock::streaming {

// The options of the CRI request, cached so that the stream never takes them from the URL.
struct ExecRequest {
  std::string container_id;
  std::vector<std::string> cmd;
  bool tty = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
};

struct AttachRequest {
  std::string container_id;
  bool tty = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
};

struct PortForwardRequest {
  std::string pod_sandbox_id;
  std::vector<int32_t> ports;
};

using StreamRequest = std::variant<ExecRequest, AttachRequest, PortForwardRequest>;

enum class RequestKind { kExec, kAttach, kPortForward };
RequestKind KindOf(const StreamRequest& request);
// The URL path segment: "exec", "attach", "portforward".
const char* KindPath(RequestKind kind);

class RequestCache {
 public:
  struct Options {
    std::chrono::nanoseconds ttl = std::chrono::seconds(60);
    size_t max_in_flight = 1000;
  };
  // Fills the span with random bytes; the default reads getrandom(2). Tests inject their own.
  using RandomSource = std::function<Status(std::span<uint8_t>)>;

  static constexpr size_t kTokenBytes = 16;  // 128 bits -> 22 base64url characters

  explicit RequestCache(const Clock& clock);
  RequestCache(const Clock& clock, Options options, RandomSource random = {});

  // Stores the request and returns its token. kResourceExhausted when max_in_flight
  // unexpired tokens wait; kInternal when the kernel gives no randomness.
  Result<std::string> Insert(StreamRequest request);

  // Removes the token and returns its request. kNotFound for an unknown, used or expired
  // token, and for a token of another kind (which is burnt too: a token shown on the wrong
  // path was leaked or guessed, and single use means one presentation).
  Result<StreamRequest> Consume(RequestKind kind, std::string_view token);

  // Unexpired tokens waiting (expired ones are dropped first).
  size_t size();

 private:
  struct Entry {
    std::string token;
    StreamRequest request;
    Clock::TimePoint expires;
  };
  void DropExpiredLocked(Clock::TimePoint now);

  const Clock& clock_;
  const Options options_;
  RandomSource random_;
  std::mutex mu_;
  std::list<Entry> by_age_;  // oldest first: every entry has the same TTL
  std::unordered_map<std::string, std::list<Entry>::iterator> by_token_;
};

// Reads getrandom(2) until the span is full.
Status GetRandomBytes(std::span<uint8_t> out);

// "<base>/<kind>/<token>": `base_url` must be absolute with scheme http or https (peers reject
// scheme-less and ws:// URLs, mission-anchors §0.3); a base path ending in "/" is kept, as
// Go's URL.ResolveReference does ("http://h:1/cri/" -> "http://h:1/cri/exec/<token>").
Result<std::string> BuildStreamUrl(std::string_view base_url, RequestKind kind,
                                   std::string_view token);

}  // namespace airlock::streaming
