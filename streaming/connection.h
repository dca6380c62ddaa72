// Connection: one accepted streaming connection from its first byte to its close. Reads and
// routes the HTTP/1.1 request head (/exec|/attach|/portforward/<token>), answers the upgrade,
// builds the transport for the negotiated protocol and the session for the token's request,
// then runs the poll loop that moves bytes between the socket, the transport and the
// session's descriptors. Runs on the connection's own thread.
#pragma once

#include <atomic>
#include <string>

#include "shim/base/clock.h"
#include "shim/base/unique_fd.h"
#include "streaming/node_api.h"
#include "streaming/request_cache.h"
#include "streaming/runtime.h"
#include "streaming/socket_io.h"
#include "streaming/stream_server.h"

namespace airlock::streaming {

struct ConnectionContext {
  Runtime* runtime = nullptr;
  RequestCache* cache = nullptr;
  const Clock* clock = nullptr;
  const StreamServerOptions* options = nullptr;
  // Readable once the server is stopping (an eventfd written once, never drained).
  int stop_fd = -1;
  // Set when the server speaks TLS: every connection starts with the handshake.
  TlsContext* tls = nullptr;
  // The node exec API (/exec/<ns>/<pod>/<container>); nullptr when it is off.
  NodeApi* node_api = nullptr;
};

// Serves the connection until it is done; the socket is closed on return.
void ServeConnection(UniqueFd socket, std::string peer, const ConnectionContext& context);

// The protocol version a negotiated remotecommand protocol name stands for:
// "v4.channel.k8s.io" → 4, "channel.k8s.io" or "" → 1.
int RemoteCommandVersion(std::string_view protocol);

}  // namespace airlock::streaming
