// WebSocketTransport: the StreamTransport of a WebSocket connection speaking the Kubernetes
// channel protocols (mission-anchors §3.8, §3.9).
//
// A WebSocket client opens no streams: the channels are fixed by the request. So Start()
// reports them as opened streams — StreamId = channel + 1, because 0 is no stream id
// anywhere else — with synthesised headers, and the sessions above cannot tell them from
// SPDY streams:
//   remotecommand: error (3, always), stdin (0), stdout (1), stderr (2) when requested,
//                  resize (4) when tty; headers {"streamtype": <name>}.
//   port-forward:  per port i, data on 2i and error on 2i+1; headers {"streamtype",
//                  "port", "requestid": "<i>"}.
// Channels the server only writes (stdout, stderr, error) open with remote_closed set; data
// from the client on them, on channels that do not exist, or after a v5 close signal is
// dropped, as upstream's "ignore" channels drop it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shim/base/result.h"
#include "streaming/stream_transport.h"
#include "streaming/websocket_channel.h"
#include "streaming/websocket_codec.h"

namespace airlock::streaming {

class WebSocketTransport : public StreamTransport {
 public:
  // Start() queues the "ready" message (an empty message on stdout, else stderr, else the
  // error channel), which upstream sends for every remotecommand protocol version.
  static Result<std::unique_ptr<WebSocketTransport>> CreateRemoteCommand(
      ChannelProtocol protocol, bool stdin, bool stdout, bool stderr, bool tty,
      WebSocketCodec::Options options = {});
  // At most 127 ports: channel numbers are one byte and 255 is the close signal. No ready
  // message (upstream sends none for port-forward); instead the first message on each
  // channel is its port, uint16 little-endian, sent by Accept() — or by the first Write()
  // if the session writes without accepting.
  static Result<std::unique_ptr<WebSocketTransport>> CreatePortForward(
      ChannelProtocol protocol, std::vector<uint16_t> ports, WebSocketCodec::Options options = {});

  Status Start(StreamEvents& events) override;
  // Errors (a broken frame, bad base64, a malformed close signal) end the connection; the
  // codec has queued the matching close frame. The client's close frame is OnGoAway().
  Status Feed(std::string_view bytes, StreamEvents& events) override;
  Status Accept(StreamId id) override;
  Status Reset(StreamId id) override;  // no-op: a channel cannot be reset alone
  // Error on a channel the server does not write (stdin, resize). Empty `bytes` queue
  // nothing (an empty message is the ready signal, not payload).
  Status Write(StreamId id, std::string_view bytes) override;
  Status End(StreamId id) override;  // no-op: channels end with the connection
  void Close() override;             // close frame 1000, once
  std::string_view PendingOutput() override;
  void ConsumeOutput(size_t n) override;
  const char* name() const override { return "websocket"; }

  // Both close frames exchanged (or the protocol failed) and all output written: the
  // connection may close the socket.
  bool finished() const;

 private:
  struct Channel {
    bool exists = false;
    bool readable = false;  // the client sends on it
    bool writable = false;  // we send on it
    bool remote_closed = false;
    std::map<std::string, std::string> headers;
    std::string prefix;  // sent once before anything else (the port for port-forward)
    bool prefix_sent = false;
  };

  // What a factory decides: the channels, the order Start() reports them in (SPDY clients
  // open the error stream first; keep that order), and whether a ready message goes out.
  struct Layout {
    std::vector<Channel> channels;  // indexed by channel number
    std::vector<uint8_t> open_order;
    bool send_ready = false;
    bool ready_stdout = false;
    bool ready_stderr = false;
  };

  WebSocketTransport(std::unique_ptr<WebSocketChannelCodec> codec, Layout layout)
      : codec_(std::move(codec)), layout_(std::move(layout)) {}
  // The channel behind a stream id, or an error naming `operation`.
  Result<Channel*> Find(StreamId id, const char* operation);
  Status SendPrefix(uint8_t channel, Channel& state);
  void Deliver(ChannelEvent& event, StreamEvents& events);

  std::unique_ptr<WebSocketChannelCodec> codec_;
  Layout layout_;
  bool started_ = false;
  bool goaway_reported_ = false;
};

}  // namespace airlock::streaming
