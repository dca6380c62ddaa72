// H2Transport against a real HTTP/2 client: a client-side nghttp2 session in the test,
// connected to the transport through memory buffers. The client checks what a user of the
// protocol would see (response status, bytes per stream, END_STREAM, RST_STREAM and GOAWAY
// codes); the transport's events show what the session above it would be told.
#include "streaming/h2_transport.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "shim/base/clock.h"
#include "streaming/http_base64.h"
#include "streaming/http_request.h"
#include "streaming/upgrade.h"

namespace airlock::streaming {
namespace {

// ---- the client side -------------------------------------------------------------------

struct ClientOptions {
  uint32_t initial_window = 65535;
  bool auto_window_update = true;
};

class H2Client {
 public:
  explicit H2Client(ClientOptions options = {}) : options_(options) {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &OnFrameRecv);
    nghttp2_session_callbacks_set_on_header_callback(cb, &OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &OnDataChunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, &OnStreamClose);
    nghttp2_option* opt = nullptr;
    nghttp2_option_new(&opt);
    nghttp2_option_set_no_auto_window_update(opt, options.auto_window_update ? 0 : 1);
    nghttp2_session_client_new2(&session_, cb, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
  }
  ~H2Client() { nghttp2_session_del(session_); }
  H2Client(const H2Client&) = delete;
  H2Client& operator=(const H2Client&) = delete;

  // The client preface's SETTINGS (sent as the first frame, or as HTTP2-Settings).
  std::vector<nghttp2_settings_entry> Settings() const {
    return {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.initial_window}};
  }
  void SubmitSettings() {
    auto s = Settings();
    ASSERT_EQ(nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, s.data(), s.size()), 0);
  }
  // h2c: stream 1 is the upgrade request; returns the HTTP2-Settings header value.
  std::string Upgrade() {
    auto s = Settings();
    uint8_t payload[64];
    ssize_t n = nghttp2_pack_settings_payload(payload, sizeof(payload), s.data(), s.size());
    EXPECT_GT(n, 0);
    std::string raw(reinterpret_cast<char*>(payload), static_cast<size_t>(n));
    EXPECT_EQ(nghttp2_session_upgrade2(session_, payload, static_cast<size_t>(n), 0, nullptr), 0);
    return Base64UrlEncodeNoPad(raw);
  }

  // Opens a request stream; `with_body` keeps the request open for Send()/Finish().
  int32_t Open(const std::string& path, const std::map<std::string, std::string>& extra,
               bool with_body, const std::string& method = "POST") {
    std::vector<std::pair<std::string, std::string>> fields = {
        {":method", method}, {":scheme", "http"}, {":authority", "node:10250"}, {":path", path}};
    for (const auto& [k, v] : extra) fields.emplace_back(k, v);
    std::vector<nghttp2_nv> nv;
    for (auto& [k, v] : fields) {
      nv.push_back({reinterpret_cast<uint8_t*>(k.data()), reinterpret_cast<uint8_t*>(v.data()),
                    k.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    nghttp2_data_provider provider{};
    provider.read_callback = &ReadBody;
    int32_t id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(),
                                        with_body ? &provider : nullptr, nullptr);
    EXPECT_GT(id, 0);
    return id;
  }
  int32_t OpenExecStream(const std::string& type, bool with_body = false) {
    return Open("/exec/tok", {{"streamtype", type}}, with_body);
  }
  void Send(int32_t id, std::string_view bytes) {
    bodies_[id].append(bytes);
    nghttp2_session_resume_data(session_, id);
  }
  void Finish(int32_t id) {
    body_eof_.insert(id);
    nghttp2_session_resume_data(session_, id);
  }
  void ResetStream(int32_t id) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  }
  // Acknowledges `n` received bytes of a stream (only without auto window update).
  void Consume(int32_t id, size_t n) { ASSERT_EQ(nghttp2_session_consume(session_, id, n), 0); }

  std::string TakeOutput() {
    std::string out;
    for (;;) {
      const uint8_t* data = nullptr;
      ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n <= 0) break;
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    return out;
  }
  int Receive(std::string_view bytes) {
    ssize_t n = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()),
                                         bytes.size());
    return n < 0 ? static_cast<int>(n) : 0;
  }

  nghttp2_session* session() { return session_; }

  std::map<int32_t, std::string> status;  // :status of each response
  std::map<int32_t, std::string> data;    // body bytes per stream
  std::set<int32_t> ended;                // END_STREAM received from the server
  std::map<int32_t, uint32_t> resets;     // RST_STREAM received: error code
  std::map<int32_t, uint32_t> closed;     // stream closed: error code
  std::vector<uint32_t> goaways;          // GOAWAY received: error codes
  int ping_acks = 0;

 private:
  static H2Client& Self(void* p) { return *static_cast<H2Client*>(p); }
  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* f, void* p) {
    H2Client& self = Self(p);
    if ((f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      self.ended.insert(f->hd.stream_id);
    }
    if (f->hd.type == NGHTTP2_RST_STREAM) self.resets[f->hd.stream_id] = f->rst_stream.error_code;
    if (f->hd.type == NGHTTP2_GOAWAY) self.goaways.push_back(f->goaway.error_code);
    if (f->hd.type == NGHTTP2_PING && (f->hd.flags & NGHTTP2_FLAG_ACK)) ++self.ping_acks;
    return 0;
  }
  static int OnHeader(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t nlen,
                      const uint8_t* value, size_t vlen, uint8_t, void* p) {
    if (std::string_view(reinterpret_cast<const char*>(name), nlen) == ":status") {
      Self(p).status[f->hd.stream_id] = std::string(reinterpret_cast<const char*>(value), vlen);
    }
    return 0;
  }
  static int OnDataChunk(nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t len,
                         void* p) {
    Self(p).data[id].append(reinterpret_cast<const char*>(d), len);
    return 0;
  }
  static int OnStreamClose(nghttp2_session*, int32_t id, uint32_t code, void* p) {
    Self(p).closed[id] = code;
    return 0;
  }
  static ssize_t ReadBody(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* p) {
    H2Client& self = Self(p);
    std::string& body = self.bodies_[id];
    if (body.empty()) {
      if (self.body_eof_.count(id)) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return 0;
      }
      return NGHTTP2_ERR_DEFERRED;
    }
    size_t n = std::min(length, body.size());
    std::memcpy(buf, body.data(), n);
    body.erase(0, n);
    if (body.empty() && self.body_eof_.count(id)) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  ClientOptions options_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::string> bodies_;
  std::set<int32_t> body_eof_;
};

