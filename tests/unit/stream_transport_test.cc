// The SPDY and WebSocket StreamTransport adapters, fed the bytes a real client sends (SPDY
// frames with client-side header compression, masked WebSocket frames) and checked by the
// events they report and the exact frames they queue for the client.
#include "streaming/stream_transport.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "streaming/spdy_transport.h"
#include "streaming/websocket_transport.h"
#include "tests/unit/spdy_test_peer.h"

namespace airlock::streaming {
namespace {

using testing::ParsedFrame;
using testing::ParseFrames;
using testing::SpdyTestClient;

// Records events as comparable lines; consecutive data of one stream merges so that
// different splits of the same bytes compare equal.
class RecordingEvents : public StreamEvents {
 public:
  void OnStreamOpened(const OpenedStream& stream) override {
    std::string line = "open " + std::to_string(stream.id);
    for (const auto& [name, value] : stream.headers) line += " " + name + "=" + value;
    if (stream.remote_closed) line += " closed";
    Add(line);
  }
  void OnStreamData(StreamId id, std::string_view bytes) override {
    const std::string head = "data " + std::to_string(id) + " ";
    if (!log.empty() && log.back().starts_with(head)) {
      log.back().append(bytes);
    } else {
      log.push_back(head + std::string(bytes));
    }
  }
  void OnStreamRemoteClosed(StreamId id) override { Add("fin " + std::to_string(id)); }
  void OnStreamReset(StreamId id) override { Add("reset " + std::to_string(id)); }
  void OnGoAway() override { Add("goaway"); }

  std::vector<std::string> log;

