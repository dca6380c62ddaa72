// OciRuntime + airlock-monitor against real runc: busybox containers in temp bundles, their CRI
// logs and exit records, as airlockd would see them. Root only.
#include "shim/runtime/oci_runtime.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "shim/base/file_util.h"
#include "shim/runtime/command_runner.h"

namespace airlock {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kExitWait{20000};

std::string Slurp(const std::string& path) {
  Result<std::string> r = ReadFile(path);
  return r.ok() ? *r : std::string();
}

// Polls `pred` for up to `limit`; for things that happen asynchronously in another process.
template <typename Pred>
bool Eventually(Pred pred, milliseconds limit = milliseconds(10000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return pred();
}

struct LogRecord {
  std::string stream;
  char tag;
  std::string line;
};

// Parses the CRI log file strictly: every line must be "<RFC3339Nano UTC> <stream> <F|P> <text>".
std::vector<LogRecord> ReadLog(const std::string& path) {
  static const std::regex kRecord(
      R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) ([FP]) (.*)$)");
  std::vector<LogRecord> out;
  std::istringstream in(Slurp(path));
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, kRecord)) << "not a CRI log record: " << line;
    if (m.empty()) continue;
    out.push_back({m[1], m[2].str()[0], m[3]});
  }
  return out;
}

bool HasRecord(const std::vector<LogRecord>& log, const std::string& stream,
               const std::string& line) {
  for (const LogRecord& r : log) {
    if (r.stream == stream && r.tag == 'F' && r.line == line) return true;
  }
  return false;
}

int CountOpenFds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

