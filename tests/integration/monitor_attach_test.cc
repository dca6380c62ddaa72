// CRI Attach against real containers: runc + airlock-monitor + busybox, attached to with the
// shim's AttachToContainer exactly as the streaming server does. Root only (skips otherwise).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "shim/base/file_util.h"
#include "shim/runtime/oci_runtime.h"
#include "shim/stream/attach_client.h"

namespace airlock {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Slurp(const std::string& path) {
  Result<std::string> r = ReadFile(path, 64 << 20);
  return r.ok() ? *r : std::string();
}

// Reads `fd` (non-blocking) into *got until `done(*got)` holds, EOF, or the limit.
// Returns true on EOF.
template <typename Done>
bool ReadUntil(int fd, std::string* got, Done done, milliseconds limit = milliseconds(10000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[65536];
  while (!done(*got) && std::chrono::steady_clock::now() < deadline) {
    struct pollfd p = {fd, POLLIN, 0};
    ::poll(&p, 1, 50);
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        got->append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) return true;
      break;  // EAGAIN
    }
  }
  return false;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void WriteAllTo(int fd, const std::string& data) {
  size_t off = 0;
  for (int i = 0; off < data.size() && i < 1000; ++i) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n > 0)
      off += static_cast<size_t>(n);
    else
      std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_EQ(off, data.size());
}

class MonitorAttachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (runc)";
    if (::access(AIRLOCK_RUNC_PATH, X_OK) != 0) GTEST_SKIP() << "runc not found";
    if (::access(AIRLOCK_BUSYBOX_PATH, X_OK) != 0) GTEST_SKIP() << "busybox-static not found";
    char tmpl[] = "/tmp/airlock-attach-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    OciRuntimeConfig config;
    config.binary = AIRLOCK_RUNC_PATH;
    config.root = dir_ + "/runc-root";  // our own runc state: other containers stay untouched
    config.monitor_path = AIRLOCK_MONITOR_PATH;
    config.command_timeout = seconds(30);
    runtime_ = std::make_unique<OciRuntime>(config);
  }

  void TearDown() override {
    if (dir_.empty()) return;
    for (const std::string& id : ids_) {
      (void)runtime_->Delete(id, /*force=*/true);
      (void)OciRuntime::WaitExit(dir_ + "/state/" + id, milliseconds(5000));
    }
    (void)RemoveTree(dir_);
  }

  std::string MakeBundle(const std::string& id, const std::vector<std::string>& args,
                         bool terminal) {
    std::string bundle = dir_ + "/bundles/" + id;
    EXPECT_TRUE(MakeDirs(bundle + "/rootfs/bin").ok());
    fs::copy_file(AIRLOCK_BUSYBOX_PATH, bundle + "/rootfs/bin/busybox");
    for (const char* applet : {"sh", "cat", "yes", "head", "stty", "sleep"}) {
      fs::create_symlink("busybox", bundle + "/rootfs/bin/" + applet);
    }
    using nlohmann::json;
    json config = {
        {"ociVersion", "1.0.2"},
        {"process",
         {{"terminal", terminal},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", args},
          {"env", {"PATH=/bin", "TERM=xterm"}},
          {"cwd", "/"},
          {"noNewPrivileges", true}}},
        {"root", {{"path", "rootfs"}, {"readonly", true}}},
        {"mounts",
         {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
          {{"destination", "/dev"},
           {"type", "tmpfs"},
           {"source", "tmpfs"},
           {"options", {"nosuid", "mode=755", "size=65536k"}}},
          {{"destination", "/dev/pts"},
           {"type", "devpts"},
           {"source", "devpts"},
           {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}}}},
        {"linux",
         {{"cgroupsPath", "/airlock-attach-test/" + id},
          {"namespaces", {{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "mount"}}}}}},
    };
    std::ofstream(bundle + "/config.json") << config.dump(2);
    return bundle;
  }

  // Creates and starts a busybox container; returns its monitor options.
  MonitorOptions Run(const std::string& name, const std::vector<std::string>& args,
                     bool tty = false, bool stdin = false, bool stdin_once = false) {
    std::string id = "airlock-attach-" + std::to_string(::getpid()) + "-" + name;
    ids_.push_back(id);
    MonitorOptions o;
    o.id = id;
    o.bundle = MakeBundle(id, args, tty);
    o.state_dir = dir_ + "/state/" + id;
    o.log_path = dir_ + "/logs/" + id + ".log";
    o.tty = tty;
    o.stdin = stdin;
    o.stdin_once = stdin_once;
    EXPECT_TRUE(MakeDirs(dir_ + "/logs").ok());
    Result<int> pid = runtime_->Create(o);
    EXPECT_TRUE(pid.ok()) << pid.error().message;
    Status started = runtime_->Start(id);
    EXPECT_TRUE(started.ok()) << started.error().message;
    return o;
  }

  std::string RuncStatus(const std::string& id) {
    Result<RuntimeState> s = runtime_->State(id);
    return s.ok() ? s->status : "error: " + s.error().message;
  }

  std::string dir_;
  std::unique_ptr<OciRuntime> runtime_;
  std::vector<std::string> ids_;
};

