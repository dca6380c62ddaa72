// The streaming exec client of `airlock exec`: the status decoder, URL parsing, the raw
// terminal and signal pipe on a real pty, and whole sessions over real TCP against an
// in-process HTTP/2 server built on nghttp2's server API (independent of our client code):
// stream order and headers, stdout/stderr kept apart, stdin and its EOF, resize events,
// exit codes, refusals, a server that dies, and a local SIGTERM.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/exec_status.h"
#include "cli/signal_pipe.h"
#include "cli/stream_exec.h"
#include "cli/stream_url.h"
#include "cli/terminal.h"
#include "gtest/gtest.h"

namespace airlock::cli {
namespace {

// ---------------------------------------------------------------- status and URL parsing

TEST(ExecStatusTest, SuccessAndEmptyMeanZero) {
  EXPECT_EQ(*ExitCodeFromStatus(""), 0);
  EXPECT_EQ(*ExitCodeFromStatus("{\"status\":\"Success\"}"), 0);
  // The pre-1.36 metav1.Status shape carries metadata too.
  EXPECT_EQ(*ExitCodeFromStatus("{\"metadata\":{},\"status\":\"Success\"}"), 0);
}

TEST(ExecStatusTest, NonZeroExitCodeComesFromTheExitCodeCause) {
  auto code = ExitCodeFromStatus(
      R"({"status":"Failure","message":"command terminated with non-zero exit code: exit code 3",)"
      R"("reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}})");
  ASSERT_TRUE(code.ok()) << code.error().message;
  EXPECT_EQ(*code, 3);
  EXPECT_EQ(*ExitCodeFromStatus(R"({"status":"Failure","reason":"NonZeroExitCode",)"
                                R"("details":{"causes":[{"reason":"ExitCode","message":"137"}]}})"),
            137);
}

TEST(ExecStatusTest, OtherFailuresAreErrorsWithTheServersMessage) {
  auto r = ExitCodeFromStatus(
      R"({"status":"Failure","message":"Internal error occurred: container gone","reason":"InternalError","code":500})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "Internal error occurred: container gone");
}

TEST(ExecStatusTest, MalformedStatusesAreProtocolErrors) {
  for (
      const char* bad :
      {"not json", "[1]", R"({"status":"Weird"})",
       R"({"status":"Failure","reason":"NonZeroExitCode"})",
       R"({"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"256"}]}})",
       R"({"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"x"}]}})",
       R"({"status":5})"}) {
    auto r = ExitCodeFromStatus(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("decode exec status"), std::string::npos) << bad;
  }
}

TEST(StreamUrlTest, ParsesWhatTheRuntimeReturns) {
  auto u = ParseStreamUrl("http://127.0.0.1:41235/exec/Ab3_xY-9");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 41235);
  EXPECT_EQ(u->authority, "127.0.0.1:41235");
  EXPECT_EQ(u->path, "/exec/Ab3_xY-9");
  u = ParseStreamUrl("http://[::1]:8080/exec/t?x=1");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path, "/exec/t?x=1");
  u = ParseStreamUrl("http://node1/exec/t");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
}

TEST(StreamUrlTest, RefusesWhatItCannotDial) {
  for (const char* bad : {"//127.0.0.1:1/exec/t", "ws://h:1/x", "http://", "http://h:0/x",
                          "http://h:99999/x", "http://[::1/x", "http://u@h:1/x"}) {
    EXPECT_FALSE(ParseStreamUrl(bad).ok()) << bad;
  }
}

TEST(StreamUrlTest, AcceptsHttpsWithItsDefaultPort) {
  auto tls = ParseStreamUrl("https://h:1/x");
  ASSERT_TRUE(tls.ok());
  EXPECT_EQ(tls->scheme, "https");
  EXPECT_EQ(tls->port, 1);
  auto plain = ParseStreamUrl("https://node.example/exec/ns/p/c?command=date");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 443);
  EXPECT_EQ(plain->path, "/exec/ns/p/c?command=date");
}

