// The WebSocket and SPDY/3.1 clients of `airlock exec --transport websocket|spdy`, against
// the streaming server's own codecs on the other side (WebSocketChannelCodec, SpdyCodec,
// AnswerWebSocketUpgrade/AnswerSpdyUpgrade): first byte-for-byte in memory (handshake,
// stream order, stdout/stderr apart, stdin and its EOF, resize, pings, status, refusals,
// any split of the bytes), then whole sessions through RunExecSession over a socketpair.
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "cli/exec_session.h"
#include "cli/exec_status.h"
#include "cli/spdy_exec_client.h"
#include "cli/ws_exec_client.h"
#include "gtest/gtest.h"
#include "spdy_test_peer.h"
#include "streaming/http_request.h"
#include "streaming/spdy_session_codec.h"
#include "streaming/upgrade.h"
#include "streaming/websocket_channel.h"

namespace airlock::cli {
namespace {

using streaming::ChannelEvent;
using streaming::ChannelProtocol;
using streaming::StreamService;

constexpr char kExit3[] =
    R"({"status":"Failure","message":"command terminated with non-zero exit code: exit code 3",)"
    R"("reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}})";
const ExecTarget kTarget = [] {
  ExecTarget t;
  t.authority = "127.0.0.1:4242";
  t.path = "/exec/tok3n";
  return t;
}();

struct Recorder : ExecProtocolEvents {
  void OnStdout(std::string_view b) override { out.append(b); }
  void OnStderr(std::string_view b) override { err.append(b); }
  std::string out, err;
};

// Feeds `bytes` whole, or one byte at a time (every split a socket could produce).
Status FeedAll(ExecProtocol& p, std::string_view bytes, Recorder& rec, bool bytewise) {
  if (!bytewise) return p.Feed(bytes, rec);
  for (char c : bytes) AIRLOCK_RETURN_IF_ERROR(p.Feed(std::string_view(&c, 1), rec));
  return Status::Ok();
}

streaming::HttpRequest TakeRequest(ExecProtocol& client) {
  auto parsed = streaming::ParseHttpRequestHead(client.PendingOutput());
  EXPECT_EQ(parsed.state, streaming::HttpRequestParser::State::kDone) << parsed.error.reason;
  client.ConsumeOutput(parsed.request.head_bytes);
  EXPECT_TRUE(client.PendingOutput().empty());
  return parsed.request;
}

// ------------------------------------------------------------------------------ WebSocket

struct WsPeer {
  explicit WsPeer(ExecStreams s, std::optional<TerminalSize> size = std::nullopt)
      : streams(s), client(WsExecClient::Create(kTarget, s, size).value()) {}

  // The handshake as the streaming server answers it; `answer` replaces the server's 101.
  Status Upgrade(bool bytewise = false, std::string answer = {}) {
    EXPECT_TRUE(client->Start().ok());
    request = TakeRequest(*client);
    auto reply = streaming::AnswerWebSocketUpgrade(request, StreamService::kRemoteCommand);
    EXPECT_TRUE(reply.accepted()) << reply.response;
    server =
        streaming::WebSocketChannelCodec::Create(*ChannelProtocol::FromSubprotocol(reply.protocol))
            .value();
    EXPECT_TRUE(server->SendReady(streams.stdout, streams.stderr).ok());
    if (answer.empty()) answer = reply.response;
    return FeedAll(*client, answer + server->transport().TakeOutput(), rec, bytewise);
  }
  std::vector<ChannelEvent> ToServer() {
    std::vector<ChannelEvent> events;
    std::string_view out = client->PendingOutput();
    EXPECT_TRUE(server->Receive(out, &events).ok());
    client->ConsumeOutput(out.size());
    return events;
  }
  Status ToClient(bool bytewise = false) {
    return FeedAll(*client, server->transport().TakeOutput(), rec, bytewise);
  }

  ExecStreams streams;
  std::unique_ptr<WsExecClient> client;
  std::unique_ptr<streaming::WebSocketChannelCodec> server;
  streaming::HttpRequest request;
  Recorder rec;
};

