#include "streaming/session_factory.h"

#include <utility>

#include "streaming/port_forward_session.h"
#include "streaming/remote_command_session.h"

namespace airlock::streaming {
namespace {

SessionTimeouts TimeoutsFrom(const StreamServerOptions& o) {
  SessionTimeouts t;
  t.stream_creation = o.stream_creation_timeout;
  t.initial_resize_wait = o.initial_resize_wait;
  t.drain = o.drain_timeout;
  t.disconnect_grace = o.disconnect_grace;
  return t;
}

}  // namespace

std::optional<Route> ParseRoute(std::string_view path) {
  for (RequestKind kind : {RequestKind::kExec, RequestKind::kAttach, RequestKind::kPortForward}) {
    std::string prefix = std::string("/") + KindPath(kind) + "/";
    if (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix) {
      std::string_view token = path.substr(prefix.size());
      if (token.find('/') != std::string_view::npos) return std::nullopt;
      return Route{kind, std::string(token)};
    }
  }
  return std::nullopt;
}

std::string PathOnly(std::string_view target) {
  return std::string(target.substr(0, target.find('?')));
}

std::unique_ptr<Session> MakeSession(StreamRequest request, StreamTransport& transport,
                                     int version, bool resize_stream, const std::string& peer,
                                     const ConnectionContext& ctx,
                                     std::shared_ptr<SessionObserver> observer) {
  if (auto* pf = std::get_if<PortForwardRequest>(&request)) {
    PortForwardSession::Params params;
    params.request = std::move(*pf);
    params.transport_name = transport.name();
    params.peer = peer;
    params.pair_creation_timeout = ctx.options->stream_creation_timeout;
    return std::make_unique<PortForwardSession>(transport, *ctx.runtime, *ctx.clock,
                                                std::move(params));
  }
  RemoteCommandSession::Params params;
  params.request = std::move(request);
  params.protocol_version = version;
  params.resize_stream = resize_stream;
  params.transport_name = transport.name();
  params.peer = peer;
  params.timeouts = TimeoutsFrom(*ctx.options);
  params.observer = std::move(observer);
  return std::make_unique<RemoteCommandSession>(transport, *ctx.runtime, *ctx.clock,
                                                std::move(params));
}

}  // namespace airlock::streaming
