// The monitor's attach pieces without a container: AttachFanout over real socket pairs, and
// the control-socket protocol between the monitor's ControlSocket and the shim's
// AttachToContainer over a real unix socket. No root needed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "shim/base/file_util.h"
#include "shim/monitor/attach_fanout.h"
#include "shim/monitor/control_socket.h"
#include "shim/stream/attach_client.h"

namespace airlock {
namespace {

using monitor::AttachFanout;
using monitor::ControlReply;
using monitor::ControlSocket;
using monitor::LogStream;

// Everything readable now (non-blocking); sets *eof when the peer closed.
std::string ReadAvailable(int fd, bool* eof = nullptr) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 && eof != nullptr) *eof = true;
    return out;
  }
}

// Reads until EOF or `limit` passes.
std::string ReadToEof(int fd, std::chrono::milliseconds limit = std::chrono::milliseconds(5000),
                      bool* eof = nullptr) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + limit;
  bool done = false;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    struct pollfd p = {fd, POLLIN, 0};
    ::poll(&p, 1, 50);
    out += ReadAvailable(fd, &done);
  }
  if (eof != nullptr) *eof = done;
  return out;
}

// Lets the fan-out send what it holds, as the monitor loop would.
void Pump(AttachFanout* fanout) {
  std::vector<struct pollfd> fds;
  fanout->AppendPollFds(&fds);
  if (fds.empty()) return;
  if (::poll(fds.data(), fds.size(), 0) > 0) fanout->HandlePollFds(fds.data(), fds.size());
}

TEST(AttachFanoutTest, EveryClientGetsBothStreamsApartThenEof) {
  AttachFanout fanout;
  UniqueFd a_out, a_err, b_out, b_err;
  std::string error;
  ASSERT_TRUE(fanout.Add(1, true, true, &a_out, &a_err, &error)) << error;
  ASSERT_TRUE(fanout.Add(2, true, false, &b_out, &b_err, &error)) << error;
  EXPECT_FALSE(b_err.valid()) << "stderr was not asked for";

  fanout.Broadcast(LogStream::kStdout, "out-1\n");
  fanout.Broadcast(LogStream::kStderr, "err-1\n");
  fanout.Broadcast(LogStream::kStdout, "out-2");
  fanout.EndStream(LogStream::kStdout);
  fanout.EndStream(LogStream::kStderr);

  bool eof = false;
  EXPECT_EQ(ReadToEof(a_out.get(), std::chrono::milliseconds(2000), &eof), "out-1\nout-2");
  EXPECT_TRUE(eof);
  EXPECT_EQ(ReadToEof(a_err.get(), std::chrono::milliseconds(2000), &eof), "err-1\n");
  EXPECT_TRUE(eof);
  EXPECT_EQ(ReadToEof(b_out.get(), std::chrono::milliseconds(2000), &eof), "out-1\nout-2");
  EXPECT_TRUE(eof);
}

TEST(AttachFanoutTest, AttachAfterTheStreamEndedReadsEofAtOnce) {
  AttachFanout fanout;
  fanout.EndStream(LogStream::kStdout);
  UniqueFd out, err;
  std::string error;
  ASSERT_TRUE(fanout.Add(7, true, true, &out, &err, &error)) << error;
  bool eof = false;
  EXPECT_EQ(ReadToEof(out.get(), std::chrono::milliseconds(1000), &eof), "");
  EXPECT_TRUE(eof);
  fanout.Broadcast(LogStream::kStderr, "still here");
  EXPECT_EQ(ReadAvailable(err.get(), &eof), "still here");
}

TEST(AttachFanoutTest, DetachClosesTheClientsSockets) {
  AttachFanout fanout;
  UniqueFd out, err;
  std::string error;
  ASSERT_TRUE(fanout.Add(3, true, false, &out, &err, &error)) << error;
  EXPECT_TRUE(fanout.Has(3));
  fanout.Remove(3);
  EXPECT_FALSE(fanout.Has(3));
  bool eof = false;
  ReadToEof(out.get(), std::chrono::milliseconds(1000), &eof);
  EXPECT_TRUE(eof);
}