TEST(StreamUrlTest, DialReportsARefusedConnection) {
  // A port that was just free: bind, note it, close.
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  auto url = ParseStreamUrl("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/exec/t");
  ASSERT_TRUE(url.ok());
  auto fd = DialStreamUrl(*url);
  ASSERT_FALSE(fd.ok());
  EXPECT_NE(fd.error().message.find("Connection refused"), std::string::npos) << fd.error().message;
}

// ---------------------------------------------------------------- terminal and signals

struct Pty {
  UniqueFd master, slave;
  Pty(uint16_t cols, uint16_t rows) {
    int m = -1, s = -1;
    winsize ws{rows, cols, 0, 0};
    EXPECT_EQ(openpty(&m, &s, nullptr, nullptr, &ws), 0);
    master.reset(m);
    slave.reset(s);
  }
  termios Settings() const {
    termios t{};
    tcgetattr(slave.get(), &t);
    return t;
  }
};

bool SameSettings(const termios& a, const termios& b) {
  return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_lflag == b.c_lflag &&
         a.c_cflag == b.c_cflag && std::memcmp(a.c_cc, b.c_cc, sizeof(a.c_cc)) == 0;
}

TEST(TerminalTest, RawModeLastsAsLongAsTheObject) {
  Pty pty(80, 24);
  termios before = pty.Settings();
  ASSERT_NE(before.c_lflag & ICANON, 0u);
  {
    auto raw = RawTerminal::Enter(pty.slave.get());
    ASSERT_TRUE(raw.ok()) << raw.error().message;
    termios during = pty.Settings();
    EXPECT_EQ(during.c_lflag & (ICANON | ECHO | ISIG), 0u);
    RawTerminal moved(std::move(*raw));  // the moved-from object must not restore early
    EXPECT_EQ(pty.Settings().c_lflag & ICANON, 0u);
  }
  EXPECT_TRUE(SameSettings(pty.Settings(), before));
  auto size = GetTerminalSize(pty.slave.get());
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, (TerminalSize{80, 24}));
  EXPECT_FALSE(RawTerminal::Enter(-1).ok());
}

