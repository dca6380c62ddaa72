#include "streaming/h2_router.h"

#include <spdlog/spdlog.h>

#include "streaming/http_request.h"
#include "streaming/session_factory.h"

namespace airlock::streaming {
namespace {

class H2Router final : public Session {
 public:
  // `preset`: the request of an h2c upgrade, whose token the HTTP/1.1 head already used.
  H2Router(StreamTransport& transport, std::string peer, const ConnectionContext& ctx,
           std::optional<PeerIdentity> identity,
           std::optional<std::pair<std::string, StreamRequest>> preset = std::nullopt,
           std::shared_ptr<SessionObserver> preset_observer = nullptr)
      : transport_(transport), peer_(std::move(peer)), ctx_(ctx), identity_(std::move(identity)),
        preset_(std::move(preset)), preset_observer_(std::move(preset_observer)) {
    deadline_ = ctx.clock->Now() + ctx.options->stream_creation_timeout;
  }

  void OnStreamOpened(const OpenedStream& stream) override {
    auto path_it = stream.headers.find(":path");
    std::string path = path_it == stream.headers.end() ? "" : PathOnly(path_it->second);
    if (session_) {
      if (path != path_) {
        spdlog::warn("streaming: h2 stream {} names {} on a session for {}", stream.id, path,
                     path_);
        (void)transport_.Reset(stream.id);
        return;
      }
      session_->OnStreamOpened(stream);
      return;
    }
    auto route = ParseRoute(path);
    Result<StreamRequest> request = MakeError(ErrorCode::kNotFound, "no such route");
    std::shared_ptr<SessionObserver> observer;
    if (preset_ && preset_->first == path) {
      request = std::move(preset_->second);
      observer = std::move(preset_observer_);
      preset_.reset();
    } else if (route) {
      request = ctx_.cache->Consume(route->kind, route->token);
    } else if (ctx_.node_api && ctx_.node_api->Handles(path)) {
      // The streams of one exec (error, stdin, stdout, stderr, resize) arrive together with
      // one :path: the first is the attempt, authorized and audited once; the others share
      // its refusal instead of each being audited as an attempt of its own.
      if (node_refusal_ && node_refusal_->first == path_it->second) {
        (void)transport_.Refuse(stream.id, node_refusal_->second.http_status,
                                node_refusal_->second.message + "\n");
        if (++refused_ >= 8) failed_ = true;
        return;
      }
      HttpHeaders headers;
      for (const auto& [name, value] : stream.headers) headers.Add(name, value);
      NodeRequest node;
      auto method_it = stream.headers.find(":method");
      node.method = method_it == stream.headers.end() ? "" : method_it->second;
      node.path = path;
      node.query = path_it->second.find('?') == std::string::npos
                       ? ""
                       : path_it->second.substr(path_it->second.find('?') + 1);
      node.headers = &headers;
      node.client_certificate = identity_;
      node.peer = peer_;
      node.transport = "h2";
      NodeDecision decision = ctx_.node_api->Authorize(node);
      if (!decision.allowed()) {
        (void)transport_.Refuse(stream.id, decision.http_status, decision.message + "\n");
        node_refusal_.emplace(path_it->second, decision);
        if (++refused_ >= 8) failed_ = true;
        return;
      }
      request = std::move(decision.request);
      observer = std::move(decision.observer);
    }
    if (!request.ok()) {
      // The HTTP/2 form of a 404: the stream is refused; the connection may try again.
      spdlog::info("streaming: h2 request for {} from {}: {}", path, peer_,
                   request.error().message);
      (void)transport_.Reset(stream.id);
      if (++refused_ >= 8) failed_ = true;
      return;
    }
    path_ = path;
    session_ = MakeSession(std::move(*request), transport_, 4, true, peer_, ctx_,
                           std::move(observer));
    session_->OnStreamOpened(stream);
  }
  void OnStreamData(StreamId id, std::string_view bytes) override {
    if (session_) session_->OnStreamData(id, bytes);
  }
  void OnStreamRemoteClosed(StreamId id) override {
    if (session_) session_->OnStreamRemoteClosed(id);
  }
  void OnStreamReset(StreamId id) override {
    if (session_) session_->OnStreamReset(id);
  }
  void OnGoAway() override {
    if (session_) session_->OnGoAway();
    else failed_ = true;
  }
  void AddPollRequests(std::vector<PollRequest>& out) override {
    if (session_) session_->AddPollRequests(out);
  }
  void OnPoll(uint32_t tag, short revents) override {
    if (session_) session_->OnPoll(tag, revents);
  }
  std::optional<Clock::TimePoint> NextDeadline() const override {
    return session_ ? session_->NextDeadline() : std::optional(deadline_);
  }
  void OnTimer(Clock::TimePoint now) override {
    if (session_) session_->OnTimer(now);
    else if (now >= deadline_) failed_ = true;
  }
  bool WantsInput() const override { return session_ ? session_->WantsInput() : true; }
  void OnTransportProgress() override {
    if (session_) session_->OnTransportProgress();
  }
  void OnPeerGone(const std::string& reason) override {
    if (session_) session_->OnPeerGone(reason);
    else failed_ = true;
  }
  void OnShutdown() override {
    if (session_) session_->OnShutdown();
    failed_ = true;
  }
  bool Finished() const override {
    if (session_) return session_->Finished();
    if (failed_) transport_.Close();
    return failed_;
  }
  std::string Summary() const override {
    return session_ ? session_->Summary() : "streaming h2 connection without a session";
  }

 private:
  StreamTransport& transport_;
  std::string peer_;
  const ConnectionContext& ctx_;
  std::optional<PeerIdentity> identity_;
  std::optional<std::pair<std::string, StreamRequest>> preset_;
  std::shared_ptr<SessionObserver> preset_observer_;
  std::unique_ptr<Session> session_;
  std::string path_;
  Clock::TimePoint deadline_;
  int refused_ = 0;
  // The last node-API refusal on this connection: full :path (query included) and answer.
  std::optional<std::pair<std::string, NodeDecision>> node_refusal_;
  mutable bool failed_ = false;
};

}  // namespace

std::unique_ptr<Session> MakeH2Router(
    StreamTransport& transport, std::string peer, const ConnectionContext& ctx,
    std::optional<PeerIdentity> identity,
    std::optional<std::pair<std::string, StreamRequest>> preset,
    std::shared_ptr<SessionObserver> preset_observer) {
  return std::make_unique<H2Router>(transport, std::move(peer), ctx, std::move(identity),
                                    std::move(preset), std::move(preset_observer));
}

}  // namespace airlock::streaming
