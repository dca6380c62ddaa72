// The [streaming] section of the config as the streaming server's options.
#pragma once

#include "shim/config/config.h"
#include "streaming/stream_server.h"

namespace airlock {

streaming::StreamServerOptions StreamServerOptionsFromConfig(const StreamingSection& section);

}  // namespace airlock
