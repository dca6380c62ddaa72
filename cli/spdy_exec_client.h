// SpdyExecClient: remotecommand over SPDY/3.1 (what kubectl, crictl and the kubelet's proxy
// speak, mission-anchors §3.1-§3.7, §4), client side, as a pure codec: the session loop owns
// the socket. Frames and header blocks come from streaming/spdy_frame.h and
// streaming/spdy_header_block.h; the client-side session rules live here.
//
// Handshake: POST <path> with Connection: Upgrade, Upgrade: SPDY/3.1 and one
// X-Stream-Protocol-Version line per protocol, v4.channel.k8s.io first (v5 over SPDY means
// v4, so it is not offered). The 101 names the chosen one (none = channel.k8s.io).
//
// After the 101 the client opens one stream per role with SYN_STREAM (ids 1, 3, 5, ...;
// header `streamtype`), in client-go's order: error, stdin, stdout, stderr (not with a tty),
// resize (tty, v3 and later). They are opened back to back instead of one per round trip:
// the server handles them in arrival order either way. Data waits for the stream's
// SYN_REPLY (spdystream does the same). Stdin EOF is an empty DATA frame with FIN; resize
// events are {"Width":W,"Height":H} lines. The server's pings are echoed; a stream ends on
// FIN or RST_STREAM, all of them on GOAWAY. No flow control: Go peers neither send nor
// honour WINDOW_UPDATE.
//
// The status: v4 writes metav1.Status JSON on the error stream, always. v1-v3 write the
// failure message as plain text (nothing on success); StatusPayload() then presents it as
// a v4 Failure status with that message, so the session decodes one format.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cli/exec_protocol.h"
#include "cli/http_upgrade.h"
#include "streaming/spdy_frame.h"
#include "streaming/spdy_header_block.h"
#include "streaming/stream_type.h"

namespace airlock::cli {

class SpdyExecClient : public ExecProtocol {
 public:
  static Result<std::unique_ptr<SpdyExecClient>> Create(ExecTarget target, ExecStreams streams,
                                                        std::optional<TerminalSize> initial_size);
  ~SpdyExecClient() override;

  Status Start() override;
  Status Feed(std::string_view bytes, ExecProtocolEvents& events) override;
  bool Ready() const override;
  Status SendStdin(std::string_view bytes) override;
  Status CloseStdin() override;
  Status SendResize(TerminalSize size) override;
  // SPDY as Kubernetes runs it has no flow control: the socket's backlog is the backlog.
  size_t StdinBacklog() const override { return output_.size(); }
  std::string_view PendingOutput() override { return output_; }
  void ConsumeOutput(size_t n) override { output_.erase(0, n); }
  bool Finished() const override;
  const std::string& StatusPayload() const override { return status_payload_; }
  const char* name() const override { return "spdy"; }

  // The protocol the server chose ("" before the 101).
  const std::string& protocol() const { return protocol_; }

 private:
  using Role = streaming::StreamType;
  struct Stream {
    Role role = Role::kError;
    bool replied = false;
    bool ended = false;      // the server's half is over (FIN, RST_STREAM or GOAWAY)
    bool reset = false;      // RST_STREAM: nothing more may be sent either
    bool local_fin = false;  // our FIN went out
    std::string pending;     // data waiting for SYN_REPLY
    bool fin_pending = false;
  };

  SpdyExecClient(ExecTarget target, ExecStreams streams, std::optional<TerminalSize> initial_size,
                 streaming::SpdyHeaderDeflater deflater, streaming::SpdyHeaderInflater inflater);
  Status CheckUpgrade(const UpgradeResponse& response);
  Status OpenStreams();
  Status Open(Role role, uint32_t* id);
  Status QueueData(uint32_t id, std::string_view bytes, bool fin);
  void EmitData(uint32_t id, Stream& stream, std::string_view bytes, bool fin);
  Status FeedFrames(std::string_view bytes);
  Status HandleControl(const streaming::SpdyFrameHeader& header, std::string_view payload);
  Status HandleData(uint32_t id, std::string_view bytes);
  void EndStream(uint32_t id);
  // Once every output stream has ended: checks and finalises the status.
  Status Conclude();

  ExecTarget target_;
  ExecStreams streams_;
  std::optional<TerminalSize> initial_size_;
  streaming::SpdyHeaderDeflater deflater_;
  streaming::SpdyHeaderInflater inflater_;
  UpgradeResponseReader upgrade_;
  bool upgraded_ = false;
  std::string protocol_;
  int version_ = 0;  // 1..4
  std::map<uint32_t, Stream> streams_by_id_;
  uint32_t next_stream_id_ = 1;
  uint32_t stdin_id_ = 0;   // 0: no such stream
  uint32_t resize_id_ = 0;  // 0: no such stream
  bool concluded_ = false;

  // Frame parser: a header being assembled, a control payload being assembled, or the
  // rest of a DATA frame being passed through piecewise (never buffered whole).
  std::string frame_buf_;
  bool have_header_ = false;
  streaming::SpdyFrameHeader header_;
  uint32_t data_remaining_ = 0;

  std::string status_raw_;
  std::string status_payload_;
  std::string output_;
  ExecProtocolEvents* events_ = nullptr;  // set only during Feed()
};

}  // namespace airlock::cli
