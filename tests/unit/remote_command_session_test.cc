// RemoteCommandSession against a recording transport and a runtime whose "process" is a
// set of pipes the test holds: stream admission, when the process starts, the order of the
// session end, status payloads per protocol version, resize, disconnect and timeouts.
#include "streaming/remote_command_session.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>

#include "shim/base/clock.h"
#include "streaming/resize_decoder.h"

namespace airlock::streaming {
namespace {

using namespace std::chrono_literals;

struct RecordingTransport : StreamTransport {
  std::vector<std::string> log;  // "accept 1", "write 3 <bytes>", "end 3", "reset 9", "close"
  std::map<StreamId, std::string> written;
  std::string pending;  // what PendingOutput reports, for back-pressure tests
  std::map<StreamId, size_t> backlog;  // what StreamBacklog reports (HTTP/2 window)
  Status Start(StreamEvents&) override { return Status::Ok(); }
  Status Feed(std::string_view, StreamEvents&) override { return Status::Ok(); }
  Status Accept(StreamId id) override { log.push_back("accept " + std::to_string(id)); return Status::Ok(); }
  Status Reset(StreamId id) override { log.push_back("reset " + std::to_string(id)); return Status::Ok(); }
  Status Write(StreamId id, std::string_view b) override {
    log.push_back("write " + std::to_string(id));
    written[id].append(b);
    return Status::Ok();
  }
  Status End(StreamId id) override { log.push_back("end " + std::to_string(id)); return Status::Ok(); }
  void Close() override { log.push_back("close"); }
  std::string_view PendingOutput() override { return pending; }
  void ConsumeOutput(size_t) override {}
  size_t StreamBacklog(StreamId id) const override {
    auto it = backlog.find(id);
    return it == backlog.end() ? 0 : it->second;
  }
  const char* name() const override { return "test"; }
};

UniqueFd Nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return UniqueFd(fd);
}

struct FakeProcess : StreamProcess {
  UniqueFd exit_event{eventfd(0, EFD_CLOEXEC)};
  std::optional<int> code;
  std::vector<TerminalSize>* resizes;
  int* hangups;
  int* kills;
  int exit_fd() const override { return exit_event.get(); }
  std::optional<int> ExitCode() override { return code; }
  void Resize(TerminalSize s) override { resizes->push_back(s); }
  void Hangup() override { ++*hangups; }
  void Kill() override { ++*kills; }
};

// The test's ends of the process's stdio.
struct FakeRuntime : Runtime {
  int execs = 0;
  std::optional<TerminalSize> initial;
  bool fail = false;
  UniqueFd proc_stdin, proc_stdout, proc_stderr;  // process side: read stdin, write out/err
  FakeProcess* process = nullptr;
  std::vector<TerminalSize> resizes;
  int hangups = 0, kills = 0;

