// RunStreamingExec: one interactive exec over the URL a CRI Exec call returned — dial,
// pick the protocol client (HTTP/2 by default), put the local terminal in raw mode for a
// tty session, turn signals into session events, run the session, restore the terminal.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cli/exec_protocol.h"
#include "cli/exec_session.h"
#include "cli/tls_dial.h"
#include "shim/base/result.h"

namespace airlock::cli {

enum class ExecTransport { kH2, kWebSocket, kSpdy };

// "h2" | "http2", "websocket" | "ws", "spdy".
Result<ExecTransport> ParseExecTransport(const std::string& name);

struct StreamExecOptions {
  std::string url;
  ExecTransport transport = ExecTransport::kH2;
  ExecStreams streams;
  // https URLs: how to verify the server and which client certificate to present (the
  // ALPN offer follows the transport).
  TlsDialOptions tls;
  // Extra headers on every request (ExecTarget::headers).
  std::vector<std::pair<std::string, std::string>> headers;
};

// `io.tty_fd` (tty sessions) is the terminal the window size is read from; when it is also
// `io.stdin_fd`, that terminal is raw for the session's duration and restored on every
// return path, including SIGINT/SIGTERM/SIGHUP (returned as ExecOutcome::local_signal).
Result<ExecOutcome> RunStreamingExec(const StreamExecOptions& options, const ExecSessionIo& io);

}  // namespace airlock::cli
