// WsExecClient: remotecommand over WebSocket (the Kubernetes channel protocol,
// mission-anchors §3.8), client side, on wslay's event API in client mode over in-memory
// buffers: the session loop owns the socket, this object owns only protocol state.
//
// Handshake: GET <path> with Upgrade: websocket, a random Sec-WebSocket-Key and
// Sec-WebSocket-Protocol "v5.channel.k8s.io, v4.channel.k8s.io"; the 101 must name one of
// those and carry the matching Sec-WebSocket-Accept. The requested streams travel as query
// parameters of the exec URL already (the token), so nothing else is negotiated.
//
// Channels, one byte in front of each binary message: stdin 0, stdout 1, stderr 2, error 3
// (status JSON), resize 4 ({"Width":W,"Height":H}). Frames we send are masked with bytes
// from getrandom(2), as RFC 6455 §5.3 requires of clients. The server's first message, an
// empty one (the "ready" signal), carries no bytes and is ignored.
//
// Stdin EOF: v5 sends the close signal [255, 0] and the command sees EOF. v4 has no way to
// say it (kubernetes #89899): stdin EOF sends nothing, as with kubectl over v4, so a command
// that reads stdin to its end keeps waiting. The session ends at the server's close frame,
// which is answered before Finished() turns true.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cli/exec_protocol.h"
#include "cli/http_upgrade.h"

struct wslay_event_context;

namespace airlock::cli {

class WsExecClient : public ExecProtocol {
 public:
  // The protocols offered, most preferred first.
  static constexpr const char* kOfferedProtocols = "v5.channel.k8s.io, v4.channel.k8s.io";

  // `initial_size` (tty only) goes out on the resize channel right after the 101.
  static Result<std::unique_ptr<WsExecClient>> Create(ExecTarget target, ExecStreams streams,
                                                      std::optional<TerminalSize> initial_size);
  ~WsExecClient() override;

  Status Start() override;
  Status Feed(std::string_view bytes, ExecProtocolEvents& events) override;
  bool Ready() const override { return upgraded_; }
  Status SendStdin(std::string_view bytes) override;
  Status CloseStdin() override;
  Status SendResize(TerminalSize size) override;
  // WebSocket has no flow control: what waits for the socket is the backlog.
  size_t StdinBacklog() const override { return output_.size(); }
  std::string_view PendingOutput() override { return output_; }
  void ConsumeOutput(size_t n) override { output_.erase(0, n); }
  bool Finished() const override;
  const std::string& StatusPayload() const override { return status_payload_; }
  const char* name() const override { return "websocket"; }

  // The subprotocol the server chose ("" before the 101).
  const std::string& protocol() const { return protocol_; }

 private:
  struct Callbacks;
  struct ContextDeleter {
    void operator()(wslay_event_context* ctx) const;
  };

  WsExecClient(ExecTarget target, ExecStreams streams, std::optional<TerminalSize> initial_size);
  Status CheckUpgrade(const UpgradeResponse& response);
  Status FeedFrames(std::string_view bytes);
  // Queues [channel] + payload as one binary message and moves wslay's frames to output_.
  Status SendChannel(uint8_t channel, std::string_view payload);
  Status Flush();
  void OnMessage(uint8_t opcode, std::string_view message);

  ExecTarget target_;
  ExecStreams streams_;
  std::optional<TerminalSize> initial_size_;
  std::string key_;  // Sec-WebSocket-Key sent
  std::unique_ptr<wslay_event_context, ContextDeleter> ctx_;
  UpgradeResponseReader upgrade_;
  bool upgraded_ = false;
  std::string protocol_;
  int version_ = 0;  // 4 or 5
  bool stdin_closed_ = false;
  std::string status_payload_;
  std::string output_;
  std::string_view input_;                // valid only during FeedFrames()
  ExecProtocolEvents* events_ = nullptr;  // set only during Feed()
  std::optional<Error> failure_;          // first error seen inside a callback
};

}  // namespace airlock::cli