TEST(SignalPipeTest, SignalsBecomeBytesAndHandlersAreRestored) {
  struct sigaction before {};
  sigaction(SIGWINCH, nullptr, &before);
  {
    auto sp = SignalPipe::Install({SIGWINCH, SIGHUP});
    ASSERT_TRUE(sp.ok()) << sp.error().message;
    EXPECT_FALSE(SignalPipe::Install({SIGWINCH}).ok());  // one at a time
    raise(SIGWINCH);
    raise(SIGHUP);  // default action would kill the test
    pollfd p{(*sp)->fd(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 1000), 1);
    EXPECT_EQ((*sp)->Drain(), (std::vector<int>{SIGWINCH, SIGHUP}));
  }
  struct sigaction after {};
  sigaction(SIGWINCH, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  EXPECT_TRUE(SignalPipe::Install({SIGWINCH}).ok());  // free again
}

// ---------------------------------------------------------------- an HTTP/2 exec server

// One connection, served by nghttp2's server session on its own thread: answers each stream,
// records what the client sent and, when its script says the command is done, writes the
// output and the status.
class FakeH2ExecServer {
 public:
  struct Script {
    int answer = 200;             // :status for every stream
    bool die_after_open = false;  // close the TCP connection once every stream is open
    bool never_finish = false;
    size_t finish_after_resizes = 0;
    std::string stdout_data = "out\n";
    std::string stderr_data = "err\n";
    std::string status = "{\"status\":\"Success\"}";
  };

  FakeH2ExecServer(Script script, size_t expected_streams)
      : script_(std::move(script)), expected_(expected_streams) {
    listener_.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(listen(listener_.get(), 1), 0);
    socklen_t len = sizeof(a);
    getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeH2ExecServer() {
    stop_ = true;
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/exec/tok"; }

  void WaitForResizes(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return resizes_.size() >= n; });
  }
  void WaitForOpen() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return all_open_; });
  }

  // Observations (read after the session returned).
  std::vector<std::string> order;  // streamtype of each stream, in arrival order
  std::vector<std::string> paths;
  std::string stdin_data;
  bool stdin_eof = false;
  std::vector<std::string> resizes() {
    std::lock_guard lock(mu_);
    return resizes_;
  }

 private:
  struct Stream {
    std::string type;
    std::string body;  // what we send
    bool eof = false;
  };

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                          nghttp2_data_source* src, void*) {
    auto* s = static_cast<Stream*>(src->ptr);
    if (s->body.empty() && !s->eof) return NGHTTP2_ERR_DEFERRED;
    size_t n = std::min(len, s->body.size());
    std::memcpy(buf, s->body.data(), n);
    s->body.erase(0, n);
    if (s->body.empty() && s->eof) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  void Finish() {
    finished_ = true;
    for (auto& [id, s] : streams_) {
      if (s.type == "stdout") s.body = script_.stdout_data + stdin_data;
      if (s.type == "stderr") s.body = script_.stderr_data;
      if (s.type == "error") s.body = script_.status;
      if (s.type == "stdout" || s.type == "stderr" || s.type == "error") {
        s.eof = true;
        nghttp2_session_resume_data(session_, id);
      }
    }
  }

  void MaybeFinish() {
    if (finished_ || script_.never_finish || !all_open_ || script_.answer != 200) return;
    bool has_stdin = false;
    for (auto& [id, s] : streams_) has_stdin |= s.type == "stdin";
    // A tty script ends on its resize count (nobody types), others on stdin EOF.
    if (script_.finish_after_resizes > 0) {
      if (resizes().size() < script_.finish_after_resizes) return;
    } else if (has_stdin && !stdin_eof) {
      return;
    }
    Finish();
  }

  void Serve() {
    pollfd p{listener_.get(), POLLIN, 0};
    while (!stop_ && poll(&p, 1, 100) == 0) {
    }
    if (stop_) return;
    UniqueFd conn(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    // Small frames (WINDOW_UPDATE) must not wait for a delayed ACK.
    int one = 1;
    setsockopt(conn.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    nghttp2_session_callbacks* cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(
        cb,
        [](nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t nl,
           const uint8_t* value, size_t vl, uint8_t, void* ud) -> int {
          auto* self = static_cast<FakeH2ExecServer*>(ud);
          std::string n(reinterpret_cast<const char*>(name), nl);
          std::string v(reinterpret_cast<const char*>(value), vl);
          if (n == "streamtype") self->streams_[f->hd.stream_id].type = v;
          if (n == ":path") self->paths.push_back(v);
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cb, [](nghttp2_session* session, const nghttp2_frame* f, void* ud) -> int {
          auto* self = static_cast<FakeH2ExecServer*>(ud);
          auto it = self->streams_.find(f->hd.stream_id);
          if (it == self->streams_.end()) return 0;
          if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) {
            self->order.push_back(it->second.type);
            std::string status = std::to_string(self->script_.answer);
            nghttp2_nv nv{(uint8_t*)":status", (uint8_t*)status.data(), 7, status.size(),
                          NGHTTP2_NV_FLAG_NONE};
            if (self->script_.answer != 200) {
              it->second.body = "token unknown\n";
              it->second.eof = true;
            }
            nghttp2_data_provider prd{};
            prd.source.ptr = &it->second;
            prd.read_callback = ReadBody;
            nghttp2_submit_response(session, f->hd.stream_id, &nv, 1, &prd);
            if (self->order.size() == self->expected_) {
              std::lock_guard lock(self->mu_);
              self->all_open_ = true;
              self->cv_.notify_all();
            }
          }
          if ((f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0 && it->second.type == "stdin")
            self->stdin_eof = true;
          self->MaybeFinish();
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        cb,
        [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
           void* ud) -> int {
          auto* self = static_cast<FakeH2ExecServer*>(ud);
          std::string bytes(reinterpret_cast<const char*>(data), len);
          const std::string& type = self->streams_[id].type;
          if (type == "stdin") self->stdin_data += bytes;
          if (type == "resize") {
            std::lock_guard lock(self->mu_);
            self->resize_bytes_ += bytes;
            for (size_t nl; (nl = self->resize_bytes_.find('\n')) != std::string::npos;) {
              self->resizes_.push_back(self->resize_bytes_.substr(0, nl));
              self->resize_bytes_.erase(0, nl + 1);
            }
            self->cv_.notify_all();
          }
          return 0;
        });
    nghttp2_session_server_new(&session_, cb, this);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);

    char buf[16384];
    bool open = true;
    while (open && !stop_) {
      const uint8_t* out;
      for (ssize_t n; (n = nghttp2_session_mem_send(session_, &out)) > 0;) {
        if (send(conn.get(), out, n, MSG_NOSIGNAL) != n) open = false;
      }
      if (script_.die_after_open && all_open_) break;
      pollfd c{conn.get(), POLLIN, 0};
      if (poll(&c, 1, 50) <= 0) {
        MaybeFinish();
        continue;
      }
      ssize_t n = recv(conn.get(), buf, sizeof(buf), 0);
      if (n <= 0) break;
      if (nghttp2_session_mem_recv(session_, reinterpret_cast<uint8_t*>(buf), n) < 0) break;
    }
    nghttp2_session_del(session_);
  }

  Script script_;
  size_t expected_;
  UniqueFd listener_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, Stream> streams_;
  bool finished_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  bool all_open_ = false;
  std::string resize_bytes_;
  std::vector<std::string> resizes_;
};

// A file that never blocks a writer, read back after the session.
struct Capture {
  UniqueFd fd{memfd_create("capture", MFD_CLOEXEC)};
  std::string Read() const {
    std::string out;
    char buf[4096];
    for (off_t off = 0;;) {
      ssize_t n = pread(fd.get(), buf, sizeof(buf), off);
      if (n <= 0) break;
      out.append(buf, n);
      off += n;
    }
    return out;
  }
};

TEST(H2ExecClientTest, OutputStreamsStayApartAndTheExitCodeComesThrough) {
  FakeH2ExecServer::Script script;
  script.status =
      R"({"status":"Failure","message":"exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}})";
  FakeH2ExecServer server(script, 3);
  Capture out, err;
  StreamExecOptions opts{server.url(), ExecTransport::kH2, ExecStreams{false, true, true, false}};
  auto r = RunStreamingExec(opts, ExecSessionIo{-1, out.fd.get(), err.fd.get(), -1});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(out.Read(), "out\n");
  EXPECT_EQ(err.Read(), "err\n");
  EXPECT_EQ(server.order, (std::vector<std::string>{"error", "stdout", "stderr"}));
  EXPECT_EQ(server.paths, (std::vector<std::string>(3, "/exec/tok")));
}

