// Port-forward's dial: a TCP connection to the pod's own localhost, made from inside the pod
// sandbox's network namespace. setns(CLONE_NEWNET) changes only the calling thread, so a
// short-lived thread joins the namespace, creates and connects the socket, and ends; the
// socket keeps the namespace it was created in, and no daemon thread ever changes its own.
#pragma once

#include <chrono>
#include <cstdint>

#include "shim/base/result.h"
#include "shim/base/unique_fd.h"
#include "shim/stream/stream_targets.h"

namespace airlock {

// Connects to 127.0.0.1:`port`, then to [::1]:`port` (a server may listen on either), one
// after the other and never in parallel, each bounded by `timeout`. The infra process is
// pinned by pidfd and its start time, so a recycled pid cannot lend its namespace. Returns
// the connected socket, non-blocking and close-on-exec.
// Errors: kFailedPrecondition when the infra process is gone (the pod is not ready),
// kUnavailable when nothing accepts the connection.
Result<UniqueFd> DialPodPort(const SandboxNetworkTarget& target, uint16_t port,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace airlock