TEST(AttachFanoutTest, ClientThatNeverReadsIsDroppedAndOthersGetEverything) {
  constexpr size_t kLimit = 64 * 1024;
  AttachFanout fanout(kLimit);
  UniqueFd slow_out, slow_err, fast_out, fast_err;
  std::string error;
  ASSERT_TRUE(fanout.Add(1, true, false, &slow_out, &slow_err, &error)) << error;
  ASSERT_TRUE(fanout.Add(2, true, false, &fast_out, &fast_err, &error)) << error;

  // 8 MiB, far beyond the socket buffer plus the limit; every chunk is distinct so that
  // order and completeness show.
  std::string sent, fast_got;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 512; ++i) {
    std::string chunk(16 * 1024, static_cast<char>('a' + i % 26));
    chunk.replace(0, 8, std::to_string(10'000'000 + i));
    sent += chunk;
    fanout.Broadcast(LogStream::kStdout, chunk);
    EXPECT_LE(fanout.pending_bytes(1), kLimit);
    Pump(&fanout);
    fast_got += ReadAvailable(fast_out.get());
  }
  fanout.EndStream(LogStream::kStdout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10))
      << "a client that never reads must not hold up the broadcaster";
  for (int i = 0; i < 200 && fanout.pending_bytes(2) > 0; ++i) {
    Pump(&fanout);
    fast_got += ReadAvailable(fast_out.get());
  }
  bool eof = false;
  fast_got += ReadToEof(fast_out.get(), std::chrono::milliseconds(2000), &eof);
  EXPECT_TRUE(eof);
  EXPECT_EQ(fast_got.size(), sent.size());
  EXPECT_TRUE(fast_got == sent) << "the reading client gets every byte in order";

  std::string slow_got = ReadToEof(slow_out.get(), std::chrono::milliseconds(2000), &eof);
  EXPECT_TRUE(eof) << "the dropped client reads EOF";
  EXPECT_LT(slow_got.size(), sent.size() / 4);
  EXPECT_EQ(slow_got, sent.substr(0, slow_got.size())) << "what it got is a clean prefix";
  EXPECT_EQ(fanout.pending_bytes(1), 0u);
}

TEST(AttachFanoutTest, ClientThatClosedItsEndIsForgottenWithoutError) {
  AttachFanout fanout;
  UniqueFd out, err;
  std::string error;
  ASSERT_TRUE(fanout.Add(1, true, false, &out, &err, &error)) << error;
  out.reset();
  std::vector<struct pollfd> fds;
  fanout.AppendPollFds(&fds);
  ASSERT_EQ(fds.size(), 1u);
  ASSERT_EQ(::poll(fds.data(), fds.size(), 1000), 1);
  EXPECT_TRUE(fds[0].revents & POLLHUP);
  fanout.HandlePollFds(fds.data(), fds.size());
  fds.clear();
  fanout.AppendPollFds(&fds);
  EXPECT_TRUE(fds.empty()) << "its socket is closed";
  fanout.Broadcast(LogStream::kStdout, "nobody listens");  // no SIGPIPE, no error
}

// A monitor stand-in: the real ControlSocket and AttachFanout on a thread, with a fake
// container whose stdin is a pipe the test reads.
class FakeMonitor {
 public:
  explicit FakeMonitor(const std::string& dir, bool refuse = false) : refuse_(refuse) {
    std::string error;
    EXPECT_TRUE(control_.Listen(dir + "/ctl", &error)) << error;
    int p[2];
    EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
    stdin_read_.reset(p[0]);
    stdin_write_.reset(p[1]);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeMonitor() {
    stop_ = true;
    thread_.join();
    control_.Close();
  }

  // Runs `task` on the monitor thread (the fan-out is single-threaded, like the monitor).
  void Post(std::function<void(AttachFanout*)> task) {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  std::vector<std::string> commands() {
    std::lock_guard lock(mu_);
    return commands_;
  }
  size_t clients() {
    std::lock_guard lock(mu_);
    return clients_;
  }
  int stdin_read() const { return stdin_read_.get(); }

 private:
  ControlReply Handle(uint64_t id, std::string_view command) {
    {
      std::lock_guard lock(mu_);
      commands_.emplace_back(command);
    }
    if (command.rfind("resize ", 0) == 0) return {"ok", {}};
    if (command.rfind("attach", 0) == 0 && !refuse_) {
      bool want_out = command.find("stdout") != std::string_view::npos;
      bool want_err = command.find("stderr") != std::string_view::npos;
      UniqueFd out, err;
      std::string error;
      if (!fanout_.Add(id, want_out, want_err, &out, &err, &error)) return {"error " + error, {}};
      ControlReply reply{"ok", {}};
      if (out) {
        reply.line += " stdout";
        reply.fds.push_back(std::move(out));
      }
      if (err) {
        reply.line += " stderr";
        reply.fds.push_back(std::move(err));
      }
      if (command.find("stdin") != std::string_view::npos) {
        reply.line += " stdin";
        reply.fds.emplace_back(::fcntl(stdin_write_.get(), F_DUPFD_CLOEXEC, 0));
      }
      return reply;
    }
    return {"error attach: unknown stream \"bogus\"", {}};
  }

  void Loop() {
    const ControlSocket::Handlers handlers = {
        [this](uint64_t id, std::string_view c) { return Handle(id, c); },
        [this](uint64_t id) { fanout_.Remove(id); }};
    std::vector<struct pollfd> fds;
    while (!stop_) {
      std::deque<std::function<void(AttachFanout*)>> tasks;
      {
        std::lock_guard lock(mu_);
        tasks.swap(tasks_);
        clients_ = fanout_.clients();
      }
      for (auto& t : tasks) t(&fanout_);
      fds.clear();
      fanout_.AppendPollFds(&fds);
      size_t control_begin = fds.size();
      control_.AppendPollFds(&fds);
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      fanout_.HandlePollFds(fds.data(), control_begin);
      control_.HandlePollFds(fds.data() + control_begin, fds.size() - control_begin, handlers);
    }
  }

  const bool refuse_;
  ControlSocket control_;
  AttachFanout fanout_;
  UniqueFd stdin_read_, stdin_write_;
  std::mutex mu_;
  std::deque<std::function<void(AttachFanout*)>> tasks_;
  std::vector<std::string> commands_;
  size_t clients_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class AttachClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/airlock-attach-unit-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)RemoveTree(dir_); }

