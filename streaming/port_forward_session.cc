#include "streaming/port_forward_session.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

namespace airlock::streaming {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxTransportOutput = 1 << 20;
constexpr size_t kMaxStreamBacklog = 256 * 1024;
constexpr size_t kMaxToSocket = 1 << 20;

template <typename T>
std::optional<T> ParseNumber(const std::map<std::string, std::string>& headers,
                             const char* name) {
  auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  T value{};
  const char* end = it->second.data() + it->second.size();
  auto [ptr, ec] = std::from_chars(it->second.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

PortForwardSession::PortForwardSession(StreamTransport& transport, Runtime& runtime,
                                       const Clock& clock, Params params)
    : transport_(transport), runtime_(runtime), clock_(clock), params_(std::move(params)) {
  started_at_ = clock_.Now();
}

PortForwardSession::~PortForwardSession() = default;

PortForwardSession::Pair* PortForwardSession::FindByStream(StreamId id, bool* is_data) {
  for (auto& [key, pair] : pairs_) {
    if (pair.data == id || pair.error == id) {
      if (is_data) *is_data = pair.data == id;
      return &pair;
    }
  }
  return nullptr;
}

void PortForwardSession::OnStreamOpened(const OpenedStream& stream) {
  if (done_) return;
  auto type_it = stream.headers.find("streamtype");
  const std::string type = type_it == stream.headers.end() ? "" : type_it->second;
  auto port = ParseNumber<uint16_t>(stream.headers, "port");
  const bool is_data = type == "data";
  if ((!is_data && type != "error") || !port || *port == 0) {
    spdlog::warn("streaming: port-forward to {}: refusing stream {} (streamtype={}, port={})",
                 params_.request.pod_sandbox_id, stream.id, type.empty() ? "<none>" : type,
                 port ? std::to_string(*port) : "<invalid>");
    (void)transport_.Reset(stream.id);
    return;
  }
  const auto& allowed = params_.request.ports;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), *port) == allowed.end()) {
    // The token was issued for these ports only (the WebSocket path; SPDY requests carry none).
    spdlog::warn("streaming: port-forward to {}: port {} was not requested",
                 params_.request.pod_sandbox_id, *port);
    (void)transport_.Reset(stream.id);
    return;
  }
  // Clients without requestid (older client-go): the error stream's id names the pair and
  // its data stream follows two ids later (upstream's fallback).
  uint64_t key;
  if (auto rid = ParseNumber<uint64_t>(stream.headers, "requestid")) {
    key = *rid;
  } else {
    key = is_data ? uint64_t(stream.id) - 2 : stream.id;
    key |= uint64_t(1) << 63;  // never collides with a client's requestid space in practice
  }
  auto it = pairs_.find(key);
  if (it == pairs_.end()) {
    if (pairs_.size() >= params_.max_pairs) {
      spdlog::warn("streaming: port-forward to {}: more than {} connections at once",
                   params_.request.pod_sandbox_id, params_.max_pairs);
      (void)transport_.Reset(stream.id);
      return;
    }
    Pair pair;
    pair.key = key;
    pair.port = *port;
    pair.created = clock_.Now();
    it = pairs_.emplace(key, std::move(pair)).first;
    ++pairs_total_;
  }
  Pair& pair = it->second;
  std::optional<StreamId>& slot = is_data ? pair.data : pair.error;
  if (slot || pair.port != *port) {
    (void)transport_.Reset(stream.id);
    return;
  }
  if (Status s = transport_.Accept(stream.id); !s.ok()) return;
  slot = stream.id;
  if (is_data) pair.data_writable = true;
  if (stream.remote_closed && is_data) pair.client_done = true;
  if (pair.data && pair.error) Connect(pair);
}

void PortForwardSession::Connect(Pair& pair) {
  auto socket = runtime_.DialPort(params_.request.pod_sandbox_id, pair.port);
  if (!socket.ok()) {
    Fail(pair, socket.error().message);
    return;
  }
  pair.socket = std::move(*socket);
  FlushToSocket(pair);
}

void PortForwardSession::Fail(Pair& pair, const std::string& message) {
  ++pairs_failed_;
  // The text clients show (upstream: "error forwarding port %d to pod %s, uid %v: %v").
  std::string text = "error forwarding port " + std::to_string(pair.port) + " to pod " +
                     params_.request.pod_sandbox_id + ", uid : " + message;
  spdlog::warn("streaming: {}", text);
  if (pair.error) {
    (void)transport_.Write(*pair.error, text);
    (void)transport_.End(*pair.error);
  }
  if (pair.data) (void)transport_.Reset(*pair.data);
  Remove(pair.key);
}

void PortForwardSession::OnStreamData(StreamId id, std::string_view bytes) {
  bool is_data = false;
  Pair* pair = FindByStream(id, &is_data);
  if (!pair || !is_data || pair->client_done) return;
  bytes_in_ += bytes.size();
  pair->to_socket.append(bytes);
  if (pair->socket.valid()) FlushToSocket(*pair);
}

void PortForwardSession::OnStreamRemoteClosed(StreamId id) {
  bool is_data = false;
  Pair* pair = FindByStream(id, &is_data);
  if (!pair || !is_data) return;  // the client half-closes its error stream at once
  pair->client_done = true;
  if (pair->socket.valid()) FlushToSocket(*pair);
}