  Result<StartedProcess> Exec(const ExecRequest& req, std::optional<TerminalSize> size) override {
    ++execs;
    initial = size;
    if (fail) return MakeError(ErrorCode::kFailedPrecondition, "container x is not running");
    StartedProcess out;
    int in[2], o[2], e[2];
    EXPECT_EQ(pipe2(in, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(o, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(e, O_CLOEXEC), 0);
    proc_stdin = UniqueFd(in[0]);
    if (req.stdin) out.stdio.stdin = Nonblocking(in[1]); else close(in[1]);
    out.stdio.stdout = Nonblocking(o[0]);
    proc_stdout = UniqueFd(o[1]);
    if (req.stderr && !req.tty) {
      out.stdio.stderr = Nonblocking(e[0]);
      proc_stderr = UniqueFd(e[1]);
    } else {
      close(e[0]);
      close(e[1]);
    }
    auto p = std::make_unique<FakeProcess>();
    p->resizes = &resizes;
    p->hangups = &hangups;
    p->kills = &kills;
    process = p.get();
    out.process = std::move(p);
    return out;
  }
  Result<StartedProcess> Attach(const AttachRequest&) override {
    return MakeError(ErrorCode::kUnimplemented, "attach");
  }
  Result<UniqueFd> DialPort(const std::string&, uint16_t) override {
    return MakeError(ErrorCode::kUnimplemented, "dial");
  }
  void Exit(int c) {
    process->code = c;
    uint64_t one = 1;
    ASSERT_EQ(write(process->exit_event.get(), &one, 8), 8);
  }
};

OpenedStream Open(StreamId id, std::string type) {
  OpenedStream s;
  s.id = id;
  s.headers["streamtype"] = std::move(type);
  return s;
}

class SessionTest : public ::testing::Test {
 protected:
  std::unique_ptr<RemoteCommandSession> Make(ExecRequest req, int version = 4) {
    RemoteCommandSession::Params p;
    p.request = req;
    p.protocol_version = version;
    p.resize_stream = version >= 3;
    p.transport_name = "test";
    return std::make_unique<RemoteCommandSession>(transport, runtime, clock, p);
  }
  // One poll round, like the connection does it (without the socket).
  void Pump(Session& s) {
    std::vector<PollRequest> reqs;
    s.AddPollRequests(reqs);
    std::vector<pollfd> fds;
    for (auto& r : reqs) fds.push_back({r.fd, r.events, 0});
    if (fds.empty()) return;
    ASSERT_GE(poll(fds.data(), fds.size(), 1000), 0);
    for (size_t i = 0; i < reqs.size(); ++i) {
      if (fds[i].revents) s.OnPoll(reqs[i].tag, fds[i].revents);
    }
  }
  void PumpUntilFinished(Session& s) {
    for (int i = 0; i < 50 && !s.Finished(); ++i) Pump(s);
  }
  RecordingTransport transport;
  FakeRuntime runtime;
  FakeClock clock;
};

ExecRequest Req(bool in, bool out, bool err, bool tty = false) {
  return ExecRequest{"c1", {"sh", "-c", "exit 3"}, tty, in, out, err};
}

TEST_F(SessionTest, StartsOnlyWhenEveryRequestedStreamExistsAndEndsInOrder) {
  auto s = Make(Req(true, true, true));
  s->OnStreamOpened(Open(1, "error"));
  s->OnStreamOpened(Open(3, "stdin"));
  s->OnStreamOpened(Open(5, "stdout"));
  EXPECT_EQ(runtime.execs, 0);
  s->OnStreamOpened(Open(7, "stderr"));
  ASSERT_EQ(runtime.execs, 1);

  s->OnStreamData(3, "hello");
  s->OnStreamRemoteClosed(3);
  char buf[16];
  EXPECT_EQ(read(runtime.proc_stdin.get(), buf, sizeof buf), 5);
  EXPECT_EQ(read(runtime.proc_stdin.get(), buf, sizeof buf), 0) << "stdin EOF after FIN";

  ASSERT_EQ(write(runtime.proc_stdout.get(), "out", 3), 3);
  ASSERT_EQ(write(runtime.proc_stderr.get(), "err", 3), 3);
  runtime.proc_stdout.reset();
  runtime.proc_stderr.reset();
  runtime.Exit(3);
  PumpUntilFinished(*s);
  ASSERT_TRUE(s->Finished());
  EXPECT_EQ(transport.written[5], "out");
  EXPECT_EQ(transport.written[7], "err");
  EXPECT_EQ(transport.written[1],
            R"({"status":"Failure","message":"command terminated with non-zero exit code: error )"
            R"(executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode",)"
            R"("details":{"causes":[{"reason":"ExitCode","message":"3"}]}})");
  // stdout and stderr end before the status is written; the transport closes last.
  auto pos = [&](const std::string& e) {
    return std::find(transport.log.begin(), transport.log.end(), e) - transport.log.begin();
  };
  EXPECT_LT(pos("end 5"), pos("write 1"));
  EXPECT_LT(pos("end 7"), pos("write 1"));
  EXPECT_LT(pos("write 1"), pos("end 1"));
  EXPECT_EQ(transport.log.back(), "close");
}

TEST_F(SessionTest, SuccessIsJsonFromV4AndSilentBefore) {
  for (int version : {4, 2}) {
    transport = RecordingTransport{};
    auto s = Make(Req(false, true, false), version);
    s->OnStreamOpened(Open(1, "error"));
    s->OnStreamOpened(Open(3, "stdout"));
    runtime.proc_stdout.reset();
    runtime.Exit(0);
    PumpUntilFinished(*s);
    ASSERT_TRUE(s->Finished());
    EXPECT_EQ(transport.written[1], version == 4 ? R"({"status":"Success"})" : "");
  }
}

TEST_F(SessionTest, V2FailureIsPlainText) {
  auto s = Make(Req(false, true, false), 2);
  s->OnStreamOpened(Open(1, "error"));
  s->OnStreamOpened(Open(3, "stdout"));
  runtime.proc_stdout.reset();
  runtime.Exit(127);
  PumpUntilFinished(*s);
  EXPECT_EQ(transport.written[1],
            "command terminated with non-zero exit code: error executing command [sh -c exit 3], "
            "exit code 127");
}

TEST_F(SessionTest, RuntimeErrorBecomesInternalErrorStatus) {
  runtime.fail = true;
  auto s = Make(Req(false, true, false));
  s->OnStreamOpened(Open(1, "error"));
  s->OnStreamOpened(Open(3, "stdout"));
  ASSERT_TRUE(s->Finished());
  EXPECT_EQ(transport.written[1],
            R"({"status":"Failure","message":"Internal error occurred: error executing command )"
            R"(in container: container x is not running","reason":"InternalError","code":500})");
}

