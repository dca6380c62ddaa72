// Session: what runs on an upgraded connection — a remotecommand (exec/attach) or a
// port-forward — written once against StreamTransport. The connection owns the socket and
// the poll loop; a session adds the descriptors it needs to each poll round, handles their
// readiness and its timers, and says when it is finished. Single-threaded: every call comes
// from the connection's thread.
#pragma once

#include <sys/poll.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shim/base/clock.h"
#include "streaming/stream_transport.h"

namespace airlock::streaming {

struct PollRequest {
  int fd = -1;
  short events = 0;
  uint32_t tag = 0;  // handed back to OnPoll
};

class Session : public StreamEvents {
 public:
  ~Session() override = default;

  // Descriptors for the next poll round (the socket is the connection's).
  virtual void AddPollRequests(std::vector<PollRequest>& out) = 0;
  virtual void OnPoll(uint32_t tag, short revents) = 0;
  // The earliest moment OnTimer must run; nullopt when no timer is armed.
  virtual std::optional<Clock::TimePoint> NextDeadline() const = 0;
  virtual void OnTimer(Clock::TimePoint now) = 0;
  // False while the session cannot take more client input (e.g. the process's stdin is not
  // keeping up): the connection then stops reading the socket, which slows the client.
  virtual bool WantsInput() const { return true; }
  // The transport may have moved queued bytes towards the socket (the client read, or
  // granted HTTP/2 window). A session waiting for a stream's backlog looks again. Pure, so
  // that a session wrapping another cannot forget to pass it on.
  virtual void OnTransportProgress() = 0;
  // The client is gone (socket closed or broken, protocol error, idle timeout).
  virtual void OnPeerGone(const std::string& reason) = 0;
  // The daemon is stopping: end now (processes are killed).
  virtual void OnShutdown() = 0;
  // Nothing more will be written: the connection flushes, closes gracefully and ends.
  virtual bool Finished() const = 0;
  // One structured log line about the whole session, written when it ends.
  virtual std::string Summary() const = 0;
};

}  // namespace airlock::streaming
