// airlockd configuration: defaults, the TOML file (configs/airlock.toml), then command-line
// flags, each later source overriding the earlier one (containerd's order).
#pragma once

#include <string>
#include <vector>

#include "shim/base/result.h"

namespace airlock {

struct RuntimeSection {
  std::string binary = "runc";             // path or name looked up in PATH
  std::string cgroup_driver = "cgroupfs";  // cgroupfs | systemd
  std::string cgroup_parent = "/airlock";  // used when the pod gives none
  std::string monitor_path;                // airlock-monitor; default: next to airlockd
  std::string pause_path;                  // airlock-pause; default: next to airlockd
  std::string seccomp_profile;             // RuntimeDefault profile (OCI JSON)
  int stop_kill_grace_seconds = 10;        // after SIGKILL, how long StopContainer waits
};

struct ImageSection {
  uint64_t max_layer_bytes = 8ull << 30;
  uint64_t max_image_bytes = 32ull << 30;
};

struct ExecSection {
  uint64_t sync_output_limit = 16ull << 20;  // stdout+stderr bytes kept for ExecSync
  int drain_timeout_ms = 2000;               // after the process exits
  int max_concurrent = 1024;
};

struct StreamingSection {
  std::string address = "127.0.0.1";
  int port = 0;  // 0 = any free port
};

struct Config {
  std::string address = "/run/airlock/airlock.sock";
  std::string root = "/var/lib/airlock";  // persistent state
  std::string state = "/run/airlock";     // volatile state
  std::string log_level = "info";
  RuntimeSection runtime;
  ImageSection image;
  ExecSection exec;
  StreamingSection streaming;
};

// Reads `path` over the defaults. Unknown keys are an error naming the key, so that a typo
// does not silently keep a default.
Result<Config> LoadConfigFile(const std::string& path, Config base = Config());

// Fills the paths that default to "next to the airlockd binary" and checks the result.
Status FinalizeConfig(Config& config, const std::string& self_dir);

}  // namespace airlock