TEST_F(SessionTest, UnknownAndDuplicateStreamTypesAreRefused) {
  auto s = Make(Req(false, true, false));
  s->OnStreamOpened(Open(1, "error"));
  s->OnStreamOpened(Open(3, "bogus"));
  s->OnStreamOpened(Open(5, "error"));
  OpenedStream none;
  none.id = 7;
  s->OnStreamOpened(none);
  EXPECT_EQ(transport.log, (std::vector<std::string>{"accept 1", "reset 3", "reset 5", "reset 7"}));
  EXPECT_EQ(runtime.execs, 0);
}

TEST_F(SessionTest, TtyWaitsForTheFirstSizeThenResizesLater) {
  auto s = Make(Req(true, true, false, true));
  s->OnStreamOpened(Open(1, "error"));
  s->OnStreamOpened(Open(3, "stdin"));
  s->OnStreamOpened(Open(5, "stdout"));
  s->OnStreamOpened(Open(7, "resize"));
  EXPECT_EQ(runtime.execs, 0) << "waits for the client's size";
  s->OnStreamData(7, R"({"Width":120,"Hei)");
  EXPECT_EQ(runtime.execs, 0);
  s->OnStreamData(7, "ght\":40}\n{\"width\":0,\"height\":5}\n");
  ASSERT_EQ(runtime.execs, 1);
  EXPECT_EQ(runtime.initial, (TerminalSize{120, 40}));
  s->OnStreamData(7, R"({"Width":80,"Height":24})");
  EXPECT_EQ(runtime.resizes, (std::vector<TerminalSize>{{80, 24}}));
}

TEST_F(SessionTest, TtyStartsWithoutSizeAfterTheWait) {
  auto s = Make(Req(false, true, false, true));
  s->OnStreamOpened(Open(1, "error"));
  s->OnStreamOpened(Open(3, "stdout"));
  s->OnStreamOpened(Open(5, "resize"));
  clock.Advance(999ms);
  s->OnTimer(clock.Now());
  EXPECT_EQ(runtime.execs, 0);
  clock.Advance(1ms);
  s->OnTimer(clock.Now());
  EXPECT_EQ(runtime.execs, 1);
  EXPECT_FALSE(runtime.initial.has_value());
}

TEST_F(SessionTest, StreamsNeverCreatedTimeOut) {
  auto s = Make(Req(true, true, false));
  s->OnStreamOpened(Open(1, "error"));
  clock.Advance(30s);
  s->OnTimer(clock.Now());
  EXPECT_TRUE(s->Finished());
  EXPECT_EQ(runtime.execs, 0);
}

TEST_F(SessionTest, DisconnectClosesStdinThenKillsAfterGrace) {
  auto s = Make(Req(true, true, false));
  s->OnStreamOpened(Open(1, "error"));
  s->OnStreamOpened(Open(3, "stdin"));
  s->OnStreamOpened(Open(5, "stdout"));
  s->OnPeerGone("test");
  char c;
  EXPECT_EQ(read(runtime.proc_stdin.get(), &c, 1), 0) << "non-tty: stdin EOF at once";
  EXPECT_EQ(runtime.kills, 0);
  clock.Advance(5s);
  s->OnTimer(clock.Now());
  EXPECT_EQ(runtime.kills, 1);
  runtime.Exit(137);
  PumpUntilFinished(*s);
  EXPECT_TRUE(s->Finished());
  EXPECT_EQ(transport.written.count(1), 0u) << "nobody to tell";
}

TEST_F(SessionTest, TtyDisconnectHangsUp) {
  auto s = Make(Req(true, true, false, true));
  s->OnStreamOpened(Open(1, "error"));
  s->OnStreamOpened(Open(3, "stdin"));
  s->OnStreamOpened(Open(5, "stdout"));
  s->OnStreamOpened(Open(7, "resize"));
  s->OnStreamData(7, R"({"Width":10,"Height":10})");
  s->OnPeerGone("test");
  EXPECT_EQ(runtime.hangups, 1);
}

