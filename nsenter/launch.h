// Launch: start one process inside a pinned, running container (the exec engine's entry).
// The step-by-step sequence and the reasons for it are in nsenter/README.md.
#pragma once

#include "nsenter/container_target.h"
#include "nsenter/exec_process.h"
#include "nsenter/exec_spec.h"
#include "shim/base/result.h"
#include "shim/base/unique_fd.h"

namespace airlock::nsenter {

// Descriptors that become the process's 0/1/2 (ignored when spec.tty: the PTY peer is used).
// An invalid fd means the host's /dev/null (never the container's: it could be a symlink).
// Launch consumes them: the caller keeps only its own ends of the pipes.
struct ExecStdio {
  UniqueFd in;
  UniqueFd out;
  UniqueFd err;
};

// Returns once the process has called execve (or failed before it). Failure to set up —
// container gone, cwd outside the container, PTY not the container's devpts — is an error
// and no process is left behind. A command that is missing or not executable is *not* an
// error here: the process exits 127/126 with a message on its stderr, like a shell.
// Thread-safe; may be called from many threads of the daemon at once. The calling thread
// sleeps until the child has exec'd (vfork semantics, see README.md "Process model").
Result<ExecProcess> Launch(const ContainerTarget& target, const ExecSpec& spec, ExecStdio stdio);

}  // namespace airlock::nsenter
