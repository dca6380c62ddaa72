// H2Transport against a real HTTP/2 client: a client-side nghttp2 session in the test,
// connected to the transport through memory buffers. The client checks what a user of the
// protocol would see (response status, bytes per stream, END_STREAM, RST_STREAM and GOAWAY
// codes); the transport's events show what the session above it would be told.
#include "streaming/h2_transport.h"

#include <gtest/gtest.h>

#include "h2_test_peer.h"

namespace airlock::streaming {
namespace {

// ---- tests ------------------------------------------------------------------------------

TEST(H2TransportTest, PriorKnowledgeExecConversation) {
  Pair p;
  auto ids = OpenExecStreams(p.client);
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());

  // Every stream was reported with its request headers; only stdin and resize keep their
  // request body open, the others ended with their HEADERS.
  ASSERT_EQ(p.events.opened.size(), 5u);
  for (const auto& [type, id] : ids) {
    const OpenedStream* s = p.events.Find(type);
    ASSERT_NE(s, nullptr) << type;
    EXPECT_EQ(s->id, static_cast<StreamId>(id));
    EXPECT_EQ(s->headers.at(":path"), "/exec/tok");
    EXPECT_EQ(s->headers.at(":method"), "POST");
    EXPECT_EQ(s->remote_closed, type != "stdin" && type != "resize") << type;
    EXPECT_EQ(p.client.status[id], "200") << type;
  }

  // stdin and resize in, stdin EOF.
  p.client.Send(ids["stdin"], "echo hi\n");
  p.client.Send(ids["resize"], R"({"Width":80,"Height":24})");
  p.client.Finish(ids["stdin"]);
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.events.data[ids["stdin"]], "echo hi\n");
  EXPECT_EQ(p.events.data[ids["resize"]], R"({"Width":80,"Height":24})");
  EXPECT_EQ(p.events.remote_closed, std::vector<StreamId>{static_cast<StreamId>(ids["stdin"])});

  // Output, the status, and the end of each stream.
  const std::string status = R"({"metadata":{},"status":"Success"})";
  ASSERT_TRUE(p.server->Write(ids["stdout"], "hi\n").ok());
  ASSERT_TRUE(p.server->Write(ids["stderr"], "warning\n").ok());
  ASSERT_TRUE(p.server->End(ids["stdout"]).ok());
  ASSERT_TRUE(p.server->End(ids["stderr"]).ok());
  ASSERT_TRUE(p.server->Write(ids["error"], status).ok());
  ASSERT_TRUE(p.server->End(ids["error"]).ok());
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.client.data[ids["stdout"]], "hi\n");
  EXPECT_EQ(p.client.data[ids["stderr"]], "warning\n");
  EXPECT_EQ(p.client.data[ids["error"]], status);
  for (const char* type : {"stdout", "stderr", "error"}) {
    EXPECT_TRUE(p.client.ended.count(ids[type])) << type;
    EXPECT_EQ(p.client.resets.count(ids[type]), 0u) << type;
  }
  // stdin is closed both ways now (client EOF + our empty body end).
  ASSERT_TRUE(p.server->End(ids["stdin"]).ok());
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.client.closed.count(ids["stdin"]), 1u);
  EXPECT_EQ(p.client.closed[ids["stdin"]], static_cast<uint32_t>(NGHTTP2_NO_ERROR));
}

TEST(H2TransportTest, GetWithoutBodyIsRemoteClosedAtOpen) {
  Pair p;
  int32_t id = p.client.Open("/exec/tok", {{"streamtype", "stdout"}}, false, "GET");
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  ASSERT_EQ(p.events.opened.size(), 1u);
  EXPECT_TRUE(p.events.opened[0].remote_closed);
  EXPECT_EQ(p.events.opened[0].headers.at(":method"), "GET");
  EXPECT_TRUE(p.events.remote_closed.empty());  // said once, in OpenedStream
  ASSERT_TRUE(p.server->Write(id, "out").ok());
  ASSERT_TRUE(p.server->End(id).ok());
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.client.data[id], "out");
  EXPECT_EQ(p.client.closed[id], static_cast<uint32_t>(NGHTTP2_NO_ERROR));
  EXPECT_EQ(p.server->open_streams(), 0u);
}

