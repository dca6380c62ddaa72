// RuntimeExecTargetResolver: ExecTargetResolver over the RuntimeManager's records. A pod is
// found by metadata (namespace, name, optionally uid) among the READY sandboxes, a container
// by metadata name among the pod's containers; when several attempts match, the newest wins
// (the kubelet execs in the current attempt). The privilege facts come from the records the
// runtime created the containers from: ContainerRecord.privileged and the namespace options
// of the pod's and the container's security contexts (mode NODE = the host's namespace).
#pragma once

#include <optional>
#include <vector>

#include "proto/cri_api.h"
#include "shim/nodeapi/exec_target.h"

namespace airlock {
class RuntimeManager;
}

namespace airlock::nodeapi {

// The sandbox of `ref` among `sandboxes` (ready ones only are considered), newest first.
std::optional<runtime::v1::PodSandbox> PickSandbox(
    const std::vector<runtime::v1::PodSandbox>& sandboxes, const PodContainerRef& ref);
// The newest container named `name` among `containers`.
std::optional<runtime::v1::Container> PickContainer(
    const std::vector<runtime::v1::Container>& containers, const std::string& name);
// Privileged: the container's own flag; host namespaces: the pod's options, or the
// container's where it sets NODE itself.
PrivilegeFacts PrivilegeOf(const runtime::v1::PodSandboxConfig& pod,
                           const runtime::v1::ContainerConfig& container, bool privileged);

class RuntimeExecTargetResolver final : public ExecTargetResolver {
 public:
  explicit RuntimeExecTargetResolver(RuntimeManager& manager) : manager_(manager) {}
  Result<ExecTarget> Resolve(const PodContainerRef& ref) override;

 private:
  RuntimeManager& manager_;
};

}  // namespace airlock::nodeapi