void PortForwardSession::OnStreamReset(StreamId id) {
  bool is_data = false;
  Pair* pair = FindByStream(id, &is_data);
  if (!pair) return;
  // client-go resets the data stream after it is done with a connection.
  if (pair->error) (void)transport_.End(*pair->error);
  if (is_data) pair->data_writable = false;
  Remove(pair->key);
}

void PortForwardSession::FlushToSocket(Pair& pair) {
  while (!pair.to_socket.empty()) {
    ssize_t n = ::send(pair.socket.get(), pair.to_socket.data(), pair.to_socket.size(),
                       MSG_NOSIGNAL);
    if (n > 0) {
      pair.to_socket.erase(0, size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    // The pod side is gone for writing; what the client sends is dropped.
    pair.to_socket.clear();
    pair.client_done = true;
    break;
  }
  if (pair.client_done && !pair.socket_wr_shut) {
    ::shutdown(pair.socket.get(), SHUT_WR);
    pair.socket_wr_shut = true;
  }
  MaybeClose(pair);
}

void PortForwardSession::ReadSocket(Pair& pair) {
  char buf[kReadChunk];
  ssize_t n;
  do {
    n = ::recv(pair.socket.get(), buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) {
    pair.socket_eof = true;
    if (pair.data && pair.data_writable) (void)transport_.End(*pair.data);
    pair.data_writable = false;
    MaybeClose(pair);
    return;
  }
  bytes_out_ += size_t(n);
  if (pair.data && pair.data_writable) (void)transport_.Write(*pair.data, {buf, size_t(n)});
}

void PortForwardSession::MaybeClose(Pair& pair) {
  if (!pair.socket_eof || !pair.socket_wr_shut) return;
  if (pair.error) (void)transport_.End(*pair.error);
  Remove(pair.key);
}

void PortForwardSession::Remove(uint64_t key) { pairs_.erase(key); }

void PortForwardSession::AddPollRequests(std::vector<PollRequest>& out) {
  const bool room = transport_.PendingOutput().size() < kMaxTransportOutput;
  for (auto& [key, pair] : pairs_) {
    if (!pair.socket.valid()) continue;
    short events = 0;
    if (!pair.socket_eof && room &&
        (!pair.data || transport_.StreamBacklog(*pair.data) < kMaxStreamBacklog)) {
      events |= POLLIN;
    }
    if (!pair.to_socket.empty()) events |= POLLOUT;
    // The tag is the pair key's low bits; pairs are few, so OnPoll looks them up.
    if (events) out.push_back({pair.socket.get(), events, uint32_t(key)});
  }
}

void PortForwardSession::OnPoll(uint32_t tag, short revents) {
  for (auto& [key, pair] : pairs_) {
    if (uint32_t(key) != tag || !pair.socket.valid()) continue;
    if (revents & POLLOUT) FlushToSocket(pair);
    // FlushToSocket may have removed the pair.
    auto it = pairs_.find(key);
    if (it == pairs_.end()) return;
    if (revents & (POLLIN | POLLHUP | POLLERR)) ReadSocket(it->second);
    return;
  }
}

std::optional<Clock::TimePoint> PortForwardSession::NextDeadline() const {
  std::optional<Clock::TimePoint> next;
  for (const auto& [key, pair] : pairs_) {
    if (pair.data && pair.error) continue;
    auto d = pair.created + params_.pair_creation_timeout;
    if (!next || d < *next) next = d;
  }
  return next;
}

void PortForwardSession::OnTimer(Clock::TimePoint now) {
  std::vector<uint64_t> expired;
  for (const auto& [key, pair] : pairs_) {
    if (!(pair.data && pair.error) && now >= pair.created + params_.pair_creation_timeout) {
      expired.push_back(key);
    }
  }
  for (uint64_t key : expired) Fail(pairs_.at(key), "timed out waiting for streams");
}

bool PortForwardSession::WantsInput() const {
  for (const auto& [key, pair] : pairs_) {
    if (pair.to_socket.size() >= kMaxToSocket) return false;
  }
  return true;
}

void PortForwardSession::OnPeerGone(const std::string& reason) { End("client gone: " + reason); }

void PortForwardSession::OnShutdown() { End("daemon stopping"); }

void PortForwardSession::End(std::string reason) {
  if (done_) return;
  done_ = true;
  end_reason_ = std::move(reason);
  pairs_.clear();
  spdlog::info("{}", Summary());
}

std::string PortForwardSession::Summary() const {
  return "streaming session kind=portforward transport=" + params_.transport_name +
         " peer=" + params_.peer + " sandbox=" + params_.request.pod_sandbox_id +
         " connections=" + std::to_string(pairs_total_) +
         " failed=" + std::to_string(pairs_failed_) + " bytes_in=" + std::to_string(bytes_in_) +
         " bytes_out=" + std::to_string(bytes_out_) + " duration_ms=" +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() -
                                                                             started_at_)
                            .count()) +
         " end=\"" + end_reason_ + "\"";
}

}  // namespace airlock::streaming
