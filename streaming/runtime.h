// The seam between the streaming server and the runtime (DESIGN.md §1): the server turns a
// connection into streams and asks a Runtime — implemented by the shim with the exec engine
// — to start a process, attach to a container or dial a port. The server knows no containers;
// the runtime knows no protocols. Everything crosses as file descriptors, so the server's
// connection loop pumps bytes with poll(2) and never blocks on the runtime.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "shim/base/result.h"
#include "shim/base/unique_fd.h"
#include "streaming/request_cache.h"

namespace airlock::streaming {

// Terminal size as the remotecommand resize stream carries it ({"Width":..,"Height":..}).
struct TerminalSize {
  uint16_t width = 0;   // columns
  uint16_t height = 0;  // rows
  bool operator==(const TerminalSize&) const = default;
};

// A running process (exec) or an attached container, seen from the session.
class StreamProcess {
 public:
  virtual ~StreamProcess() = default;
  // Readable (POLLIN) once the process has ended. Attach sessions return -1: they end when
  // the container's output ends (stdout/stderr EOF).
  virtual int exit_fd() const = 0;
  // The exit status (0..255, 128+signal) once exit_fd() was readable; nullopt before, and
  // always for attach (attach reports no exit code, mission-anchors §3.4).
  virtual std::optional<int> ExitCode() = 0;
  // TIOCSWINSZ for tty sessions; ignored otherwise.
  virtual void Resize(TerminalSize size) = 0;
  // The client went away. tty: SIGHUP to the session (a shell exits as on a closed
  // terminal). Attach: nothing (detaching leaves the container running).
  virtual void Hangup() = 0;
  // The grace period after a disconnect is over: SIGKILL to the process group. Attach: nothing.
  virtual void Kill() = 0;
};

// The server's ends of the process's stdio, non-blocking. Invalid where the request did not
// ask for the stream. For a tty, `stdout` is the PTY master and `stdin` a dup of it (stderr
// is merged into the terminal).
struct ProcessStdio {
  UniqueFd stdin;   // we write
  UniqueFd stdout;  // we read
  UniqueFd stderr;  // we read
};

struct StartedProcess {
  ProcessStdio stdio;
  std::unique_ptr<StreamProcess> process;
};

class Runtime {
 public:
  virtual ~Runtime() = default;
  // Starts request.cmd in the container. `initial_size` is the client's first resize for tty
  // sessions (the process starts at that size; nullopt when the client sent none in time).
  // Errors (container gone, command setup failed) go to the client's error stream as an
  // InternalError status; a missing command is not an error (exit 127 from the process).
  virtual Result<StartedProcess> Exec(const ExecRequest& request,
                                      std::optional<TerminalSize> initial_size) = 0;
  // Connects to the container's own stdio (what its ContainerConfig stdin/tty asked for).
  virtual Result<StartedProcess> Attach(const AttachRequest& request) = 0;
  // A connected, non-blocking stream socket to localhost:`port` inside the pod's network
  // namespace (IPv4 first, then IPv6).
  virtual Result<UniqueFd> DialPort(const std::string& pod_sandbox_id, uint16_t port) = 0;
};

}  // namespace airlock::streaming
