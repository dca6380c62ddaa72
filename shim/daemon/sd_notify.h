// SdNotifier: airlockd's side of the service manager notification protocol (sd_notify(3)),
// written against the documented wire format so airlockd needs no libsystemd: one datagram
// of newline-separated KEY=VALUE lines to the unix socket named by $NOTIFY_SOCKET.
#pragma once

#include <string>
#include <string_view>

#include "shim/base/result.h"

namespace airlock {

class SdNotifier {
 public:
  // Takes $NOTIFY_SOCKET and removes it from the environment. Every child airlockd spawns
  // inherits the environment, and runc reads NOTIFY_SOCKET as a request to wait in
  // `runc start` until the container itself reports READY=1 — a container that never does
  // would hang the start. Call it while the process is still single-threaded.
  static SdNotifier FromEnvironment();

  // `socket` is a filesystem path, or an abstract name written with a leading '@'.
  // Empty means "not started by a service manager": Notify does nothing.
  explicit SdNotifier(std::string socket) : socket_(std::move(socket)) {}

  bool enabled() const { return !socket_.empty(); }
  const std::string& socket() const { return socket_; }

  // Sends `state` (e.g. "READY=1" or "STOPPING=1") as one datagram.
  Status Notify(std::string_view state) const;

 private:
  std::string socket_;
};

}  // namespace airlock