long ProcStatusKb(int pid, const std::string& key) {
  std::istringstream in(Slurp("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::atol(line.c_str() + key.size() + 1);
  }
  return -1;
}

class OciRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (runc)";
    if (::access(AIRLOCK_RUNC_PATH, X_OK) != 0) GTEST_SKIP() << "runc not found";
    if (::access(AIRLOCK_BUSYBOX_PATH, X_OK) != 0) GTEST_SKIP() << "busybox-static not found";
    char tmpl[] = "/tmp/airlock-rt-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_.binary = AIRLOCK_RUNC_PATH;
    config_.root = dir_ + "/runc-root";
    config_.monitor_path = AIRLOCK_MONITOR_PATH;
    config_.command_timeout = seconds(30);
    runtime_ = std::make_unique<OciRuntime>(config_);
  }

  void TearDown() override {
    if (dir_.empty()) return;
    for (const std::string& id : ids_) {
      (void)runtime_->Delete(id, /*force=*/true);
      (void)OciRuntime::WaitExit(dir_ + "/state/" + id, milliseconds(5000));
    }
    (void)RemoveTree(dir_);
  }

  // A bundle whose rootfs holds static busybox (+ sh) and airlock-pause; `args` is the process.
  std::string MakeBundle(const std::string& id, const std::vector<std::string>& args,
                         bool terminal = false, int64_t memory_limit = 0) {
    std::string bundle = dir_ + "/bundles/" + id;
    EXPECT_TRUE(MakeDirs(bundle + "/rootfs/bin").ok());
    fs::copy_file(AIRLOCK_BUSYBOX_PATH, bundle + "/rootfs/bin/busybox");
    fs::copy_file(AIRLOCK_PAUSE_PATH, bundle + "/rootfs/bin/airlock-pause");
    for (const char* applet : {"sh", "sleep", "cat", "ls", "stty", "head", "tr"}) {
      fs::create_symlink("busybox", bundle + "/rootfs/bin/" + applet);
    }
    using nlohmann::json;
    const json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    json config = {
        {"ociVersion", "1.0.2"},
        {"process",
         {{"terminal", terminal},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", args},
          {"env", {"PATH=/bin", "TERM=xterm"}},
          {"cwd", "/"},
          {"capabilities",
           {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
          {"noNewPrivileges", true}}},
        {"root", {{"path", "rootfs"}, {"readonly", true}}},
        {"hostname", "airlock-test"},
        {"mounts",
         {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
          {{"destination", "/dev"},
           {"type", "tmpfs"},
           {"source", "tmpfs"},
           {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
          {{"destination", "/dev/pts"},
           {"type", "devpts"},
           {"source", "devpts"},
           {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
          {{"destination", "/tmp"},
           {"type", "tmpfs"},
           {"source", "tmpfs"},
           {"options", {"nosuid", "nodev", "mode=1777"}}}}},
        {"linux",
         {{"cgroupsPath", "/airlock-test/" + id},
          {"namespaces",
           {{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}}},
          {"maskedPaths", {"/proc/kcore", "/proc/keys"}},
          {"readonlyPaths", {"/proc/sys", "/proc/sysrq-trigger"}}}},
    };
    if (memory_limit > 0) {
      config["linux"]["resources"] = {
          {"memory", {{"limit", memory_limit}, {"swap", memory_limit}}}};
    }
    std::ofstream(bundle + "/config.json") << config.dump(2);
    return bundle;
  }

  MonitorOptions Options(const std::string& id, const std::string& bundle) {
    MonitorOptions o;
    o.id = id;
    o.bundle = bundle;
    o.state_dir = dir_ + "/state/" + id;
    o.log_path = dir_ + "/logs/" + id + ".log";
    EXPECT_TRUE(MakeDirs(dir_ + "/logs").ok());
    return o;
  }

  // A container id unique on this host, so that parallel runs do not collide.
  std::string NewId(const std::string& name) {
    std::string id = "airlock-test-" + std::to_string(::getpid()) + "-" + name;
    ids_.push_back(id);
    return id;
  }

  // Create + Start of a busybox command; returns the options for later checks.
  MonitorOptions Run(const std::string& name, const std::vector<std::string>& args,
                     bool terminal = false) {
    std::string id = NewId(name);
    MonitorOptions o = Options(id, MakeBundle(id, args, terminal));
    o.tty = terminal;
    Result<int> pid = runtime_->Create(o);
    EXPECT_TRUE(pid.ok()) << pid.error().message;
    Status started = runtime_->Start(id);
    EXPECT_TRUE(started.ok()) << started.error().message;
    return o;
  }

  std::vector<std::string> RuncList() {
    Result<CommandOutput> out =
        RunCommand({AIRLOCK_RUNC_PATH, "--root", config_.root, "list", "-q"}, milliseconds(10000));
    EXPECT_TRUE(out.ok());
    std::vector<std::string> ids;
    std::istringstream in(out.ok() ? out->out : "");
    for (std::string line; std::getline(in, line);) ids.push_back(line);
    return ids;
  }

  std::string dir_;
  OciRuntimeConfig config_;
  std::unique_ptr<OciRuntime> runtime_;
  std::vector<std::string> ids_;
};

TEST_F(OciRuntimeTest, CreateStartLogsOutputAndRecordsExit) {
  std::string id = NewId("hello");
  MonitorOptions o =
      Options(id, MakeBundle(id, {"sh", "-c", "echo hello; echo oops >&2; printf tail"}));
  Result<int> pid = runtime_->Create(o);
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  EXPECT_GT(*pid, 1);

  Result<RuntimeState> state = runtime_->State(id);
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ(state->status, "created");
  EXPECT_EQ(state->pid, *pid);
  EXPECT_TRUE(OciRuntime::MonitorAlive(o.state_dir));
  Result<ContainerExit> not_yet = OciRuntime::ReadExit(o.state_dir);
  ASSERT_FALSE(not_yet.ok());
  EXPECT_EQ(not_yet.error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(runtime_->Start(id).ok());
  Result<ContainerExit> exit = OciRuntime::WaitExit(o.state_dir, kExitWait);
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_EQ(exit->reason, "Completed");
  EXPECT_EQ(exit->signal, 0);
  int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_GT(exit->finished_at_ns, now_ns - int64_t{60'000'000'000});
  EXPECT_LE(exit->finished_at_ns, now_ns);

  std::vector<LogRecord> log = ReadLog(o.log_path);
  EXPECT_TRUE(HasRecord(log, "stdout", "hello")) << Slurp(o.log_path);
  EXPECT_TRUE(HasRecord(log, "stderr", "oops")) << Slurp(o.log_path);
  EXPECT_TRUE(HasRecord(log, "stdout", "tail")) << "unterminated output is flushed at exit";

  EXPECT_TRUE(Eventually([&] { return !OciRuntime::MonitorAlive(o.state_dir); }));
  state = runtime_->State(id);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->status, "stopped");
  ASSERT_TRUE(runtime_->Delete(id, /*force=*/false).ok());
  Result<RuntimeState> gone = runtime_->State(id);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound) << gone.error().message;
  EXPECT_NE(gone.error().message.find("does not exist"), std::string::npos)
      << "carries runc's words: " << gone.error().message;
}

TEST_F(OciRuntimeTest, NonZeroExitCode) {
  MonitorOptions o = Run("exit3", {"sh", "-c", "exit 3"});
  Result<ContainerExit> exit = OciRuntime::WaitExit(o.state_dir, kExitWait);
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_EQ(exit->reason, "Error");
}

TEST_F(OciRuntimeTest, KillIsRecordedAs128PlusSignal) {
  MonitorOptions o = Run("killed", {"sleep", "600"});
  Result<ContainerExit> running = OciRuntime::WaitExit(o.state_dir, milliseconds(300));
  ASSERT_FALSE(running.ok());
  EXPECT_EQ(running.error().code, ErrorCode::kDeadlineExceeded);
  Result<RuntimeState> state = runtime_->State(o.id);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->status, "running");

  ASSERT_TRUE(runtime_->Kill(o.id, SIGKILL, /*all=*/false).ok());
  Result<ContainerExit> exit = OciRuntime::WaitExit(o.state_dir, kExitWait);
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 128 + SIGKILL);
  EXPECT_EQ(exit->signal, SIGKILL);
  EXPECT_EQ(exit->reason, "Error");
}

TEST_F(OciRuntimeTest, OutOfMemoryKillIsReportedAsOOMKilled) {
  std::string id = NewId("oom");
  // The shell keeps 64 MiB in a variable inside a 16 MiB memory cgroup.
  MonitorOptions o = Options(
      id,
      MakeBundle(id, {"sh", "-c", "x=$(head -c 67108864 /dev/zero | tr '\\0' a); echo survived"},
                 false, 16 << 20));
  ASSERT_TRUE(runtime_->Create(o).ok());
  ASSERT_TRUE(runtime_->Start(id).ok());
  Result<ContainerExit> exit = OciRuntime::WaitExit(o.state_dir, kExitWait);
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 128 + SIGKILL);
  EXPECT_EQ(exit->reason, "OOMKilled");
  EXPECT_FALSE(HasRecord(ReadLog(o.log_path), "stdout", "survived"));
}

TEST_F(OciRuntimeTest, StartOfUnknownContainerCarriesRuncText) {
  Status s = runtime_->Start("airlock-test-no-such-container");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.error().message,
            "runc start airlock-test-no-such-container: container does not exist");
}

TEST_F(OciRuntimeTest, LongLineIsWrittenAsPartialRecordsThenFull) {
  MonitorOptions o =
      Run("longline", {"sh", "-c", "head -c 40000 /dev/zero | tr '\\0' a; echo; echo after"});
  ASSERT_TRUE(OciRuntime::WaitExit(o.state_dir, kExitWait).ok());
  std::vector<LogRecord> log = ReadLog(o.log_path);
  ASSERT_EQ(log.size(), 4u) << Slurp(o.log_path).substr(0, 300);
  EXPECT_EQ(log[0].tag, 'P');
  EXPECT_EQ(log[0].line.size(), 16384u);
  EXPECT_EQ(log[1].tag, 'P');
  EXPECT_EQ(log[2].tag, 'F');
  EXPECT_EQ(log[0].line + log[1].line + log[2].line, std::string(40000, 'a'));
  EXPECT_TRUE(HasRecord(log, "stdout", "after"));
}

TEST_F(OciRuntimeTest, TtyContainerLogsAsStdoutAndResizes) {
  std::string id = NewId("tty");
  MonitorOptions o =
      Options(id, MakeBundle(id, {"sh", "-c", "echo hi-tty; stty size; echo err >&2"}, true));
  o.tty = true;
  Result<int> pid = runtime_->Create(o);
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  // Before start: the pty exists, so the size is in place when the process first looks.
  Status resized = OciRuntime::Resize(o.state_dir, 40, 100);
  ASSERT_TRUE(resized.ok()) << resized.error().message;
  ASSERT_TRUE(runtime_->Start(id).ok());
  Result<ContainerExit> exit = OciRuntime::WaitExit(o.state_dir, kExitWait);
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 0);
  std::vector<LogRecord> log = ReadLog(o.log_path);
  EXPECT_TRUE(HasRecord(log, "stdout", "hi-tty")) << Slurp(o.log_path);
  EXPECT_TRUE(HasRecord(log, "stdout", "40 100")) << Slurp(o.log_path);
  EXPECT_TRUE(HasRecord(log, "stdout", "err")) << "a terminal merges stderr into stdout";
}

TEST_F(OciRuntimeTest, ResizeOfPipeContainerIsAnError) {
  MonitorOptions o = Run("noresize", {"sleep", "600"});
  Status s = OciRuntime::Resize(o.state_dir, 10, 10);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("no terminal"), std::string::npos) << s.error().message;
  ASSERT_TRUE(runtime_->Kill(o.id, SIGKILL, false).ok());
}