TEST(WsExecClientTest, HandshakeOffersV5ThenV4AndTheServerPicksV5) {
  WsPeer p({.stdin = true});
  ASSERT_TRUE(p.Upgrade().ok());
  EXPECT_EQ(p.request.method, "GET");
  EXPECT_EQ(p.request.target, "/exec/tok3n");
  EXPECT_EQ(p.request.headers.Get("Host"), "127.0.0.1:4242");
  EXPECT_EQ(p.request.headers.Get("Sec-WebSocket-Protocol"),
            "v5.channel.k8s.io, v4.channel.k8s.io");
  EXPECT_EQ(p.client->protocol(), "v5.channel.k8s.io");
  EXPECT_TRUE(p.client->Ready());
  EXPECT_FALSE(p.client->Finished());
  // The ready message wrote nothing.
  EXPECT_EQ(p.rec.out, "");
}

void RunWsSession(bool bytewise) {
  WsPeer p({.stdin = true});
  ASSERT_TRUE(p.Upgrade(bytewise).ok());
  ASSERT_TRUE(p.client->SendStdin("hello\n").ok());
  ASSERT_TRUE(p.client->CloseStdin().ok());
  auto events = p.ToServer();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].channel, streaming::kStdinChannel);
  EXPECT_EQ(events[0].data, "hello\n");
  EXPECT_EQ(events[1].type, ChannelEvent::Type::kClose);  // v5: [255, 0]
  EXPECT_EQ(events[1].channel, streaming::kStdinChannel);

  ASSERT_TRUE(p.server->Send(streaming::kStdoutChannel, "out\n").ok());
  ASSERT_TRUE(p.server->Send(streaming::kStderrChannel, "err\n").ok());
  ASSERT_TRUE(p.server->transport().SendPing("p").ok());
  ASSERT_TRUE(p.ToClient(bytewise).ok());
  EXPECT_EQ(p.rec.out, "out\n");
  EXPECT_EQ(p.rec.err, "err\n");
  EXPECT_FALSE(p.client->Finished());
  ASSERT_TRUE(p.server->Send(streaming::kErrorChannel, kExit3).ok());
  ASSERT_TRUE(p.server->SendClose(1000).ok());
  ASSERT_TRUE(p.ToClient(bytewise).ok());
  // The answer to the close is still to be written: not finished until it is.
  EXPECT_FALSE(p.client->Finished());
  p.ToServer();
  EXPECT_TRUE(p.client->Finished());
  EXPECT_TRUE(p.server->transport().close_received());
  EXPECT_TRUE(p.server->transport().finished());
  EXPECT_EQ(*ExitCodeFromStatus(p.client->StatusPayload()), 3);
}

TEST(WsExecClientTest, SessionWholeBuffers) { RunWsSession(false); }
TEST(WsExecClientTest, SessionOneByteAtATime) { RunWsSession(true); }

TEST(WsExecClientTest, TtyResizeGoesOnChannel4StartingWithTheInitialSize) {
  WsPeer p({.stdin = true, .stderr = false, .tty = true}, TerminalSize{80, 24});
  ASSERT_TRUE(p.Upgrade().ok());
  ASSERT_TRUE(p.client->SendResize(TerminalSize{120, 40}).ok());
  auto events = p.ToServer();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].channel, streaming::kResizeChannel);
  EXPECT_EQ(events[0].data, "{\"Width\":80,\"Height\":24}\n");
  EXPECT_EQ(events[1].data, "{\"Width\":120,\"Height\":40}\n");
}

TEST(WsExecClientTest, V4HasNoStdinEof) {
  WsPeer p({.stdin = true});
  // The server would rather speak v4 (as the CRI library does: it knows no v5).
  ASSERT_TRUE(p.client->Start().ok());
  auto request = TakeRequest(*p.client);
  std::string answer =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
      streaming::WebSocketAccept(*request.headers.Get("Sec-WebSocket-Key")) +
      "\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n";
  ASSERT_TRUE(p.client->Feed(answer, p.rec).ok());
  EXPECT_EQ(p.client->protocol(), "v4.channel.k8s.io");
  ASSERT_TRUE(p.client->SendStdin("x").ok());
  size_t before = p.client->PendingOutput().size();
  EXPECT_GT(before, 0u);
  ASSERT_TRUE(p.client->CloseStdin().ok());
  EXPECT_EQ(p.client->PendingOutput().size(), before);  // nothing queued for the EOF
}

