// SpdyCodec against the real Go peer: a loopback echo server built on the codec, and a
// client built from Debian's moby/spdystream (the SPDY library of client-go and crictl).
// The server answers each stream with SYN_REPLY, echoes stdin to stdout, ends stdout and
// the error stream with FIN when stdin is half-closed, and pings the client; the test then
// compares the bytes the Go client saved with the bytes it sent.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "shim/base/unique_fd.h"
#include "streaming/spdy_session_codec.h"

#ifndef AIRLOCK_SPDY_PEER
#define AIRLOCK_SPDY_PEER ""
#endif

namespace airlock::streaming {
namespace {

constexpr std::string_view kSuccess = "{\"status\":\"Success\"}";

// What the server saw on one connection.
struct ConnectionReport {
  std::vector<std::string> stream_types;  // in SYN_STREAM order
  std::vector<uint32_t> stream_ids;
  size_t stdin_bytes = 0;
  size_t largest_output_write = 0;
  bool ping_reply = false;
  bool client_ping = false;
  bool client_goaway = false;
  std::string protocol_error;
  std::string owner_error;
};

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// The echo logic of one connection; the codec calls it back from Feed().
class EchoSession : public SpdyEventSink {
 public:
  EchoSession(SpdyCodec& codec, ConnectionReport& report) : codec_(codec), report_(report) {}

  void OnSpdyEvent(SpdyEvent& event) override {
    if (auto* syn = std::get_if<SpdySynStream>(&event)) return OnSynStream(*syn);
    if (auto* data = std::get_if<SpdyData>(&event)) return OnData(*data);
    if (auto* ping = std::get_if<SpdyPing>(&event)) {
      (ping->reply ? report_.ping_reply : report_.client_ping) = true;
      return;
    }
    if (std::holds_alternative<SpdyGoAway>(event)) {
      report_.client_goaway = true;
      codec_.GoAway(SpdyGoAwayStatus::kOk);
      done_ = true;
      return;
    }
    if (auto* error = std::get_if<SpdyProtocolError>(&event)) {
      report_.protocol_error = error->reason;
      done_ = true;
    }
  }

  bool done() const { return done_; }

 private:
  void OnSynStream(const SpdySynStream& syn) {
    const std::string type(FindSpdyHeader(syn.headers, "streamtype").value_or("?"));
    report_.stream_types.push_back(type);
    report_.stream_ids.push_back(syn.stream_id);
    ids_[type] = syn.stream_id;
    if (type == "stdin") whole_ = FindSpdyHeader(syn.headers, "x-echo") == "whole";
    Check(codec_.SynReply(syn.stream_id, {}, false));
    if (report_.stream_ids.size() == 1) codec_.Ping();
  }

  void OnData(const SpdyData& data) {
    if (data.stream_id != ids_["stdin"]) return;
    report_.stdin_bytes += data.bytes.size();
    if (whole_) {
      buffered_.append(data.bytes);
    } else if (!data.bytes.empty()) {
      Check(codec_.Data(ids_["stdout"], data.bytes, false));
    }
    if (!data.fin) return;
    // One Data call for the whole payload: the codec must split it into legal frames.
    Check(codec_.Data(ids_["stdout"], buffered_, true));
    buffered_.clear();
    Check(codec_.Data(ids_["error"], kSuccess, true));
    Check(codec_.Data(data.stream_id, "", true));
  }

  void Check(const Status& status) {
    if (!status.ok() && report_.owner_error.empty()) report_.owner_error = status.error().message;
  }