 private:
  void Add(std::string line) { log.push_back(std::move(line)); }
};

// Everything the transport queued, as if the connection wrote it all in one go.
std::string Drain(StreamTransport& transport) {
  std::string out(transport.PendingOutput());
  transport.ConsumeOutput(out.size());
  EXPECT_TRUE(transport.PendingOutput().empty());
  return out;
}

// ---------------------------------------------------------------------------------------
// SPDY

std::unique_ptr<SpdyTransport> NewSpdy(SpdyCodecOptions options = {}) {
  auto transport = SpdyTransport::Create(options);
  EXPECT_TRUE(transport.ok()) << transport.error().message;
  return std::move(*transport);
}

uint16_t Type(SpdyControlType type) { return static_cast<uint16_t>(type); }

TEST(SpdyTransportTest, ExecStreamsBecomeOpenedStreamsWithTheirHeaders) {
  SpdyTestClient client;
  auto spdy = NewSpdy();
  RecordingEvents events;
  ASSERT_TRUE(spdy->Start(events).ok());
  EXPECT_TRUE(events.log.empty()) << "the SPDY client opens its own streams";
  EXPECT_TRUE(spdy->PendingOutput().empty());

  // client-go's order: error (half-closed at once), stdin, stdout; a port-forward style
  // stream with several headers; a unidirectional one.
  std::string wire = client.SynStream(1, {{"streamtype", "error"}}, kSpdyFlagFin);
  wire += client.SynStream(3, {{"streamtype", "stdin"}});
  wire += client.SynStream(5, {{"port", "8080"}, {"requestid", "0"}, {"streamtype", "data"}});
  wire += client.SynStream(7, {{"streamtype", "resize"}}, kSpdyFlagUnidirectional);
  ASSERT_TRUE(spdy->Feed(wire, events).ok());
  EXPECT_EQ(events.log, (std::vector<std::string>{
                            "open 1 streamtype=error closed",
                            "open 3 streamtype=stdin",
                            "open 5 port=8080 requestid=0 streamtype=data",
                            "open 7 streamtype=resize closed",
                        }));
}

TEST(SpdyTransportTest, DataFinResetAndGoAwayFromTheClient) {
  SpdyTestClient client;
  auto spdy = NewSpdy();
  RecordingEvents events;
  std::string wire = client.SynStream(1, {{"streamtype", "stdin"}});
  wire += client.SynStream(3, {{"streamtype", "stdout"}});
  wire += SpdyTestClient::Data(1, "hello ") + SpdyTestClient::Data(1, "world");
  wire += SpdyTestClient::Data(1, "", /*fin=*/true);
  wire += SpdyTestClient::Rst(3, SpdyRstStatus::kCancel) + SpdyTestClient::GoAway(3);
  // Byte by byte: a frame split anywhere must give the same events.
  for (char byte : wire) ASSERT_TRUE(spdy->Feed(std::string_view(&byte, 1), events).ok());
  EXPECT_EQ(events.log, (std::vector<std::string>{
                            "open 1 streamtype=stdin",
                            "open 3 streamtype=stdout",
                            "data 1 hello world",
                            "fin 1",
                            "reset 3",
                            "goaway",
                        }));
}

TEST(SpdyTransportTest, DataWithFinReportsBytesThenRemoteClose) {
  SpdyTestClient client;
  auto spdy = NewSpdy();
  RecordingEvents events;
  ASSERT_TRUE(spdy->Feed(client.SynStream(1, {{"streamtype", "stdin"}}) +
                             SpdyTestClient::Data(1, "last", /*fin=*/true),
                         events)
                  .ok());
  EXPECT_EQ(events.log,
            (std::vector<std::string>{"open 1 streamtype=stdin", "data 1 last", "fin 1"}));
}

TEST(SpdyTransportTest, AcceptWriteEndResetAndCloseQueueTheirFrames) {
  SpdyTestClient client;
  auto spdy = NewSpdy();
  RecordingEvents events;
  std::string wire = client.SynStream(1, {{"streamtype", "error"}});
  wire += client.SynStream(3, {{"streamtype", "stdout"}});
  wire += client.SynStream(5, {{"streamtype", "stderr"}});
  ASSERT_TRUE(spdy->Feed(wire, events).ok());
  EXPECT_TRUE(spdy->PendingOutput().empty()) << "nothing is answered before Accept";

  ASSERT_TRUE(spdy->Accept(1).ok());
  ASSERT_TRUE(spdy->Accept(3).ok());
  ASSERT_TRUE(spdy->Write(3, "out").ok());
  ASSERT_TRUE(spdy->Write(3, "").ok());  // queues nothing
  ASSERT_TRUE(spdy->End(3).ok());
  ASSERT_TRUE(spdy->Reset(5).ok());
  spdy->Close();
  spdy->Close();  // GOAWAY goes out once

  std::vector<ParsedFrame> frames = ParseFrames(Drain(*spdy));
  ASSERT_EQ(frames.size(), 6u);
  EXPECT_EQ(frames[0].header.type, Type(SpdyControlType::kSynReply));
  EXPECT_EQ(ReadBigEndian32(frames[0].payload, 0), 1u);
  EXPECT_EQ(frames[0].header.flags, 0) << "the reply does not half-close the stream";
  EXPECT_EQ(frames[1].header.type, Type(SpdyControlType::kSynReply));
  EXPECT_EQ(ReadBigEndian32(frames[1].payload, 0), 3u);
  EXPECT_FALSE(frames[2].header.control);
  EXPECT_EQ(frames[2].header.stream_id, 3u);
  EXPECT_EQ(frames[2].payload, "out");
  EXPECT_EQ(frames[2].header.flags, 0);
  EXPECT_FALSE(frames[3].header.control);
  EXPECT_EQ(frames[3].header.stream_id, 3u);
  EXPECT_EQ(frames[3].header.flags, kSpdyFlagFin);
  EXPECT_EQ(frames[3].payload, "");
  EXPECT_EQ(frames[4].header.type, Type(SpdyControlType::kRstStream));
  EXPECT_EQ(ReadBigEndian32(frames[4].payload, 0), 5u);
  EXPECT_EQ(ReadBigEndian32(frames[4].payload, 4), uint32_t(SpdyRstStatus::kCancel));
  EXPECT_EQ(frames[5].header.type, Type(SpdyControlType::kGoAway));
  EXPECT_EQ(ReadBigEndian32(frames[5].payload, 0), 5u) << "last good stream";
  EXPECT_EQ(ReadBigEndian32(frames[5].payload, 4), uint32_t(SpdyGoAwayStatus::kOk));
}

TEST(SpdyTransportTest, OwnerMistakesAreErrorsAndQueueNothing) {
  SpdyTestClient client;
  auto spdy = NewSpdy();
  RecordingEvents events;
  ASSERT_TRUE(spdy->Feed(client.SynStream(1, {{"streamtype", "stdout"}}), events).ok());
  EXPECT_FALSE(spdy->Write(1, "early").ok()) << "data before SYN_REPLY";
  EXPECT_FALSE(spdy->Accept(9).ok()) << "unknown stream";
  EXPECT_FALSE(spdy->Write(9, "x").ok());
  EXPECT_TRUE(spdy->PendingOutput().empty());
  ASSERT_TRUE(spdy->Accept(1).ok());
  ASSERT_TRUE(spdy->End(1).ok());
  Drain(*spdy);
  EXPECT_FALSE(spdy->Write(1, "late").ok()) << "data after FIN";
  EXPECT_TRUE(spdy->PendingOutput().empty());
}

TEST(SpdyTransportTest, ClientPingIsEchoed) {
  auto spdy = NewSpdy();
  RecordingEvents events;
  ASSERT_TRUE(spdy->Feed(SpdyTestClient::Ping(7), events).ok());
  EXPECT_TRUE(events.log.empty());
  EXPECT_EQ(Drain(*spdy), SpdyTestClient::Ping(7));
}

TEST(SpdyTransportTest, ProtocolErrorFailsTheConnectionAndKeepsTheGoAway) {
  SpdyTestClient client;
  auto spdy = NewSpdy();
  RecordingEvents events;
  ASSERT_TRUE(spdy->Feed(client.SynStream(1, {{"streamtype", "stdin"}}), events).ok());
  // A SPDY/2 control frame: version 2, type PING.
  std::string bad = SpdyTestClient::Ping(1);
  bad[1] = 2;
  Status status = spdy->Feed(bad, events);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("read spdy connection: "), std::string::npos);
  EXPECT_NE(status.error().message.find("version 2"), std::string::npos) << status.error().message;

