// RunExecSession: the client's event loop for one streaming exec. It owns nothing but the
// socket: poll(2) over the socket, local stdin (once the protocol is ready) and the signal
// pipe; bytes from the socket go through the protocol to local stdout/stderr, local stdin
// and window-size changes go the other way. Returns when the protocol has seen the end of
// every output stream and the status, when the connection breaks, or when a terminating
// signal arrives — always through the caller's scope, which restores the terminal.
#pragma once

#include <unistd.h>

#include <csignal>

#include "cli/exec_protocol.h"
#include "cli/signal_pipe.h"
#include "shim/base/result.h"
#include "shim/base/unique_fd.h"

namespace airlock::cli {

struct ExecSessionIo {
  int stdin_fd = -1;  // -1: the session sends no stdin
  int stdout_fd = STDOUT_FILENO;
  int stderr_fd = STDERR_FILENO;
  int tty_fd = -1;  // tty sessions: the terminal whose size SIGWINCH re-reads
};

struct ExecOutcome {
  int exit_code = 0;     // the remote command's (0..255)
  int local_signal = 0;  // non-zero: SIGINT/SIGTERM/SIGHUP ended the session here
};

// `signals` (may be null) delivers SIGWINCH (resize) and SIGINT/SIGTERM/SIGHUP (end).
// Errors: the connection broke or the server broke the protocol (transport), or the server
// reported a failure other than a non-zero exit code (its message).
Result<ExecOutcome> RunExecSession(UniqueFd socket, ExecProtocol& protocol, const ExecSessionIo& io,
                                   SignalPipe* signals);

}  // namespace airlock::cli
