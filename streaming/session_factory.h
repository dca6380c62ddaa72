// What a streaming connection runs once its protocol is known: the token routes
// (/exec|/attach|/portforward/<token>) and the session a request becomes (remotecommand or
// port-forward), shared by the HTTP/1.1 upgrade path and the HTTP/2 router.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "streaming/connection.h"
#include "streaming/node_api.h"
#include "streaming/request_cache.h"
#include "streaming/session.h"
#include "streaming/stream_transport.h"

namespace airlock::streaming {

struct Route {
  RequestKind kind;
  std::string token;
};

// "/exec/<token>" and friends. The token is one path segment.
std::optional<Route> ParseRoute(std::string_view path);

// The request target without its query.
std::string PathOnly(std::string_view target);

// The session for a consumed request on `transport`. `version`: the negotiated
// remotecommand protocol version (4 for HTTP/2); `resize_stream`: whether a resize stream
// exists in that version.
std::unique_ptr<Session> MakeSession(StreamRequest request, StreamTransport& transport,
                                     int version, bool resize_stream, const std::string& peer,
                                     const ConnectionContext& ctx,
                                     std::shared_ptr<SessionObserver> observer = nullptr);

}  // namespace airlock::streaming
