// The parts of an OCI image config that a container's process spec inherits.
// Filled by the image store from the image's config blob, read by the OCI spec builder.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace airlock {

struct ImageConfig {
  std::string user;                    // "uid[:gid]" or "name[:group]"; empty = root
  std::vector<std::string> env;        // "KEY=VALUE"
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;             // e.g. "SIGTERM"; empty = runtime default
};

}  // namespace airlock
