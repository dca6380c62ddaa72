// ShimStreamRuntime against a real runc container (root only; skips itself otherwise): the
// descriptors a streaming session gets for pipes and a tty, the initial terminal size, kill
// and hangup, and port-forward's dial into the pod's own network namespace. The container
// runs busybox httpd as its init in a private network namespace, so it is both the exec
// target and the "pod" whose localhost the dial must reach.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "nsenter/container_target.h"
#include "shim/base/file_util.h"
#include "shim/stream/stream_runtime.h"

namespace airlock {
namespace {

std::string Sh(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

// Reads `fd` (non-blocking) until EOF, `needle` appears, or `timeout_ms` passes.
std::string ReadFd(int fd, const std::string& needle = "", int timeout_ms = 5000) {
  std::string all;
  pollfd p{fd, POLLIN, 0};
  while (needle.empty() || all.find(needle) == std::string::npos) {
    if (::poll(&p, 1, timeout_ms) <= 0) break;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EAGAIN) continue;
    if (n <= 0) break;  // EOF, or EIO on a PTY master once the terminal is gone
    all.append(buf, n);
  }
  return all;
}

bool WaitExit(streaming::StreamProcess& p, int timeout_ms = 5000) {
  pollfd fd{p.exit_fd(), POLLIN, 0};
  return ::poll(&fd, 1, timeout_ms) == 1;
}

bool NonBlocking(const UniqueFd& fd) { return (::fcntl(fd.get(), F_GETFL) & O_NONBLOCK) != 0; }

class OneContainer : public StreamTargets {
 public:
  Result<ContainerProcessTarget> RunningContainer(const std::string& id) override {
    if (id != target.container_id)
      return MakeError(ErrorCode::kNotFound, "container \"" + id + "\" not found");
    return target;
  }
  Result<SandboxNetworkTarget> ReadySandbox(const std::string& id) override {
    if (id != "pod-" + target.container_id)
      return MakeError(ErrorCode::kNotFound, "pod sandbox \"" + id + "\" not found");
    return SandboxNetworkTarget{id, target.init_pid, target.start_time};
  }
  ContainerProcessTarget target;
};

class StreamRuntimeExecTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0 || system("runc --version >/dev/null 2>&1") != 0 ||
        access("/bin/busybox", X_OK) != 0)
      return;
    char tmpl[] = "/tmp/airlock-srt-XXXXXX";
    dir_ = new std::string(mkdtemp(tmpl));
    chmod(dir_->c_str(), 0755);
    id_ = new std::string("airlock-srt-" + std::to_string(getpid()));
    port_ = static_cast<uint16_t>(20000 + getpid() % 20000);
    std::string bundle = *dir_ + "/" + *id_;
    std::string rootfs = bundle + "/rootfs";
    (void)MakeDirs(rootfs + "/bin");
    for (auto d : {"/proc", "/dev", "/tmp", "/www"}) (void)MakeDirs(rootfs + d);
    Sh("cp /bin/busybox " + rootfs + "/bin/busybox");
    for (auto a : {"sh", "cat", "sleep", "stty", "echo", "httpd", "tty"})
      symlink("busybox", (rootfs + "/bin/" + a).c_str());
    (void)WriteFileAtomic(rootfs + "/www/index.html", "hello from the pod\n");
    using nlohmann::json;
    json caps = {"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID"};
    json config = {
        {"ociVersion", "1.0.2"},
        {"process",
         {{"terminal", false},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", {"httpd", "-f", "-p", std::to_string(port_), "-h", "/www"}},
          {"env", {"PATH=/bin", "HOME=/"}},
          {"cwd", "/"},
          {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
          {"noNewPrivileges", true}}},
        {"root", {{"path", rootfs}, {"readonly", false}}},
        {"hostname", "airlock-srt"},
        {"mounts",
         {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
          {{"destination", "/dev"},
           {"type", "tmpfs"},
           {"source", "tmpfs"},
           {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
          {{"destination", "/dev/pts"},
           {"type", "devpts"},
           {"source", "devpts"},
           {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}}}},
        {"linux",
         {{"namespaces",
           {{{"type", "pid"}},
            {{"type", "network"}},
            {{"type", "ipc"}},
            {{"type", "uts"}},
            {{"type", "mount"}}}},
          {"cgroupsPath", "/airlock-test/" + *id_}}}};
    (void)WriteFileAtomic(bundle + "/config.json", config.dump(2));
    root_ = new std::string(*dir_ + "/runc-root");
    std::string out = Sh("runc --root " + *root_ + " run -d --bundle " + bundle + " " + *id_ +
                         " </dev/null >" + bundle + "/runc.log 2>&1; echo rc=$?");
    if (out.find("rc=0") == std::string::npos) {
      ADD_FAILURE() << "runc run: " << Sh("cat " + bundle + "/runc.log");
      return;
    }
    auto state = json::parse(Sh("runc --root " + *root_ + " state " + *id_), nullptr, false);
    targets_ = new OneContainer();
    targets_->target.container_id = *id_;
    targets_->target.init_pid = state.is_object() ? state.value("pid", 0) : 0;
    auto st = nsenter::ReadStartTime(targets_->target.init_pid);
    targets_->target.start_time = st.ok() ? *st : 0;
    targets_->target.config_path = bundle + "/config.json";
  }
  static void TearDownTestSuite() {
    if (root_) Sh("runc --root " + *root_ + " delete -f " + *id_ + " >/dev/null 2>&1");
    if (dir_) (void)RemoveTree(*dir_);
    delete targets_;
    delete root_;
    delete dir_;
    delete id_;
    targets_ = nullptr;
    root_ = dir_ = id_ = nullptr;
  }
  void SetUp() override {
    if (!targets_ || targets_->target.init_pid <= 0) GTEST_SKIP() << "needs root, runc and busybox";
    runtime_ = std::make_unique<ShimStreamRuntime>(*targets_);
  }

  streaming::ExecRequest Request(std::vector<std::string> cmd, bool in, bool out, bool err,
                                 bool tty = false) {
    streaming::ExecRequest r;
    r.container_id = *id_;
    r.cmd = std::move(cmd);
    r.stdin = in;
    r.stdout = out;
    r.stderr = err;
    r.tty = tty;
    return r;
  }

  static std::string *dir_, *root_, *id_;
  static uint16_t port_;
  static OneContainer* targets_;
  std::unique_ptr<ShimStreamRuntime> runtime_;
};
std::string* StreamRuntimeExecTest::dir_ = nullptr;
std::string* StreamRuntimeExecTest::root_ = nullptr;
std::string* StreamRuntimeExecTest::id_ = nullptr;
uint16_t StreamRuntimeExecTest::port_ = 0;
OneContainer* StreamRuntimeExecTest::targets_ = nullptr;

TEST_F(StreamRuntimeExecTest, PipesCarryStdinStdoutStderrAndTheExitCode) {
  auto started = runtime_->Exec(
      Request({"sh", "-c", "cat; echo oops >&2; exit 3"}, true, true, true), std::nullopt);
  ASSERT_TRUE(started.ok()) << started.error().message;
  auto& io = started->stdio;
  ASSERT_TRUE(io.stdin && io.stdout && io.stderr);
  EXPECT_TRUE(NonBlocking(io.stdin) && NonBlocking(io.stdout) && NonBlocking(io.stderr));
  EXPECT_EQ(runtime_->active_execs(), 1);
  ASSERT_EQ(::write(io.stdin.get(), "ping\n", 5), 5);
  io.stdin.reset();  // EOF for cat, as the session does when the client closes stdin
  EXPECT_EQ(ReadFd(io.stdout.get()), "ping\n");
  EXPECT_EQ(ReadFd(io.stderr.get()), "oops\n");
  ASSERT_TRUE(WaitExit(*started->process));
  EXPECT_EQ(started->process->ExitCode(), 3);
  started->process.reset();
  EXPECT_EQ(runtime_->active_execs(), 0);
}

TEST_F(StreamRuntimeExecTest, StreamsNotAskedForAreAbsentAndStdinIsEmpty) {
  auto started =
      runtime_->Exec(Request({"sh", "-c", "cat; echo done"}, false, true, false), std::nullopt);
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_FALSE(started->stdio.stdin);
  EXPECT_FALSE(started->stdio.stderr);
  EXPECT_EQ(ReadFd(started->stdio.stdout.get()), "done\n");  // cat read /dev/null, not a hang
  ASSERT_TRUE(WaitExit(*started->process));
  EXPECT_EQ(started->process->ExitCode(), 0);
}

TEST_F(StreamRuntimeExecTest, ExecProcessRunsInTheContainer) {
  auto started =
      runtime_->Exec(Request({"cat", "/proc/1/cmdline"}, false, true, true), std::nullopt);
  ASSERT_TRUE(started.ok()) << started.error().message;
  std::string out = ReadFd(started->stdio.stdout.get());
  // The container's pid 1 is its httpd, not the host's init.
  EXPECT_NE(out.find("httpd"), std::string::npos) << out;
  ASSERT_TRUE(WaitExit(*started->process));
}

TEST_F(StreamRuntimeExecTest, TtyStartsAtTheClientsInitialSizeAndResizes) {
  auto started = runtime_->Exec(
      Request({"sh", "-c", "stty size; read line; stty size; tty"}, true, true, false, true),
      streaming::TerminalSize{101, 33});
  ASSERT_TRUE(started.ok()) << started.error().message;
  auto& io = started->stdio;
  ASSERT_TRUE(io.stdin && io.stdout);
  EXPECT_FALSE(io.stderr);  // merged into the terminal
  EXPECT_NE(io.stdin.get(), io.stdout.get());
  EXPECT_TRUE(NonBlocking(io.stdout));
  EXPECT_NE(ReadFd(io.stdout.get(), "33 101").find("33 101"), std::string::npos);
  started->process->Resize({132, 50});
  ASSERT_EQ(::write(io.stdin.get(), "\n", 1), 1);
  std::string rest = ReadFd(io.stdout.get(), "/dev/pts/");
  EXPECT_NE(rest.find("50 132"), std::string::npos) << rest;
  EXPECT_NE(rest.find("/dev/pts/"), std::string::npos) << rest;
  ASSERT_TRUE(WaitExit(*started->process));
  EXPECT_EQ(started->process->ExitCode(), 0);
}

TEST_F(StreamRuntimeExecTest, KillEndsTheWholeProcessGroup) {
  auto started = runtime_->Exec(
      Request({"sh", "-c", "sleep 1000 & echo started; sleep 1000"}, false, true, false),
      std::nullopt);
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_EQ(ReadFd(started->stdio.stdout.get(), "started\n"), "started\n");
  EXPECT_FALSE(started->process->ExitCode().has_value());
  started->process->Kill();
  ASSERT_TRUE(WaitExit(*started->process));
  EXPECT_EQ(started->process->ExitCode(), 128 + SIGKILL);
  // The background sleep held stdout too: EOF means it is gone as well.
  EXPECT_EQ(ReadFd(started->stdio.stdout.get(), "", 5000), "");
  char c;
  EXPECT_EQ(::read(started->stdio.stdout.get(), &c, 1), 0);
}

TEST_F(StreamRuntimeExecTest, HangupEndsATtySessionButNotAPipeSession) {
  auto tty = runtime_->Exec(Request({"sh", "-c", "echo ready; read x"}, true, true, false, true),
                            streaming::TerminalSize{80, 24});
  ASSERT_TRUE(tty.ok()) << tty.error().message;
  EXPECT_NE(ReadFd(tty->stdio.stdout.get(), "ready").find("ready"), std::string::npos);
  tty->process->Hangup();
  ASSERT_TRUE(WaitExit(*tty->process));
  EXPECT_EQ(tty->process->ExitCode(), 128 + SIGHUP);

  auto piped =
      runtime_->Exec(Request({"sh", "-c", "echo ready; read x"}, true, true, false), std::nullopt);
  ASSERT_TRUE(piped.ok()) << piped.error().message;
  EXPECT_EQ(ReadFd(piped->stdio.stdout.get(), "ready\n"), "ready\n");
  piped->process->Hangup();
  EXPECT_FALSE(WaitExit(*piped->process, 300));  // a closed stdin is its hangup
  piped->stdio.stdin.reset();
  ASSERT_TRUE(WaitExit(*piped->process));
  EXPECT_EQ(piped->process->ExitCode(), 1);  // `read` at EOF fails
}

TEST_F(StreamRuntimeExecTest, UnknownContainerIsNamed) {
  streaming::ExecRequest other = Request({"echo"}, false, true, false);
  other.container_id = "nope";
  auto bad = runtime_->Exec(other, std::nullopt);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kNotFound);
  EXPECT_NE(bad.error().message.find("nope"), std::string::npos);
}

TEST_F(StreamRuntimeExecTest, DialReachesTheServerOnThePodsLocalhostOnly) {
  // The same port on the host's loopback has nobody listening (else the check proves nothing).
  UniqueFd host(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port_);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool host_has_it = ::connect(host.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0;
  ASSERT_FALSE(host_has_it) << "port " << port_ << " is in use on the host; rerun";

  auto netns = [](const std::string& path) {
    char link[128] = {};
    return ::readlink(path.c_str(), link, sizeof link - 1) > 0 ? std::string(link) : "";
  };
  const std::string ours = netns("/proc/thread-self/ns/net");
  const std::string pods = netns("/proc/" + std::to_string(targets_->target.init_pid) + "/ns/net");
  ASSERT_FALSE(ours.empty());
  ASSERT_NE(ours, pods);  // the pod has a network namespace of its own

  const std::string pod = "pod-" + *id_;
  Result<UniqueFd> fd = MakeError(ErrorCode::kInternal, "not tried");
  // httpd may still be binding right after `runc run -d`.
  for (int i = 0; i < 50; ++i) {
    fd = runtime_->DialPort(pod, port_);
    if (fd.ok()) break;
    usleep(100 * 1000);
  }
  ASSERT_TRUE(fd.ok()) << fd.error().message;
  EXPECT_TRUE(NonBlocking(*fd));
  const std::string get = "GET /index.html HTTP/1.0\r\n\r\n";
  pollfd p{fd->get(), POLLOUT, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  ASSERT_EQ(::write(fd->get(), get.data(), get.size()), static_cast<ssize_t>(get.size()));
  std::string reply = ReadFd(fd->get());
  EXPECT_NE(reply.find("200 OK"), std::string::npos) << reply;
  EXPECT_NE(reply.find("hello from the pod"), std::string::npos) << reply;
  // The calling thread never changed namespace: only the dial thread joined the pod's.
  EXPECT_EQ(netns("/proc/thread-self/ns/net"), ours);
}

TEST_F(StreamRuntimeExecTest, DialToAClosedPortTriesBothLoopbacksAndSaysSo) {
  uint16_t closed = static_cast<uint16_t>(port_ + 1);
  auto fd = runtime_->DialPort("pod-" + *id_, closed);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(fd.error().message.find("127.0.0.1:" + std::to_string(closed)), std::string::npos)
      << fd.error().message;
  EXPECT_NE(fd.error().message.find("[::1]:" + std::to_string(closed)), std::string::npos)
      << fd.error().message;
  EXPECT_NE(fd.error().message.find("pod-" + *id_), std::string::npos);
}

}  // namespace
}  // namespace airlock
