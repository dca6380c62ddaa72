#include "shim/stream/exec_stream_process.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>

namespace airlock {

ExecStreamProcess::ExecStreamProcess(nsenter::ExecProcess process, UniqueFd master,
                                     std::string container_id, bool tty,
                                     std::shared_ptr<std::atomic<int>> active)
    : process_(std::move(process)),
      master_(std::move(master)),
      container_id_(std::move(container_id)),
      tty_(tty),
      active_(std::move(active)) {}

ExecStreamProcess::~ExecStreamProcess() {
  // The audit trail's second half: how the session's process ended. A process still running
  // here is killed with its group by ~ExecProcess; say so, as nobody asked for that exit.
  std::optional<int> code = ExitCode();
  spdlog::info("msg=\"exec ended\" kind=stream container={} pid={} exit={}{}", container_id_,
               process_.pid(), code ? std::to_string(*code) : std::string("killed"),
               ended_by_ ? std::string(" signalled_by=") + ended_by_ : std::string());
  if (active_) active_->fetch_sub(1);
}

std::optional<int> ExecStreamProcess::ExitCode() {
  if (exit_code_) return exit_code_;
  auto code = process_.TryWait();
  if (!code.ok()) {
    spdlog::warn("msg=\"exec: wait failed\" container={} pid={} error=\"{}\"", container_id_,
                 process_.pid(), code.error().message);
    return std::nullopt;
  }
  exit_code_ = *code;
  return exit_code_;
}

void ExecStreamProcess::Resize(streaming::TerminalSize size) {
  if (!tty_ || !master_) return;
  // A zero dimension is what a client sends before it knows its size; the kernel would
  // accept it and the program would see a 0-column terminal (containerd ignores <1 too).
  if (size.width == 0 || size.height == 0) return;
  winsize ws{};
  ws.ws_row = size.height;
  ws.ws_col = size.width;
  // On the master, TIOCSWINSZ also sends SIGWINCH to the terminal's foreground group.
  if (::ioctl(master_.get(), TIOCSWINSZ, &ws) != 0)
    spdlog::debug("msg=\"exec: resize failed\" container={} error=\"{}\"", container_id_,
                  ErrnoError("ioctl TIOCSWINSZ", errno).message);
}

void ExecStreamProcess::Hangup() {
  // Non-tty: the session closes the process's stdin; a signal would be more than a closed
  // pipe tells a program. tty: what a terminal's hangup does. Sent to the group even when
  // the leader has exited: its background children may still hold the terminal.
  if (!tty_) return;
  ended_by_ = "hangup";
  if (Status st = process_.KillGroup(SIGHUP); !st.ok())
    spdlog::debug("msg=\"exec: hangup failed\" container={} error=\"{}\"", container_id_,
                  st.error().message);
}

void ExecStreamProcess::Kill() {
  // Also after the leader's exit: what it left running in its group must not outlive the
  // session (the zombie leader keeps the group id ours until the destructor reaps it).
  ended_by_ = "kill";
  if (Status st = process_.KillGroup(SIGKILL); !st.ok())
    spdlog::warn("msg=\"exec: kill failed\" container={} error=\"{}\"", container_id_,
                 st.error().message);
}

}  // namespace airlock
