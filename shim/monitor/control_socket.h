// <state-dir>/ctl: a path-based unix stream socket (mode 0600) carrying line commands
// ("reopen", "resize H W"). One reply line per command: "ok" or "error <text>".
// The connection stays open for more commands; a later "attach" will take a connection over
// for output fan-out and stdin, which is why a connection is an object of its own.
#pragma once

#include <poll.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "shim/base/unique_fd.h"

namespace airlock::monitor {

class ControlSocket {
 public:
  // Returns the reply line without '\n'.
  using Handler = std::function<std::string(std::string_view command)>;

  // Binds and listens; false with *error on failure.
  bool Listen(const std::string& path, std::string* error);
  // Unlinks the socket path so that clients see the monitor is gone.
  void Close();

  // The loop asks for the descriptors to poll, then hands back the same array with revents.
  void AppendPollFds(std::vector<struct pollfd>* fds) const;
  void HandlePollFds(const struct pollfd* fds, size_t count, const Handler& handler);

 private:
  struct Connection {
    UniqueFd fd;
    std::string buffer;
  };
  // Guards a single-threaded monitor against a flood of idle clients.
  static constexpr size_t kMaxConnections = 16;
  static constexpr size_t kMaxLine = 4096;

  void Accept();
  // False when the connection is done (EOF, error, or overlong line).
  bool Serve(Connection* c, const Handler& handler);

  std::string path_;
  UniqueFd listen_;
  std::vector<Connection> connections_;
};

}  // namespace airlock::monitor