TEST_F(SessionTest, BackgroundChildHoldingStdoutEndsAtTheDrainDeadline) {
  auto s = Make(Req(false, true, false));
  s->OnStreamOpened(Open(1, "error"));
  s->OnStreamOpened(Open(3, "stdout"));
  ASSERT_EQ(write(runtime.proc_stdout.get(), "tail", 4), 4);
  runtime.Exit(0);  // proc_stdout stays open, as if a background child held it
  for (int i = 0; i < 5; ++i) Pump(*s);
  EXPECT_FALSE(s->Finished());
  EXPECT_EQ(transport.written[3], "tail");
  clock.Advance(2s);
  s->OnTimer(clock.Now());
  EXPECT_TRUE(s->Finished());
  EXPECT_EQ(transport.written[1], R"({"status":"Success"})");
}

TEST_F(SessionTest, SlowClientStopsReadingTheProcess) {
  auto s = Make(Req(false, true, false));
  s->OnStreamOpened(Open(1, "error"));
  s->OnStreamOpened(Open(3, "stdout"));
  std::vector<PollRequest> reqs;
  s->AddPollRequests(reqs);
  auto has_stdout = [&] {
    return std::any_of(reqs.begin(), reqs.end(), [&](auto& r) { return r.events == POLLIN && r.fd != runtime.process->exit_fd(); });
  };
  EXPECT_TRUE(has_stdout());
  transport.pending.assign(2 << 20, 'x');
  reqs.clear();
  s->AddPollRequests(reqs);
  EXPECT_FALSE(has_stdout());
}

TEST_F(SessionTest, ASlowClientDoesNotLoseTheTailToTheDrainDeadline) {
  auto s = Make(Req(false, true, false));
  s->OnStreamOpened(Open(1, "error"));
  s->OnStreamOpened(Open(3, "stdout"));
  ASSERT_EQ(write(runtime.proc_stdout.get(), "tail", 4), 4);
  runtime.proc_stdout.reset();
  runtime.Exit(0);
  transport.pending.assign(2 << 20, 'x');  // the client is behind: no room for output
  for (int i = 0; i < 3; ++i) {
    Pump(*s);
    clock.Advance(2s);
    s->OnTimer(clock.Now());
  }
  EXPECT_FALSE(s->Finished()) << "the output still in the pipe must wait for the client";
  transport.pending.clear();
  PumpUntilFinished(*s);
  ASSERT_TRUE(s->Finished());
  EXPECT_EQ(transport.written[3], "tail");
}

TEST_F(SessionTest, TheStatusWaitsForOutputHeldByTheStreamWindow) {
  auto s = Make(Req(false, true, true));
  s->OnStreamOpened(Open(1, "error"));
  s->OnStreamOpened(Open(3, "stdout"));
  s->OnStreamOpened(Open(5, "stderr"));
  ASSERT_EQ(write(runtime.proc_stdout.get(), "tail", 4), 4);
  runtime.proc_stdout.reset();
  runtime.proc_stderr.reset();
  transport.backlog[3] = 4;  // stdout's HTTP/2 window is shut: its tail is still queued
  runtime.Exit(0);
  PumpUntilFinished(*s);
  EXPECT_FALSE(s->Finished());
  EXPECT_EQ(transport.written.count(1), 0u) << "the status would overtake stdout's tail";
  clock.Advance(1h);  // waiting for the client is not the drain deadline's business
  s->OnTimer(clock.Now());
  s->OnTransportProgress();
  EXPECT_FALSE(s->Finished());
  transport.backlog[3] = 0;  // the client granted window and the tail went out
  s->OnTransportProgress();
  ASSERT_TRUE(s->Finished());
  EXPECT_EQ(transport.written[3], "tail");
  EXPECT_EQ(transport.written[1], R"({"status":"Success"})");
  EXPECT_EQ(transport.log.back(), "close");
}

TEST_F(SessionTest, AClientGoneWhileTheTailWaitsEndsTheSession) {
  auto s = Make(Req(false, true, false));
  s->OnStreamOpened(Open(1, "error"));
  s->OnStreamOpened(Open(3, "stdout"));
  runtime.proc_stdout.reset();
  transport.backlog[3] = 100;
  runtime.Exit(0);
  PumpUntilFinished(*s);
  ASSERT_FALSE(s->Finished());
  s->OnPeerGone("connection closed by the client");
  EXPECT_TRUE(s->Finished());
  EXPECT_EQ(transport.written.count(1), 0u);
}

TEST(ResizeDecoderTest, RejectsGarbageAndOversize) {
  ResizeDecoder d;
  std::vector<TerminalSize> out;
  EXPECT_FALSE(d.Feed("nope", &out).ok());
  ResizeDecoder d2;
  EXPECT_FALSE(d2.Feed(R"({"Width":-1,"Height":2})", &out).ok());
  ResizeDecoder d3;
  EXPECT_FALSE(d3.Feed("{\"Width\":\"" + std::string(5000, 'a'), &out).ok());
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace airlock::streaming
