// H2ExecClient: remotecommand over HTTP/2 (airlock's own protocol, streaming/README.md),
// client side, on nghttp2's client session in memory mode (mem_recv / mem_send): the
// session loop owns the socket, this object owns only protocol state.
//
// Prior knowledge (no upgrade): the client preface, then one POST per role to the URL's path
// with a `streamtype` header, opened in the order error, stdin, stdout, stderr, resize.
// error/stdout/stderr carry no request body (END_STREAM on HEADERS); stdin's body is the
// user's input and its END_STREAM is stdin EOF; resize's body is one {"Width":W,"Height":H}
// line per size, starting with the initial size. Every stream must be answered 200. The
// server ends stdout/stderr after the command's output, then writes the status JSON on
// the error stream and ends it.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cli/exec_protocol.h"
#include "streaming/stream_type.h"

namespace airlock::cli {

class H2ExecClient : public ExecProtocol {
 public:
  // `initial_size` (tty only) is written on the resize stream before anything else, so the
  // command starts at the user's window size.
  static Result<std::unique_ptr<H2ExecClient>> Create(ExecTarget target, ExecStreams streams,
                                                      std::optional<TerminalSize> initial_size);
  ~H2ExecClient() override;

  Status Start() override;
  Status Feed(std::string_view bytes, ExecProtocolEvents& events) override;
  bool Ready() const override;
  Status SendStdin(std::string_view bytes) override;
  Status CloseStdin() override;
  Status SendResize(TerminalSize size) override;
  size_t StdinBacklog() const override { return stdin_.pending.size(); }
  std::string_view PendingOutput() override { return output_; }
  void ConsumeOutput(size_t n) override { output_.erase(0, n); }
  bool Finished() const override;
  const std::string& StatusPayload() const override { return status_payload_; }
  const char* name() const override { return "h2"; }

 private:
  using Role = streaming::StreamType;
  struct Stream {
    Role role = Role::kError;
    int http_status = 0;
    bool ended = false;  // the server sent END_STREAM (or the stream closed)
    std::string body;    // a non-200 answer's body, for the error message
  };
  // A request body fed from a buffer: deferred while empty, END_STREAM once `eof`.
  struct Body {
    int32_t stream_id = -1;
    std::string pending;
    bool eof = false;
  };
  struct SessionDeleter {
    void operator()(nghttp2_session* s) const { nghttp2_session_del(s); }
  };

  H2ExecClient(ExecTarget target, ExecStreams streams, std::optional<TerminalSize> initial_size);
  Status Open(Role role);
  Status QueueBody(Body& body, std::string_view bytes, bool eof);
  // Moves what nghttp2 wants to send into output_; reports the first callback error.
  Status Flush();

  // nghttp2 callbacks (C ABI); `user_data` is the H2ExecClient.
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* user_data);
  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int OnDataChunk(nghttp2_session*, uint8_t flags, int32_t stream_id, const uint8_t* data,
                         size_t len, void* user_data);
  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* user_data);
  static ssize_t ReadBody(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                          uint32_t* data_flags, nghttp2_data_source* source, void* user_data);

  ExecTarget target_;
  ExecStreams streams_;
  std::optional<TerminalSize> initial_size_;
  std::unique_ptr<nghttp2_session, SessionDeleter> session_;
  std::map<int32_t, Stream> by_id_;
  Body stdin_;
  Body resize_;
  std::string status_payload_;
  std::string output_;
  ExecProtocolEvents* events_ = nullptr;  // set only during Feed()
  std::optional<Error> failure_;          // first error seen inside a callback
};

}  // namespace airlock::cli
