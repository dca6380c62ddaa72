#include "streaming/connection.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>

#include "streaming/h2_router.h"
#include "streaming/h2_transport.h"
#include "streaming/http_request.h"
#include "streaming/node_api.h"
#include "streaming/session_factory.h"
#include "streaming/socket_io.h"
#include "streaming/spdy_transport.h"
#include "streaming/upgrade.h"
#include "streaming/websocket_channel.h"
#include "streaming/websocket_transport.h"

namespace airlock::streaming {
namespace {

using std::chrono::milliseconds;

constexpr size_t kReadChunk = 64 * 1024;
// After the session ended, how long the client may take without reading anything more.
constexpr std::chrono::seconds kFinishedNoProgress{60};
constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// ---- blocking helpers for the request head and the upgrade answer (before the loop) ----

// Waits for `events` on fd until the deadline or the server stops. False on timeout/stop.
bool WaitFor(int fd, short events, int stop_fd, const Clock& clock, Clock::TimePoint deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - clock.Now()).count();
    if (left <= 0) return false;
    pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    int n = ::poll(fds, 2, int(std::min<int64_t>(left, 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents) return false;
    if (fds[0].revents) return true;
  }
}

// Writes all of `bytes` (used for the short upgrade/error answers). False when the peer is
// gone or too slow to take a few hundred bytes within the head timeout.
bool WriteAll(int fd, SocketIo& io, std::string_view bytes, const ConnectionContext& ctx) {
  const auto deadline = ctx.clock->Now() + ctx.options->request_head_timeout;
  while (!bytes.empty()) {
    ssize_t n = io.Send(bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && WaitFor(fd, POLLOUT, ctx.stop_fd, *ctx.clock, deadline)) {
      continue;
    }
    return false;
  }
  return true;
}


// ---- the session on an upgraded connection ----

struct Upgraded {
  std::unique_ptr<StreamTransport> transport;
  std::unique_ptr<Session> session;
};



H2Options MakeH2Options(const ConnectionContext& ctx) {
  H2Options options;
  options.clock = ctx.clock;
  return options;
}

// Answers the request head: either a transport + session to run, or nothing (an error
// response was written, or the peer is gone) and the connection closes.
std::optional<Upgraded> Upgrade(int fd, SocketIo& io, const HttpRequest& request,
                                const std::string& peer, const ConnectionContext& ctx) {
  std::shared_ptr<SessionObserver> observer;
  auto reply = [&](const std::string& response) {
    WriteAll(fd, io, response, ctx);
    if (observer) {  // an authorized node-API request whose upgrade failed: audit it
      SessionReport report;
      report.error = "upgrade refused";
      report.end_reason = "upgrade refused";
      observer->OnEnd(report);
    }
    return std::nullopt;
  };
  if (request.method != "GET" && request.method != "POST") return reply(MethodNotAllowedResponse());
  const UpgradeKind upgrade = ClassifyUpgrade(request);
  std::optional<Route> route = ParseRoute(request.path);
  StreamRequest stream_request;
  RequestKind kind = RequestKind::kExec;
  if (route) {
    auto consumed = ctx.cache->Consume(route->kind, route->token);
    if (!consumed.ok()) {
      spdlog::info("streaming: {} {} from {}: {}", request.method, request.path, peer,
                   consumed.error().message);
      return reply(NotFoundResponse());
    }
    stream_request = std::move(*consumed);
    kind = route->kind;
  } else if (ctx.node_api && ctx.node_api->Handles(request.path)) {
    NodeRequest node;
    node.method = request.method;
    node.path = request.path;
    node.query = request.query;
    node.headers = &request.headers;
    node.client_certificate = io.peer_identity();
    node.peer = peer;
    node.transport = upgrade == UpgradeKind::kWebSocket ? "websocket"
                     : upgrade == UpgradeKind::kH2c     ? "h2"
                                                        : "spdy";
    NodeDecision decision = ctx.node_api->Authorize(node);
    if (!decision.allowed()) {
      std::vector<std::pair<std::string, std::string>> extra;
      if (decision.http_status == 401) extra.emplace_back("WWW-Authenticate", "Bearer");
      return reply(ErrorResponse(decision.http_status, decision.message, extra));
    }
    stream_request = std::move(decision.request);
    observer = std::move(decision.observer);
  } else {
    return reply(NotFoundResponse());
  }
  const StreamService service = kind == RequestKind::kPortForward ? StreamService::kPortForward
                                                                  : StreamService::kRemoteCommand;
  Upgraded out;
  int version = 4;
  bool resize_stream = true;
  switch (upgrade) {
    case UpgradeKind::kH2c: {
      auto settings = DecodeHttp2Settings(request);
      if (!settings) return reply(BadRequestResponse("invalid HTTP2-Settings header"));
      auto transport = H2Transport::CreateUpgraded(MakeH2Options(ctx), *settings, request);
      if (!transport.ok()) return reply(ErrorResponse(500, transport.error().message));
      if (!WriteAll(fd, io, H2cSwitchingProtocolsResponse(), ctx)) return std::nullopt;
      out.transport = std::move(*transport);
      break;
    }
    case UpgradeKind::kWebSocket: {
      UpgradeAnswer answer = AnswerWebSocketUpgrade(request, service);
      if (!answer.accepted()) return reply(answer.response);
      auto protocol = ChannelProtocol::FromSubprotocol(answer.protocol);
      if (!protocol) return reply(ErrorResponse(403, "unsupported WebSocket subprotocol"));
      Result<std::unique_ptr<WebSocketTransport>> transport =
          MakeError(ErrorCode::kInternal, "unset");
      if (auto* pf = std::get_if<PortForwardRequest>(&stream_request)) {
        std::vector<uint16_t> ports;
        for (int32_t p : pf->ports) {
          if (p < 1 || p > 65535) return reply(BadRequestResponse("invalid port " + std::to_string(p)));
          ports.push_back(uint16_t(p));
        }
        if (ports.empty()) return reply(BadRequestResponse("port-forward over WebSocket needs ports in the request"));
        transport = WebSocketTransport::CreatePortForward(*protocol, std::move(ports));
      } else {
        bool in, o, e, tty;
        if (auto* ex = std::get_if<ExecRequest>(&stream_request)) {
          in = ex->stdin, o = ex->stdout, e = ex->stderr && !ex->tty, tty = ex->tty;
        } else {
          auto& at = std::get<AttachRequest>(stream_request);
          in = at.stdin, o = at.stdout, e = at.stderr && !at.tty, tty = at.tty;
        }
        transport = WebSocketTransport::CreateRemoteCommand(*protocol, in, o, e, tty);
      }
      if (!transport.ok()) return reply(ErrorResponse(500, transport.error().message));
      if (!WriteAll(fd, io, answer.response, ctx)) return std::nullopt;
      out.transport = std::move(*transport);
      version = protocol->version;
      resize_stream = true;
      break;
    }
    case UpgradeKind::kSpdy:
    case UpgradeKind::kPlain: {
      // A request without a known upgrade gets the SPDY path's 400 texts, as upstream.
      UpgradeAnswer answer = AnswerSpdyUpgrade(request, service);
      if (!answer.accepted()) return reply(answer.response);
      auto transport = SpdyTransport::Create();
      if (!transport.ok()) return reply(ErrorResponse(500, transport.error().message));
      if (!WriteAll(fd, io, answer.response, ctx)) return std::nullopt;
      out.transport = std::move(*transport);
      version = RemoteCommandVersion(answer.protocol);
      resize_stream = version >= 3;
      break;
    }
  }
  if (upgrade == UpgradeKind::kH2c) {
    // The upgrade request is stream 1 and names the same path; its token is used already.
    out.session = MakeH2Router(
        *out.transport, peer, ctx, io.peer_identity(),
        std::make_pair(request.path, std::move(stream_request)), std::move(observer));
  } else {
    out.session = MakeSession(std::move(stream_request), *out.transport, version, resize_stream,
                              peer, ctx, std::move(observer));
  }
  return out;
}

// ---- the loop ----

class Loop {
 public:
  Loop(int fd, SocketIo& io, Upgraded up, const ConnectionContext& ctx)
      : fd_(fd), io_(io), transport_(std::move(up.transport)), session_(std::move(up.session)),
        ctx_(ctx) {}