// ---- the session side: what the transport reports -------------------------------------

struct Recorder : StreamEvents {
  H2Transport* transport = nullptr;
  bool accept_all = true;  // Accept from inside OnStreamOpened, as the sessions do
  std::vector<OpenedStream> opened;
  std::map<StreamId, std::string> data;
  std::vector<StreamId> remote_closed;
  std::vector<StreamId> reset;
  int goaways = 0;

  void OnStreamOpened(const OpenedStream& s) override {
    opened.push_back(s);
    if (accept_all) {
      EXPECT_TRUE(transport->Accept(s.id).ok());
    }
  }
  void OnStreamData(StreamId id, std::string_view b) override { data[id].append(b); }
  void OnStreamRemoteClosed(StreamId id) override { remote_closed.push_back(id); }
  void OnStreamReset(StreamId id) override { reset.push_back(id); }
  void OnGoAway() override { ++goaways; }

  const OpenedStream* Find(const std::string& type) const {
    for (const auto& s : opened) {
      auto it = s.headers.find("streamtype");
      if (it != s.headers.end() && it->second == type) return &s;
    }
    return nullptr;
  }
};

// Moves bytes both ways until neither side has anything to say; returns the first error
// the transport's Feed reported (the connection would close then).
Status Exchange(H2Transport& server, H2Client& client, Recorder& events, int max_rounds = 100) {
  for (int round = 0; round < max_rounds; ++round) {
    std::string to_server = client.TakeOutput();
    if (!to_server.empty()) {
      Status fed = server.Feed(to_server, events);
      if (!fed.ok()) {
        // Deliver what the server queued (its GOAWAY) before reporting.
        client.Receive(server.PendingOutput());
        server.ConsumeOutput(server.PendingOutput().size());
        return fed;
      }
    }
    std::string_view to_client = server.PendingOutput();
    const size_t n = to_client.size();
    if (n > 0) {
      EXPECT_EQ(client.Receive(to_client), 0);
      server.ConsumeOutput(n);
    }
    if (to_server.empty() && n == 0) break;
  }
  return Status::Ok();
}

struct Pair {
  std::unique_ptr<H2Transport> server;
  H2Client client;
  Recorder events;
  explicit Pair(H2Options options = {}, ClientOptions client_options = {})
      : client(client_options) {
    auto created = H2Transport::CreatePriorKnowledge(options);
    EXPECT_TRUE(created.ok());
    server = std::move(created).value();
    events.transport = server.get();
    EXPECT_TRUE(server->Start(events).ok());
    client.SubmitSettings();
  }
};