TEST(H2ExecClientTest, StdinIsForwardedAndEndsWithEof) {
  FakeH2ExecServer server(FakeH2ExecServer::Script{}, 4);
  Capture out, err;
  // Many times the server's 64 KiB stream window: the client must wait for WINDOW_UPDATEs.
  std::string input;
  for (int i = 0; input.size() < 1024 * 1024; ++i) input += "line " + std::to_string(i) + "\n";
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  UniqueFd in(p[0]);
  std::thread writer([&, w = UniqueFd(p[1])] {
    for (size_t off = 0; off < input.size();) {
      ssize_t n = write(w.get(), input.data() + off, input.size() - off);
      if (n <= 0) break;
      off += n;
    }
  });
  StreamExecOptions opts{server.url(), ExecTransport::kH2, ExecStreams{true, true, true, false}};
  auto r = RunStreamingExec(opts, ExecSessionIo{in.get(), out.fd.get(), err.fd.get(), -1});
  writer.join();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_TRUE(server.stdin_eof);
  EXPECT_TRUE(server.stdin_data == input) << server.stdin_data.size() << " of " << input.size();
  EXPECT_TRUE(out.Read() == "out\n" + input);
  EXPECT_EQ(err.Read(), "err\n");
  EXPECT_EQ(server.order, (std::vector<std::string>{"error", "stdin", "stdout", "stderr"}));
}

