// SpdyTransport: the StreamTransport of a SPDY/3.1 connection (remotecommand v2-v4 and
// portforward.k8s.io, as client-go, crictl and the kubelet's proxy speak them).
//
// A thin mapping onto SpdyCodec: the client opens the streams (SYN_STREAM with a
// `streamtype` header, plus `port`/`requestid` for port-forward), so Start() does nothing,
// and every codec event becomes one StreamEvents call. PINGs are echoed by the codec and
// SETTINGS, WINDOW_UPDATE and HEADERS are dropped (spdystream has no flow control).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "shim/base/result.h"
#include "streaming/spdy_session_codec.h"
#include "streaming/stream_transport.h"

namespace airlock::streaming {

class SpdyTransport : public StreamTransport {
 public:
  static Result<std::unique_ptr<SpdyTransport>> Create(SpdyCodecOptions options = {});

  Status Start(StreamEvents& events) override;
  // A protocol error fails the connection for good: this and every later Feed() return
  // the codec's reason, and the output holds GOAWAY(PROTOCOL_ERROR).
  Status Feed(std::string_view bytes, StreamEvents& events) override;
  Status Accept(StreamId id) override;  // SYN_REPLY without headers
  Status Reset(StreamId id) override;   // RST_STREAM(CANCEL)
  // Empty `bytes` queue nothing: an empty DATA frame without FIN means nothing to a peer.
  Status Write(StreamId id, std::string_view bytes) override;
  Status End(StreamId id) override;  // one empty DATA frame with FIN
  void Close() override;             // GOAWAY(OK), once
  std::string_view PendingOutput() override;
  void ConsumeOutput(size_t n) override;
  const char* name() const override { return "spdy"; }

  const SpdyCodec& codec() const { return codec_; }

 private:
  explicit SpdyTransport(SpdyCodec codec) : codec_(std::move(codec)) {}
  // Moves what the codec queued behind the bytes not yet written.
  void CollectOutput();

  SpdyCodec codec_;
  // output_[output_off_..] is unwritten. The consumed prefix is dropped only once it is at
  // least half of the buffer, so each byte is moved at most a constant number of times
  // however the connection slices its writes.
  std::string output_;
  size_t output_off_ = 0;
  std::string failure_;  // the protocol error, once there was one
};

}  // namespace airlock::streaming
