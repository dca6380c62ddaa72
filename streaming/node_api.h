// NodeApi: the node's own exec endpoint (issue #6), next to the CRI token URLs:
//   /exec/<namespace>/<pod>/<container>?command=..&input=1&output=1&error=1&tty=1
//   /proxy/nodes/<node>/exec/<namespace>/<pod>/<container>?command=..
// The token URLs carry their authority in the token (the kubelet authorized its caller);
// these paths carry none, so every request is authenticated, authorized and audited by the
// shim's implementation of this interface. The streaming server only asks and obeys.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "streaming/http_request.h"
#include "streaming/request_cache.h"
#include "streaming/runtime.h"
#include "streaming/socket_io.h"

namespace airlock::streaming {

// What the server knows about a node-API request when it arrives.
struct NodeRequest {
  std::string method;
  std::string path;   // without the query
  std::string query;  // raw, after '?'
  const HttpHeaders* headers = nullptr;           // Authorization: Bearer <token>, ...
  std::optional<PeerIdentity> client_certificate;  // verified by the TLS layer (mTLS)
  std::string peer;       // "ip:port"
  std::string transport;  // "spdy", "websocket", "h2"
};

// How a session ended, for the audit line.
struct SessionReport {
  std::optional<int> exit_code;
  std::string error;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::chrono::milliseconds duration{0};
  std::string end_reason;
};

// Sees a running node-API session: output for tty recordings, sizes, and the end.
class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  virtual void OnStart(std::optional<TerminalSize> size) { (void)size; }
  virtual void OnOutput(std::string_view bytes) { (void)bytes; }
  virtual void OnInput(std::string_view bytes) { (void)bytes; }
  virtual void OnResize(TerminalSize size) { (void)size; }
  // Exactly once, also when the session never started.
  virtual void OnEnd(const SessionReport& report) = 0;
};

struct NodeDecision {
  // 0 = allowed; else the HTTP status to answer (400, 401, 403, 404) with `message` as body.
  int http_status = 0;
  std::string message;
  StreamRequest request;  // allowed: what to run (an ExecRequest)
  std::shared_ptr<SessionObserver> observer;  // allowed: audit/recording (may be null)
  bool allowed() const { return http_status == 0; }
};

class NodeApi {
 public:
  virtual ~NodeApi() = default;
  // True for paths of the node API shape (so that anything else is a plain 404).
  virtual bool Handles(std::string_view path) const = 0;
  // Authenticates, authorizes and resolves the request; a refusal is audited here.
  virtual NodeDecision Authorize(const NodeRequest& request) = 0;
};

}  // namespace airlock::streaming