  SpdyCodec& codec_;
  ConnectionReport& report_;
  std::map<std::string, uint32_t> ids_;
  bool whole_ = false;
  std::string buffered_;
  bool done_ = false;
};

void ServeConnection(UniqueFd fd, ConnectionReport& report) {
  Result<SpdyCodec> codec = SpdyCodec::Create();
  if (!codec.ok()) {
    report.owner_error = codec.error().message;
    return;
  }
  EchoSession session(*codec, report);
  std::string buffer(256 * 1024, '\0');
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    codec->Feed(std::string_view(buffer.data(), static_cast<size_t>(n)), session);
    const std::string out = codec->TakeOutput();
    report.largest_output_write = std::max(report.largest_output_write, out.size());
    if (!WriteAll(fd.get(), out)) break;
    if (session.done()) {
      // Graceful end: our FIN, then wait for the peer's close so nothing is reset unread.
      ::shutdown(fd.get(), SHUT_WR);
      while (::read(fd.get(), buffer.data(), buffer.size()) > 0) {
      }
      break;
    }
  }
}

// Accepts connections on 127.0.0.1 (loopback only) and serves each on its own thread.
class EchoServer {
 public:
  EchoServer() {
    listen_fd_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_.get(), 16) != 0 ||
        ::getsockname(listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "listen on loopback: " << std::strerror(errno);
      return;
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~EchoServer() {
    ::shutdown(listen_fd_.get(), SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    for (std::thread& t : connections_) t.join();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Valid after the client exited (its connections are closed).
  std::vector<ConnectionReport> Reports() {
    ::shutdown(listen_fd_.get(), SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    for (std::thread& t : connections_) t.join();
    connections_.clear();
    std::lock_guard<std::mutex> lock(mu_);
    return std::vector<ConnectionReport>(reports_.begin(), reports_.end());
  }

 private:
  void AcceptLoop() {
    while (true) {
      UniqueFd conn(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (conn.get() < 0) {
        if (errno == EINTR) continue;
        return;
      }
      ConnectionReport* report;
      {
        std::lock_guard<std::mutex> lock(mu_);
        reports_.emplace_back();
        report = &reports_.back();
      }
      connections_.emplace_back(
          [fd = std::move(conn), report]() mutable { ServeConnection(std::move(fd), *report); });
    }
  }

  UniqueFd listen_fd_;
  uint16_t port_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // touched by the acceptor until it is joined
  std::mutex mu_;
  std::deque<ConnectionReport> reports_;  // stable addresses
};

struct PeerRun {
  int exit_code = -1;
  std::string output;
};

PeerRun RunPeer(const std::vector<std::string>& args) {
  std::string command = AIRLOCK_SPDY_PEER;
  for (const std::string& arg : args) command += " '" + arg + "'";
  command += " 2>&1";
  PeerRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) run.output.append(buffer, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class SpdyInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string_view(AIRLOCK_SPDY_PEER).empty()) {
      GTEST_SKIP() << "the Go toolchain (`go`) was not found at configure time, so the "
                      "spdystream peer client could not be built; install golang-go and "
                      "golang-github-docker-spdystream-dev (scripts/install-deps.sh)";
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("airlock-spdy-interop-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Runs `sessions` concurrent Go clients sending `payload` and checks every echo.
  void Echo(const std::string& payload, const std::string& mode, int chunk, int sessions) {
    const std::filesystem::path in = dir_ / "stdin";
    std::ofstream(in, std::ios::binary) << payload;
    EchoServer server;
    const PeerRun run =
        RunPeer({"-addr", server.address(), "-in", in.string(), "-out", (dir_ / "stdout").string(),
                 "-mode", mode, "-chunk", std::to_string(chunk), "-sessions",
                 std::to_string(sessions), "-timeout", "60s"});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    for (int i = 0; i < sessions; ++i) {
      const std::string echoed = ReadWholeFile(dir_ / ("stdout." + std::to_string(i)));
      ASSERT_EQ(echoed.size(), payload.size()) << "session " << i;
      EXPECT_TRUE(echoed == payload) << "session " << i << ": echoed bytes differ";
      EXPECT_NE(run.output.find("session " + std::to_string(i) + ": stdout=" +
                                std::to_string(payload.size()) + " error=" + std::string(kSuccess)),
                std::string::npos)
          << run.output;
    }
    std::vector<ConnectionReport> reports = server.Reports();
    ASSERT_EQ(reports.size(), static_cast<size_t>(sessions));
    for (const ConnectionReport& report : reports) {
      EXPECT_EQ(report.protocol_error, "");
      EXPECT_EQ(report.owner_error, "");
      EXPECT_EQ(report.stream_types, (std::vector<std::string>{"error", "stdin", "stdout"}));
      EXPECT_EQ(report.stream_ids, (std::vector<uint32_t>{1, 3, 5}));
      EXPECT_EQ(report.stdin_bytes, payload.size());
      EXPECT_TRUE(report.ping_reply) << "the Go peer did not answer our PING";
      EXPECT_TRUE(report.client_ping);
      EXPECT_TRUE(report.client_goaway);
      if (mode == "whole" && payload.size() > kSpdyMaxPayload) {
        EXPECT_GT(report.largest_output_write, size_t{kSpdyMaxPayload});
      }
    }
  }

  std::filesystem::path dir_;
};

std::string Pattern(size_t size) {
  std::string out(size, '\0');
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out[i] = static_cast<char>(x);
  }
  return out;
}

TEST_F(SpdyInteropTest, EchoesASmallPayload) { Echo("hello from spdystream\n", "chunk", 0, 1); }

TEST_F(SpdyInteropTest, EchoesAnEmptyStdin) { Echo("", "chunk", 0, 1); }

TEST_F(SpdyInteropTest, EchoesOneMebibyteInSmallFrames) {
  Echo(Pattern(1 << 20), "chunk", 32 * 1024, 1);
}

TEST_F(SpdyInteropTest, EchoesMoreThanSixteenMebibytesInMaxSizeFrames) {
  // The client sends max-size DATA frames; the server answers with a single Data() call
  // that the codec must split at 2^24-1 bytes, or the Go framer would reject it.
  Echo(Pattern((16 << 20) + 12345), "whole", 0, 1);
}

TEST_F(SpdyInteropTest, ServesConcurrentConnections) {
  Echo(Pattern(256 * 1024), "chunk", 16 * 1024, 4);
}

}  // namespace
}  // namespace airlock::streaming