// Echoes each stdin line to stdout and to stderr, tagged, so both streams and stdin show.
const std::vector<std::string> kEchoBoth = {
    "sh", "-c", "while read l; do echo \"out:$l\"; echo \"err:$l\" >&2; done"};

TEST_F(MonitorAttachTest, TwoAttachesSeeTheOutputAndTheLogGetsEveryLine) {
  MonitorOptions o = Run("two", kEchoBoth, false, /*stdin=*/true);
  Result<streaming::StartedProcess> a = AttachToContainer(o.state_dir, false, true, true, true);
  ASSERT_TRUE(a.ok()) << a.error().message;
  Result<streaming::StartedProcess> b = AttachToContainer(o.state_dir, false, true, true, true);
  ASSERT_TRUE(b.ok()) << b.error().message;
  ASSERT_TRUE(a->stdio.stdin && a->stdio.stdout && a->stdio.stderr);
  ASSERT_TRUE(b->stdio.stdin) << "without StdinOnce every attach may write";

  WriteAllTo(a->stdio.stdin.get(), "one\n");
  WriteAllTo(b->stdio.stdin.get(), "two\n");
  for (auto* s : {&*a, &*b}) {
    std::string out, err;
    ReadUntil(s->stdio.stdout.get(), &out, [](const std::string& g) {
      return Contains(g, "out:one\n") && Contains(g, "out:two\n");
    });
    ReadUntil(s->stdio.stderr.get(), &err, [](const std::string& g) {
      return Contains(g, "err:one\n") && Contains(g, "err:two\n");
    });
    EXPECT_EQ(out, "out:one\nout:two\n") << "stdout carries only stdout";
    EXPECT_EQ(err, "err:one\nerr:two\n") << "stderr carries only stderr";
  }
  std::string log = Slurp(o.log_path);
  EXPECT_TRUE(Contains(log, " stdout F out:one\n")) << log;
  EXPECT_TRUE(Contains(log, " stderr F err:one\n")) << log;
  EXPECT_TRUE(Contains(log, " stdout F out:two\n")) << log;
  EXPECT_TRUE(Contains(log, " stderr F err:two\n")) << log;
}

TEST_F(MonitorAttachTest, DetachLeavesTheContainerRunningAndAttachWorksAgain) {
  MonitorOptions o = Run("detach", kEchoBoth, false, /*stdin=*/true);
  {
    Result<streaming::StartedProcess> a = AttachToContainer(o.state_dir, false, true, true, true);
    ASSERT_TRUE(a.ok()) << a.error().message;
    a->process->Hangup();  // what the session does when the client goes away
    a->process->Kill();
  }  // closes every descriptor of the attachment
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(RuncStatus(o.id), "running");
  EXPECT_FALSE(OciRuntime::ReadExit(o.state_dir).ok());

  Result<streaming::StartedProcess> again =
      AttachToContainer(o.state_dir, false, true, true, false);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->stdio.stderr) << "not asked for";
  WriteAllTo(again->stdio.stdin.get(), "back\n");
  std::string out;
  ReadUntil(again->stdio.stdout.get(), &out,
            [](const std::string& g) { return Contains(g, "out:back\n"); });
  EXPECT_EQ(out, "out:back\n");
}

TEST_F(MonitorAttachTest, StdinOnceClosesTheContainersStdinWhenTheFirstAttachEnds) {
  MonitorOptions o = Run("once", {"cat"}, false, /*stdin=*/true, /*stdin_once=*/true);
  Result<streaming::StartedProcess> first = AttachToContainer(o.state_dir, false, true, true, true);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(first->stdio.stdin);
  Result<streaming::StartedProcess> second =
      AttachToContainer(o.state_dir, false, true, true, true);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(second->stdio.stdin) << "stdin belongs to the first attach";

  WriteAllTo(first->stdio.stdin.get(), "through cat\n");
  std::string out1, out2;
  ReadUntil(first->stdio.stdout.get(), &out1,
            [](const std::string& g) { return Contains(g, "through cat\n"); });
  EXPECT_EQ(out1, "through cat\n");
  first->stdio.stdin.reset();  // the client's EOF: cat reads EOF and the container ends

  Result<ContainerExit> exit = OciRuntime::WaitExit(o.state_dir, milliseconds(10000));
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 0);
  bool eof = ReadUntil(second->stdio.stdout.get(), &out2, [](const std::string&) { return false; });
  EXPECT_TRUE(eof) << "the container's exit ends the attach sockets";
  EXPECT_EQ(out2, "through cat\n");
  EXPECT_TRUE(Contains(Slurp(o.log_path), " stdout F through cat\n"));
}

