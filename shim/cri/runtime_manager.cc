// RuntimeManager: construction, lookups, name reservation and the live state of records.
#include "shim/cri/runtime_manager.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "shim/base/file_util.h"
#include "shim/cri/host_features.h"
#include "shim/cri/ids.h"
#include "shim/image/image_store.h"
#include "shim/runtime/oci_runtime.h"

namespace airlock {

RuntimeManager::RuntimeManager(Deps deps, StateStore store, oci::HostFeatures host)
    : deps_(deps), store_(std::move(store)), host_(std::move(host)) {}

Result<std::unique_ptr<RuntimeManager>> RuntimeManager::Create(Deps deps) {
  auto store = StateStore::Open(deps.config->root);
  if (!store.ok()) return store.error();
  oci::HostFeatures host = DetectHostFeatures();
  host.systemd_cgroup = deps.config->runtime.cgroup_driver == "systemd";
  std::unique_ptr<RuntimeManager> m(new RuntimeManager(deps, std::move(*store), std::move(host)));
  m->Recover();
  return m;
}

template <typename Map>
static auto FindByPrefix(Map& map, const std::string& key, const char* kind)
    -> Result<typename Map::mapped_type> {
  if (key.empty())
    return MakeError(ErrorCode::kInvalidArgument, std::string(kind) + " id is empty");
  if (auto it = map.find(key); it != map.end()) return it->second;
  typename Map::mapped_type found;
  for (auto it = map.lower_bound(key); it != map.end() && it->first.rfind(key, 0) == 0; ++it) {
    if (found)
      return MakeError(ErrorCode::kNotFound,
                       std::string(kind) + " id prefix \"" + key + "\" is ambiguous");
    found = it->second;
  }
  if (!found)
    return MakeError(ErrorCode::kNotFound, std::string(kind) + " \"" + key + "\" not found");
  return found;
}

Result<RuntimeManager::SandboxPtr> RuntimeManager::FindSandbox(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return FindByPrefix(sandboxes_, id, "pod sandbox");
}

Result<RuntimeManager::ContainerPtr> RuntimeManager::FindContainer(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return FindByPrefix(containers_, id, "container");
}

std::vector<RuntimeManager::ContainerPtr> RuntimeManager::ContainersOf(
    const std::string& sandbox_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ContainerPtr> out;
  for (const auto& [id, c] : containers_)
    if (c->sandbox_id == sandbox_id) out.push_back(c);
  return out;
}

Status RuntimeManager::ReserveName(const std::string& name, const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = names_.emplace(name, id);
  if (!inserted)
    return MakeError(ErrorCode::kAlreadyExists,
                     "name \"" + name + "\" is reserved for " + it->second);
  return Status::Ok();
}

void RuntimeManager::ReleaseName(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  names_.erase(name);
}

bool RuntimeManager::ProcessAlive(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  auto now = ProcessStartTime(pid);
  return now.ok() && *now == start_time;
}

bool RuntimeManager::SandboxReady(const SandboxRecord& s) {
  return !s.stopped && ProcessAlive(s.pid, s.pid_start_time);
}

runtime::v1::ContainerState RuntimeManager::StateOf(const ContainerRecord& c) {
  if (c.started_at == 0) return runtime::v1::CONTAINER_CREATED;
  if (OciRuntime::ReadExit(c.state_dir).ok()) return runtime::v1::CONTAINER_EXITED;
  if (ProcessAlive(c.pid, c.pid_start_time)) return runtime::v1::CONTAINER_RUNNING;
  // The init is gone but the monitor has not recorded its exit (yet, or it died too).
  return OciRuntime::MonitorAlive(c.state_dir) ? runtime::v1::CONTAINER_RUNNING
                                               : runtime::v1::CONTAINER_EXITED;
}

std::string RuntimeManager::RuntimeProblem() {
  auto state = deps_.runtime->Version();
  return state.ok() ? "" : state.error().message;
}

std::string RuntimeManager::ContainerUsingImage(const std::string& image_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, c] : containers_)
    if (c->image_id == image_id) return id;
  return "";
}

Result<RuntimeManager::InitProcess> RuntimeManager::CreateInRuntime(const std::string& spec_json,
                                                                    const MonitorOptions& mon,
                                                                    const std::string& what,
                                                                    bool* created) {
  AIRLOCK_RETURN_IF_ERROR(WriteFileAtomic(mon.bundle + "/config.json", spec_json, 0600));
  auto pid = deps_.runtime->Create(mon);
  if (!pid.ok()) return pid.error().Wrap("create " + what);
  *created = true;
  auto start_time = ProcessStartTime(*pid);
  if (!start_time.ok()) return start_time.error().Wrap(what + " init process");
  return InitProcess{*pid, *start_time};
}

Result<std::shared_ptr<ContainerRecord>> RuntimeManager::RunningContainer(const std::string& id) {
  auto c = FindContainer(id);
  if (!c.ok()) return c.error();
  if (StateOf(**c) != runtime::v1::CONTAINER_RUNNING)
    return MakeError(ErrorCode::kFailedPrecondition, "container " + (*c)->id + " is not running");
  return *c;
}

Result<std::shared_ptr<SandboxRecord>> RuntimeManager::ReadySandbox(const std::string& id) {
  auto s = FindSandbox(id);
  if (!s.ok()) return s.error();
  if (!SandboxReady(**s))
    return MakeError(ErrorCode::kFailedPrecondition, "pod sandbox " + (*s)->id + " is not ready");
  return *s;
}

}  // namespace airlock
