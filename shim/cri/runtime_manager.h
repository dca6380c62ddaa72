// RuntimeManager: the pod sandboxes and containers of the native backend. It owns the
// in-memory records, persists them (StateStore), builds OCI bundles (shim/oci), mounts the
// container rootfs (overlayfs over the image store's layers) and drives the OCI runtime
// binary through per-container monitors (shim/runtime). gRPC handlers call it and map its
// errors; it knows nothing about gRPC.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "proto/cri_api.h"
#include "shim/base/clock.h"
#include "shim/config/config.h"
#include "shim/cri/records.h"
#include "shim/cri/state_store.h"
#include "shim/oci/spec_input.h"

namespace airlock {

class ImageStore;
class OciRuntime;
struct MonitorOptions;

class RuntimeManager {
 public:
  struct Deps {
    const Config* config;
    ImageStore* images;
    OciRuntime* runtime;
    const Clock* clock;
  };

  // Loads the persisted records and reconciles them with what is still running.
  static Result<std::unique_ptr<RuntimeManager>> Create(Deps deps);

  // Pod sandboxes.
  Result<std::string> RunPodSandbox(const runtime::v1::PodSandboxConfig& config,
                                    const std::string& runtime_handler);
  Status StopPodSandbox(const std::string& id);
  Status RemovePodSandbox(const std::string& id);
  Result<runtime::v1::PodSandboxStatusResponse> PodSandboxStatus(const std::string& id,
                                                                 bool verbose);
  std::vector<runtime::v1::PodSandbox> ListPodSandbox(const runtime::v1::PodSandboxFilter& filter);

  // Containers.
  Result<std::string> CreateContainer(const std::string& sandbox_id,
                                      const runtime::v1::ContainerConfig& config);
  Status StartContainer(const std::string& id);
  Status StopContainer(const std::string& id, int64_t timeout_seconds);
  Status RemoveContainer(const std::string& id);
  Result<runtime::v1::ContainerStatusResponse> ContainerStatus(const std::string& id, bool verbose);
  std::vector<runtime::v1::Container> ListContainers(const runtime::v1::ContainerFilter& filter);
  Status ReopenContainerLog(const std::string& id);

  // Why the runtime is not ready ("" when it is): the OCI runtime binary must answer.
  std::string RuntimeProblem();

  // Id of a container whose rootfs uses `image_id`, or "" (the image store must not delete
  // layers under a mounted rootfs).
  std::string ContainerUsingImage(const std::string& image_id);

  // The record of a running container (for exec); kNotFound / kFailedPrecondition otherwise.
  Result<std::shared_ptr<ContainerRecord>> RunningContainer(const std::string& id);
  // The record of a ready pod sandbox (for port-forward: its infra process holds the pod's
  // network namespace); kNotFound / kFailedPrecondition otherwise.
  Result<std::shared_ptr<SandboxRecord>> ReadySandbox(const std::string& id);

 private:
  RuntimeManager(Deps deps, StateStore store, oci::HostFeatures host);

  using SandboxPtr = std::shared_ptr<SandboxRecord>;
  using ContainerPtr = std::shared_ptr<ContainerRecord>;

  // Lookups accept a full id or an unambiguous prefix, as crictl users type them.
  Result<SandboxPtr> FindSandbox(const std::string& id_or_prefix);
  Result<ContainerPtr> FindContainer(const std::string& id_or_prefix);
  std::vector<ContainerPtr> ContainersOf(const std::string& sandbox_id);

  // Names are reserved from create to remove, as the kubelet expects ("name is reserved").
  Status ReserveName(const std::string& name, const std::string& id);
  void ReleaseName(const std::string& name);

  // Live state, computed from the monitor's exit file and the pinned pid.
  runtime::v1::ContainerState StateOf(const ContainerRecord& c);
  bool SandboxReady(const SandboxRecord& s);
  static bool ProcessAlive(pid_t pid, uint64_t start_time);

  // Writes the bundle's config.json and has a monitor run `<runtime> create`; returns the
  // init process, pinned by its start time. Sets *created once the runtime knows the id, so
  // that the caller's cleanup deletes it. `what` names the object in errors.
  struct InitProcess {
    pid_t pid = 0;
    uint64_t start_time = 0;
  };
  Result<InitProcess> CreateInRuntime(const std::string& spec_json, const MonitorOptions& mon,
                                      const std::string& what, bool* created);

  Status StopContainerLocked(ContainerRecord& c, int64_t timeout_seconds);
  Status StopInit(ContainerRecord& c, int64_t timeout_seconds);
  void KillLeftovers(const ContainerRecord& c);
  Status RemoveContainerLocked(ContainerRecord& c);
  Status StopSandboxLocked(SandboxRecord& s);
  void CleanupContainerFiles(const ContainerRecord& c);
  void CleanupSandboxFiles(const SandboxRecord& s);
  void Recover();

  Deps deps_;
  StateStore store_;
  const oci::HostFeatures host_;

  std::mutex mu_;  // guards the three maps below, never held across a runtime call
  std::map<std::string, SandboxPtr> sandboxes_;
  std::map<std::string, ContainerPtr> containers_;
  std::map<std::string, std::string> names_;  // reserved name -> id
};

}  // namespace airlock
