// PortForwardSession: kubectl port-forward on a StreamTransport (mission-anchors §3.9).
// The client opens a pair of streams per forwarded TCP connection — `error` (which it
// half-closes at once) and `data` — with headers `port` and `requestid`; the pair is joined
// by requestid. When both exist the runtime dials localhost:port inside the pod's network
// namespace and the data stream and the socket are copied both ways. One connection carries
// many pairs; it lasts until the client leaves or the idle timeout.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shim/base/clock.h"
#include "shim/base/unique_fd.h"
#include "streaming/request_cache.h"
#include "streaming/runtime.h"
#include "streaming/session.h"

namespace airlock::streaming {

class PortForwardSession final : public Session {
 public:
  struct Params {
    PortForwardRequest request;
    std::string transport_name;
    std::string peer;
    std::chrono::milliseconds pair_creation_timeout{30'000};
    size_t max_pairs = 128;
  };
  PortForwardSession(StreamTransport& transport, Runtime& runtime, const Clock& clock,
                     Params params);
  ~PortForwardSession() override;

  void OnStreamOpened(const OpenedStream& stream) override;
  void OnStreamData(StreamId id, std::string_view bytes) override;
  void OnStreamRemoteClosed(StreamId id) override;
  void OnStreamReset(StreamId id) override;
  void OnGoAway() override {}

  void AddPollRequests(std::vector<PollRequest>& out) override;
  void OnPoll(uint32_t tag, short revents) override;
  std::optional<Clock::TimePoint> NextDeadline() const override;
  void OnTimer(Clock::TimePoint now) override;
  bool WantsInput() const override;
  void OnPeerGone(const std::string& reason) override;
  void OnTransportProgress() override {}  // pairs wait on nothing at their end
  void OnShutdown() override;
  bool Finished() const override { return done_; }
  std::string Summary() const override;

 private:
  struct Pair {
    uint64_t key = 0;
    uint16_t port = 0;
    std::optional<StreamId> data, error;
    Clock::TimePoint created;
    UniqueFd socket;
    std::string to_socket;       // client bytes not yet written to the socket
    bool client_done = false;    // the client half-closed data: shutdown(SHUT_WR) after flush
    bool socket_wr_shut = false;
    bool socket_eof = false;     // the pod side closed: data stream ended
    bool data_writable = false;
  };

  Pair* FindByStream(StreamId id, bool* is_data = nullptr);
  void Connect(Pair& pair);
  void Fail(Pair& pair, const std::string& message);
  void FlushToSocket(Pair& pair);
  void ReadSocket(Pair& pair);
  void MaybeClose(Pair& pair);
  void Remove(uint64_t key);
  void End(std::string reason);

  StreamTransport& transport_;
  Runtime& runtime_;
  const Clock& clock_;
  Params params_;
  std::map<uint64_t, Pair> pairs_;
  bool done_ = false;
  std::string end_reason_;
  Clock::TimePoint started_at_;
  uint64_t bytes_in_ = 0, bytes_out_ = 0, pairs_total_ = 0, pairs_failed_ = 0;
};

}  // namespace airlock::streaming
