#include "streaming/websocket_transport.h"

#include <utility>

namespace airlock::streaming {
namespace {

// Channel numbers are one byte and 255 is the v5 close signal, so 2i+1 <= 254.
constexpr size_t kMaxForwardedPorts = 127;

std::string ChannelName(uint8_t channel) { return "websocket channel " + std::to_string(channel); }

}  // namespace

Result<std::unique_ptr<WebSocketTransport>> WebSocketTransport::CreateRemoteCommand(
    ChannelProtocol protocol, bool stdin, bool stdout, bool stderr, bool tty,
    WebSocketCodec::Options options) {
  auto codec = WebSocketChannelCodec::Create(protocol, options);
  if (!codec.ok()) return codec.error().Wrap("create websocket remotecommand transport");

  Layout layout;
  layout.channels.resize(kResizeChannel + 1);
  auto add = [&layout](uint8_t channel, const char* type, bool readable) {
    Channel& c = layout.channels[channel];
    c.exists = true;
    c.readable = readable;
    c.writable = !readable;
    // What the client cannot send on is closed from its side from the start, like the
    // SPDY error stream client-go half-closes right after opening it.
    c.remote_closed = !readable;
    c.headers = {{"streamtype", type}};
    layout.open_order.push_back(channel);
  };
  add(kErrorChannel, "error", false);
  if (stdin) add(kStdinChannel, "stdin", true);
  if (stdout) add(kStdoutChannel, "stdout", false);
  if (stderr) add(kStderrChannel, "stderr", false);
  if (tty) add(kResizeChannel, "resize", true);
  layout.send_ready = true;
  layout.ready_stdout = stdout;
  layout.ready_stderr = stderr;
  return std::unique_ptr<WebSocketTransport>(
      new WebSocketTransport(std::move(*codec), std::move(layout)));
}

Result<std::unique_ptr<WebSocketTransport>> WebSocketTransport::CreatePortForward(
    ChannelProtocol protocol, std::vector<uint16_t> ports, WebSocketCodec::Options options) {
  if (ports.size() > kMaxForwardedPorts) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "create websocket port-forward transport: " + std::to_string(ports.size()) +
                         " ports exceed the " + std::to_string(kMaxForwardedPorts) +
                         " that channel numbers can address");
  }
  auto codec = WebSocketChannelCodec::Create(protocol, options);
  if (!codec.ok()) return codec.error().Wrap("create websocket port-forward transport");

  Layout layout;
  layout.channels.resize(2 * ports.size());
  for (size_t i = 0; i < ports.size(); ++i) {
    const std::string port = std::to_string(ports[i]);
    const std::string request_id = std::to_string(i);
    // Upstream writes the port first on both channels of the pair.
    const std::string prefix = PortPrefix(ports[i]);

    Channel& data = layout.channels[PortForwardDataChannel(i)];
    data.exists = true;
    data.readable = true;
    data.writable = true;
    data.headers = {{"streamtype", "data"}, {"port", port}, {"requestid", request_id}};
    data.prefix = prefix;

    // Write-only upstream (wsstream.WriteChannel): what the client sends there is dropped.
    Channel& error = layout.channels[PortForwardErrorChannel(i)];
    error.exists = true;
    error.writable = true;
    error.remote_closed = true;
    error.headers = {{"streamtype", "error"}, {"port", port}, {"requestid", request_id}};
    error.prefix = prefix;

    layout.open_order.push_back(PortForwardDataChannel(i));
    layout.open_order.push_back(PortForwardErrorChannel(i));
  }
  return std::unique_ptr<WebSocketTransport>(
      new WebSocketTransport(std::move(*codec), std::move(layout)));
}

Status WebSocketTransport::Start(StreamEvents& events) {
  if (started_) {
    return MakeError(ErrorCode::kFailedPrecondition, "start websocket transport: already started");
  }
  started_ = true;
  // The ready message goes out before the streams are reported: a session that fails at
  // once (the command cannot start) writes its status and closes from inside
  // OnStreamOpened, and the client must still see ready first, as upstream's order is.
  if (layout_.send_ready) {
    AIRLOCK_RETURN_IF_ERROR(codec_->SendReady(layout_.ready_stdout, layout_.ready_stderr));
  }
  for (uint8_t channel : layout_.open_order) {
    const Channel& c = layout_.channels[channel];
    OpenedStream stream;
    stream.id = StreamId(channel) + 1;
    stream.headers = c.headers;
    stream.remote_closed = c.remote_closed;
    events.OnStreamOpened(stream);
  }
  return Status::Ok();
}

