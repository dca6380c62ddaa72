// The test side of H2Transport's unit tests: a client-side nghttp2 session connected to
// the transport through memory buffers, a recorder of the events the transport reports,
// and raw frame building for the attack tests.
#pragma once

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
inline Status Exchange(H2Transport& server, H2Client& client, Recorder& events, int max_rounds = 100) {
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

inline std::map<std::string, int32_t> OpenExecStreams(H2Client& client) {
  return {{"error", client.OpenExecStream("error")},
          {"stdin", client.OpenExecStream("stdin", /*with_body=*/true)},
          {"stdout", client.OpenExecStream("stdout")},
          {"stderr", client.OpenExecStream("stderr")},
          {"resize", client.OpenExecStream("resize", /*with_body=*/true)}};
}

// One raw frame: 9-byte header + payload.
inline std::string Frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload) {
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

}  // namespace airlock::streaming