TEST(H2TransportTest, H2cUpgradeMakesTheRequestStreamOne) {
  H2Client client;
  const std::string settings_header = client.Upgrade();
  auto parsed = ParseHttpRequestHead(
      "GET /exec/tok?x=1 HTTP/1.1\r\nHost: node:10250\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: " +
      settings_header + "\r\nStreamType: error\r\n\r\n");
  ASSERT_EQ(parsed.state, HttpRequestParser::State::kDone);
  auto payload = DecodeHttp2Settings(parsed.request);
  ASSERT_TRUE(payload);
  auto created = H2Transport::CreateUpgraded({}, *payload, parsed.request);
  ASSERT_TRUE(created.ok()) << created.error().message;
  std::unique_ptr<H2Transport> server = std::move(created).value();
  Recorder events;
  events.transport = server.get();
  ASSERT_TRUE(server->Start(events).ok());

  ASSERT_EQ(events.opened.size(), 1u);
  const OpenedStream& one = events.opened[0];
  EXPECT_EQ(one.id, 1u);
  EXPECT_TRUE(one.remote_closed);
  EXPECT_EQ(one.headers.at(":path"), "/exec/tok?x=1");
  EXPECT_EQ(one.headers.at(":method"), "GET");
  EXPECT_EQ(one.headers.at("streamtype"), "error");
  EXPECT_EQ(one.headers.at("host"), "node:10250");

  // The rest of the streams come as ordinary HTTP/2 requests after the client preface.
  int32_t out = client.OpenExecStream("stdout");
  EXPECT_EQ(out, 3);
  ASSERT_TRUE(Exchange(*server, client, events).ok());
  ASSERT_EQ(events.opened.size(), 2u);
  EXPECT_EQ(client.status[1], "200");
  EXPECT_EQ(client.status[3], "200");
  ASSERT_TRUE(server->Write(3, "done\n").ok());
  ASSERT_TRUE(server->End(3).ok());
  ASSERT_TRUE(server->Write(1, R"({"status":"Success"})").ok());
  ASSERT_TRUE(server->End(1).ok());
  ASSERT_TRUE(Exchange(*server, client, events).ok());
  EXPECT_EQ(client.data[3], "done\n");
  EXPECT_EQ(client.data[1], R"({"status":"Success"})");
  EXPECT_EQ(client.closed[1], static_cast<uint32_t>(NGHTTP2_NO_ERROR));
}

TEST(H2TransportTest, UpgradeWithBadSettingsIsRefused) {
  auto parsed = ParseHttpRequestHead("GET /exec/tok HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(parsed.state, HttpRequestParser::State::kDone);
  // A SETTINGS payload must be a multiple of 6 bytes.
  auto created = H2Transport::CreateUpgraded({}, std::string("\x00\x03\x00", 3), parsed.request);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().message.find("upgrade to HTTP/2"), std::string::npos);
}

TEST(H2TransportTest, SlowClientWindowBoundsOutputAndBuildsBacklog) {
  ClientOptions slow;
  slow.initial_window = 1024;
  slow.auto_window_update = false;
  Pair p({}, slow);
  int32_t id = p.client.OpenExecStream("stdout");
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());

  const std::string payload = [] {
    std::string s(200 * 1024, '\0');
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>('a' + i % 26);
    return s;
  }();
  ASSERT_TRUE(p.server->Write(id, payload).ok());
  ASSERT_TRUE(p.server->End(id).ok());
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  // Only the client's window went out; the rest waits on the stream, not in the output.
  EXPECT_EQ(p.client.data[id].size(), 1024u);
  EXPECT_EQ(p.server->StreamBacklog(id), payload.size() - 1024);
  EXPECT_TRUE(p.server->PendingOutput().empty());
  EXPECT_FALSE(p.server->Drained());  // an empty output does not mean the tail is out

  // The client reads at its pace: every WINDOW_UPDATE lets exactly that much through.
  int rounds = 0;
  while (p.client.data[id].size() < payload.size() && rounds++ < 1000) {
    const size_t before = p.client.data[id].size();
    p.client.Consume(id, 1024);
    ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
    ASSERT_LE(p.client.data[id].size() - before, 1024u);
    ASSERT_GT(p.client.data[id].size(), before);
  }
  EXPECT_EQ(p.client.data[id], payload);
  EXPECT_TRUE(p.client.ended.count(id));
  EXPECT_EQ(p.server->StreamBacklog(id), 0u);
  EXPECT_TRUE(p.server->Drained());
}

TEST(H2TransportTest, FullOutputKeepsDataOnTheStream) {
  H2Options options;
  options.max_output_bytes = 4096;
  ClientOptions wide;
  wide.initial_window = 1 << 20;
  Pair p(options, wide);
  // Open the connection window too, so only the output limit holds data back.
  nghttp2_submit_window_update(p.client.session(), NGHTTP2_FLAG_NONE, 0, 1 << 20);
  int32_t id = p.client.OpenExecStream("stdout");
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());

  const std::string payload(100 * 1024, 'x');
  ASSERT_TRUE(p.server->Write(id, payload).ok());
  // The socket has not drained anything: the output holds at most the limit plus framing.
  EXPECT_LE(p.server->PendingOutput().size(), 4096u + 9 * 4);
  EXPECT_GE(p.server->StreamBacklog(id), payload.size() - 4096);

  // Draining the output lets the rest through, in order.
  ASSERT_TRUE(p.server->End(id).ok());
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events, 1000).ok());
  EXPECT_EQ(p.client.data[id], payload);
  EXPECT_TRUE(p.client.ended.count(id));
}