TEST(WsExecClientTest, RefusalsSayWhatTheServerSaid) {
  {
    WsPeer p({});
    ASSERT_TRUE(p.client->Start().ok());
    TakeRequest(*p.client);
    auto s = p.client->Feed(streaming::NotFoundResponse(), p.rec);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("answered 404: 404 page not found"), std::string::npos)
        << s.error().message;
    EXPECT_NE(s.error().message.find("used or expired"), std::string::npos);
  }
  {
    WsPeer p({});
    ASSERT_TRUE(p.client->Start().ok());
    TakeRequest(*p.client);
    auto s = p.client->Feed(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"
        "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n",
        p.rec);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("Sec-WebSocket-Accept"), std::string::npos);
  }
  {
    WsPeer p({});
    ASSERT_TRUE(p.client->Start().ok());
    auto request = TakeRequest(*p.client);
    auto s = p.client->Feed(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
            streaming::WebSocketAccept(*request.headers.Get("Sec-WebSocket-Key")) +
            "\r\nSec-WebSocket-Protocol: base64.channel.k8s.io\r\n\r\n",
        p.rec);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("base64.channel.k8s.io"), std::string::npos);
  }
}

TEST(WsExecClientTest, ACloseWithoutAStatusIsAnError) {
  WsPeer p({});
  ASSERT_TRUE(p.Upgrade().ok());
  ASSERT_TRUE(p.server->SendClose(1011, "boom").ok());
  auto s = p.ToClient();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("without an exit status"), std::string::npos);
}

// ---------------------------------------------------------------------------------- SPDY

struct SpdyPeer {
  explicit SpdyPeer(ExecStreams s, std::optional<TerminalSize> size = std::nullopt)
      : client(SpdyExecClient::Create(kTarget, s, size).value()),
        server(streaming::SpdyCodec::Create().value()) {}

  Status Upgrade(std::string answer = {}, std::string after = {}) {
    EXPECT_TRUE(client->Start().ok());
    request = TakeRequest(*client);
    if (answer.empty()) {
      auto reply = streaming::AnswerSpdyUpgrade(request, StreamService::kRemoteCommand);
      EXPECT_TRUE(reply.accepted()) << reply.response;
      answer = reply.response;
    }
    return client->Feed(answer + after, rec);
  }
  void ToServer() {
    std::string_view out = client->PendingOutput();
    server.Feed(out, sink);
    client->ConsumeOutput(out.size());
  }
  Status ToClient(bool bytewise = false) {
    return FeedAll(*client, server.TakeOutput(), rec, bytewise);
  }
  // Answers every stream the client opened so far.
  void ReplyAll() {
    for (auto& event : sink.events) {
      if (auto* syn = std::get_if<streaming::SpdySynStream>(&event)) {
        EXPECT_TRUE(server.SynReply(syn->stream_id, {}, false).ok());
      }
    }
  }

  std::unique_ptr<SpdyExecClient> client;
  streaming::SpdyCodec server;
  streaming::testing::RecordingSink sink;
  streaming::HttpRequest request;
  Recorder rec;
};

TEST(SpdyExecClientTest, HandshakeThenStreamsInClientGoOrder) {
  SpdyPeer p({.stdin = true});
  ASSERT_TRUE(p.Upgrade().ok());
  EXPECT_EQ(p.request.method, "POST");
  EXPECT_EQ(p.request.headers.Get("Upgrade"), "SPDY/3.1");
  auto versions = p.request.headers.GetAll("X-Stream-Protocol-Version");
  EXPECT_EQ(std::vector<std::string>(versions.begin(), versions.end()),
            (std::vector<std::string>{"v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io",
                                      "channel.k8s.io"}));
  EXPECT_EQ(p.client->protocol(), "v4.channel.k8s.io");
  p.ToServer();
  EXPECT_EQ(p.sink.log,
            (std::vector<std::string>{"syn 1 streamtype=error", "syn 3 streamtype=stdin",
                                      "syn 5 streamtype=stdout", "syn 7 streamtype=stderr"}));
  EXPECT_FALSE(p.client->Ready());
  p.ReplyAll();
  ASSERT_TRUE(p.ToClient().ok());
  EXPECT_TRUE(p.client->Ready());
}

