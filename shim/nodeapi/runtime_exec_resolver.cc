#include "shim/nodeapi/runtime_exec_resolver.h"

#include "shim/cri/records.h"
#include "shim/cri/runtime_manager.h"

namespace airlock::nodeapi {
namespace v1 = runtime::v1;

namespace {

std::string PodName(const PodContainerRef& ref) { return ref.namespace_name + "/" + ref.pod; }

bool IsHost(v1::NamespaceMode mode) { return mode == v1::NODE; }

}  // namespace

std::optional<v1::PodSandbox> PickSandbox(const std::vector<v1::PodSandbox>& sandboxes,
                                          const PodContainerRef& ref) {
  std::optional<v1::PodSandbox> best;
  for (const auto& s : sandboxes) {
    if (s.state() != v1::SANDBOX_READY) continue;
    const auto& m = s.metadata();
    if (m.namespace_() != ref.namespace_name || m.name() != ref.pod) continue;
    if (!ref.pod_uid.empty() && m.uid() != ref.pod_uid) continue;
    if (!best || s.created_at() > best->created_at()) best = s;
  }
  return best;
}

std::optional<v1::Container> PickContainer(const std::vector<v1::Container>& containers,
                                           const std::string& name) {
  std::optional<v1::Container> best;
  for (const auto& c : containers) {
    if (c.metadata().name() != name) continue;
    if (!best || c.created_at() > best->created_at()) best = c;
  }
  return best;
}

PrivilegeFacts PrivilegeOf(const v1::PodSandboxConfig& pod, const v1::ContainerConfig& container,
                           bool privileged) {
  const auto& pod_ns = pod.linux().security_context().namespace_options();
  const auto& ctr_ns = container.linux().security_context().namespace_options();
  PrivilegeFacts facts;
  facts.privileged = privileged || container.linux().security_context().privileged();
  facts.host_pid = IsHost(pod_ns.pid()) || IsHost(ctr_ns.pid());
  facts.host_network = IsHost(pod_ns.network()) || IsHost(ctr_ns.network());
  facts.host_ipc = IsHost(pod_ns.ipc()) || IsHost(ctr_ns.ipc());
  return facts;
}

Result<ExecTarget> RuntimeExecTargetResolver::Resolve(const PodContainerRef& ref) {
  v1::PodSandboxFilter pod_filter;
  pod_filter.mutable_state()->set_state(v1::SANDBOX_READY);
  auto sandbox = PickSandbox(manager_.ListPodSandbox(pod_filter), ref);
  if (!sandbox) {
    return MakeError(ErrorCode::kNotFound,
                     "pod " + PodName(ref) +
                         (ref.pod_uid.empty() ? "" : " with uid " + ref.pod_uid) +
                         " not found: no ready pod sandbox of that name on this node");
  }
  v1::ContainerFilter container_filter;
  container_filter.set_pod_sandbox_id(sandbox->id());
  auto container = PickContainer(manager_.ListContainers(container_filter), ref.container);
  if (!container) {
    return MakeError(ErrorCode::kNotFound,
                     "container " + ref.container + " not found in pod " + PodName(ref));
  }
  if (container->state() != v1::CONTAINER_RUNNING) {
    return MakeError(ErrorCode::kNotFound,
                     "container " + ref.container + " in pod " + PodName(ref) + " is not running");
  }
  auto record = manager_.RunningContainer(container->id());
  if (!record.ok()) return record.error().Wrap("find container " + ref.container);
  auto pod_record = manager_.ReadySandbox(sandbox->id());
  if (!pod_record.ok()) return pod_record.error().Wrap("find pod " + PodName(ref));
  ExecTarget target;
  target.container_id = container->id();
  target.sandbox_id = sandbox->id();
  target.privilege = PrivilegeOf((*pod_record)->config, (*record)->config, (*record)->privileged);
  return target;
}

}  // namespace airlock::nodeapi
