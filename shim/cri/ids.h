// Identifiers for sandboxes and containers: 64 hex digits from the kernel CSPRNG, the
// same shape as containerd's and CRI-O's ids so tools that truncate to 12/13 work.
#pragma once

#include <string>

#include "shim/base/result.h"

namespace airlock {

Result<std::string> NewId();

// /proc/<pid>/stat field 22 (start time in clock ticks since boot); pins a pid against
// reuse. kNotFound when the process is gone.
Result<uint64_t> ProcessStartTime(int pid);

}  // namespace airlock