void RunSpdySession(bool bytewise) {
  SpdyPeer p({.stdin = true});
  ASSERT_TRUE(p.Upgrade().ok());
  p.ToServer();
  p.ReplyAll();
  ASSERT_TRUE(p.ToClient(bytewise).ok());
  ASSERT_TRUE(p.client->SendStdin("hello\n").ok());
  ASSERT_TRUE(p.client->CloseStdin().ok());
  p.ToServer();
  EXPECT_EQ(p.sink.log.back(), "data 3 [hello\n] fin");

  ASSERT_TRUE(p.server.Data(5, "out\n", true).ok());
  ASSERT_TRUE(p.server.Data(7, "err\n", true).ok());
  p.server.Ping();  // id 2: the client must echo it
  ASSERT_TRUE(p.ToClient(bytewise).ok());
  EXPECT_EQ(p.rec.out, "out\n");
  EXPECT_EQ(p.rec.err, "err\n");
  EXPECT_FALSE(p.client->Finished());
  p.ToServer();
  EXPECT_EQ(p.sink.log.back(), "ping 2 reply");
  // How a session ends upstream: the status, then RST for every stream and GOAWAY.
  ASSERT_TRUE(p.server.Data(1, kExit3, false).ok());
  for (uint32_t id : {1u, 3u, 5u, 7u})
    EXPECT_TRUE(p.server.RstStream(id, streaming::SpdyRstStatus::kCancel).ok()) << id;
  p.server.GoAway(streaming::SpdyGoAwayStatus::kOk);
  ASSERT_TRUE(p.ToClient(bytewise).ok());
  EXPECT_TRUE(p.client->Finished());
  EXPECT_EQ(*ExitCodeFromStatus(p.client->StatusPayload()), 3);
}

TEST(SpdyExecClientTest, SessionWholeBuffers) { RunSpdySession(false); }
TEST(SpdyExecClientTest, SessionOneByteAtATime) { RunSpdySession(true); }

TEST(SpdyExecClientTest, TtyOpensResizeInsteadOfStderrAndSendsTheSizeAfterTheReply) {
  SpdyPeer p({.stdin = true, .stderr = false, .tty = true}, TerminalSize{80, 24});
  ASSERT_TRUE(p.Upgrade().ok());
  p.ToServer();
  EXPECT_EQ(p.sink.log,
            (std::vector<std::string>{"syn 1 streamtype=error", "syn 3 streamtype=stdin",
                                      "syn 5 streamtype=stdout", "syn 7 streamtype=resize"}));
  p.ReplyAll();
  ASSERT_TRUE(p.ToClient().ok());
  ASSERT_TRUE(p.client->SendResize(TerminalSize{120, 40}).ok());
  p.ToServer();
  EXPECT_EQ(p.sink.log.back(),
            "data 7 [{\"Width\":80,\"Height\":24}\n{\"Width\":120,\"Height\":40}\n]");
}

TEST(SpdyExecClientTest, V2HasNoResizeStreamAndATextStatus) {
  SpdyPeer p({.tty = true}, TerminalSize{80, 24});
  ASSERT_TRUE(p.Upgrade("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                        "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v2.channel.k8s.io\r\n\r\n")
                  .ok());
  p.ToServer();
  EXPECT_EQ(p.sink.log,
            (std::vector<std::string>{"syn 1 streamtype=error", "syn 3 streamtype=stdout"}));
  p.ReplyAll();
  ASSERT_TRUE(p.server.Data(1, "command terminated with \"non-zero\" exit code", true).ok());
  ASSERT_TRUE(p.server.Data(3, "", true).ok());
  ASSERT_TRUE(p.ToClient().ok());
  ASSERT_TRUE(p.client->Finished());
  auto code = ExitCodeFromStatus(p.client->StatusPayload());
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.error().message, "command terminated with \"non-zero\" exit code");
}

TEST(SpdyExecClientTest, FramesRightAfterThe101AreNotLost) {
  SpdyPeer p({});
  std::string ping;
  streaming::AppendSpdyPing(ping, 4);
  ASSERT_TRUE(p.client->Start().ok());
  p.request = TakeRequest(*p.client);
  std::string answer =
      streaming::AnswerSpdyUpgrade(p.request, StreamService::kRemoteCommand).response;
  ASSERT_TRUE(p.client->Feed(answer + ping, p.rec).ok());
  p.ToServer();
  EXPECT_EQ(p.sink.log.back(), "ping 4 reply");
}

