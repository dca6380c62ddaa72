// OciRuntime: the native backend's driver of an OCI runtime binary (runc; crun where the host
// allows) through its CLI. Containers are created through airlock-monitor, which owns their
// stdio and records their exit, so they outlive airlockd; everything else is one runtime
// command per call. Every command is bounded by command_timeout and fails with the runtime's
// own text: "runc start <id>: <message>".
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "shim/base/result.h"

namespace airlock {

struct OciRuntimeConfig {
  std::string binary = "runc";  // a path, or a name looked up in PATH
  std::string root;             // the runtime's --root; empty: its default
  std::string monitor_path;     // airlock-monitor
  bool systemd_cgroup = false;
  std::chrono::seconds command_timeout{60};
};

struct MonitorOptions {
  std::string id;
  std::string bundle;     // absolute; holds config.json
  std::string state_dir;  // absolute; per container, created 0700 (pid, monitor.pid, ctl, exit)
  std::string log_path;   // absolute CRI log file
  bool tty = false;
  bool stdin = false;  // keep the container's stdin open for a later attach
  bool stdin_once = false;
};

struct ContainerExit {
  int exit_code = -1;  // status, or 128 + signal
  int64_t finished_at_ns = 0;
  std::string reason;  // Completed | Error | OOMKilled
  int signal = 0;      // terminating signal, 0 if the init exited
};

struct RuntimeState {
  std::string status;  // created | running | stopped | paused
  int pid = 0;
};

class OciRuntime {
 public:
  explicit OciRuntime(OciRuntimeConfig config) : config_(std::move(config)) {}

  // Spawns the monitor (detached), which runs `<runtime> create`; returns the init pid, or the
  // runtime's error text. Nothing is left behind on failure.
  Result<int> Create(const MonitorOptions& options);
  Status Start(const std::string& id);
  Status Kill(const std::string& id, int signal, bool all);
  Status Delete(const std::string& id, bool force);
  // kNotFound when the runtime does not know the id.
  Result<RuntimeState> State(const std::string& id);
  // `<runtime> --version`'s first line; an error when the binary is missing or fails.
  Result<std::string> Version();

  // The monitor's record of the container's end; kNotFound while it runs.
  static Result<ContainerExit> ReadExit(const std::string& state_dir);
  // kDeadlineExceeded after timeout; kUnavailable when the monitor died without a record.
  static Result<ContainerExit> WaitExit(const std::string& state_dir,
                                        std::chrono::milliseconds timeout);
  // True while the container's monitor process lives (it holds a lock on monitor.pid).
  static bool MonitorAlive(const std::string& state_dir);
  // After log rotation: returns once the monitor writes to a new file at the log path.
  static Status ReopenLog(const std::string& state_dir);
  static Status Resize(const std::string& state_dir, unsigned rows, unsigned cols);

 private:
  // Runs `<binary> [--root R] [--systemd-cgroup] <args...>`; stdout on success.
  Result<std::string> RunRuntime(const std::string& what, const std::string& id,
                                 std::initializer_list<std::string> args);
  Result<std::string> BinaryPath() const;

  OciRuntimeConfig config_;
};

}  // namespace airlock
