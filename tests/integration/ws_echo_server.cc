// A one-connection WebSocket exec stand-in for test_ws_peer.py: it drives the streaming
// codecs (head parser, upgrade negotiation, channel codec) with a real socket and a real
// client, without containers. It listens on 127.0.0.1 only, prints "PORT <n>", accepts one
// connection, echoes stdin (channel 0) to stdout (channel 1), and after --echo messages (or
// the v5 close signal for stdin) writes the status on channel 3 and closes the WebSocket.
//
//   ws_echo_server [--echo N] [--exit-code N]
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "shim/base/unique_fd.h"
#include "streaming/http_request.h"
#include "streaming/upgrade.h"
#include "streaming/websocket_channel.h"

namespace {

using namespace airlock;
using namespace airlock::streaming;

constexpr int kIoTimeoutMs = 20000;

int Fail(const std::string& what) {
  std::fprintf(stderr, "ws_echo_server: %s\n", what.c_str());
  return 1;
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads what is there, waiting at most kIoTimeoutMs. Empty result = EOF, timeout or error.
std::string ReadSome(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, kIoTimeoutMs) <= 0) return "";
  char buf[64 * 1024];
  ssize_t n;
  do {
    n = ::recv(fd, buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

bool Flush(int fd, WebSocketChannelCodec& codec) {
  std::string out = codec.transport().TakeOutput();
  return WriteAll(fd, out);
}

std::string StatusMessage(ChannelProtocol protocol, int exit_code) {
  std::string message =
      "command terminated with non-zero exit code: error executing command "
      "[echo], exit code " +
      std::to_string(exit_code);
  if (!protocol.json_status()) return exit_code == 0 ? "" : message;
  if (exit_code == 0) return R"({"metadata":{},"status":"Success"})";
  return R"({"metadata":{},"status":"Failure","message":")" + message +
         R"(","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":")" +
         std::to_string(exit_code) + R"("}]}})";
}

int Serve(int conn, int echo_limit, int exit_code) {
  std::string buffered;
  HttpRequestParser parser;
  HttpRequestParser::Outcome head;
  while (true) {
    std::string more = ReadSome(conn);
    if (more.empty()) return Fail("read request head: connection closed");
    buffered += more;
    head = parser.Parse(buffered);
    if (head.state == HttpRequestParser::State::kError) {
      WriteAll(conn, BadRequestResponse(head.error.reason));
      return Fail(head.error.reason);
    }
    if (head.state == HttpRequestParser::State::kDone) break;
  }
  const HttpRequest& req = head.request;
  std::fprintf(stderr, "ws_echo_server: %s %s upgrade=%s\n", req.method.c_str(), req.target.c_str(),
               UpgradeKindName(ClassifyUpgrade(req)));
  if (req.path.rfind("/exec/", 0) != 0) {
    WriteAll(conn, NotFoundResponse());
    return 0;
  }
  if (ClassifyUpgrade(req) != UpgradeKind::kWebSocket) {
    UpgradeAnswer spdy = AnswerSpdyUpgrade(req, StreamService::kRemoteCommand);
    WriteAll(conn, spdy.accepted() ? BadRequestResponse("this test server speaks WebSocket only")
                                   : spdy.response);
    return 0;
  }
  UpgradeAnswer answer = AnswerWebSocketUpgrade(req, StreamService::kRemoteCommand);
  if (!WriteAll(conn, answer.response)) return Fail("write upgrade answer");
  if (!answer.accepted()) return 0;  // refused: close without reading further

  auto protocol = ChannelProtocol::FromSubprotocol(answer.protocol);
  if (!protocol) return Fail("no channel protocol for " + answer.protocol);
  auto codec_or = WebSocketChannelCodec::Create(*protocol);
  if (!codec_or.ok()) return Fail(codec_or.error().message);
  WebSocketChannelCodec& codec = **codec_or;

  if (!codec.SendReady(/*stdout_requested=*/true, /*stderr_requested=*/false).ok() ||
      !Flush(conn, codec)) {
    return Fail("send ready message");
  }
  // Bytes after the head already belong to the WebSocket.
  std::string pending = buffered.substr(req.head_bytes);
  int echoed = 0;
  bool stdin_done = false;
  while (!stdin_done) {
    if (pending.empty()) pending = ReadSome(conn);
    if (pending.empty()) return Fail("read websocket: connection closed before the end");
    std::vector<ChannelEvent> events;
    Status received = codec.Receive(pending, &events);
    pending.clear();
    for (const ChannelEvent& e : events) {
      if (e.type == ChannelEvent::Type::kClose && e.channel == kStdinChannel) stdin_done = true;
      if (e.type != ChannelEvent::Type::kData || e.channel != kStdinChannel) continue;
      if (!codec.Send(kStdoutChannel, e.data).ok()) return Fail("echo stdin");
      if (++echoed == echo_limit) stdin_done = true;
    }
    if (!Flush(conn, codec)) return Fail("write websocket");
    if (!received.ok()) return Fail(received.error().message);
    if (codec.transport().close_received()) return Fail("peer closed before the status");
  }

  std::string status = StatusMessage(*protocol, exit_code);
  if (!status.empty() && !codec.Send(kErrorChannel, status).ok()) return Fail("send status");
  if (!codec.SendClose(1000).ok() || !Flush(conn, codec)) return Fail("send close");
  // Graceful end: wait for the peer's close reply before closing the socket.
  while (!codec.transport().finished()) {
    std::string more = ReadSome(conn);
    if (more.empty()) return Fail("read close reply: connection closed");
    std::vector<ChannelEvent> ignored;
    Status s = codec.Receive(more, &ignored);
    Flush(conn, codec);
    if (!s.ok()) return Fail(s.error().message);
  }
  std::fprintf(stderr, "ws_echo_server: done, protocol=%s echoed=%d\n", answer.protocol.c_str(),
               echoed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int echo_limit = 1;
  int exit_code = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--echo") {
      echo_limit = std::atoi(argv[i + 1]);
    } else if (flag == "--exit-code") {
      exit_code = std::atoi(argv[i + 1]);
    } else {
      return Fail("unknown flag " + flag);
    }
  }
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener) return Fail(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener.get(), 1) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Fail(std::string("listen on 127.0.0.1: ") + std::strerror(errno));
  }
  std::printf("PORT %d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  pollfd p{listener.get(), POLLIN, 0};
  if (::poll(&p, 1, kIoTimeoutMs) <= 0) return Fail("accept: no client within the timeout");
  UniqueFd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return Fail(std::string("accept: ") + std::strerror(errno));
  return Serve(conn.get(), echo_limit, exit_code);
}