std::map<std::string, int32_t> OpenExecStreams(H2Client& client) {
  return {{"error", client.OpenExecStream("error")},
          {"stdin", client.OpenExecStream("stdin", /*with_body=*/true)},
          {"stdout", client.OpenExecStream("stdout")},
          {"stderr", client.OpenExecStream("stderr")},
          {"resize", client.OpenExecStream("resize", /*with_body=*/true)}};
}

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

// ---- attacks ----------------------------------------------------------------------------

TEST(H2TransportTest, TooManyConcurrentStreamsAreRefused) {
  H2Options options;
  options.max_concurrent_streams = 16;
  Pair p(options);
  // The client opens 20 streams before it has seen our SETTINGS (as an attacker would).
  std::vector<int32_t> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(p.client.OpenExecStream("stdout"));
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  EXPECT_EQ(p.events.opened.size(), 16u);
  int refused = 0;
  for (int32_t id : ids) {
    auto it = p.client.resets.find(id);
    if (it != p.client.resets.end() && it->second == NGHTTP2_REFUSED_STREAM) ++refused;
  }
  EXPECT_EQ(refused, 4);
  EXPECT_EQ(p.server->open_streams(), 16u);  // refused streams leave nothing behind
}

// The rapid-reset pattern: HEADERS and RST_STREAM of a new stream in one read.
Status OpenAndResetAtOnce(H2Transport& server, H2Client& client, Recorder& events) {
  int32_t id = client.OpenExecStream("stdin", /*with_body=*/true);
  std::string bytes = client.TakeOutput();
  client.ResetStream(id);
  bytes += client.TakeOutput();
  Status fed = server.Feed(bytes, events);
  client.Receive(server.PendingOutput());
  server.ConsumeOutput(server.PendingOutput().size());
  return fed;
}

TEST(H2TransportTest, RapidResetEndsTheConnection) {
  FakeClock clock;
  H2Options options;
  options.clock = &clock;
  options.max_client_resets_per_second = 32;
  Pair p(options);
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  Status result;
  int opened = 0;
  for (int i = 0; i < 40 && result.ok(); ++i) {
    ++opened;
    result = OpenAndResetAtOnce(*p.server, p.client, p.events);
  }
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(opened, 33);
  EXPECT_NE(result.error().message.find("reset by the client"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(p.client.goaways, std::vector<uint32_t>{NGHTTP2_ENHANCE_YOUR_CALM});
  // Broken for good: further input is refused.
  EXPECT_FALSE(p.server->Feed("x", p.events).ok());
}

TEST(H2TransportTest, ResetsSpreadOverTimeAreFine) {
  FakeClock clock;
  H2Options options;
  options.clock = &clock;
  options.max_client_resets_per_second = 32;
  Pair p(options);
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  for (int second = 0; second < 3; ++second) {
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(OpenAndResetAtOnce(*p.server, p.client, p.events).ok()) << second << "/" << i;
    }
    clock.Advance(std::chrono::milliseconds(1001));
  }
  EXPECT_EQ(p.events.reset.size(), 90u);
  EXPECT_EQ(p.server->open_streams(), 0u);
  EXPECT_TRUE(p.client.goaways.empty());
}

// One raw frame: 9-byte header + payload.
std::string Frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload) {
  std::string f;
  const size_t n = payload.size();
  f.push_back(static_cast<char>(n >> 16));
  f.push_back(static_cast<char>(n >> 8));
  f.push_back(static_cast<char>(n));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<char>(stream >> shift));
  f.append(payload);
  return f;
}

TEST(H2TransportTest, ContinuationFloodEndsTheConnection) {
  Pair p;
  std::string bytes = p.client.TakeOutput();  // preface + SETTINGS
  // A valid request header block (GET http /) plus a literal field, cut into 1-byte pieces:
  // one HEADERS and 30 CONTINUATION frames, none with END_HEADERS.
  std::string block = "\x82\x86\x84";
  block += std::string("\x00\x05x-pad\x10", 8) + std::string(16, 'a');
  block += std::string("\x00\x05x-pad\x10", 8) + std::string(16, 'b');
  bytes += Frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1, block.substr(0, 1));
  for (size_t i = 1; i <= 30 && i < block.size(); ++i) {
    bytes += Frame(NGHTTP2_CONTINUATION, 0, 1, block.substr(i, 1));
  }
  Status fed = p.server->Feed(bytes, p.events);
  ASSERT_FALSE(fed.ok());
  EXPECT_NE(fed.error().message.find("CONTINUATION"), std::string::npos) << fed.error().message;
  EXPECT_TRUE(p.events.opened.empty());
  p.client.Receive(p.server->PendingOutput());
  EXPECT_EQ(p.client.goaways, std::vector<uint32_t>{NGHTTP2_ENHANCE_YOUR_CALM});
}

