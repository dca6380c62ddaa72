#include "shim/stream/stream_request_checks.h"

#include <string>

namespace airlock {

Status CheckStreamFlags(bool tty, bool stdin, bool stdout, bool stderr) {
  if (tty && stderr)
    return MakeError(ErrorCode::kInvalidArgument,
                     "tty and stderr cannot both be true (a terminal merges stderr into stdout)");
  if (!stdin && !stdout && !stderr)
    return MakeError(ErrorCode::kInvalidArgument, "one of stdin, stdout, or stderr must be set");
  return Status::Ok();
}

Status CheckPorts(std::span<const int32_t> ports) {
  for (size_t i = 0; i < ports.size(); ++i) {
    if (ports[i] < 1 || ports[i] > 65535)
      return MakeError(ErrorCode::kInvalidArgument, "port[" + std::to_string(i) + "] " +
                                                        std::to_string(ports[i]) +
                                                        " is out of range 1..65535");
  }
  return Status::Ok();
}

}  // namespace airlock
