// `<runtime> create` with the container's stdio owned by the monitor. The container init is
// left stopped on the runtime's exec fifo; because the monitor is a child subreaper, the init
// becomes the monitor's child once the runtime process exits.
#pragma once

#include <string>

#include "shim/base/unique_fd.h"
#include "shim/monitor/monitor_flags.h"

namespace airlock::monitor {

// The host side of the container's stdio.
struct ContainerIo {
  UniqueFd stdout_read;  // non-tty
  UniqueFd stderr_read;  // non-tty
  UniqueFd stdin_write;  // non-tty with --stdin
  UniqueFd pty_master;   // tty: received from the runtime over the console socket
};

struct CreateOutcome {
  bool ok = false;
  int init_pid = -1;
  std::string error;  // the runtime's own text when it failed
  ContainerIo io;
};

CreateOutcome CreateContainer(const MonitorFlags& flags);

// `<runtime> delete --force ID`, bounded by the runtime timeout; used so that a failed create
// leaves nothing behind.
void ForceDeleteContainer(const MonitorFlags& flags);

// Spawns argv with the given stdio (-1 means /dev/null), default signal dispositions, an empty
// signal mask and no other descriptor. Returns the pid or -1 (errno set).
int SpawnWithStdio(const char* const* argv, int stdin_fd, int stdout_fd, int stderr_fd);

}  // namespace airlock::monitor