TEST(H2TransportTest, HeaderListTooBigEndsTheConnection) {
  Pair p;
  std::map<std::string, std::string> big;
  for (int i = 0; i < 20; ++i) big["x-pad-" + std::to_string(i)] = std::string(1000, 'a' + i);
  big["streamtype"] = "stdout";
  p.client.Open("/exec/tok", big, false);
  Status result = Exchange(*p.server, p.client, p.events);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("header list over 16384 bytes"), std::string::npos)
      << result.error().message;
  EXPECT_TRUE(p.events.opened.empty());
  EXPECT_EQ(p.client.goaways, std::vector<uint32_t>{NGHTTP2_ENHANCE_YOUR_CALM});
}

TEST(H2TransportTest, HeaderListJustUnderTheLimitIsServed) {
  Pair p;
  std::map<std::string, std::string> fields;
  for (int i = 0; i < 10; ++i) fields["x-pad-" + std::to_string(i)] = std::string(1000, 'a');
  fields["streamtype"] = "stdout";
  p.client.Open("/exec/tok", fields, false);
  ASSERT_TRUE(Exchange(*p.server, p.client, p.events).ok());
  ASSERT_EQ(p.events.opened.size(), 1u);
  EXPECT_EQ(p.events.opened[0].headers.at("x-pad-3"), std::string(1000, 'a'));
}

TEST(H2TransportTest, PingFloodFromAClientThatNeverReadsEndsTheConnection) {
  H2Options options;
  options.max_output_bytes = 1024;
  options.max_outbound_acks = 64;
  Pair p(options);
  std::string bytes = p.client.TakeOutput();
  for (int i = 0; i < 1000; ++i) bytes += Frame(NGHTTP2_PING, 0, 0, std::string(8, 'p'));
  // The socket never drains: the output stops growing and nghttp2's ACK queue overflows.
  Status fed;
  for (size_t pos = 0; pos < bytes.size() && fed.ok(); pos += 170) {
    fed = p.server->Feed(std::string_view(bytes).substr(pos, 170), p.events);
    if (fed.ok()) {
      ASSERT_LE(p.server->PendingOutput().size(), 2 * 1024u + 17);
    }
  }
  ASSERT_FALSE(fed.ok());
  EXPECT_NE(fed.error().message.find("Flooding"), std::string::npos) << fed.error().message;
  // Only the GOAWAY may go past the bound once the connection failed.
  EXPECT_LE(p.server->PendingOutput().size(), 2 * 1024u + 17 + 17 + 64);
}

TEST(H2TransportTest, TooManySettingsEntriesEndTheConnection) {
  Pair p;  // max_settings_entries = 16
  std::string bytes = p.client.TakeOutput();
  std::string entries;
  for (int i = 0; i < 17; ++i) entries += std::string("\x00\x04\x00\x01\x00\x00", 6);
  bytes += Frame(NGHTTP2_SETTINGS, 0, 0, entries);
  Status fed = p.server->Feed(bytes, p.events);
  ASSERT_FALSE(fed.ok());
  p.client.Receive(p.server->PendingOutput());
  EXPECT_EQ(p.client.goaways, std::vector<uint32_t>{NGHTTP2_ENHANCE_YOUR_CALM});
}

TEST(H2TransportTest, Http1RequestInsteadOfPrefaceIsAnError) {
  auto created = H2Transport::CreatePriorKnowledge({});
  ASSERT_TRUE(created.ok());
  auto server = std::move(created).value();
  Recorder events;
  events.transport = server.get();
  ASSERT_TRUE(server->Start(events).ok());
  Status fed = server->Feed("GET /exec/tok HTTP/1.1\r\nHost: x\r\n\r\n", events);
  ASSERT_FALSE(fed.ok());
  EXPECT_NE(fed.error().message.find("receive HTTP/2 frames"), std::string::npos);
  EXPECT_TRUE(events.opened.empty());
}

TEST(H2TransportTest, MalformedFrameAfterPrefaceIsAnError) {
  Pair p;
  std::string bytes = p.client.TakeOutput();
  bytes += Frame(NGHTTP2_DATA, 0, 0, "garbage");  // DATA on stream 0: PROTOCOL_ERROR
  Status fed = p.server->Feed(bytes, p.events);
  ASSERT_FALSE(fed.ok());
  p.client.Receive(p.server->PendingOutput());
  EXPECT_EQ(p.client.goaways, std::vector<uint32_t>{NGHTTP2_PROTOCOL_ERROR});
  EXPECT_TRUE(p.server->Feed("more", p.events).ok() == false);
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