TEST_F(OciRuntimeTest, CreateFailureReturnsRuncTextAndLeavesNothing) {
  std::string id = NewId("badexec");
  MonitorOptions o = Options(id, MakeBundle(id, {"/bin/no-such-binary"}));
  Result<int> pid = runtime_->Create(o);
  ASSERT_FALSE(pid.ok());
  EXPECT_NE(pid.error().message.find("runc create " + id + ": "), std::string::npos)
      << pid.error().message;
  EXPECT_NE(pid.error().message.find("no-such-binary"), std::string::npos) << pid.error().message;
  EXPECT_NE(pid.error().message.find("no such file or directory"), std::string::npos)
      << pid.error().message;
  for (const std::string& listed : RuncList()) EXPECT_NE(listed, id);
  EXPECT_TRUE(Eventually([&] { return !OciRuntime::MonitorAlive(o.state_dir); }));
  EXPECT_FALSE(fs::exists(o.state_dir + "/ctl"));

  std::string id2 = NewId("nobundle");
  MonitorOptions o2 = Options(id2, dir_ + "/bundles/does-not-exist");
  pid = runtime_->Create(o2);
  ASSERT_FALSE(pid.ok());
  EXPECT_NE(pid.error().message.find("does-not-exist"), std::string::npos) << pid.error().message;
  for (const std::string& listed : RuncList()) EXPECT_NE(listed, id2);
}

