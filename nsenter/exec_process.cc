#include "nsenter/exec_process.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

#include <cerrno>

#include "nsenter/path_lookup.h"

namespace airlock::nsenter {

ExecProcess& ExecProcess::operator=(ExecProcess&& other) noexcept {
  if (this != &other) {
    Release();
    pidfd_ = std::move(other.pidfd_);
    pid_ = std::exchange(other.pid_, -1);
    pty_master_ = std::move(other.pty_master_);
    exit_code_ = std::exchange(other.exit_code_, std::nullopt);
    reaped_ = std::exchange(other.reaped_, false);
  }
  return *this;
}

ExecProcess::~ExecProcess() { Release(); }

void ExecProcess::Release() {
  if (!pidfd_ || reaped_) return;
  if (!exit_code_) {
    (void)KillGroup(SIGKILL);
    (void)Poll(/*block=*/true);
  }
  siginfo_t info{};
  // Reap for real now; after this the pid may be recycled, so nothing signals it again.
  while (waitid(static_cast<idtype_t>(P_PIDFD), pidfd_.get(), &info, WEXITED) != 0 &&
         errno == EINTR) {
  }
  reaped_ = true;
  pidfd_.reset();
}

Result<std::optional<int>> ExecProcess::Poll(bool block) {
  if (exit_code_) return exit_code_;
  if (!pidfd_) return MakeError(ErrorCode::kFailedPrecondition, "wait exec process: not started");
  siginfo_t info{};
  int flags = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
  while (true) {
    if (waitid(static_cast<idtype_t>(P_PIDFD), pidfd_.get(), &info, flags) == 0) break;
    if (errno != EINTR) return ErrnoError("waitid exec process " + std::to_string(pid_), errno);
  }
  if (info.si_pid == 0) return std::optional<int>();  // WNOHANG, still running
  exit_code_ = ExitCodeFromSiginfo(info.si_code, info.si_status);
  return exit_code_;
}

Result<int> ExecProcess::Wait() {
  auto r = Poll(/*block=*/true);
  if (!r.ok()) return r.error();
  return **r;
}

Result<std::optional<int>> ExecProcess::TryWait() { return Poll(/*block=*/false); }

Status ExecProcess::KillGroup(int sig) {
  if (!pidfd_ || reaped_ || pid_ <= 1) {
    return MakeError(ErrorCode::kFailedPrecondition, "kill exec process group: not running");
  }
  // The zombie (or live leader) holds the group id, so -pid_ names our group only.
  if (kill(-pid_, sig) != 0 && errno != ESRCH) {
    return ErrnoError("kill exec process group " + std::to_string(pid_), errno);
  }
  // The leader itself, in case it left its group: pidfd, so never a recycled pid.
  if (!exit_code_) syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0);
  return Status::Ok();
}

Status ExecProcess::Resize(uint16_t rows, uint16_t cols) {
  if (!pty_master_) return MakeError(ErrorCode::kFailedPrecondition, "resize exec tty: no tty");
  struct winsize ws {};
  ws.ws_row = rows;
  ws.ws_col = cols;
  if (ioctl(pty_master_.get(), TIOCSWINSZ, &ws) != 0) return ErrnoError("resize exec tty", errno);
  return Status::Ok();
}

}  // namespace airlock::nsenter
