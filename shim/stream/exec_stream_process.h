// ExecStreamProcess: a streaming exec's process as the streaming session sees it
// (streaming::StreamProcess) — exit via the pidfd, resize through the PTY master, hangup and
// kill to the exec's process group. The process stays our unreaped child until this object
// goes (see nsenter/exec_process.h), so a signal can never reach a recycled process group.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "nsenter/exec_process.h"
#include "shim/base/clock.h"
#include "streaming/runtime.h"

namespace airlock {

class ExecStreamProcess final : public streaming::StreamProcess {
 public:
  // `master` is the PTY master for tty execs (kept for TIOCSWINSZ; the session holds its
  // own duplicates for I/O), invalid otherwise. `active` counts live streaming execs.
  ExecStreamProcess(nsenter::ExecProcess process, UniqueFd master, std::string container_id,
                    bool tty, std::shared_ptr<std::atomic<int>> active);
  // Still running: SIGKILL to the group and reap (nsenter::ExecProcess). Logs the end.
  ~ExecStreamProcess() override;

  int exit_fd() const override { return process_.pidfd(); }
  std::optional<int> ExitCode() override;
  void Resize(streaming::TerminalSize size) override;
  void Hangup() override;
  void Kill() override;

 private:
  nsenter::ExecProcess process_;
  UniqueFd master_;
  const std::string container_id_;
  const bool tty_;
  std::shared_ptr<std::atomic<int>> active_;
  std::optional<int> exit_code_;
  const char* ended_by_ = nullptr;  // "hangup" / "kill", for the closing log line
};

}  // namespace airlock
