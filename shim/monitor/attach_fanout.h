// AttachFanout: copies the container's output to attached clients (CRI Attach) next to the
// CRI log. Each client gets one stream socket per output stream it asked for; the monitor
// keeps one end and sends, the client reads the other (received over the control socket).
//
// The container and the log must never wait for a client: sends are non-blocking, what the
// socket does not take waits in a per-client buffer, and a client whose buffer would exceed
// kMaxPendingBytes is dropped (its sockets closed, so it reads EOF) and logged. When an output
// stream ends, each client's socket for it is closed once its buffer is flushed, so clients
// read the whole tail and then EOF.
#pragma once

#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shim/base/unique_fd.h"
#include "shim/monitor/cri_log.h"

namespace airlock::monitor {

class AttachFanout {
 public:
  // Beyond the kernel's socket buffer (about 200 KiB by default), per client.
  static constexpr size_t kMaxPendingBytes = 256 * 1024;
  // Both output streams count; a terminal has only stdout.
  static constexpr size_t kStreams = 2;

  explicit AttachFanout(size_t max_pending_bytes = kMaxPendingBytes)
      : max_pending_(max_pending_bytes) {}

  // Registers client `id` and returns the client's ends (invalid where not wanted). A stream
  // that has ended already yields a socket that reads EOF at once. False with *error when a
  // socket pair cannot be made.
  bool Add(uint64_t id, bool want_stdout, bool want_stderr, UniqueFd* client_stdout,
           UniqueFd* client_stderr, std::string* error);
  bool Has(uint64_t id) const;
  // The client detached: its sockets close at once, unsent bytes are discarded.
  void Remove(uint64_t id);

  void Broadcast(LogStream stream, std::string_view data);
  void EndStream(LogStream stream);

  // Sockets with unsent bytes are polled for POLLOUT, the others for hangup only.
  void AppendPollFds(std::vector<struct pollfd>* fds) const;
  void HandlePollFds(const struct pollfd* fds, size_t count);

  // The monitor is about to exit: give clients up to timeout_ms to take their pending bytes.
  void Flush(int timeout_ms);

  size_t clients() const { return clients_.size(); }
  // Bytes accepted for `id` but not yet taken by its socket; 0 for an unknown id.
  size_t pending_bytes(uint64_t id) const;

 private:
  struct Sink {
    UniqueFd fd;
    std::string pending;
    bool closing = false;  // the stream ended: close once `pending` is sent
  };
  struct Client {
    uint64_t id = 0;
    Sink sinks[kStreams];
  };

  static size_t Index(LogStream stream) { return stream == LogStream::kStdout ? 0 : 1; }
  // Sends what the socket takes; false when the client is gone (the sink is closed then).
  static bool SendPending(Sink* sink);
  void Drop(Client* client, const char* why);

  size_t max_pending_;
  bool ended_[kStreams] = {false, false};
  std::vector<Client> clients_;
};

}  // namespace airlock::monitor
