// StreamTransport: one upgraded connection seen as a set of streams, whatever the wire
// protocol (SPDY/3.1 streams, HTTP/2 streams, WebSocket channels). The remotecommand and
// port-forward sessions are written once against this interface (DESIGN.md §4.5: "all of
// them end in the same StreamSet"); one adapter per protocol maps it onto its pure codec.
//
// Pure like the codecs under it: bytes in through Feed(), events out to a StreamEvents
// sink, bytes to send collected in an output buffer the connection drains. No sockets,
// threads or clocks.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "shim/base/result.h"

namespace airlock::streaming {

using StreamId = uint32_t;

// A stream the client opened. `headers` hold lowercase names (SPDY/HTTP/2 names are
// lowercase on the wire; WebSocket adapters synthesise `streamtype`, and for port-forward
// `port` and `requestid`, for each channel).
struct OpenedStream {
  StreamId id = 0;
  std::map<std::string, std::string> headers;
  bool remote_closed = false;  // the client will send nothing on it (FIN on the opening frame)
};

class StreamEvents {
 public:
  virtual ~StreamEvents() = default;
  virtual void OnStreamOpened(const OpenedStream& stream) = 0;
  virtual void OnStreamData(StreamId id, std::string_view bytes) = 0;
  // The client half-closed the stream (SPDY/HTTP/2 FIN, WebSocket v5 close signal).
  virtual void OnStreamRemoteClosed(StreamId id) = 0;
  // The client reset the stream: it reads and writes nothing more on it.
  virtual void OnStreamReset(StreamId id) = 0;
  // The client announced the end of the connection (GOAWAY, WebSocket close frame). Streams
  // already open keep working where the protocol allows.
  virtual void OnGoAway() = 0;
};

class StreamTransport {
 public:
  virtual ~StreamTransport() = default;
  // Called once, right after the 101 went out: WebSocket adapters report their fixed
  // channels as opened streams here and queue the "ready" message; SPDY does nothing (its
  // client opens the streams); HTTP/2 queues the server preface.
  virtual Status Start(StreamEvents& events) = 0;
  // Parses bytes read from the socket and reports events. An error means the connection is
  // broken (protocol violation): flush the output (it may hold a GOAWAY/close frame) and
  // close; the message names what was wrong.
  virtual Status Feed(std::string_view bytes, StreamEvents& events) = 0;
  // Accepts an opened stream (SPDY SYN_REPLY, HTTP/2 200 response). WebSocket: no-op.
  virtual Status Accept(StreamId id) = 0;
  // Refuses or abandons a stream (RST_STREAM / RST_STREAM CANCEL). WebSocket: no-op.
  virtual Status Reset(StreamId id) = 0;
  // Refuses a stream with an HTTP status and a text body where the protocol can say so
  // (HTTP/2 answers the stream's request); elsewhere the same as Reset.
  virtual Status Refuse(StreamId id, int http_status, std::string_view body) {
    (void)http_status;
    (void)body;
    return Reset(id);
  }
  // Queues payload on an accepted stream.
  virtual Status Write(StreamId id, std::string_view bytes) = 0;
  // Half-closes our side of the stream (FIN / END_STREAM). WebSocket: no-op (channels end
  // with the connection).
  virtual Status End(StreamId id) = 0;
  // Starts closing the connection (GOAWAY / WebSocket close 1000). Output queued before it
  // still goes out first.
  virtual void Close() = 0;
  // Bytes waiting to be written to the socket, and consumption after a write.
  virtual std::string_view PendingOutput() = 0;
  virtual void ConsumeOutput(size_t n) = 0;
  // Bytes queued on one stream that the protocol does not let us send yet (HTTP/2 flow
  // control); 0 for protocols without flow control. The session stops reading the process
  // while its stream is this far behind.
  virtual size_t StreamBacklog(StreamId id) const {
    (void)id;
    return 0;
  }
  // False while bytes are still queued that the protocol may not send yet (HTTP/2 flow
  // control). The connection keeps flushing until the transport is drained.
  virtual bool Drained() const { return true; }
  // Protocol name for logs: "spdy", "websocket", "h2".
  virtual const char* name() const = 0;
};

}  // namespace airlock::streaming
