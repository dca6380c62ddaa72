#include "shim/config/config.h"

#include <toml++/toml.h>
#include <unistd.h>

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

std::map<std::string, Setter> Knobs(Config& c) {
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
