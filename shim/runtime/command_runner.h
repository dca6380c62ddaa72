// Runs a helper binary from the multi-threaded daemon: posix_spawn (vfork semantics, nothing
// but exec in the child), stdio captured through O_CLOEXEC pipes, no other descriptor passed,
// default signal state, and a deadline after which the child is killed.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "shim/base/result.h"

namespace airlock {

struct CommandOutput {
  int exit_code = -1;  // -1 when killed by a signal
  int term_signal = 0;
  std::string out;
  std::string err;
};

// The environment for everything airlockd starts (the OCI runtime, monitors): PATH only.
// airlockd's own environment may hold variables meant for it alone (NOTIFY_SOCKET, which
// runc acts on; LD_PRELOAD; proxies), and none of it belongs in a container's runtime.
char* const* ChildEnvironment();

// argv[0] must be a path. Output beyond max_output bytes per stream is dropped.
Result<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout, size_t max_output = 1 << 20);

// `name` if it contains '/', else the first executable PATH entry of that name.
Result<std::string> FindExecutable(const std::string& name);

}  // namespace airlock