TEST_F(OciRuntimeTest, ReopenAfterRotationWritesToTheNewFile) {
  MonitorOptions o =
      Run("rotate", {"sh", "-c", "i=0; while true; do echo line$i; i=$((i+1)); sleep 0.05; done"});
  ASSERT_TRUE(Eventually([&] { return !ReadLog(o.log_path).empty(); }));
  fs::rename(o.log_path, o.log_path + ".1");
  Status reopened = OciRuntime::ReopenLog(o.state_dir);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_TRUE(fs::exists(o.log_path)) << "ok means the new file is open";
  ASSERT_TRUE(Eventually([&] { return ReadLog(o.log_path).size() >= 2; }));
  std::vector<LogRecord> rotated = ReadLog(o.log_path + ".1");
  std::vector<LogRecord> fresh = ReadLog(o.log_path);
  ASSERT_FALSE(rotated.empty());
  // The sequence continues in the new file: no line lost or repeated across the rotation.
  int last_old = std::atoi(rotated.back().line.c_str() + 4);
  int first_new = std::atoi(fresh.front().line.c_str() + 4);
  EXPECT_EQ(first_new, last_old + 1) << rotated.back().line << " then " << fresh.front().line;
  ASSERT_TRUE(runtime_->Kill(o.id, SIGKILL, false).ok());
  ASSERT_TRUE(OciRuntime::WaitExit(o.state_dir, kExitWait).ok());
}

