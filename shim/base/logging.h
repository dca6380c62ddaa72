// spdlog setup: one place decides the sink and the format (key=value lines on stderr,
// which journald captures under systemd).
#pragma once

#include <string>

#include "shim/base/result.h"

namespace airlock {

// level: trace|debug|info|warn|error|off. Unknown levels are an error naming the value.
Status SetupLogging(const std::string& level);

}  // namespace airlock