TEST(SpdyExecClientTest, RefusalsAndMissingStatusAreErrors) {
  {
    SpdyPeer p({});
    auto s = p.Upgrade(streaming::ErrorResponse(403, "requested protocol(s) are not supported"));
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("answered 403: requested protocol(s) are not supported"),
              std::string::npos)
        << s.error().message;
  }
  {
    SpdyPeer p({});
    ASSERT_TRUE(p.Upgrade().ok());
    p.ToServer();
    ASSERT_TRUE(p.server.RstStream(1, streaming::SpdyRstStatus::kRefusedStream).ok());
    auto s = p.ToClient();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("open error stream: the streaming server refused it"),
              std::string::npos)
        << s.error().message;
  }
  {
    SpdyPeer p({});
    ASSERT_TRUE(p.Upgrade().ok());
    p.ToServer();
    p.ReplyAll();
    p.server.GoAway(streaming::SpdyGoAwayStatus::kOk);
    auto s = p.ToClient();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("without an exit status"), std::string::npos);
  }
}

// ---------------------------------------------------- whole sessions over a real socket

streaming::HttpRequest ReadHead(int fd, std::string* rest) {
  std::string buffered;
  char buf[4096];
  for (;;) {
    auto parsed = streaming::ParseHttpRequestHead(buffered);
    if (parsed.state == streaming::HttpRequestParser::State::kDone) {
      *rest = buffered.substr(parsed.request.head_bytes);
      return parsed.request;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
      ADD_FAILURE() << "no request head";
      return {};
    }
    buffered.append(buf, static_cast<size_t>(n));
  }
}

void WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = write(fd, bytes.data(), bytes.size());
    ASSERT_GT(n, 0);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

std::string ReadToEnd(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// Local stdin ("piped\n", then EOF), stdout and stderr as pipes; the socket a socketpair.
struct LocalEnds {
  LocalEnds() {
    int sv[2], in[2], out[2], err[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    EXPECT_EQ(pipe(in), 0);
    EXPECT_EQ(pipe(out), 0);
    EXPECT_EQ(pipe(err), 0);
    client = UniqueFd(sv[0]);
    server = UniqueFd(sv[1]);
    EXPECT_EQ(write(in[1], "piped\n", 6), 6);
    close(in[1]);
    stdin_r = UniqueFd(in[0]);
    stdout_r = UniqueFd(out[0]);
    stdout_w = UniqueFd(out[1]);
    stderr_r = UniqueFd(err[0]);
    stderr_w = UniqueFd(err[1]);
  }
  Result<ExecOutcome> Run(ExecProtocol& protocol) {
    ExecSessionIo io{stdin_r.get(), stdout_w.get(), stderr_w.get(), -1};
    auto outcome = RunExecSession(std::move(client), protocol, io, nullptr);
    stdout_w = UniqueFd();
    stderr_w = UniqueFd();
    return outcome;
  }
  UniqueFd client, server, stdin_r, stdout_r, stdout_w, stderr_r, stderr_w;
};

TEST(ExecTransportSessionTest, WebSocketV5StdinEofOutputAndTheCloseHandshake) {
  LocalEnds ends;
  std::string got_stdin;
  bool close_answered = false;
  std::thread server([&] {
    int fd = ends.server.get();
    std::string rest;
    auto request = ReadHead(fd, &rest);
    auto reply = streaming::AnswerWebSocketUpgrade(request, StreamService::kRemoteCommand);
    auto codec =
        streaming::WebSocketChannelCodec::Create(*ChannelProtocol::FromSubprotocol(reply.protocol))
            .value();
    EXPECT_TRUE(codec->SendReady(true, true).ok());
    EXPECT_TRUE(codec->Send(streaming::kStdoutChannel, "out\n").ok());
    EXPECT_TRUE(codec->Send(streaming::kStderrChannel, "err\n").ok());
    WriteAll(fd, reply.response + codec->transport().TakeOutput());
    // Echo stdin once the v5 close signal says it is complete.
    bool eof = false;
    char buf[4096];
    while (!eof) {
      if (rest.empty()) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return;
        rest.assign(buf, static_cast<size_t>(n));
      }
      std::vector<ChannelEvent> events;
      if (!codec->Receive(rest, &events).ok()) return;
      rest.clear();
      for (const auto& e : events) {
        if (e.type == ChannelEvent::Type::kClose) eof = true;
        if (e.type == ChannelEvent::Type::kData) got_stdin += e.data;
      }
    }
    EXPECT_TRUE(codec->Send(streaming::kStdoutChannel, got_stdin).ok());
    EXPECT_TRUE(codec->Send(streaming::kErrorChannel, kExit3).ok());
    EXPECT_TRUE(codec->SendClose(1000).ok());
    WriteAll(fd, codec->transport().TakeOutput());
    while (!codec->transport().close_received()) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      std::vector<ChannelEvent> events;
      if (!codec->Receive(std::string_view(buf, static_cast<size_t>(n)), &events).ok()) break;
    }
    close_answered = codec->transport().close_received();
    shutdown(fd, SHUT_WR);
  });
  auto client = WsExecClient::Create(kTarget, {.stdin = true}, std::nullopt).value();
  auto outcome = ends.Run(*client);
  server.join();
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 3);
  EXPECT_EQ(got_stdin, "piped\n");
  EXPECT_EQ(ReadToEnd(ends.stdout_r.get()), "out\npiped\n");
  EXPECT_EQ(ReadToEnd(ends.stderr_r.get()), "err\n");
  EXPECT_TRUE(close_answered);
}