TEST_F(MonitorAttachTest, ContainerWithoutStdinGivesNoStdinWriter) {
  MonitorOptions o = Run("nostdin", {"sh", "-c", "echo hello; exec sleep 600"});
  Result<streaming::StartedProcess> a = AttachToContainer(o.state_dir, false, true, true, true);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_FALSE(a->stdio.stdin);
  EXPECT_TRUE(a->stdio.stdout);
}

TEST_F(MonitorAttachTest, ClientThatNeverReadsIsDroppedWithoutStallingTheContainer) {
  // ~8 MB of output (a 16 MB log), then a marker line; the container must get there with a client
  // attached that never reads a byte.
  MonitorOptions o = Run("slow",
                         {"sh", "-c",
                          "read go; yes 0123456789012345678901234567890123456789 | head -n 200000; "
                          "echo finished; exec sleep 600"},
                         false, /*stdin=*/true);
  Result<streaming::StartedProcess> slow = AttachToContainer(o.state_dir, false, true, true, true);
  ASSERT_TRUE(slow.ok()) << slow.error().message;
  WriteAllTo(slow->stdio.stdin.get(), "go\n");

  auto start = std::chrono::steady_clock::now();
  bool finished = false;
  while (!finished && std::chrono::steady_clock::now() - start < seconds(60)) {
    std::this_thread::sleep_for(milliseconds(100));
    finished = Contains(Slurp(o.log_path), " stdout F finished\n");
  }
  ASSERT_TRUE(finished) << "the container and the log went on without the client";
  EXPECT_EQ(RuncStatus(o.id), "running");

  std::string got;
  bool eof = ReadUntil(slow->stdio.stdout.get(), &got, [](const std::string&) { return false; });
  EXPECT_TRUE(eof) << "the dropped client's output socket is closed";
  EXPECT_LT(got.size(), 4u << 20) << "bounded: socket buffer plus the monitor's per-client limit";
  EXPECT_TRUE(Contains(Slurp(o.state_dir + "/monitor.log"), "attach client"))
      << "the drop is logged";
  // The log has every line.
  std::string log = Slurp(o.log_path);
  size_t lines = 0;
  for (size_t at = log.find(" stdout F 0123"); at != std::string::npos;
       at = log.find(" stdout F 0123", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 200000u);
}

TEST_F(MonitorAttachTest, TtyAttachTypesIntoTheTerminalAndResizes) {
  MonitorOptions o = Run("tty", {"sh"}, /*tty=*/true, /*stdin=*/true);
  Result<streaming::StartedProcess> a = AttachToContainer(o.state_dir, true, true, true, true);
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(a->stdio.stdin && a->stdio.stdout);
  EXPECT_FALSE(a->stdio.stderr) << "a terminal merges stderr into stdout";

  a->process->Resize({.width = 123, .height = 45});
  WriteAllTo(a->stdio.stdin.get(), "stty size; echo marker-$((6*7)) >&2\n");
  std::string out;
  ReadUntil(a->stdio.stdout.get(), &out, [](const std::string& g) {
    return Contains(g, "45 123\r\n") && Contains(g, "marker-42\r\n");
  });
  EXPECT_TRUE(Contains(out, "45 123\r\n")) << out;
  EXPECT_TRUE(Contains(out, "marker-42\r\n")) << "raw terminal output, stderr included: " << out;

  WriteAllTo(a->stdio.stdin.get(), "exit 3\n");
  Result<ContainerExit> exit = OciRuntime::WaitExit(o.state_dir, milliseconds(10000));
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_TRUE(ReadUntil(a->stdio.stdout.get(), &out, [](const std::string&) { return false; }))
      << "EOF once the container is gone";
  std::string log = Slurp(o.log_path);
  EXPECT_TRUE(Contains(log, " stdout F marker-42\n")) << log;
}

TEST_F(MonitorAttachTest, AttachToAnExitedContainerIsNotFound) {
  MonitorOptions o = Run("gone", {"sh", "-c", "exit 0"});
  ASSERT_TRUE(OciRuntime::WaitExit(o.state_dir, milliseconds(10000)).ok());
  for (int i = 0; i < 100 && OciRuntime::MonitorAlive(o.state_dir); ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  Result<streaming::StartedProcess> a = AttachToContainer(o.state_dir, false, false, true, true);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kNotFound) << a.error().message;
}

}  // namespace
}  // namespace airlock
