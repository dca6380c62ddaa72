// AttachToContainer: CRI Attach through the container's monitor (shim/monitor/README.md,
// "attach"). The monitor hands over one socket per output stream, fed with the container's
// output from now on (no history: that is the CRI log's job), and a writer of the
// container's stdin when the container was created with stdin. The control connection that
// carried the attach stays open as the attachment's lifeline: closing it (destroying the
// StreamProcess) detaches, and the container runs on.
#pragma once

#include <string>

#include "shim/base/result.h"
#include "streaming/runtime.h"

namespace airlock {

// `monitor_dir` is the container's monitor state directory (it holds `ctl`). Returned
// descriptors are non-blocking; a stream not asked for, or not available (stdin of a
// container created without stdin, or already taken by the first attach of a StdinOnce
// container; stderr of a tty container, merged into stdout) is invalid. The process reports
// no exit (exit_fd() -1, ExitCode() nullopt); Resize goes to the container's terminal through
// the monitor; Hangup and Kill do nothing, because detaching must leave the container running.
// Errors: kNotFound when no monitor listens (the container has exited), kUnavailable when it
// does not answer, kInternal when it refuses.
Result<streaming::StartedProcess> AttachToContainer(const std::string& monitor_dir, bool tty,
                                                    bool stdin, bool stdout, bool stderr);

}  // namespace airlock
