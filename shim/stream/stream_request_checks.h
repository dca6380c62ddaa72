// The checks a CRI Exec/Attach/PortForward request must pass before a streaming URL is
// issued (CRI api.proto comments; the messages follow k8s cri-streaming's wording, so that
// users see the same text from every runtime). All failures are kInvalidArgument.
#pragma once

#include <cstdint>
#include <span>

#include "shim/base/result.h"

namespace airlock {

// "If tty is true, stderr MUST be false" and "one of stdin, stdout, and stderr MUST be true".
Status CheckStreamFlags(bool tty, bool stdin, bool stdout, bool stderr);

// Every port is a TCP port (1..65535). An empty list is valid: SPDY clients name the port
// of each forwarded connection in its stream headers.
Status CheckPorts(std::span<const int32_t> ports);

}  // namespace airlock
