#include "streaming/spdy_transport.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <variant>

namespace airlock::streaming {
namespace {

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Translates the codec's events into StreamEvents calls, in wire order.
class EventBridge : public SpdyEventSink {
 public:
  explicit EventBridge(StreamEvents& events) : events_(events) {}

  void OnSpdyEvent(SpdyEvent& event) override {
    std::visit([this](auto& e) { Handle(e); }, event);
  }

  // The reason of a SpdyProtocolError, if one was reported.
  std::string& failure() { return failure_; }

 private:
  void Handle(SpdySynStream& syn) {
    OpenedStream stream;
    stream.id = syn.stream_id;
    // The codec already refuses uppercase names (a Go peer would end the session on them);
    // lowercasing again keeps the map's contract independent of that check.
    for (SpdyHeaderField& field : syn.headers) {
      stream.headers.insert_or_assign(Lowercase(field.name), std::move(field.value));
    }
    // A unidirectional stream is one the client will not receive on, but also one the
    // remotecommand peers never send on after opening; both mean "nothing more from it".
    stream.remote_closed = syn.fin || syn.unidirectional;
    events_.OnStreamOpened(stream);
  }
  void Handle(SpdyData& data) {
    if (!data.bytes.empty()) events_.OnStreamData(data.stream_id, data.bytes);
    if (data.fin) events_.OnStreamRemoteClosed(data.stream_id);
  }
  void Handle(SpdyRstStream& rst) { events_.OnStreamReset(rst.stream_id); }
  void Handle(SpdyGoAway&) { events_.OnGoAway(); }
  void Handle(SpdyProtocolError& error) { failure_ = std::move(error.reason); }
  // Ping echoes are the codec's; SETTINGS, WINDOW_UPDATE and HEADERS carry nothing a
  // Kubernetes session uses.
  void Handle(SpdyPing&) {}
  void Handle(SpdySettings&) {}
  void Handle(SpdyWindowUpdate&) {}
  void Handle(SpdyHeaders&) {}

  StreamEvents& events_;
  std::string failure_;
};

Error ProtocolError(const std::string& reason) {
  return MakeError(ErrorCode::kInvalidArgument, "read spdy connection: " + reason);
}

}  // namespace

Result<std::unique_ptr<SpdyTransport>> SpdyTransport::Create(SpdyCodecOptions options) {
  Result<SpdyCodec> codec = SpdyCodec::Create(options);
  if (!codec.ok()) return codec.error().Wrap("create spdy transport");
  return std::unique_ptr<SpdyTransport>(new SpdyTransport(std::move(*codec)));
}

Status SpdyTransport::Start(StreamEvents& events) {
  (void)events;  // the client opens every stream itself
  return Status::Ok();
}

Status SpdyTransport::Feed(std::string_view bytes, StreamEvents& events) {
  if (!failure_.empty()) return ProtocolError(failure_);
  EventBridge bridge(events);
  codec_.Feed(bytes, bridge);
  CollectOutput();
  if (!bridge.failure().empty()) {
    failure_ = std::move(bridge.failure());
    return ProtocolError(failure_);
  }
  return Status::Ok();
}

Status SpdyTransport::Accept(StreamId id) {
  Status status = codec_.SynReply(id, {}, false);
  CollectOutput();
  return status;
}

Status SpdyTransport::Reset(StreamId id) {
  Status status = codec_.RstStream(id, SpdyRstStatus::kCancel);
  CollectOutput();
  return status;
}

Status SpdyTransport::Write(StreamId id, std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  Status status = codec_.Data(id, bytes, false);
  CollectOutput();
  return status;
}

Status SpdyTransport::End(StreamId id) {
  Status status = codec_.Data(id, {}, true);
  CollectOutput();
  return status;
}

void SpdyTransport::Close() {
  if (!codec_.goaway_sent()) codec_.GoAway(SpdyGoAwayStatus::kOk);
  CollectOutput();
}

std::string_view SpdyTransport::PendingOutput() {
  return std::string_view(output_).substr(output_off_);
}

void SpdyTransport::ConsumeOutput(size_t n) {
  output_off_ += std::min(n, output_.size() - output_off_);
  if (output_off_ == output_.size()) {
    output_.clear();
    output_off_ = 0;
  }
}

void SpdyTransport::CollectOutput() {
  if (!codec_.HasOutput()) return;
  if (output_off_ == output_.size()) {
    // Nothing unwritten: take the codec's buffer as it is, without copying it.
    output_ = codec_.TakeOutput();
    output_off_ = 0;
    return;
  }
  if (output_off_ >= output_.size() / 2) {
    output_.erase(0, output_off_);
    output_off_ = 0;
  }
  output_ += codec_.TakeOutput();
}

}  // namespace airlock::streaming
