#include "shim/runtime/oci_runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <vector>

#include "shim/base/file_util.h"
#include "shim/base/unique_fd.h"
#include "shim/runtime/command_runner.h"

namespace airlock {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Monitor's time beyond the runtime's own timeout: it also spawns `delete --force` on failure.
constexpr std::chrono::seconds kMonitorGrace{10};

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The runtime's words from its stderr: with --log-format json each line is
// {"level":"error","msg":"..."}; anything else (crun text, a Go panic) is kept as is.
std::string RuntimeErrorText(const std::string& stderr_text) {
  std::string joined;
  size_t start = 0;
  while (start < stderr_text.size()) {
    size_t end = stderr_text.find('\n', start);
    if (end == std::string::npos) end = stderr_text.size();
    std::string line = stderr_text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    std::string text = line;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) {
      std::string level = j.value("level", "");
      if (level != "error" && level != "fatal") continue;
      if (j.contains("msg") && j["msg"].is_string()) text = j["msg"].get<std::string>();
    }
    if (!joined.empty()) joined += "; ";
    joined += text;
  }
  return joined;
}

ErrorCode CodeForRuntimeText(const std::string& text) {
  if (text.find("does not exist") != std::string::npos) return ErrorCode::kNotFound;
  if (text.find("not running") != std::string::npos ||
      text.find("cannot start") != std::string::npos ||
      text.find("is not stopped") != std::string::npos) {
    return ErrorCode::kFailedPrecondition;
  }
  return ErrorCode::kInternal;
}

// Reads the monitor's one-line report until EOF or the deadline.
Result<std::string> ReadReport(int fd, SteadyClock::time_point deadline) {
  std::string line;
  for (;;) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return MakeError(ErrorCode::kDeadlineExceeded, "no report in time");
    struct pollfd p = {fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoError("poll monitor report", errno);
    if (r == 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read monitor report", errno);
    if (n == 0) return line;
    line.append(buf, static_cast<size_t>(n));
    if (line.size() > (1 << 20)) return MakeError(ErrorCode::kInternal, "monitor report too long");
  }
}

}  // namespace

Result<std::string> OciRuntime::BinaryPath() const { return FindExecutable(config_.binary); }

Result<std::string> OciRuntime::Version() {
  Result<std::string> binary = BinaryPath();
  if (!binary.ok()) return binary.error().Wrap("OCI runtime " + config_.binary);
  Result<CommandOutput> out = RunCommand({*binary, "--version"}, std::chrono::seconds(10));
  if (!out.ok()) return out.error().Wrap(*binary + " --version");
  if (out->exit_code != 0)
    return MakeError(ErrorCode::kUnavailable,
                     *binary + " --version: exit status " + std::to_string(out->exit_code));
  return out->out.substr(0, out->out.find('\n'));
}

Result<std::string> OciRuntime::RunRuntime(const std::string& what, const std::string& id,
                                           std::initializer_list<std::string> args) {
  const std::string op = BaseName(config_.binary) + " " + what + " " + id;
  Result<std::string> binary = BinaryPath();
  if (!binary.ok()) return binary.error().Wrap(op);
  std::vector<std::string> argv = {*binary};
  if (!config_.root.empty()) argv.insert(argv.end(), {"--root", config_.root});
  argv.insert(argv.end(), {"--log-format", "json"});
  if (config_.systemd_cgroup) argv.push_back("--systemd-cgroup");
  argv.insert(argv.end(), args);
  Result<CommandOutput> out = RunCommand(argv, config_.command_timeout);
  if (!out.ok()) return Error{out.error().code, op + ": " + out.error().message};
  if (out->exit_code == 0) return std::move(out->out);
  std::string text = RuntimeErrorText(out->err);
  if (text.empty()) {
    text = out->term_signal != 0 ? "killed by signal " + std::to_string(out->term_signal)
                                 : "exit status " + std::to_string(out->exit_code);
  }
  return MakeError(CodeForRuntimeText(text), op + ": " + text);
}

Status OciRuntime::Start(const std::string& id) {
  Result<std::string> r = RunRuntime("start", id, {"start", id});
  if (!r.ok()) return r.error();
  return Status::Ok();
}

Status OciRuntime::Kill(const std::string& id, int signal, bool all) {
  Result<std::string> r =
      all ? RunRuntime("kill", id, {"kill", "--all", id, std::to_string(signal)})
          : RunRuntime("kill", id, {"kill", id, std::to_string(signal)});
  if (!r.ok()) return r.error();
  return Status::Ok();
}

Status OciRuntime::Delete(const std::string& id, bool force) {
  Result<std::string> r = force ? RunRuntime("delete", id, {"delete", "--force", id})
                                : RunRuntime("delete", id, {"delete", id});
  if (!r.ok()) return r.error();
  return Status::Ok();
}

