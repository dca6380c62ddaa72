// The shim's streaming pieces that need no root: the CRI request checks, the config ->
// server options mapping, and ShimStreamRuntime's refusals (unknown or stopped containers
// and pods, an infra process that is gone, the concurrency limit). The real exec and dial
// paths run against runc in tests/integration/stream_runtime_exec_test.cc.
#include "shim/stream/stream_runtime.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <vector>

#include "nsenter/container_target.h"
#include "shim/stream/port_dialer.h"
#include "shim/stream/stream_request_checks.h"
#include "shim/stream/stream_server_options.h"

namespace airlock {
namespace {

using namespace std::chrono_literals;

TEST(StreamRequestChecksTest, TtyExcludesStderr) {
  auto st = CheckStreamFlags(/*tty=*/true, true, true, /*stderr=*/true);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(st.error().message.find("tty and stderr cannot both be true"), std::string::npos);
  EXPECT_TRUE(CheckStreamFlags(true, true, true, false).ok());
  EXPECT_TRUE(CheckStreamFlags(false, false, false, true).ok());
}

TEST(StreamRequestChecksTest, SomeStreamIsRequired) {
  auto st = CheckStreamFlags(false, false, false, false);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(st.error().message.find("one of stdin, stdout, or stderr must be set"),
            std::string::npos);
  EXPECT_FALSE(CheckStreamFlags(true, false, false, false).ok());  // tty alone streams nothing
  EXPECT_TRUE(CheckStreamFlags(false, true, false, false).ok());
}

TEST(StreamRequestChecksTest, PortsMustBeTcpPorts) {
  EXPECT_TRUE(CheckPorts(std::vector<int32_t>{}).ok());
  EXPECT_TRUE(CheckPorts(std::vector<int32_t>{1, 80, 65535}).ok());
  for (int32_t bad : {0, -1, 65536, INT32_MAX}) {
    std::vector<int32_t> ports{80, bad};
    auto st = CheckPorts(ports);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(st.error().message.find("port[1] " + std::to_string(bad)), std::string::npos)
        << st.error().message;
  }
}

TEST(StreamServerOptionsTest, EveryStreamingKnobReachesTheServer) {
  StreamingSection s;
  s.address = "0.0.0.0";
  s.port = 10010;
  s.stream_idle_timeout = 2h;
  s.stream_creation_timeout = 7s;
  s.initial_resize_wait = 300ms;
  s.drain_timeout = 4s;
  s.disconnect_grace = 9s;
  streaming::StreamServerOptions o = StreamServerOptionsFromConfig(s);
  EXPECT_EQ(o.address, "0.0.0.0");
  EXPECT_EQ(o.port, 10010);
  EXPECT_EQ(o.idle_timeout, 2h);
  EXPECT_EQ(o.stream_creation_timeout, 7s);
  EXPECT_EQ(o.initial_resize_wait, 300ms);
  EXPECT_EQ(o.drain_timeout, 4s);
  EXPECT_EQ(o.disconnect_grace, 9s);
  // The config's defaults are the server's defaults: no drift between the two.
  streaming::StreamServerOptions from_defaults = StreamServerOptionsFromConfig(StreamingSection());
  streaming::StreamServerOptions server_defaults;
  EXPECT_EQ(from_defaults.address, server_defaults.address);
  EXPECT_EQ(from_defaults.port, server_defaults.port);
  EXPECT_EQ(from_defaults.idle_timeout, server_defaults.idle_timeout);
  EXPECT_EQ(from_defaults.stream_creation_timeout, server_defaults.stream_creation_timeout);
  EXPECT_EQ(from_defaults.initial_resize_wait, server_defaults.initial_resize_wait);
  EXPECT_EQ(from_defaults.drain_timeout, server_defaults.drain_timeout);
  EXPECT_EQ(from_defaults.disconnect_grace, server_defaults.disconnect_grace);
}

// Lookups from tables: a container/sandbox id maps to a target or an error.
class FakeTargets : public StreamTargets {
 public:
  Result<ContainerProcessTarget> RunningContainer(const std::string& id) override {
    ++container_lookups;
    if (auto it = containers.find(id); it != containers.end()) return it->second;
    if (stopped.count(id))
      return MakeError(ErrorCode::kFailedPrecondition, "container " + id + " is not running");
    return MakeError(ErrorCode::kNotFound, "container \"" + id + "\" not found");
  }
  Result<SandboxNetworkTarget> ReadySandbox(const std::string& id) override {
    if (auto it = sandboxes.find(id); it != sandboxes.end()) return it->second;
    return MakeError(ErrorCode::kFailedPrecondition, "pod sandbox " + id + " is not ready");
  }
  std::map<std::string, ContainerProcessTarget> containers;
  std::map<std::string, SandboxNetworkTarget> sandboxes;
  std::map<std::string, bool> stopped;
  int container_lookups = 0;
};

streaming::ExecRequest Echo(const std::string& id) {
  streaming::ExecRequest r;
  r.container_id = id;
  r.cmd = {"echo", "hi"};
  r.stdout = true;
  return r;
}

TEST(ShimStreamRuntimeTest, ExecInUnknownOrStoppedContainerIsRefusedNamingIt) {
  FakeTargets targets;
  targets.stopped["c-stopped"] = true;
  ShimStreamRuntime runtime(targets);
  auto r = runtime.Exec(Echo("c-missing"), std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("c-missing"), std::string::npos);
  r = runtime.Exec(Echo("c-stopped"), std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("container c-stopped is not running"), std::string::npos)
      << r.error().message;
  streaming::AttachRequest a;
  a.container_id = "c-stopped";
  a.stdout = true;
  auto att = runtime.Attach(a);
  ASSERT_FALSE(att.ok());
  EXPECT_EQ(att.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(runtime.active_execs(), 0);
}

TEST(ShimStreamRuntimeTest, ExecOverTheLimitIsRefusedAndReleasesItsSlot) {
  FakeTargets targets;
  targets.containers["c1"] = {"c1", ::getpid(), 0, "/nonexistent/config.json", ""};
  ShimStreamRuntime::Options o;
  o.max_concurrent = 0;
  ShimStreamRuntime runtime(targets, o);
  auto r = runtime.Exec(Echo("c1"), std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(r.error().message.find("c1"), std::string::npos);
  EXPECT_EQ(runtime.active_execs(), 0);
}

TEST(ShimStreamRuntimeTest, ExecWithAnUnreadableContainerConfigFailsNamingTheContainer) {
  FakeTargets targets;
  targets.containers["c1"] = {"c1", ::getpid(), 0, "/nonexistent/config.json", ""};
  ShimStreamRuntime runtime(targets);
  auto r = runtime.Exec(Echo("c1"), std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("exec in container c1"), std::string::npos) << r.error().message;
  EXPECT_EQ(runtime.active_execs(), 0);
}

TEST(ShimStreamRuntimeTest, DialInASandboxThatIsNotReadyIsRefused) {
  FakeTargets targets;
  ShimStreamRuntime runtime(targets);
  auto fd = runtime.DialPort("pod-1", 8080);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(fd.error().message.find("pod sandbox pod-1 is not ready"), std::string::npos);
  EXPECT_NE(fd.error().message.find("8080"), std::string::npos);
}

TEST(PortDialerTest, AnInfraProcessThatExitedIsNotJoined) {
  // A real process that is gone, with its real start time: the record is stale.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    _exit(0);
  }
  auto start = nsenter::ReadStartTime(child);
  ASSERT_TRUE(start.ok()) << start.error().message;
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  auto fd = DialPodPort({"pod-gone", child, *start}, 80);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error().code, ErrorCode::kFailedPrecondition) << fd.error().message;
  EXPECT_NE(fd.error().message.find("pod-gone"), std::string::npos);
}

TEST(PortDialerTest, ARecycledPidIsNotJoined) {
  // Our own pid with another start time: what a recycled pid looks like.
  auto start = nsenter::ReadStartTime(::getpid());
  ASSERT_TRUE(start.ok());
  auto fd = DialPodPort({"pod-recycled", ::getpid(), *start + 1}, 80);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(fd.error().message.find("has exited"), std::string::npos) << fd.error().message;
}

}  // namespace
}  // namespace airlock
