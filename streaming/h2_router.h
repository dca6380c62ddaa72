// HTTP/2 carries the token on every stream (each is a request to the same path): the
// router is the session of an h2 connection until its first stream names a route, then it
// hands every event to the session that route made.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "streaming/connection.h"
#include "streaming/node_api.h"
#include "streaming/request_cache.h"
#include "streaming/session.h"
#include "streaming/socket_io.h"
#include "streaming/stream_transport.h"

namespace airlock::streaming {

// `preset`: the request of an h2c upgrade, whose token the HTTP/1.1 head already used (with
// the node-API observer that authorized it, if any).
std::unique_ptr<Session> MakeH2Router(
    StreamTransport& transport, std::string peer, const ConnectionContext& ctx,
    std::optional<PeerIdentity> identity,
    std::optional<std::pair<std::string, StreamRequest>> preset = std::nullopt,
    std::shared_ptr<SessionObserver> preset_observer = nullptr);

}  // namespace airlock::streaming