  std::vector<ParsedFrame> frames = ParseFrames(spdy->PendingOutput());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].header.type, Type(SpdyControlType::kGoAway));
  EXPECT_EQ(ReadBigEndian32(frames[0].payload, 4), uint32_t(SpdyGoAwayStatus::kProtocolError));

  // Later input is not parsed: the same error again, no events.
  const size_t before = events.log.size();
  Status again = spdy->Feed(SpdyTestClient::Data(1, "more"), events);
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, status.error().message);
  EXPECT_EQ(events.log.size(), before);
}

TEST(SpdyTransportTest, TenMebibytesDrainInPiecesWithoutCopying) {
  SpdyTestClient client;
  auto spdy = NewSpdy();
  RecordingEvents events;
  ASSERT_TRUE(spdy->Feed(client.SynStream(1, {{"streamtype", "stdout"}}), events).ok());
  ASSERT_TRUE(spdy->Accept(1).ok());
  std::string payload(10 * 1024 * 1024, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 131 % 251);
  ASSERT_TRUE(spdy->Write(1, payload).ok());

  std::string wire;
  size_t pieces = 0;
  bool tail_written = false;
  while (!spdy->PendingOutput().empty()) {
    std::string_view pending = spdy->PendingOutput();
    const size_t n = std::min<size_t>(pending.size(), 60'000);  // a socket's partial write
    wire.append(pending.substr(0, n));
    spdy->ConsumeOutput(n);
    ++pieces;
    std::string_view rest = spdy->PendingOutput();
    if (!rest.empty()) {
      // Consuming moves a view, not the bytes behind it.
      EXPECT_EQ(rest.data(), pending.data() + n);
    }
    if (!tail_written && wire.size() > payload.size() / 2) {
      // More output queued while half of the first is still unwritten stays behind it.
      ASSERT_TRUE(spdy->Write(1, "tail").ok());
      ASSERT_TRUE(spdy->End(1).ok());
      tail_written = true;
    }
  }
  EXPECT_GT(pieces, 100u);

  std::string received;
  std::vector<ParsedFrame> frames = ParseFrames(wire);
  ASSERT_GE(frames.size(), 3u);
  for (size_t i = 1; i < frames.size(); ++i) {
    ASSERT_FALSE(frames[i].header.control);
    EXPECT_EQ(frames[i].header.stream_id, 1u);
    EXPECT_EQ(frames[i].header.flags, i + 1 == frames.size() ? kSpdyFlagFin : 0);
    received += frames[i].payload;
  }
  EXPECT_TRUE(received == payload + "tail") << "payload differs, size " << received.size();
}

// ---------------------------------------------------------------------------------------
// WebSocket

// A masked client frame (RFC 6455 §5.2); servers must refuse unmasked ones.
std::string ClientFrame(uint8_t opcode, std::string_view payload, bool masked = true) {
  std::string f;
  f += static_cast<char>(0x80 | opcode);
  const uint8_t mask_bit = masked ? 0x80 : 0x00;
  if (payload.size() < 126) {
    f += static_cast<char>(mask_bit | payload.size());
  } else if (payload.size() <= 0xffff) {
    f += static_cast<char>(mask_bit | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xff);
  } else {
    f += static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) {
      f += static_cast<char>((payload.size() >> shift) & 0xff);
    }
  }
  const uint8_t key[4] = {0xa1, 0x5c, 0x03, 0x7e};
  if (masked) f.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    f += static_cast<char>(payload[i] ^ (masked ? key[i % 4] : 0));
  }
  return f;
}
std::string Binary(std::string_view payload) { return ClientFrame(0x2, payload); }
std::string Text(std::string_view payload) { return ClientFrame(0x1, payload); }
std::string CloseFrame(uint16_t code) {
  return ClientFrame(0x8, std::string{char(code >> 8), char(code & 0xff)});
}

