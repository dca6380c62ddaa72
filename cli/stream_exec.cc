#include "cli/stream_exec.h"

#include <csignal>
#include <memory>
#include <optional>

#include "cli/h2_exec_client.h"
#include "cli/signal_pipe.h"
#include "cli/spdy_exec_client.h"
#include "cli/stream_url.h"
#include "cli/terminal.h"
#include "cli/ws_exec_client.h"

namespace airlock::cli {
namespace {

Result<std::unique_ptr<ExecProtocol>> MakeProtocol(ExecTransport transport, ExecTarget target,
                                                   const ExecStreams& streams,
                                                   std::optional<TerminalSize> initial_size) {
  switch (transport) {
    case ExecTransport::kH2: {
      auto client = H2ExecClient::Create(std::move(target), streams, initial_size);
      if (!client.ok()) return client.error();
      return std::unique_ptr<ExecProtocol>(std::move(*client));
    }
    case ExecTransport::kWebSocket: {
      auto client = WsExecClient::Create(std::move(target), streams, initial_size);
      if (!client.ok()) return client.error();
      return std::unique_ptr<ExecProtocol>(std::move(*client));
    }
    case ExecTransport::kSpdy: {
      auto client = SpdyExecClient::Create(std::move(target), streams, initial_size);
      if (!client.ok()) return client.error();
      return std::unique_ptr<ExecProtocol>(std::move(*client));
    }
  }
  return MakeError(ErrorCode::kInvalidArgument, "unknown exec transport");
}

// SIGPIPE would kill the client without restoring the terminal; a closed stdout shows up
// as EPIPE from write instead. Restores the previous disposition on scope exit.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction sa {};
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, &previous_);
  }
  ~IgnoreSigpipe() { sigaction(SIGPIPE, &previous_, nullptr); }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

 private:
  struct sigaction previous_ {};
};

}  // namespace

Result<ExecTransport> ParseExecTransport(const std::string& name) {
  if (name == "h2" || name == "http2") return ExecTransport::kH2;
  if (name == "websocket" || name == "ws") return ExecTransport::kWebSocket;
  if (name == "spdy") return ExecTransport::kSpdy;
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown transport \"" + name + "\" (h2, spdy, websocket)");
}

Result<ExecOutcome> RunStreamingExec(const StreamExecOptions& options, const ExecSessionIo& io) {
  auto url = ParseStreamUrl(options.url);
  if (!url.ok()) return url.error();
  std::optional<TerminalSize> initial_size;
  if (options.streams.tty && io.tty_fd >= 0) {
    if (auto size = GetTerminalSize(io.tty_fd); size.ok() && size->width > 0 && size->height > 0)
      initial_size = *size;
  }
  auto protocol = MakeProtocol(options.transport,
                               ExecTarget{url->authority, url->path, url->scheme, options.headers},
                               options.streams, initial_size);
  if (!protocol.ok()) return protocol.error();
  TlsDialOptions tls = options.tls;
  // HTTP/2 over TLS is chosen by ALPN; the upgrade-based transports need HTTP/1.1.
  tls.alpn = {options.transport == ExecTransport::kH2 ? "h2" : "http/1.1"};
  // Outlives the session below: for https it holds the TLS relay.
  auto connection = ConnectStreamUrl(*url, tls);
  if (!connection.ok()) return connection.error();

  // Handlers before raw mode: from here on a signal ends the session through its return
  // path instead of killing the process with the terminal raw.
  IgnoreSigpipe no_sigpipe;
  auto signals = SignalPipe::Install({SIGWINCH, SIGINT, SIGTERM, SIGHUP});
  if (!signals.ok()) return signals.error();
  std::optional<RawTerminal> raw;
  if (options.streams.tty && io.tty_fd >= 0 && io.tty_fd == io.stdin_fd) {
    auto entered = RawTerminal::Enter(io.tty_fd);
    if (!entered.ok()) return entered.error();
    raw.emplace(std::move(*entered));
  }
  auto outcome = RunExecSession(std::move(connection->fd), **protocol, io, signals->get());
  if (!outcome.ok() && connection->tls && !connection->tls->failure().empty()) {
    Error e = outcome.error();
    e.message += " (TLS: " + connection->tls->failure() + ")";
    return e;
  }
  return outcome;
  // `raw` restores the terminal, then `signals` the handlers, as they go out of scope.
}

}  // namespace airlock::cli
