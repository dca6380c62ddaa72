// airlockd configuration: defaults, the TOML file (configs/airlock.toml), then command-line
// flags, each later source overriding the earlier one (containerd's order).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
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
  // Durations: in the file an integer (seconds) or a Go-style string ("4h", "1m30s", "500ms").
  std::chrono::milliseconds stream_idle_timeout{std::chrono::hours(4)};
  std::chrono::milliseconds stream_creation_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds initial_resize_wait{std::chrono::seconds(1)};
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(2)};
  std::chrono::milliseconds disconnect_grace{std::chrono::seconds(5)};
  // TLS on the streaming port (URLs become https://). Without cert/key files a self-signed
  // pair is generated at start, as containerd and CRI-O do.
  bool enable_tls = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Client certificates signed by this CA are verified (CN = user, O = groups for the node
  // API); require_client_cert refuses connections without one.
  std::string tls_client_ca_file;
  bool require_client_cert = false;
};

// The node exec API (/exec/<ns>/<pod>/<container>, /proxy/nodes/<node>/exec/...), with
// authentication, authorization and an audit trail. Off by default.
struct NodeApiSection {
  bool enabled = false;
  std::string node_name;  // "" = the host name
  std::string token_file;  // kube-apiserver static token CSV; "" = no bearer tokens
  std::string policy_file = "/etc/airlock/node-policy.toml";
  std::string audit_log = "/var/log/airlock/exec-audit.log";
  int64_t audit_log_max_size = 100 << 20;
  int audit_log_max_backups = 5;
  bool record_tty_sessions = false;
  std::string recording_dir = "/var/log/airlock/recordings";
  int64_t recording_max_size = 10 << 20;
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
  NodeApiSection node_api;
};

// Reads `path` over the defaults. Unknown keys are an error naming the key, so that a typo
// does not silently keep a default.
Result<Config> LoadConfigFile(const std::string& path, Config base = Config());

// A duration as the config file writes it: a sequence of <number><unit> with units h, m, s
// and ms ("4h", "4h0m0s", "1m30s", "1.5s", "250ms"; containerd's and CRI-O's stream_idle_timeout
// format), or "0". Whole milliseconds; kInvalidArgument naming the text otherwise.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

// Fills the paths that default to "next to the airlockd binary" and checks the result.
Status FinalizeConfig(Config& config, const std::string& self_dir);

}  // namespace airlock