Result<RuntimeState> OciRuntime::State(const std::string& id) {
  Result<std::string> out = RunRuntime("state", id, {"state", id});
  if (!out.ok()) return out.error();
  nlohmann::json j = nlohmann::json::parse(*out, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("status") || !j["status"].is_string()) {
    return MakeError(ErrorCode::kInternal, BaseName(config_.binary) + " state " + id +
                                               ": unexpected output: " + out->substr(0, 200));
  }
  RuntimeState state;
  state.status = j["status"].get<std::string>();
  if (j.contains("pid") && j["pid"].is_number_integer()) state.pid = j["pid"].get<int>();
  return state;
}

Result<int> OciRuntime::Create(const MonitorOptions& o) {
  const std::string op = BaseName(config_.binary) + " create " + o.id;
  if (o.id.empty() || o.id.find('/') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, op + ": invalid container id");
  }
  for (const std::string* p : {&o.bundle, &o.state_dir, &o.log_path}) {
    if (p->empty() || (*p)[0] != '/') {
      return MakeError(ErrorCode::kInvalidArgument, op + ": not an absolute path: \"" + *p + "\"");
    }
  }
  Result<std::string> binary = BinaryPath();
  if (!binary.ok()) return binary.error().Wrap(op);
  if (config_.monitor_path.empty() || ::access(config_.monitor_path.c_str(), X_OK) != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     op + ": monitor binary not executable: \"" + config_.monitor_path + "\"");
  }
  Status made = MakeDirs(o.state_dir, 0700);
  if (!made.ok()) return made.error().Wrap(op);

  int sync[2];
  if (::pipe2(sync, O_CLOEXEC) != 0) return ErrnoError(op + ": create sync pipe", errno);
  UniqueFd sync_r(sync[0]), sync_w(sync[1]);

  const std::string monitor_log = o.state_dir + "/monitor.log";
  const std::string timeout_s = std::to_string(config_.command_timeout.count());
  std::vector<std::string> argv = {
      config_.monitor_path, "--id",      o.id,          "--bundle",          o.bundle,
      "--runtime",          *binary,     "--state-dir", o.state_dir,         "--log-path",
      o.log_path,           "--sync-fd", "3",           "--runtime-timeout", timeout_s};
  if (!config_.root.empty()) argv.insert(argv.end(), {"--runtime-root", config_.root});
  if (o.tty) argv.push_back("--tty");
  if (o.stdin) argv.push_back("--stdin");
  if (o.stdin_once) argv.push_back("--stdin-once");
  if (config_.systemd_cgroup) argv.push_back("--systemd-cgroup");
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  // The monitor's own diagnostics outlive airlockd, so they go to a file next to its state.
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, monitor_log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, sync_w.get(), 3);
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, cargv[0], &actions, &attr, cargv.data(), ChildEnvironment());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) return ErrnoError(op + ": spawn monitor " + config_.monitor_path, err);
  sync_w.reset();
  // The first monitor process forks the long-lived one and exits at once; reaping it here
  // leaves airlockd with no child per container.
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  auto deadline = SteadyClock::now() + config_.command_timeout + kMonitorGrace;
  Result<std::string> report = ReadReport(sync_r.get(), deadline);
  if (!report.ok()) {
    if (report.error().code == ErrorCode::kDeadlineExceeded) {
      // A wedged monitor: stop it and whatever it half-created.
      Result<std::string> pid_text = ReadFile(o.state_dir + "/monitor.pid", 64);
      if (pid_text.ok() && MonitorAlive(o.state_dir)) {
        int monitor_pid = std::atoi(pid_text->c_str());
        if (monitor_pid > 1) ::kill(monitor_pid, SIGKILL);
      }
      (void)Delete(o.id, /*force=*/true);
    }
    return report.error().Wrap(op);
  }
  nlohmann::json j = nlohmann::json::parse(*report, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("pid") && j["pid"].is_number_integer())
    return j["pid"].get<int>();
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    std::string text = j["error"].get<std::string>();
    return MakeError(CodeForRuntimeText(text), op + ": " + text);
  }
  std::string why =
      report->empty() ? "monitor exited without a report" : "bad monitor report: " + *report;
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    why += " (monitor exit status " + std::to_string(WEXITSTATUS(status)) + ")";
  }
  Result<std::string> diag = ReadFile(monitor_log, 1 << 20);
  if (diag.ok() && !diag->empty()) {
    why += "; monitor.log: " + diag->substr(diag->size() > 2000 ? diag->size() - 2000 : 0);
  }
  return MakeError(ErrorCode::kInternal, op + ": " + why);
}

}  // namespace airlock