struct ServerFrame {
  uint8_t opcode = 0;
  std::string payload;
};

// Splits what the server wrote into frames; server frames are never masked.
std::vector<ServerFrame> ParseServerFrames(std::string_view bytes) {
  std::vector<ServerFrame> frames;
  size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 2) {
      ADD_FAILURE() << "partial frame header at " << at;
      break;
    }
    const uint8_t b0 = bytes[at], b1 = bytes[at + 1];
    EXPECT_TRUE(b0 & 0x80) << "server frames are not fragmented";
    EXPECT_FALSE(b1 & 0x80) << "server frames are not masked";
    uint64_t length = b1 & 0x7f;
    at += 2;
    const int extra = length == 126 ? 2 : length == 127 ? 8 : 0;
    if (extra > 0) {
      length = 0;
      for (int i = 0; i < extra; ++i) length = (length << 8) | uint8_t(bytes[at + i]);
      at += extra;
    }
    if (bytes.size() - at < length) {
      ADD_FAILURE() << "partial frame payload at " << at;
      break;
    }
    frames.push_back({uint8_t(b0 & 0x0f), std::string(bytes.substr(at, length))});
    at += length;
  }
  return frames;
}

// The one message a channel write produces, as the server frames it.
std::string Chan(uint8_t channel, std::string_view payload) {
  return std::string(1, char(channel)) + std::string(payload);
}

