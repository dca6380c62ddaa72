// StreamServer: the streaming server's TCP listener (DESIGN.md §1). Accepts connections on
// its own port, reads one HTTP/1.1 request head per connection, routes
// /exec|/attach|/portforward/<token> through the RequestCache, upgrades to SPDY/3.1 or
// WebSocket and runs the session against the Runtime. One thread per connection (small
// stack); the accept loop and every session stop on Stop().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "shim/base/clock.h"
#include "shim/base/result.h"
#include "streaming/node_api.h"
#include "streaming/request_cache.h"
#include "streaming/runtime.h"
#include "streaming/socket_io.h"

namespace airlock::streaming {

struct StreamServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0 = any free port
  // Streams of an exec/attach not all created by then: the session ends (no process ran).
  std::chrono::milliseconds stream_creation_timeout{30'000};
  // No byte in either direction for this long: the session ends as on a disconnect.
  std::chrono::milliseconds idle_timeout{4 * 3600 * 1000};
  // tty + resize stream: how long to wait for the client's first size before starting.
  std::chrono::milliseconds initial_resize_wait{1000};
  // After the process exited: how long to keep reading output a background child holds open.
  std::chrono::milliseconds drain_timeout{2000};
  // After a client disconnect: SIGHUP (tty) / stdin EOF, then SIGKILL after this long.
  std::chrono::milliseconds disconnect_grace{5000};
  // After the last byte was sent: how long to wait for the peer to close before we do.
  std::chrono::milliseconds close_linger{5000};
  // Request head limit and how long a client may take to send it.
  size_t max_request_head_bytes = 64 * 1024;
  std::chrono::milliseconds request_head_timeout{30'000};
  size_t max_connections = 4096;
  // TLS on the streaming port (URLs become https://); nullopt = plain HTTP.
  std::optional<TlsOptions> tls;
};

class StreamServer {
 public:
  // Binds and listens (not yet accepting). `runtime`, `cache` and `clock` outlive the server.
  static Result<std::unique_ptr<StreamServer>> Create(StreamServerOptions options,
                                                      Runtime* runtime, RequestCache* cache,
                                                      const Clock* clock);
  ~StreamServer();  // Stop()

  // Serves the node exec API next to the token URLs (call before Start; not owned).
  void SetNodeApi(NodeApi* node_api);
  // Starts the accept thread.
  Status Start();
  // Stops accepting, ends every session (processes get the disconnect treatment) and joins
  // all threads.
  void Stop();

  // "http://127.0.0.1:<bound port>/" (https with TLS) — the base for BuildStreamUrl.
  std::string base_url() const;
  uint16_t port() const;
  size_t active_connections() const;
  // PEM of the certificate the server presents ("" without TLS).
  std::string certificate_pem() const;

  struct Impl;

 private:
  explicit StreamServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace airlock::streaming