TEST(H2TransportTest, ClientResetIsReportedAndLaterWritesAreDropped) {
  Pair p;
  int32_t out = p.client.OpenExecStream("stdout");
  int32_t err = p.client.OpenExecStream("error");
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  p.client.ResetStream(out);
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.events.reset, std::vector<StreamId>{static_cast<StreamId>(out)});
  // The session may still write before it sees the reset: no error, nothing sent.
  EXPECT_TRUE(p.server->Write(out, "late").ok());
  EXPECT_TRUE(p.server->End(out).ok());
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.client.data.count(out), 0u);
  // The other stream is unaffected.
  ASSERT_TRUE(p.server->Write(err, "{}").ok());
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.client.data[err], "{}");
}

TEST(H2TransportTest, ServerResetSendsCancel) {
  Pair p;
  p.events.accept_all = false;
  int32_t id = p.client.Open("/exec/tok", {{"streamtype", "bogus"}}, true);
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  ASSERT_TRUE(p.server->Reset(id).ok());
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.client.resets[id], static_cast<uint32_t>(NGHTTP2_CANCEL));
  EXPECT_EQ(p.client.status.count(id), 0u);
}

TEST(H2TransportTest, OwnerMistakesAreErrors) {
  Pair p;
  p.events.accept_all = false;
  int32_t id = p.client.OpenExecStream("stdin", /*with_body=*/true);
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_FALSE(p.server->Write(id, "x").ok());  // not accepted yet
  EXPECT_FALSE(p.server->End(id).ok());
  EXPECT_FALSE(p.server->Write(99, "x").ok());  // never opened
  EXPECT_FALSE(p.server->Accept(99).ok());
  ASSERT_TRUE(p.server->Accept(id).ok());
  EXPECT_FALSE(p.server->Accept(id).ok());
  ASSERT_TRUE(p.server->End(id).ok());
  EXPECT_FALSE(p.server->Write(id, "after end").ok());
}

TEST(H2TransportTest, PingIsAnsweredAndGoAwayReported) {
  Pair p;
  ASSERT_EQ(nghttp2_submit_ping(p.client.session(), NGHTTP2_FLAG_NONE, nullptr), 0);
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.client.ping_acks, 1);
  ASSERT_EQ(
      nghttp2_submit_goaway(p.client.session(), NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0),
      0);
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.events.goaways, 1);
}

TEST(H2TransportTest, CloseLetsOpenStreamsFinish) {
  Pair p;
  int32_t id = p.client.OpenExecStream("stdout");
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  p.server->Close();
  ASSERT_TRUE(p.server->Write(id, "tail").ok());
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  ASSERT_EQ(p.client.goaways, std::vector<uint32_t>{NGHTTP2_NO_ERROR});
  EXPECT_FALSE(p.server->finished());  // the stream is still open
  // A stream opened after our GOAWAY is not served.
  int32_t late = p.client.OpenExecStream("stderr");
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.events.opened.size(), 1u);
  EXPECT_EQ(p.client.status.count(late), 0u);

  ASSERT_TRUE(p.server->End(id).ok());
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.client.data[id], "tail");
  EXPECT_TRUE(p.client.ended.count(id));
  EXPECT_TRUE(p.server->finished());
}

TEST(H2TransportTest, FeedSplitAtEveryByteGivesTheSameEvents) {
  Pair whole;
  auto ids = OpenExecStreams(whole.client);
  whole.client.Send(ids["stdin"], "abc");
  whole.client.Finish(ids["stdin"]);
  const std::string bytes = whole.client.TakeOutput();
  ASSERT_TRUE(whole.server->Feed(bytes, whole.events).ok());

  auto created = H2Transport::CreatePriorKnowledge({});
  ASSERT_TRUE(created.ok());
  auto split = std::move(created).value();
  Recorder events;
  events.transport = split.get();
  ASSERT_TRUE(split->Start(events).ok());
  for (char c : bytes) ASSERT_TRUE(split->Feed(std::string_view(&c, 1), events).ok());
  ASSERT_EQ(events.opened.size(), whole.events.opened.size());
  for (size_t i = 0; i < events.opened.size(); ++i) {
    EXPECT_EQ(events.opened[i].headers, whole.events.opened[i].headers);
  }
  EXPECT_EQ(events.data, whole.events.data);
  EXPECT_EQ(events.remote_closed, whole.events.remote_closed);
  EXPECT_EQ(events.data[ids["stdin"]], "abc");
}


}  // namespace
}  // namespace airlock::streaming