std::unique_ptr<WebSocketTransport> NewRemoteCommand(std::string_view subprotocol, bool stdin,
                                                     bool stdout, bool stderr, bool tty) {
  auto transport = WebSocketTransport::CreateRemoteCommand(
      *ChannelProtocol::FromSubprotocol(subprotocol), stdin, stdout, stderr, tty);
  EXPECT_TRUE(transport.ok()) << transport.error().message;
  return std::move(*transport);
}

std::unique_ptr<WebSocketTransport> NewPortForward(std::string_view subprotocol,
                                                   std::vector<uint16_t> ports) {
  auto transport =
      WebSocketTransport::CreatePortForward(*ChannelProtocol::FromSubprotocol(subprotocol), ports);
  EXPECT_TRUE(transport.ok()) << transport.error().message;
  return std::move(*transport);
}

TEST(WebSocketTransportTest, RemoteCommandChannelsOpenAndReadyGoesToStdout) {
  auto ws = NewRemoteCommand("v4.channel.k8s.io", true, true, false, true);
  RecordingEvents events;
  ASSERT_TRUE(ws->Start(events).ok());
  EXPECT_EQ(events.log, (std::vector<std::string>{
                            "open 4 streamtype=error closed",
                            "open 1 streamtype=stdin",
                            "open 2 streamtype=stdout closed",
                            "open 5 streamtype=resize",
                        }));
  // The ready message: one empty binary message on stdout, i.e. bytes 82 01 01.
  EXPECT_EQ(Drain(*ws), std::string("\x82\x01\x01", 3));
  EXPECT_FALSE(ws->Start(events).ok()) << "the channels open once";
}

TEST(WebSocketTransportTest, ReadyFallsBackToStderrThenError) {
  auto stderr_only = NewRemoteCommand("channel.k8s.io", false, false, true, false);
  RecordingEvents events;
  ASSERT_TRUE(stderr_only->Start(events).ok());
  EXPECT_EQ(events.log, (std::vector<std::string>{"open 4 streamtype=error closed",
                                                  "open 3 streamtype=stderr closed"}));
  EXPECT_EQ(Drain(*stderr_only), std::string("\x82\x01\x02", 3));

  auto none = NewRemoteCommand("base64.channel.k8s.io", true, false, false, false);
  ASSERT_TRUE(none->Start(events).ok());
  EXPECT_EQ(Drain(*none),
            "\x81\x01"
            "3")
      << "text '3' with an empty base64 payload";
}

TEST(WebSocketTransportTest, BinaryStdinResizeAndOutputChannels) {
  auto ws = NewRemoteCommand("v4.channel.k8s.io", true, true, true, true);
  RecordingEvents events;
  ASSERT_TRUE(ws->Start(events).ok());
  Drain(*ws);
  events.log.clear();

  const std::string resize = R"({"Width":80,"Height":24})";
  std::string wire = Binary(Chan(0, "ls ")) + Binary(Chan(0, "-l\n")) + Binary(Chan(4, resize));
  // Split mid-frame to show the reassembly.
  ASSERT_TRUE(ws->Feed(std::string_view(wire).substr(0, 5), events).ok());
  ASSERT_TRUE(ws->Feed(std::string_view(wire).substr(5), events).ok());
  EXPECT_EQ(events.log, (std::vector<std::string>{"data 1 ls -l\n", "data 5 " + resize}));

  ASSERT_TRUE(ws->Accept(2).ok());  // no bytes for WebSocket
  ASSERT_TRUE(ws->Write(2, "out").ok());
  ASSERT_TRUE(ws->Write(3, "err").ok());
  ASSERT_TRUE(ws->Write(4, "{\"status\":\"Success\"}").ok());
  ASSERT_TRUE(ws->End(2).ok());
  ASSERT_TRUE(ws->Reset(3).ok());
  std::vector<ServerFrame> frames = ParseServerFrames(Drain(*ws));
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].opcode, 0x2);
  EXPECT_EQ(frames[0].payload, Chan(1, "out"));
  EXPECT_EQ(frames[1].payload, Chan(2, "err"));
  EXPECT_EQ(frames[2].payload, Chan(3, "{\"status\":\"Success\"}"));

  EXPECT_FALSE(ws->Write(1, "x").ok()) << "stdin is the client's";
  EXPECT_FALSE(ws->Write(5, "x").ok()) << "resize is the client's";
  EXPECT_FALSE(ws->Write(6, "x").ok()) << "no such channel";
  EXPECT_FALSE(ws->Write(0, "x").ok()) << "no stream has id 0";
  EXPECT_TRUE(ws->PendingOutput().empty());
}

