// ExecProtocol: the client side of one streaming exec connection (remotecommand over HTTP/2,
// WebSocket or SPDY), seen by the session loop that owns the socket and the local terminal.
// Like the server's codecs it is pure: bytes from the socket go in through Feed(), output
// for the user comes out through ExecProtocolEvents, bytes for the socket collect in
// PendingOutput(). One implementation per protocol (h2_exec_client.h, ws_exec_client.h,
// spdy_exec_client.h); exec_session.h drives any of them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shim/base/result.h"
#include "streaming/runtime.h"

namespace airlock::cli {

using streaming::TerminalSize;

// One resize message as every transport carries it: Go's TerminalSize has no JSON tags, so
// the keys are the field names, and client-go writes with json.Encoder (newline-terminated).
inline std::string ResizeMessage(TerminalSize size) {
  return "{\"Width\":" + std::to_string(size.width) + ",\"Height\":" +
         std::to_string(size.height) + "}\n";
}

// What the CRI Exec request asked for; the client opens exactly these streams.
struct ExecStreams {
  bool stdin = false;
  bool stdout = true;
  bool stderr = true;  // false with a tty: the terminal merges both outputs
  bool tty = false;    // adds the resize stream
};

// Where a connection goes: from the URL the CRI Exec call returned.
struct ExecTarget {
  std::string authority;        // "host:port" as the URL spelled it (Host / :authority)
  std::string path;             // "/exec/<token>", query included
  std::string scheme = "http";  // "https" through TLS (HTTP/2's :scheme)
  // Sent on every request of the exec, names in lowercase: `authorization: Bearer <token>`
  // for the node exec API (remote_exec.h).
  std::vector<std::pair<std::string, std::string>> headers;
};

class ExecProtocolEvents {
 public:
  virtual ~ExecProtocolEvents() = default;
  virtual void OnStdout(std::string_view bytes) = 0;
  virtual void OnStderr(std::string_view bytes) = 0;
};

class ExecProtocol {
 public:
  virtual ~ExecProtocol() = default;
  // Queues the opening bytes (HTTP/2 preface and the stream requests, or the HTTP/1.1
  // upgrade request).
  virtual Status Start() = 0;
  // Parses bytes read from the socket. An error means the connection is unusable; its
  // message says what the server did wrong.
  virtual Status Feed(std::string_view bytes, ExecProtocolEvents& events) = 0;
  // Every stream the request needs is open: stdin may flow. Before that the session does not
  // read local stdin, so nothing is typed into a session the server refused.
  virtual bool Ready() const = 0;
  virtual Status SendStdin(std::string_view bytes) = 0;
  // Local stdin hit EOF: half-close the stdin stream so the command sees EOF too.
  virtual Status CloseStdin() = 0;
  // One resize event (the first one is the initial size).
  virtual Status SendResize(TerminalSize size) = 0;
  // Stdin bytes accepted but not yet sendable (flow control); the session stops reading
  // local stdin while this is large, so a slow command slows the typist, not our memory.
  virtual size_t StdinBacklog() const = 0;
  virtual std::string_view PendingOutput() = 0;
  virtual void ConsumeOutput(size_t n) = 0;
  // The server ended stdout, stderr and the error stream: the session is over.
  virtual bool Finished() const = 0;
  // Everything the server wrote on the error stream (v4 status JSON; empty = success).
  virtual const std::string& StatusPayload() const = 0;
  // Protocol name for messages: "h2", "websocket", "spdy".
  virtual const char* name() const = 0;
};

}  // namespace airlock::cli
