// ExecProcess: one process started by Launch() inside a container. Owns its pidfd (and the
// PTY master when tty). The process is our direct child; it is observed with
// waitid(P_PIDFD, WNOWAIT) so that it stays a zombie — and its pid/process-group id stays
// ours — until this object is destroyed. That makes KillGroup() safe at any time: the group
// id cannot be recycled for an unrelated process while we hold the zombie.
#pragma once

#include <sys/types.h>

#include <optional>

#include "nsenter/exec_spec.h"
#include "shim/base/result.h"
#include "shim/base/unique_fd.h"

namespace airlock::nsenter {

class ExecProcess {
 public:
  ExecProcess(UniqueFd pidfd, pid_t pid, UniqueFd pty_master)
      : pidfd_(std::move(pidfd)), pid_(pid), pty_master_(std::move(pty_master)) {}
  ExecProcess(ExecProcess&&) = default;
  ExecProcess& operator=(ExecProcess&& other) noexcept;
  ExecProcess(const ExecProcess&) = delete;
  ExecProcess& operator=(const ExecProcess&) = delete;
  // Still running: SIGKILL to the whole process group, then reap. Exited: reap.
  ~ExecProcess();

  // Readable (POLLIN) once the process has exited: poll it next to the stdio fds.
  int pidfd() const { return pidfd_.get(); }
  // Host pid (also the session and process-group id): for logs only.
  pid_t pid() const { return pid_; }
  // The PTY master for tty execs (invalid otherwise). Read/write the terminal through it.
  const UniqueFd& pty_master() const { return pty_master_; }
  UniqueFd TakePtyMaster() { return std::move(pty_master_); }

  // Blocks until exit; exit status, or 128+signal when killed.
  Result<int> Wait();
  // Exit code if exited, std::nullopt if still running.
  Result<std::optional<int>> TryWait();
  // Signals every process in the exec's process group (the exec'd process is a session
  // leader, so this reaches what it started unless they setsid()'d away).
  Status KillGroup(int sig);
  // TIOCSWINSZ on the master; kFailedPrecondition when not a tty exec.
  Status Resize(uint16_t rows, uint16_t cols);

 private:
  Result<std::optional<int>> Poll(bool block);
  void Release();

  UniqueFd pidfd_;
  pid_t pid_ = -1;
  UniqueFd pty_master_;
  std::optional<int> exit_code_;
  bool reaped_ = false;
};

}  // namespace airlock::nsenter