TEST(WebSocketTransportTest, Base64ChannelsBothWays) {
  auto ws = NewRemoteCommand("v4.base64.channel.k8s.io", true, true, false, false);
  RecordingEvents events;
  ASSERT_TRUE(ws->Start(events).ok());
  EXPECT_EQ(Drain(*ws),
            "\x81\x01"
            "1");
  events.log.clear();
  ASSERT_TRUE(ws->Feed(Text("0aGVsbG8="), events).ok());
  EXPECT_EQ(events.log, (std::vector<std::string>{"data 1 hello"}));
  ASSERT_TRUE(ws->Write(2, "hi").ok());
  std::vector<ServerFrame> frames = ParseServerFrames(Drain(*ws));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, 0x1);
  EXPECT_EQ(frames[0].payload, "1aGk=");
}

TEST(WebSocketTransportTest, DataOnChannelsTheClientDoesNotOwnIsIgnored) {
  // No stdin, no tty: the client may write to 0 and 4 but nobody listens (upstream's
  // ignore channels); 1-3 are the server's; 7 does not exist.
  auto ws = NewRemoteCommand("v4.channel.k8s.io", false, true, true, false);
  RecordingEvents events;
  ASSERT_TRUE(ws->Start(events).ok());
  events.log.clear();
  std::string wire = Binary(Chan(0, "in")) + Binary(Chan(4, "{}")) + Binary(Chan(1, "x")) +
                     Binary(Chan(3, "x")) + Binary(Chan(7, "x")) + Binary("");
  ASSERT_TRUE(ws->Feed(wire, events).ok());
  EXPECT_TRUE(events.log.empty());
}

TEST(WebSocketTransportTest, V5CloseSignalEndsStdin) {
  auto ws = NewRemoteCommand("v5.channel.k8s.io", true, true, false, false);
  RecordingEvents events;
  ASSERT_TRUE(ws->Start(events).ok());
  events.log.clear();
  std::string wire = Binary(Chan(0, "abc")) + Binary(std::string("\xff\x00", 2)) +
                     Binary(Chan(0, "after close")) + Binary(std::string("\xff\x00", 2)) +
                     Binary(std::string("\xff\x02", 2));  // stderr was not requested
  ASSERT_TRUE(ws->Feed(wire, events).ok());
  EXPECT_EQ(events.log, (std::vector<std::string>{"data 1 abc", "fin 1"}));
}

TEST(WebSocketTransportTest, MalformedCloseSignalFailsWithCloseFrame) {
  auto ws = NewRemoteCommand("v5.channel.k8s.io", true, true, false, false);
  RecordingEvents events;
  ASSERT_TRUE(ws->Start(events).ok());
  Drain(*ws);
  events.log.clear();
  // Valid stdin before the broken message still arrives.
  Status status = ws->Feed(Binary(Chan(0, "ok")) + Binary(std::string("\xff\x00\x00", 3)), events);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("close signal"), std::string::npos)
      << status.error().message;
  EXPECT_EQ(events.log, (std::vector<std::string>{"data 1 ok"}));
  std::vector<ServerFrame> frames = ParseServerFrames(Drain(*ws));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, 0x8);
  EXPECT_EQ(frames[0].payload.substr(0, 2), "\x03\xea");  // 1002
}

