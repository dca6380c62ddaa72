// The monitor's steady state after a successful create: one thread, one poll loop over the
// container's output, the control socket, attached clients and a signalfd, until the
// container init exits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shim/base/unique_fd.h"
#include "shim/monitor/attach_fanout.h"
#include "shim/monitor/control_socket.h"
#include "shim/monitor/cri_log.h"
#include "shim/monitor/log_file.h"
#include "shim/monitor/monitor_flags.h"
#include "shim/monitor/runtime_create.h"

namespace airlock::monitor {

class ContainerMonitor {
 public:
  ContainerMonitor(const MonitorFlags& flags, int init_pid, ContainerIo io, LogFile* log,
                   ControlSocket* control, UniqueFd signal_fd);

  // Returns when the init has exited and its output is drained (or the drain bound passed);
  // the exit file is written by then. Returns false if the exit file could not be written.
  bool Run();

 private:
  // One output source (pipe or pty master) and the splitter of its stream.
  struct Output {
    LogStream stream;
    UniqueFd fd;
    CriLogSplitter splitter;
  };
  // A process that leaked the pipe's write end may keep it open forever.
  static constexpr int64_t kDrainLimitMs = 2000;
  // After the exit record: how long attached clients get to read the output's tail.
  static constexpr int kAttachFlushMs = 1000;

  void ReadOutput(Output* out);
  void FinishOutput(Output* out);
  void HandleSignals();
  ControlReply HandleCommand(uint64_t connection, std::string_view command);
  std::string Resize(std::string_view args);
  ControlReply Attach(uint64_t connection, std::string_view args);
  // The writer an attach gets for the container's stdin; left invalid when there is none (no
  // --stdin, or --stdin-once and an earlier attach had it). False (errno) when dup fails.
  bool StdinForAttach(UniqueFd* writer);
  bool WriteExitFile();

  const MonitorFlags& flags_;
  int init_pid_;
  ContainerIo io_;
  LogFile* log_;
  ControlSocket* control_;
  UniqueFd signal_fd_;
  Output stdout_;
  Output stderr_;
  AttachFanout fanout_;
  bool stdin_once_used_ = false;
  std::string oom_counter_file_;
  long oom_kills_at_start_ = -1;

  bool exited_ = false;
  int wait_status_ = 0;
  int64_t finished_at_ns_ = 0;
  int64_t drain_deadline_ms_ = 0;
  std::string records_;  // reused formatting buffer
};

}  // namespace airlock::monitor