// Replies to each stream as it arrives and collects stdin, like the streaming server.
struct ServerSink : streaming::SpdyEventSink {
  void OnSpdyEvent(streaming::SpdyEvent& event) override {
    if (auto* syn = std::get_if<streaming::SpdySynStream>(&event)) {
      opened.push_back(syn->stream_id);
      EXPECT_TRUE(codec->SynReply(syn->stream_id, {}, false).ok());
    } else if (auto* data = std::get_if<streaming::SpdyData>(&event)) {
      if (data->stream_id != 3) return;
      stdin_data.append(data->bytes);
      stdin_eof = stdin_eof || data->fin;
    }
  }
  streaming::SpdyCodec* codec = nullptr;
  std::vector<uint32_t> opened;
  std::string stdin_data;
  bool stdin_eof = false;
};

TEST(ExecTransportSessionTest, SpdyStdinEofOutputStatusAndGoAway) {
  LocalEnds ends;
  ServerSink sink;
  std::thread server([&] {
    int fd = ends.server.get();
    std::string rest;
    auto request = ReadHead(fd, &rest);
    auto reply = streaming::AnswerSpdyUpgrade(request, StreamService::kRemoteCommand);
    WriteAll(fd, reply.response);
    auto codec = streaming::SpdyCodec::Create().value();
    sink.codec = &codec;
    char buf[4096];
    while (!sink.stdin_eof) {
      if (rest.empty()) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return;
        rest.assign(buf, static_cast<size_t>(n));
      }
      codec.Feed(rest, sink);
      rest.clear();
      WriteAll(fd, codec.TakeOutput());
    }
    EXPECT_TRUE(codec.Data(5, "out\n" + sink.stdin_data, true).ok());
    EXPECT_TRUE(codec.Data(7, "err\n", true).ok());
    EXPECT_TRUE(codec.Data(1, kExit3, true).ok());
    for (uint32_t id : sink.opened)
      EXPECT_TRUE(codec.RstStream(id, streaming::SpdyRstStatus::kCancel).ok()) << id;
    codec.GoAway(streaming::SpdyGoAwayStatus::kOk);
    WriteAll(fd, codec.TakeOutput());
    shutdown(fd, SHUT_WR);
  });
  auto client = SpdyExecClient::Create(kTarget, {.stdin = true}, std::nullopt).value();
  auto outcome = ends.Run(*client);
  server.join();
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 3);
  EXPECT_EQ(sink.opened, (std::vector<uint32_t>{1, 3, 5, 7}));
  EXPECT_EQ(ReadToEnd(ends.stdout_r.get()), "out\npiped\n");
  EXPECT_EQ(ReadToEnd(ends.stderr_r.get()), "err\n");
}

}  // namespace
}  // namespace airlock::cli