TEST(WebSocketTransportTest, BadBase64FailsWith1007) {
  auto ws = NewRemoteCommand("base64.channel.k8s.io", true, true, false, false);
  RecordingEvents events;
  ASSERT_TRUE(ws->Start(events).ok());
  Drain(*ws);
  Status status = ws->Feed(Text("0a*=="), events);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("base64"), std::string::npos) << status.error().message;
  std::vector<ServerFrame> frames = ParseServerFrames(Drain(*ws));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, 0x8);
  EXPECT_EQ(frames[0].payload.substr(0, 2), "\x03\xef");  // 1007
}

TEST(WebSocketTransportTest, UnmaskedClientFrameFails) {
  auto ws = NewRemoteCommand("v4.channel.k8s.io", true, true, false, false);
  RecordingEvents events;
  ASSERT_TRUE(ws->Start(events).ok());
  Drain(*ws);
  events.log.clear();
  EXPECT_FALSE(ws->Feed(ClientFrame(0x2, Chan(0, "x"), /*masked=*/false), events).ok());
  EXPECT_TRUE(events.log.empty());
  std::vector<ServerFrame> frames = ParseServerFrames(Drain(*ws));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, 0x8);
  EXPECT_EQ(frames[0].payload.substr(0, 2), "\x03\xea");  // 1002
}

TEST(WebSocketTransportTest, ClientCloseIsGoAwayOnceAndIsAnswered) {
  auto ws = NewRemoteCommand("v4.channel.k8s.io", true, true, false, false);
  RecordingEvents events;
  ASSERT_TRUE(ws->Start(events).ok());
  Drain(*ws);
  events.log.clear();
  ASSERT_TRUE(ws->Feed(Binary(Chan(0, "bye")) + CloseFrame(1000), events).ok());
  EXPECT_EQ(events.log, (std::vector<std::string>{"data 1 bye", "goaway"}));
  ws->Close();  // our close already answered the client's
  std::vector<ServerFrame> frames = ParseServerFrames(Drain(*ws));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, 0x8);
  EXPECT_EQ(frames[0].payload.substr(0, 2), "\x03\xe8");
  EXPECT_TRUE(ws->finished());
  ASSERT_TRUE(ws->Feed("", events).ok());
  EXPECT_EQ(events.log.size(), 2u) << "goaway is reported once";
}

TEST(WebSocketTransportTest, CloseSends1000AfterQueuedOutput) {
  auto ws = NewRemoteCommand("v4.channel.k8s.io", false, true, false, false);
  RecordingEvents events;
  ASSERT_TRUE(ws->Start(events).ok());
  ASSERT_TRUE(ws->Write(4, "{}").ok());
  ws->Close();
  ws->Close();
  EXPECT_FALSE(ws->Write(2, "late").ok()) << "nothing after the close frame";
  std::vector<ServerFrame> frames = ParseServerFrames(Drain(*ws));
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].payload, Chan(1, ""));  // ready
  EXPECT_EQ(frames[1].payload, Chan(3, "{}"));
  EXPECT_EQ(frames[2].opcode, 0x8);
  EXPECT_EQ(frames[2].payload, "\x03\xe8");
  EXPECT_FALSE(ws->finished()) << "the client has not answered yet";
  ASSERT_TRUE(ws->Feed(CloseFrame(1000), events).ok());
  EXPECT_TRUE(ws->finished());
}

