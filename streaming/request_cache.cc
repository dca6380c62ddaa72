#include "streaming/request_cache.h"

#include <sys/random.h>

#include <cctype>
#include <cerrno>

#include "streaming/http_base64.h"

namespace airlock::streaming {
namespace {

// Retries a collision a few times: with 128 random bits a repeat means a broken source.
constexpr int kTokenAttempts = 10;

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

RequestKind KindOf(const StreamRequest& request) {
  switch (request.index()) {
    case 0:
      return RequestKind::kExec;
    case 1:
      return RequestKind::kAttach;
    default:
      return RequestKind::kPortForward;
  }
}

const char* KindPath(RequestKind kind) {
  switch (kind) {
    case RequestKind::kExec:
      return "exec";
    case RequestKind::kAttach:
      return "attach";
    case RequestKind::kPortForward:
      return "portforward";
  }
  return "unknown";
}

Status GetRandomBytes(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("getrandom", errno);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

RequestCache::RequestCache(const Clock& clock) : RequestCache(clock, Options{}) {}

RequestCache::RequestCache(const Clock& clock, Options options, RandomSource random)
    : clock_(clock), options_(options), random_(std::move(random)) {
  if (!random_) random_ = GetRandomBytes;
}

void RequestCache::DropExpiredLocked(Clock::TimePoint now) {
  while (!by_age_.empty() && now > by_age_.front().expires) {
    by_token_.erase(by_age_.front().token);
    by_age_.pop_front();
  }
}

Result<std::string> RequestCache::Insert(StreamRequest request) {
  std::lock_guard lock(mu_);
  Clock::TimePoint now = clock_.Now();
  DropExpiredLocked(now);
  if (by_age_.size() >= options_.max_in_flight) {
    return MakeError(ErrorCode::kResourceExhausted,
                     "insert streaming request: maximum number of in-flight requests (" +
                         std::to_string(options_.max_in_flight) + ") exceeded");
  }
  for (int attempt = 0; attempt < kTokenAttempts; ++attempt) {
    uint8_t raw[kTokenBytes];
    Status got = random_(std::span<uint8_t>(raw, sizeof raw));
    if (!got.ok()) return got.error().Wrap("generate streaming token");
    std::string token =
        Base64UrlEncodeNoPad(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
    if (by_token_.count(token)) continue;
    by_age_.push_back(Entry{token, std::move(request), now + options_.ttl});
    by_token_.emplace(token, std::prev(by_age_.end()));
    return token;
  }
  return MakeError(ErrorCode::kInternal, "generate streaming token: no unique token after " +
                                             std::to_string(kTokenAttempts) + " attempts");
}

Result<StreamRequest> RequestCache::Consume(RequestKind kind, std::string_view token) {
  std::lock_guard lock(mu_);
  DropExpiredLocked(clock_.Now());
  auto it = by_token_.find(std::string(token));
  if (it == by_token_.end()) {
    return MakeError(ErrorCode::kNotFound, "consume streaming token: unknown, used or expired");
  }
  StreamRequest request = std::move(it->second->request);
  by_age_.erase(it->second);
  by_token_.erase(it);
  if (KindOf(request) != kind) {
    return MakeError(ErrorCode::kNotFound, std::string("consume streaming token: issued for ") +
                                               KindPath(KindOf(request)) + ", presented for " +
                                               KindPath(kind));
  }
  return request;
}

size_t RequestCache::size() {
  std::lock_guard lock(mu_);
  DropExpiredLocked(clock_.Now());
  return by_age_.size();
}

Result<std::string> BuildStreamUrl(std::string_view base_url, RequestKind kind,
                                   std::string_view token) {
  auto fail = [&](const std::string& reason) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "build streaming URL from \"" + std::string(base_url) + "\": " + reason);
  };
  size_t scheme_end;
  if (StartsWithIgnoreCase(base_url, "http://")) {
    scheme_end = 7;
  } else if (StartsWithIgnoreCase(base_url, "https://")) {
    scheme_end = 8;
  } else {
    return fail("scheme must be http or https");
  }
  if (base_url.find_first_of("?#") != std::string_view::npos) {
    return fail("query and fragment are not allowed");
  }
  size_t path_start = base_url.find('/', scheme_end);
  std::string_view authority = base_url.substr(scheme_end, path_start - scheme_end);
  if (authority.empty()) return fail("host is empty");
  std::string_view path =
      path_start == std::string_view::npos ? std::string_view() : base_url.substr(path_start);
  // Resolving the relative reference "<kind>/<token>" replaces the last path segment.
  std::string dir(
      path.substr(0, path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1));
  if (dir.empty()) dir = "/";
  return std::string(base_url.substr(
             0, path_start == std::string_view::npos ? base_url.size() : path_start)) +
         dir + KindPath(kind) + "/" + std::string(token);
}

}  // namespace airlock::streaming