TEST_F(OciRuntimeTest, StdinStaysOpenOnlyWhenAsked) {
  std::string id = NewId("stdin-closed");
  MonitorOptions closed = Options(id, MakeBundle(id, {"cat"}));
  ASSERT_TRUE(runtime_->Create(closed).ok());
  ASSERT_TRUE(runtime_->Start(id).ok());
  Result<ContainerExit> exit = OciRuntime::WaitExit(closed.state_dir, kExitWait);
  ASSERT_TRUE(exit.ok()) << "cat reads /dev/null and ends";
  EXPECT_EQ(exit->exit_code, 0);

  std::string id2 = NewId("stdin-open");
  MonitorOptions open = Options(id2, MakeBundle(id2, {"cat"}));
  open.stdin = true;
  ASSERT_TRUE(runtime_->Create(open).ok());
  ASSERT_TRUE(runtime_->Start(id2).ok());
  EXPECT_FALSE(OciRuntime::WaitExit(open.state_dir, milliseconds(1000)).ok())
      << "cat waits on a stdin the monitor holds open";
  ASSERT_TRUE(runtime_->Kill(id2, SIGKILL, false).ok());
  ASSERT_TRUE(OciRuntime::WaitExit(open.state_dir, kExitWait).ok());
}

TEST_F(OciRuntimeTest, ContainerSeesOnlyItsStdio) {
  MonitorOptions o = Run("fds", {"ls", "/proc/self/fd"});
  ASSERT_TRUE(OciRuntime::WaitExit(o.state_dir, kExitWait).ok());
  std::vector<LogRecord> log = ReadLog(o.log_path);
  std::vector<std::string> fds;
  for (const LogRecord& r : log) fds.push_back(r.line);
  // 0-2 plus the directory ls itself opened to list them.
  EXPECT_EQ(fds, (std::vector<std::string>{"0", "1", "2", "3"})) << Slurp(o.log_path);
}

TEST_F(OciRuntimeTest, PauseExitsZeroOnSigterm) {
  MonitorOptions o = Run("pause", {"/bin/airlock-pause"});
  EXPECT_FALSE(OciRuntime::WaitExit(o.state_dir, milliseconds(300)).ok()) << "pause sleeps";
  ASSERT_TRUE(runtime_->Kill(o.id, SIGTERM, false).ok());
  Result<ContainerExit> exit = OciRuntime::WaitExit(o.state_dir, kExitWait);
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 0) << "PID 1 handles SIGTERM itself";
}

TEST_F(OciRuntimeTest, ContainerOutlivesTheLauncherAndExitIsStillRecorded) {
  int fds_before = CountOpenFds();
  MonitorOptions o;
  {
    OciRuntime launcher(config_);  // stands in for an airlockd that then goes away
    std::string id = NewId("orphan");
    o = Options(id, MakeBundle(id, {"sh", "-c", "echo started; exec sleep 600"}));
    ASSERT_TRUE(launcher.Create(o).ok());
    ASSERT_TRUE(launcher.Start(id).ok());
  }
  EXPECT_EQ(CountOpenFds(), fds_before) << "no descriptor to the monitor stays in the launcher";
  int monitor_pid = std::atoi(Slurp(o.state_dir + "/monitor.pid").c_str());
  ASSERT_GT(monitor_pid, 1);
  std::string stat = Slurp("/proc/" + std::to_string(monitor_pid) + "/stat");
  int ppid = 0;
  ASSERT_EQ(std::sscanf(stat.substr(stat.rfind(')') + 2).c_str(), "%*c %d", &ppid), 1);
  EXPECT_NE(ppid, ::getpid()) << "the monitor is not our child";
  // airlockd signals the container, never the monitor: a stray TERM must not lose the exit.
  ASSERT_EQ(::kill(monitor_pid, SIGTERM), 0);

  long rss_kb = ProcStatusKb(monitor_pid, "VmRSS");
  long anon_kb = ProcStatusKb(monitor_pid, "RssAnon");
  std::printf("airlock-monitor pid %d VmRSS %ld kB (RssAnon %ld kB)\n", monitor_pid, rss_kb,
              anon_kb);
  RecordProperty("monitor_vmrss_kb", std::to_string(rss_kb));
  EXPECT_GT(rss_kb, 0);

  OciRuntime later(config_);  // "airlockd after a restart"
  ASSERT_TRUE(Eventually([&] { return HasRecord(ReadLog(o.log_path), "stdout", "started"); }));
  Result<RuntimeState> state = later.State(o.id);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->status, "running");
  EXPECT_TRUE(OciRuntime::MonitorAlive(o.state_dir));
  ASSERT_TRUE(later.Kill(o.id, SIGKILL, /*all=*/true).ok());
  Result<ContainerExit> exit = OciRuntime::WaitExit(o.state_dir, kExitWait);
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 137);
}

}  // namespace
}  // namespace airlock
