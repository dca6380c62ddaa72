// RemoteCommandSession: exec and attach on any StreamTransport (SPDY, WebSocket, HTTP/2).
//
// Stages (mission-anchors §3.2–§3.7, DESIGN.md "Session end", "Client disconnect"):
//   creating  — accept each stream as it arrives (streamtype header); unknown or duplicate
//               types are refused. Ends when the streams the CRI request needs all exist, or
//               after the creation timeout (nothing runs then).
//   sizing    — tty with a resize stream: wait (bounded) for the client's first size, so the
//               process starts at it and a first `stty size` is right (kubernetes #47990).
//   running   — pump stdin to the process and its stdout/stderr to the client. Output is
//               read only while the transport has room, so a slow client slows the process.
//   draining  — the process exited: read what is left until EOF or the drain deadline (a
//               background child may hold the pipes open).
//   done      — stdout and stderr ended, status on the error stream, the transport closing;
//               the connection flushes and closes gracefully after the peer has read it all.
// Client gone while running: tty → SIGHUP, non-tty → stdin EOF; SIGKILL to the process
// group after the grace period; attach just detaches.
#pragma once

#include <array>
#include <memory>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "shim/base/clock.h"
#include "streaming/node_api.h"
#include "streaming/remotecommand_status.h"
#include "streaming/request_cache.h"
#include "streaming/resize_decoder.h"
#include "streaming/runtime.h"
#include "streaming/session.h"
#include "streaming/stream_type.h"

namespace airlock::streaming {

struct SessionTimeouts {
  std::chrono::milliseconds stream_creation{30'000};
  std::chrono::milliseconds initial_resize_wait{1000};
  std::chrono::milliseconds drain{2000};
  std::chrono::milliseconds disconnect_grace{5000};
};

class RemoteCommandSession final : public Session {
 public:
  struct Params {
    StreamRequest request;  // ExecRequest or AttachRequest
    // Negotiated protocol version: 1 (channel.k8s.io / "") … 5. Status JSON from 4 on.
    int protocol_version = 4;
    // Whether the client opens a resize stream for tty sessions (SPDY from v3, WebSocket and
    // HTTP/2 always).
    bool resize_stream = true;
    std::string transport_name;  // for the log line
    std::string peer;            // client address, for the log line
    SessionTimeouts timeouts;
    // Node-API sessions: audit and recording (nullptr for CRI token sessions).
    std::shared_ptr<SessionObserver> observer;
  };
  RemoteCommandSession(StreamTransport& transport, Runtime& runtime, const Clock& clock,
                       Params params);
  ~RemoteCommandSession() override;

  // StreamEvents
  void OnStreamOpened(const OpenedStream& stream) override;
  void OnStreamData(StreamId id, std::string_view bytes) override;
  void OnStreamRemoteClosed(StreamId id) override;
  void OnStreamReset(StreamId id) override;
  void OnGoAway() override {}

  // Session
  void AddPollRequests(std::vector<PollRequest>& out) override;
  void OnPoll(uint32_t tag, short revents) override;
  std::optional<Clock::TimePoint> NextDeadline() const override;
  void OnTimer(Clock::TimePoint now) override;
  bool WantsInput() const override;
  void OnPeerGone(const std::string& reason) override;
  void OnShutdown() override;
  void OnTransportProgress() override;
  bool Finished() const override { return phase_ == Phase::kDone; }
  std::string Summary() const override;

 private:
  // kFlushing: the output streams have ended but HTTP/2 flow control still holds part of
  // their bytes; the status waits for them, so that it is the last thing the client gets.
  enum class Phase { kCreating, kSizing, kRunning, kDraining, kFlushing, kDone };
  enum Tag : uint32_t { kTagStdin = 1, kTagStdout, kTagStderr, kTagExit };

  bool Expected(StreamType type) const;
  bool AllStreamsOpen() const;
  std::optional<StreamType> TypeOf(StreamId id) const;
  void MaybeStart();
  void Launch();
  void ReadOutput(int which);  // 0 stdout, 1 stderr
  // Whether the transport has room for more of `type`'s output (`queued`: bytes waiting).
  bool HasRoom(StreamType type, size_t queued) const;
  // Output is waiting in a pipe because the client is behind.
  bool OutputHeldBack();
  void FlushStdin();
  void CloseStdin();
  void OnExited();
  void MaybeFinish();
  void Finish();
  // Writes the status and closes once no output stream has bytes left behind the window.
  void MaybeSendStatus();
  void End(std::string reason);

  StreamTransport& transport_;
  Runtime& runtime_;
  const Clock& clock_;
  Params params_;
  bool attach_ = false;
  bool tty_ = false, want_stdin_ = false, want_stdout_ = false, want_stderr_ = false;
  std::vector<std::string> command_;
  std::string container_id_;

  Phase phase_ = Phase::kCreating;
  std::array<std::optional<StreamId>, kStreamTypeCount> streams_;
  std::array<bool, kStreamTypeCount> stream_writable_{};  // accepted and not reset by the client

  StartedProcess process_;
  std::string stdin_buffer_;
  std::vector<char> read_buffer_;
  bool stdin_eof_ = false;  // the client ended stdin
  std::array<bool, 2> output_eof_{};
  bool exited_ = false;
  bool peer_gone_ = false;
  bool killed_ = false;
  ResizeDecoder resize_decoder_;
  bool resize_failed_ = false;
  std::optional<TerminalSize> initial_size_;

  std::optional<Clock::TimePoint> creation_deadline_, sizing_deadline_, drain_deadline_,
      kill_deadline_, give_up_deadline_;
  Clock::TimePoint started_at_;
  SessionOutcome outcome_;
  std::string end_reason_;
  uint64_t bytes_in_ = 0, bytes_out_ = 0;
};

}  // namespace airlock::streaming