  void Run(std::string_view leftover) {
    last_activity_ = ctx_.clock->Now();
    if (Status s = transport_->Start(*session_); !s.ok()) {
      spdlog::warn("streaming: start {} transport: {}", transport_->name(), s.error().message);
      return;
    }
    if (!leftover.empty()) Feed(leftover);
    std::vector<PollRequest> requests;
    std::vector<pollfd> fds;
    char buf[kReadChunk];
    for (;;) {
      if (!broken_) Flush();
      if (!session_->Finished()) session_->OnTransportProgress();
      if (session_->Finished()) {
        if (broken_ || (transport_->PendingOutput().empty() && transport_->Drained())) break;
        // A client that stopped reading after the end cannot hold the connection forever.
        if (ctx_.clock->Now() - last_activity_ >= kFinishedNoProgress) {
          spdlog::info("streaming: client read nothing for {} s after the session ended; closing",
                       kFinishedNoProgress.count());
          break;
        }
      }
      requests.clear();
      session_->AddPollRequests(requests);
      fds.clear();
      short socket_events = 0;
      if (!broken_) {
        if (!read_closed_ && session_->WantsInput()) socket_events |= POLLIN;
        if (!transport_->PendingOutput().empty()) socket_events |= POLLOUT;
      }
      fds.push_back({socket_events ? fd_ : -1, socket_events, 0});
      fds.push_back({ctx_.stop_fd, POLLIN, 0});
      for (const auto& r : requests) fds.push_back({r.fd, r.events, 0});

      const auto now = ctx_.clock->Now();
      auto deadline = last_activity_ + ctx_.options->idle_timeout;
      if (session_->Finished()) deadline = std::min(deadline, last_activity_ + kFinishedNoProgress);
      if (auto d = session_->NextDeadline(); d && *d < deadline) deadline = *d;
      int64_t timeout_ms = std::chrono::duration_cast<milliseconds>(deadline - now).count() + 1;
      timeout_ms = std::clamp<int64_t>(timeout_ms, 0, 60'000);
      // TLS may hold decrypted bytes the socket will not signal again.
      const bool tls_pending = (socket_events & POLLIN) && io_.Pending() > 0;
      if (tls_pending) timeout_ms = 0;
      int n = ::poll(fds.data(), fds.size(), int(timeout_ms));
      if (n < 0 && errno != EINTR) {
        spdlog::error("streaming: poll: {}", strerror(errno));
        session_->OnShutdown();
        break;
      }
      if (fds[1].revents) {
        session_->OnShutdown();
        if (!broken_) Flush();
        break;
      }
      if ((n > 0 && fds[0].revents) || tls_pending) {
        const short re = short(fds[0].revents | (tls_pending ? POLLIN : 0));
        if (re & POLLOUT) Flush();
        if (re & POLLIN) {
          ssize_t got = io_.Recv(buf, sizeof buf);
          if (got > 0) {
            last_activity_ = ctx_.clock->Now();
            Feed(std::string_view(buf, size_t(got)));
          } else if (got == 0) {
            read_closed_ = true;
            session_->OnPeerGone("connection closed by the client");
          } else if (errno != EAGAIN && errno != EINTR) {
            Broken(std::string("read: ") + strerror(errno));
          }
        } else if (re & (POLLERR | POLLHUP | POLLNVAL)) {
          Broken("socket error");
        }
      }
      for (size_t i = 0; i < requests.size(); ++i) {
        if (fds[i + 2].revents) session_->OnPoll(requests[i].tag, fds[i + 2].revents);
      }
      const auto after = ctx_.clock->Now();
      if (auto d = session_->NextDeadline(); d && after >= *d) session_->OnTimer(after);
      if (!broken_ && after - last_activity_ >= ctx_.options->idle_timeout) {
        session_->OnPeerGone("idle timeout");
        Broken("idle timeout");
      }
    }
    if (!broken_) Linger();
  }

 private:
  void Feed(std::string_view bytes) {
    if (read_closed_) return;
    if (Status s = transport_->Feed(bytes, *session_); !s.ok()) {
      // The transport has queued its GOAWAY/close frame; the session treats the client as
      // gone. We stop reading: nothing after a protocol error is parsed.
      spdlog::warn("streaming: {} protocol error from the client: {}", transport_->name(),
                   s.error().message);
      read_closed_ = true;
      session_->OnPeerGone("protocol error: " + s.error().message);
    }
  }

  void Flush() {
    for (;;) {
      std::string_view out = transport_->PendingOutput();
      if (out.empty()) return;
      ssize_t n = io_.Send(out.data(), out.size());
      if (n > 0) {
        transport_->ConsumeOutput(size_t(n));
        last_activity_ = ctx_.clock->Now();
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      Broken(std::string("write: ") + strerror(errno));
      return;
    }
  }

  void Broken(const std::string& reason) {
    if (broken_) return;
    broken_ = true;
    read_closed_ = true;
    session_->OnPeerGone(reason);
  }

  // Everything is written: half-close and wait (bounded) for the client to close, so the
  // kernel does not reset a connection whose last bytes the client has not read yet (a
  // reset can discard them: mission-anchors §0.6).
  void Linger() {
    io_.ShutdownWrite();
    const auto deadline = ctx_.clock->Now() + ctx_.options->close_linger;
    char buf[4096];
    while (WaitFor(fd_, POLLIN, ctx_.stop_fd, *ctx_.clock, deadline)) {
      ssize_t n = io_.Recv(buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return;
    }
  }

  int fd_;
  SocketIo& io_;
  std::unique_ptr<StreamTransport> transport_;
  std::unique_ptr<Session> session_;
  const ConnectionContext& ctx_;
  Clock::TimePoint last_activity_;
  bool read_closed_ = false;
  bool broken_ = false;
};

}  // namespace

int RemoteCommandVersion(std::string_view protocol) {
  if (protocol.size() > 2 && protocol[0] == 'v') {
    int v = 0;
    auto [ptr, ec] = std::from_chars(protocol.data() + 1, protocol.data() + protocol.size(), v);
    if (ec == std::errc() && *ptr == '.') return v;
  }
  return 1;
}

void ServeConnection(UniqueFd socket, std::string peer, const ConnectionContext& ctx) {
  const int fd = socket.get();
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const auto head_deadline = ctx.clock->Now() + ctx.options->request_head_timeout;
  std::unique_ptr<SocketIo> io;
  if (ctx.tls) {
    auto accepted = ctx.tls->Accept(fd, *ctx.clock, head_deadline, ctx.stop_fd);
    if (!accepted.ok()) {
      spdlog::info("streaming: connection from {}: {}", peer, accepted.error().message);
      return;
    }
    io = std::move(*accepted);
  } else {
    io = PlainSocketIo(fd);
  }
  std::string buffered;
  HttpLimits limits;
  limits.max_head_bytes = ctx.options->max_request_head_bytes;
  HttpRequestParser parser(limits);
  char buf[16 * 1024];
  for (;;) {
    if (io->Pending() == 0 && !WaitFor(fd, POLLIN, ctx.stop_fd, *ctx.clock, head_deadline)) {
      if (!buffered.empty()) {
        WriteAll(fd, *io, ErrorResponse(408, "request head not complete in time"), ctx);
      }
      return;
    }
    ssize_t n = io->Recv(buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return;
    buffered.append(buf, size_t(n));
    // HTTP/2 with prior knowledge starts with the connection preface instead of a head.
    const size_t cmp = std::min(buffered.size(), kH2Preface.size());
    if (buffered.compare(0, cmp, kH2Preface.substr(0, cmp)) == 0) {
      if (buffered.size() < kH2Preface.size()) continue;
      auto transport = H2Transport::CreatePriorKnowledge(MakeH2Options(ctx));
      if (!transport.ok()) {
        spdlog::error("streaming: h2 session: {}", transport.error().message);
        return;
      }
      Upgraded up;
      up.transport = std::move(*transport);
      up.session = MakeH2Router(*up.transport, peer, ctx, io->peer_identity());
      Loop(fd, *io, std::move(up), ctx).Run(buffered);
      return;
    }
    auto outcome = parser.Parse(buffered);
    if (outcome.state == HttpRequestParser::State::kNeedMore) continue;
    if (outcome.state == HttpRequestParser::State::kError) {
      spdlog::info("streaming: bad request from {}: {}", peer, outcome.error.reason);
      WriteAll(fd, *io, ErrorResponse(outcome.error.status, outcome.error.reason), ctx);
      return;
    }
    const HttpRequest& request = outcome.request;
    std::optional<Upgraded> up = Upgrade(fd, *io, request, peer, ctx);
    if (!up) return;
    Loop(fd, *io, std::move(*up), ctx).Run(std::string_view(buffered).substr(request.head_bytes));
    return;
  }
}

}  // namespace airlock::streaming
