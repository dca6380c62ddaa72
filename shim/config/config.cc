#include "shim/config/config.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>

namespace airlock {
namespace {

// One setter per dotted key; the table is the single list of knobs the file may set.
using Setter = std::function<Status(const toml::node&, const std::string& key)>;

Setter String(std::string* out) {
  return [out](const toml::node& n, const std::string& key) -> Status {
    auto v = n.value<std::string>();
    if (!v)
      return MakeError(ErrorCode::kInvalidArgument, "config key " + key + ": expected a string");
    *out = *v;
    return Status::Ok();
  };
}

Setter Bool(bool* out) {
  return [out](const toml::node& n, const std::string& key) -> Status {
    auto v = n.value_exact<bool>();
    if (!v) return MakeError(ErrorCode::kInvalidArgument, "config key " + key + ": expected true or false");
    *out = *v;
    return Status::Ok();
  };
}

template <typename T>
Setter Integer(T* out, int64_t min, int64_t max) {
  return [out, min, max](const toml::node& n, const std::string& key) -> Status {
    auto v = n.value<int64_t>();
    if (!v || *v < min || *v > max)
      return MakeError(ErrorCode::kInvalidArgument,
                       "config key " + key + ": expected an integer in [" + std::to_string(min) +
                           ", " + std::to_string(max) + "]");
    *out = static_cast<T>(*v);
    return Status::Ok();
  };
}

// A duration knob: an integer is seconds, a string is ParseDuration's format. `min`/`max`
// bound the value; `range` says the bounds in the error message.
Setter Duration(std::chrono::milliseconds* out, std::chrono::milliseconds min,
                std::chrono::milliseconds max, const char* range) {
  return [=](const toml::node& n, const std::string& key) -> Status {
    std::chrono::milliseconds value;
    if (auto seconds = n.value_exact<int64_t>()) {
      if (*seconds < 0 || *seconds > max.count() / 1000 + 1)
        return MakeError(ErrorCode::kInvalidArgument,
                         "config key " + key + ": expected a duration in " + range);
      value = std::chrono::seconds(*seconds);
    } else if (auto text = n.value_exact<std::string>()) {
      auto parsed = ParseDuration(*text);
      if (!parsed.ok()) return parsed.error().Wrap("config key " + key);
      value = *parsed;
    } else {
      return MakeError(ErrorCode::kInvalidArgument,
                       "config key " + key +
                           ": expected seconds (an integer) or a duration string such as \"30s\"");
    }
    if (value < min || value > max)
      return MakeError(ErrorCode::kInvalidArgument,
                       "config key " + key + ": expected a duration in " + range);
    *out = value;
    return Status::Ok();
  };
}

std::map<std::string, Setter> Knobs(Config& c) {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  constexpr int64_t kMax = INT64_MAX;
  return {
      {"address", String(&c.address)},
      {"root", String(&c.root)},
      {"state", String(&c.state)},
      {"log_level", String(&c.log_level)},
      {"runtime.binary", String(&c.runtime.binary)},
      {"runtime.cgroup_driver", String(&c.runtime.cgroup_driver)},
      {"runtime.cgroup_parent", String(&c.runtime.cgroup_parent)},
      {"runtime.monitor_path", String(&c.runtime.monitor_path)},
      {"runtime.pause_path", String(&c.runtime.pause_path)},
      {"runtime.seccomp_profile", String(&c.runtime.seccomp_profile)},
      {"runtime.stop_kill_grace_seconds", Integer(&c.runtime.stop_kill_grace_seconds, 1, 3600)},
      {"image.max_layer_bytes", Integer(&c.image.max_layer_bytes, 1, kMax)},
      {"image.max_image_bytes", Integer(&c.image.max_image_bytes, 1, kMax)},
      {"exec.sync_output_limit", Integer(&c.exec.sync_output_limit, 0, 16 << 20)},
      {"exec.drain_timeout_ms", Integer(&c.exec.drain_timeout_ms, 0, 600000)},
      {"exec.max_concurrent", Integer(&c.exec.max_concurrent, 1, 65536)},
      {"streaming.address", String(&c.streaming.address)},
      {"streaming.port", Integer(&c.streaming.port, 0, 65535)},
      {"streaming.stream_idle_timeout",
       Duration(&c.streaming.stream_idle_timeout, milliseconds(1), hours(24 * 30), "[1ms, 720h]")},
      {"streaming.stream_creation_timeout",
       Duration(&c.streaming.stream_creation_timeout, milliseconds(1), hours(1), "[1ms, 1h]")},
      {"streaming.initial_resize_wait",
       Duration(&c.streaming.initial_resize_wait, milliseconds(0), hours(1), "[0s, 1h]")},
      {"streaming.drain_timeout",
       Duration(&c.streaming.drain_timeout, milliseconds(0), hours(1), "[0s, 1h]")},
      {"streaming.enable_tls", Bool(&c.streaming.enable_tls)},
      {"streaming.tls_cert_file", String(&c.streaming.tls_cert_file)},
      {"streaming.tls_key_file", String(&c.streaming.tls_key_file)},
      {"streaming.tls_client_ca_file", String(&c.streaming.tls_client_ca_file)},
      {"streaming.require_client_cert", Bool(&c.streaming.require_client_cert)},
      {"node_api.enabled", Bool(&c.node_api.enabled)},
      {"node_api.node_name", String(&c.node_api.node_name)},
      {"node_api.token_file", String(&c.node_api.token_file)},
      {"node_api.policy_file", String(&c.node_api.policy_file)},
      {"node_api.audit_log", String(&c.node_api.audit_log)},
      {"node_api.audit_log_max_size", Integer(&c.node_api.audit_log_max_size, 4096, kMax)},
      {"node_api.audit_log_max_backups", Integer(&c.node_api.audit_log_max_backups, 0, 100)},
      {"node_api.record_tty_sessions", Bool(&c.node_api.record_tty_sessions)},
      {"node_api.recording_dir", String(&c.node_api.recording_dir)},
      {"node_api.recording_max_size", Integer(&c.node_api.recording_max_size, 4096, kMax)},
      {"streaming.disconnect_grace",
       Duration(&c.streaming.disconnect_grace, milliseconds(0), hours(1), "[0s, 1h]")},
  };
}

Status Walk(const toml::table& table, const std::string& prefix,
            const std::map<std::string, Setter>& knobs, const std::string& path) {
  for (const auto& [k, node] : table) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const toml::table* sub = node.as_table()) {
      AIRLOCK_RETURN_IF_ERROR(Walk(*sub, key, knobs, path));
      continue;
    }
    auto it = knobs.find(key);
    if (it == knobs.end())
      return MakeError(ErrorCode::kInvalidArgument, "config " + path + ": unknown key " + key);
    Status st = it->second(node, key);
    if (!st.ok()) return st.error().Wrap("config " + path);
  }
  return Status::Ok();
}