  template <typename Pred>
  static bool Eventually(Pred pred) {
    for (int i = 0; i < 250; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
  }

  std::string dir_;
};

TEST_F(AttachClientTest, ReceivesOutputSocketsAndStdinWriterNonBlocking) {
  FakeMonitor monitor(dir_);
  Result<streaming::StartedProcess> started = AttachToContainer(dir_, false, true, true, true);
  ASSERT_TRUE(started.ok()) << started.error().message;
  streaming::ProcessStdio& io = started->stdio;
  ASSERT_TRUE(io.stdin && io.stdout && io.stderr);
  for (int fd : {io.stdin.get(), io.stdout.get(), io.stderr.get()}) {
    EXPECT_TRUE(::fcntl(fd, F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
  }
  EXPECT_EQ(started->process->exit_fd(), -1);
  EXPECT_FALSE(started->process->ExitCode().has_value());
  EXPECT_EQ(monitor.commands(), std::vector<std::string>{"attach stdin stdout stderr"});

  monitor.Post([](AttachFanout* f) {
    f->Broadcast(LogStream::kStdout, "to stdout\n");
    f->Broadcast(LogStream::kStderr, "to stderr\n");
  });
  std::string out, err;
  ASSERT_TRUE(Eventually([&] {
    out += ReadAvailable(io.stdout.get());
    err += ReadAvailable(io.stderr.get());
    return out.size() >= 10 && err.size() >= 10;
  }));
  EXPECT_EQ(out, "to stdout\n");
  EXPECT_EQ(err, "to stderr\n");

  ASSERT_EQ(::write(io.stdin.get(), "typed\n", 6), 6);
  char buf[16] = {};
  ASSERT_EQ(::read(monitor.stdin_read(), buf, sizeof buf), 6);
  EXPECT_STREQ(buf, "typed\n");
}

TEST_F(AttachClientTest, ResizeGoesToTheMonitorOnlyForTty) {
  FakeMonitor monitor(dir_);
  Result<streaming::StartedProcess> tty = AttachToContainer(dir_, true, true, true, true);
  ASSERT_TRUE(tty.ok()) << tty.error().message;
  tty->process->Resize({.width = 100, .height = 40});
  tty->process->Resize({.width = 0, .height = 40});  // not laid out yet: ignored
  tty->process->Hangup();                            // detaching must not stop anything
  tty->process->Kill();
  EXPECT_EQ(monitor.commands(), (std::vector<std::string>{"attach stdin stdout", "resize 40 100"}))
      << "a tty attach asks for no stderr; rows come first";
}

TEST_F(AttachClientTest, DestroyingTheProcessDetaches) {
  FakeMonitor monitor(dir_);
  Result<streaming::StartedProcess> started = AttachToContainer(dir_, false, true, true, true);
  ASSERT_TRUE(started.ok()) << started.error().message;
  ASSERT_TRUE(Eventually([&] { return monitor.clients() == 1; }));
  started->process.reset();
  EXPECT_TRUE(Eventually([&] { return monitor.clients() == 0; }));
}

TEST_F(AttachClientTest, RefusalAndMissingMonitorAreErrors) {
  Result<streaming::StartedProcess> none = AttachToContainer(dir_, false, false, true, false);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound) << none.error().message;
  EXPECT_NE(none.error().message.find(dir_ + "/ctl"), std::string::npos) << none.error().message;

  FakeMonitor monitor(dir_, /*refuse=*/true);
  Result<streaming::StartedProcess> refused = AttachToContainer(dir_, false, false, true, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInternal);
  EXPECT_NE(refused.error().message.find("unknown stream"), std::string::npos)
      << refused.error().message;
}

}  // namespace
}  // namespace airlock
