// airlockd's command line, in containerd's spirit. Each flag overrides the config file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shim/base/result.h"

namespace airlock {

struct DaemonFlags {
  std::string config_path;  // "" = /etc/airlock/airlock.toml if it exists
  std::optional<std::string> address, root, state, log_level, runtime;
  std::optional<int> stream_port;
  bool version = false;
  bool help = false;
};

Result<DaemonFlags> ParseDaemonFlags(const std::vector<std::string>& args);
const char* DaemonUsage();

}  // namespace airlock