bool IsAbsolute(const std::string& p) { return !p.empty() && p[0] == '/'; }

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto bad = [&](const std::string& why) -> Error {
    return MakeError(ErrorCode::kInvalidArgument, "duration \"" + std::string(text) + "\": " + why +
                                                      " (write e.g. \"4h\", \"1m30s\", \"500ms\")");
  };
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.empty()) return bad("empty");
  // Past 100 years of milliseconds is a typo, and far from overflowing int64.
  constexpr int64_t kMaxMs = int64_t{100} * 365 * 24 * 3600 * 1000;
  int64_t total = 0;
  size_t i = 0;
  auto digit = [&](size_t at) { return at < text.size() && text[at] >= '0' && text[at] <= '9'; };
  while (i < text.size()) {
    int64_t whole = 0;
    size_t start = i;
    while (digit(i)) {
      whole = whole * 10 + (text[i++] - '0');
      if (whole > kMaxMs) return bad("too large");
    }
    int64_t frac = 0, frac_scale = 1;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (digit(i)) {
        if (frac_scale < 1'000'000'000) {  // digits past nanoseconds cannot matter
          frac = frac * 10 + (text[i] - '0');
          frac_scale *= 10;
        }
        ++i;
      }
    }
    if (i == start || (i == start + 1 && text[start] == '.'))
      return bad("expected a number at offset " + std::to_string(start));
    int64_t unit_ms = 0;
    if (text.substr(i, 2) == "ms") {
      unit_ms = 1;
      i += 2;
    } else if (i < text.size() && text[i] == 'h') {
      unit_ms = 3'600'000;
      ++i;
    } else if (i < text.size() && text[i] == 'm') {
      unit_ms = 60'000;
      ++i;
    } else if (i < text.size() && text[i] == 's') {
      unit_ms = 1000;
      ++i;
    } else {
      return bad("expected a unit (h, m, s or ms) at offset " + std::to_string(i));
    }
    if (whole > kMaxMs / unit_ms) return bad("too large");
    total += whole * unit_ms + frac * unit_ms / frac_scale;
    if (total > kMaxMs) return bad("too large");
  }
  return std::chrono::milliseconds(total);
}

Result<Config> LoadConfigFile(const std::string& path, Config base) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return MakeError(ErrorCode::kInvalidArgument,
                     "parse config " + path + ":" + std::to_string(where.line) + ":" +
                         std::to_string(where.column) + ": " + std::string(e.description()));
  }
  auto knobs = Knobs(base);
  AIRLOCK_RETURN_IF_ERROR(Walk(table, "", knobs, path));
  return base;
}

Status FinalizeConfig(Config& c, const std::string& self_dir) {
  if (c.runtime.monitor_path.empty()) c.runtime.monitor_path = self_dir + "/airlock-monitor";
  if (c.runtime.pause_path.empty()) c.runtime.pause_path = self_dir + "/airlock-pause";
  if (c.runtime.seccomp_profile.empty()) {
    // A build tree keeps the profile beside the binary; a package installs it under /etc.
    std::string beside = self_dir + "/seccomp-default.json";
    c.runtime.seccomp_profile =
        ::access(beside.c_str(), R_OK) == 0 ? beside : "/etc/airlock/seccomp-default.json";
  }
  for (auto [name, value] :
       {std::pair{"address", &c.address}, {"root", &c.root}, {"state", &c.state}}) {
    if (!IsAbsolute(*value))
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(name) + " \"" + *value + "\" is not an absolute path");
  }
  if (c.runtime.cgroup_driver != "cgroupfs" && c.runtime.cgroup_driver != "systemd")
    return MakeError(
        ErrorCode::kInvalidArgument,
        "runtime.cgroup_driver \"" + c.runtime.cgroup_driver + "\": expected cgroupfs or systemd");
  if (!IsAbsolute(c.runtime.cgroup_parent))
    return MakeError(ErrorCode::kInvalidArgument,
                     "runtime.cgroup_parent \"" + c.runtime.cgroup_parent + "\" is not absolute");
  for (auto [name, value] : {std::pair{"runtime.monitor_path", &c.runtime.monitor_path},
                             {"runtime.pause_path", &c.runtime.pause_path}}) {
    if (::access(value->c_str(), X_OK) != 0)
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(name) + " \"" + *value + "\" is not an executable file");
  }
  return Status::Ok();
}

}  // namespace airlock