TEST(H2ExecClientTest, TtySendsTheInitialSizeThenEverySigwinchAndRestoresTheTerminal) {
  Pty pty(100, 30);
  termios before = pty.Settings();
  FakeH2ExecServer::Script script;
  script.finish_after_resizes = 2;
  script.stderr_data = "";
  FakeH2ExecServer server(script, 4);
  Capture out;
  // The session reads stdin from the pty's slave; nothing is typed, so it only waits.
  StreamExecOptions opts{server.url(), ExecTransport::kH2, ExecStreams{true, true, false, true}};
  Result<ExecOutcome> r = MakeError(ErrorCode::kInternal, "not run");
  std::thread session([&] {
    r = RunStreamingExec(opts, ExecSessionIo{pty.slave.get(), out.fd.get(), -1, pty.slave.get()});
  });
  server.WaitForResizes(1);
  EXPECT_EQ(pty.Settings().c_lflag & (ICANON | ECHO), 0u);  // raw while the session runs
  winsize ws{50, 132, 0, 0};
  ASSERT_EQ(ioctl(pty.master.get(), TIOCSWINSZ, &ws), 0);
  kill(getpid(), SIGWINCH);  // the pty is not our controlling terminal: say it ourselves
  server.WaitForResizes(2);
  session.join();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(server.resizes(), (std::vector<std::string>{R"({"Width":100,"Height":30})",
                                                        R"({"Width":132,"Height":50})"}));
  EXPECT_EQ(server.order, (std::vector<std::string>{"error", "stdin", "stdout", "resize"}));
  EXPECT_TRUE(SameSettings(pty.Settings(), before));
}

TEST(H2ExecClientTest, SigtermEndsTheSessionAndRestoresTheTerminal) {
  Pty pty(80, 24);
  termios before = pty.Settings();
  FakeH2ExecServer::Script script;
  script.never_finish = true;
  FakeH2ExecServer server(script, 4);
  Capture out;
  StreamExecOptions opts{server.url(), ExecTransport::kH2, ExecStreams{true, true, false, true}};
  Result<ExecOutcome> r = MakeError(ErrorCode::kInternal, "not run");
  std::thread session([&] {
    r = RunStreamingExec(opts, ExecSessionIo{pty.slave.get(), out.fd.get(), -1, pty.slave.get()});
  });
  server.WaitForResizes(1);
  kill(getpid(), SIGTERM);
  session.join();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->local_signal, SIGTERM);
  EXPECT_EQ(r->exit_code, 128 + SIGTERM);
  EXPECT_TRUE(SameSettings(pty.Settings(), before));
}

TEST(H2ExecClientTest, AServerThatDiesIsATransportErrorAndTheTerminalIsRestored) {
  Pty pty(80, 24);
  termios before = pty.Settings();
  FakeH2ExecServer::Script script;
  script.die_after_open = true;
  FakeH2ExecServer server(script, 4);
  Capture out;
  StreamExecOptions opts{server.url(), ExecTransport::kH2, ExecStreams{true, true, false, true}};
  auto r =
      RunStreamingExec(opts, ExecSessionIo{pty.slave.get(), out.fd.get(), -1, pty.slave.get()});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("closed the connection before the command finished"),
            std::string::npos)
      << r.error().message;
  EXPECT_TRUE(SameSettings(pty.Settings(), before));
}

TEST(H2ExecClientTest, ARefusedStreamSaysWhatTheServerAnswered) {
  FakeH2ExecServer::Script script;
  script.answer = 404;
  FakeH2ExecServer server(script, 3);
  Capture out, err;
  StreamExecOptions opts{server.url(), ExecTransport::kH2, ExecStreams{false, true, true, false}};
  auto r = RunStreamingExec(opts, ExecSessionIo{-1, out.fd.get(), err.fd.get(), -1});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("answered 404: token unknown"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(out.Read(), "");
}

TEST(H2ExecClientTest, AFailureStatusIsAnErrorWithItsMessage) {
  FakeH2ExecServer::Script script;
  script.status =
      R"({"status":"Failure","message":"Internal error occurred: boom","reason":"InternalError","code":500})";
  FakeH2ExecServer server(script, 3);
  Capture out, err;
  StreamExecOptions opts{server.url(), ExecTransport::kH2, ExecStreams{false, true, true, false}};
  auto r = RunStreamingExec(opts, ExecSessionIo{-1, out.fd.get(), err.fd.get(), -1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "Internal error occurred: boom");
}

}  // namespace
}  // namespace airlock::cli