TEST(WebSocketTransportTest, PortForwardChannelsAndPortPrefixes) {
  auto ws = NewPortForward("v4.channel.k8s.io", {8080, 443});
  RecordingEvents events;
  ASSERT_TRUE(ws->Start(events).ok());
  EXPECT_EQ(events.log, (std::vector<std::string>{
                            "open 1 port=8080 requestid=0 streamtype=data",
                            "open 2 port=8080 requestid=0 streamtype=error closed",
                            "open 3 port=443 requestid=1 streamtype=data",
                            "open 4 port=443 requestid=1 streamtype=error closed",
                        }));
  EXPECT_TRUE(ws->PendingOutput().empty()) << "port-forward sends no ready message";

  ASSERT_TRUE(ws->Accept(1).ok());
  ASSERT_TRUE(ws->Accept(1).ok());         // the prefix goes once
  ASSERT_TRUE(ws->Write(2, "boom").ok());  // not accepted: the prefix still comes first
  ASSERT_TRUE(ws->Write(1, "GET /").ok());
  ASSERT_TRUE(ws->Accept(3).ok());
  std::vector<ServerFrame> frames = ParseServerFrames(Drain(*ws));
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[0].payload, std::string("\x00\x90\x1f", 3));  // 8080 = 0x1f90, LE
  EXPECT_EQ(frames[1].payload, std::string("\x01\x90\x1f", 3));
  EXPECT_EQ(frames[2].payload, Chan(1, "boom"));
  EXPECT_EQ(frames[3].payload, Chan(0, "GET /"));
  EXPECT_EQ(frames[4].payload, std::string("\x02\xbb\x01", 3));  // 443 = 0x01bb

  events.log.clear();
  std::string wire = Binary(Chan(0, "req0")) + Binary(Chan(1, "dropped")) +
                     Binary(Chan(2, "req1")) + Binary(Chan(4, "dropped"));
  ASSERT_TRUE(ws->Feed(wire, events).ok());
  EXPECT_EQ(events.log, (std::vector<std::string>{"data 1 req0", "data 3 req1"}));
  EXPECT_FALSE(ws->Accept(5).ok());
}

TEST(WebSocketTransportTest, PortForwardBase64Prefix) {
  auto ws = NewPortForward("v4.base64.channel.k8s.io", {80});
  RecordingEvents events;
  ASSERT_TRUE(ws->Start(events).ok());
  ASSERT_TRUE(ws->Accept(1).ok());
  std::vector<ServerFrame> frames = ParseServerFrames(Drain(*ws));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, 0x1);
  EXPECT_EQ(frames[0].payload, "0UAA=");  // base64 of 50 00
}

TEST(WebSocketTransportTest, PortForwardPortLimit) {
  ChannelProtocol v4{false, 4};
  EXPECT_TRUE(WebSocketTransport::CreatePortForward(v4, std::vector<uint16_t>(127, 80)).ok());
  auto too_many = WebSocketTransport::CreatePortForward(v4, std::vector<uint16_t>(128, 80));
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.error().message.find("128 ports"), std::string::npos);
}

TEST(WebSocketTransportTest, TenMebibytesDrainInPieces) {
  auto ws = NewRemoteCommand("v4.channel.k8s.io", false, true, false, false);
  RecordingEvents events;
  ASSERT_TRUE(ws->Start(events).ok());
  std::string payload(10 * 1024 * 1024, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 131 % 251);
  ASSERT_TRUE(ws->Write(2, payload).ok());
  ASSERT_TRUE(ws->Write(2, "tail").ok());
  std::string wire;
  while (!ws->PendingOutput().empty()) {
    std::string_view pending = ws->PendingOutput();
    const size_t n = std::min<size_t>(pending.size(), 60'000);
    wire.append(pending.substr(0, n));
    ws->ConsumeOutput(n);
    if (!ws->PendingOutput().empty()) {
      EXPECT_EQ(ws->PendingOutput().data(), pending.data() + n);
    }
  }
  std::vector<ServerFrame> frames = ParseServerFrames(wire);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].payload, Chan(1, ""));
  EXPECT_TRUE(frames[1].payload == Chan(1, payload)) << "size " << frames[1].payload.size();
  EXPECT_EQ(frames[2].payload, Chan(1, "tail"));
}

}  // namespace
}  // namespace airlock::streaming