Status WebSocketTransport::Feed(std::string_view bytes, StreamEvents& events) {
  std::vector<ChannelEvent> received;
  Status status = codec_->Receive(bytes, &received);
  // Messages that arrived complete before a broken one were valid: deliver them first.
  for (ChannelEvent& event : received) Deliver(event, events);
  if (!status.ok()) return status;
  if (codec_->transport().close_received() && !goaway_reported_) {
    goaway_reported_ = true;
    events.OnGoAway();
  }
  return Status::Ok();
}

void WebSocketTransport::Deliver(ChannelEvent& event, StreamEvents& events) {
  if (event.channel >= layout_.channels.size()) return;
  Channel& c = layout_.channels[event.channel];
  // Upstream's ignore channels and write-only channels swallow client data; a closed
  // reader drops what follows its close signal.
  if (!c.exists || !c.readable || c.remote_closed) return;
  const StreamId id = StreamId(event.channel) + 1;
  switch (event.type) {
    case ChannelEvent::Type::kData:
      if (!event.data.empty()) events.OnStreamData(id, event.data);
      return;
    case ChannelEvent::Type::kClose:
      c.remote_closed = true;
      events.OnStreamRemoteClosed(id);
      return;
  }
}

Result<WebSocketTransport::Channel*> WebSocketTransport::Find(StreamId id, const char* operation) {
  if (id == 0 || id - 1 >= layout_.channels.size() || !layout_.channels[id - 1].exists) {
    return MakeError(ErrorCode::kNotFound, std::string(operation) + " websocket stream " +
                                               std::to_string(id) + ": no such channel");
  }
  return &layout_.channels[id - 1];
}

Status WebSocketTransport::SendPrefix(uint8_t channel, Channel& state) {
  if (state.prefix.empty() || state.prefix_sent) return Status::Ok();
  Status sent = codec_->Send(channel, state.prefix);
  if (!sent.ok()) return sent.error().Wrap("send port prefix on " + ChannelName(channel));
  state.prefix_sent = true;
  return Status::Ok();
}

Status WebSocketTransport::Accept(StreamId id) {
  Result<Channel*> channel = Find(id, "accept");
  if (!channel.ok()) return channel.error();
  return SendPrefix(uint8_t(id - 1), **channel);
}

Status WebSocketTransport::Reset(StreamId id) {
  Result<Channel*> channel = Find(id, "reset");
  if (!channel.ok()) return channel.error();
  return Status::Ok();
}

Status WebSocketTransport::Write(StreamId id, std::string_view bytes) {
  Result<Channel*> found = Find(id, "write");
  if (!found.ok()) return found.error();
  Channel& c = **found;
  const uint8_t channel = uint8_t(id - 1);
  if (!c.writable) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "write " + ChannelName(channel) + ": the client does not read this channel");
  }
  AIRLOCK_RETURN_IF_ERROR(SendPrefix(channel, c));
  if (bytes.empty()) return Status::Ok();
  Status sent = codec_->Send(channel, bytes);
  if (!sent.ok()) return sent.error().Wrap("write " + ChannelName(channel));
  return Status::Ok();
}

Status WebSocketTransport::End(StreamId id) {
  Result<Channel*> channel = Find(id, "end");
  if (!channel.ok()) return channel.error();
  return Status::Ok();
}

void WebSocketTransport::Close() {
  // After a protocol error or the client's close, our close frame is already queued.
  if (codec_->transport().close_sent()) return;
  (void)codec_->SendClose(1000);
}

std::string_view WebSocketTransport::PendingOutput() { return codec_->transport().PendingOutput(); }

void WebSocketTransport::ConsumeOutput(size_t n) { codec_->transport().ConsumeOutput(n); }

bool WebSocketTransport::finished() const { return codec_->transport().finished(); }

}  // namespace airlock::streaming
