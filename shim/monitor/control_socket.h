// <state-dir>/ctl: a path-based unix stream socket (mode 0600) carrying line commands
// ("reopen", "resize H W", "attach ..."). One reply line per command: "ok ..." or
// "error <text>"; a reply may carry descriptors (SCM_RIGHTS on the reply's bytes).
// The connection stays open for more commands. An attached client keeps its connection open
// for as long as it stays attached, so a connection has an id and its end is reported.
#pragma once

#include <poll.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "shim/base/unique_fd.h"

namespace airlock::monitor {

struct ControlReply {
  std::string line;           // without '\n'
  std::vector<UniqueFd> fds;  // sent with the line; closed here once sent (or not)
};

class ControlSocket {
 public:
  struct Handlers {
    // One command line (without '\n') of connection `id`.
    std::function<ControlReply(uint64_t id, std::string_view command)> command;
    // Connection `id` is gone (EOF, error, overlong line, failed reply, or Close()).
    std::function<void(uint64_t id)> closed;
  };

  // Guards a single-threaded monitor against a flood of idle clients; attached clients count.
  static constexpr size_t kMaxConnections = 16;
  static constexpr size_t kMaxLine = 4096;
  static constexpr size_t kMaxReplyFds = 4;

  // Binds and listens; false with *error on failure.
  bool Listen(const std::string& path, std::string* error);
  // Unlinks the socket path so that clients see the monitor is gone, and drops every
  // connection (without calling `closed`: the monitor is ending).
  void Close();

  // The loop asks for the descriptors to poll, then hands back the same array with revents.
  void AppendPollFds(std::vector<struct pollfd>* fds) const;
  void HandlePollFds(const struct pollfd* fds, size_t count, const Handlers& handlers);

 private:
  struct Connection {
    uint64_t id;
    UniqueFd fd;
    std::string buffer;
  };

  void Accept();
  // False when the connection is done (EOF, error, overlong line, or a reply not sent).
  bool Serve(Connection* c, const Handlers& handlers);

  std::string path_;
  UniqueFd listen_;
  std::vector<Connection> connections_;
  uint64_t next_id_ = 1;
};

// Sends `reply.line` + '\n' with its descriptors in one sendmsg (non-blocking). False when not
// all of it went out; the caller then drops the connection.
bool SendReply(int fd, const ControlReply& reply);

}  // namespace airlock::monitor
