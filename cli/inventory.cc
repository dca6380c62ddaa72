#include "cli/inventory.h"

namespace airlock::cli {

Inventory MakeInventory(const runtime::v1::ListPodSandboxResponse& pods,
                        const runtime::v1::ListContainersResponse& containers) {
  Inventory inv;
  for (const auto& p : pods.items()) {
    inv.pods.push_back(PodInfo{p.id(),
                               p.metadata().name(),
                               p.metadata().namespace_(),
                               p.metadata().uid(),
                               {p.annotations().begin(), p.annotations().end()}});
  }
  for (const auto& c : containers.containers()) {
    inv.containers.push_back(ContainerInfo{c.id(), c.metadata().name(), c.pod_sandbox_id()});
  }
  return inv;
}

Result<Inventory> LoadInventory(CriClient& client) {
  auto pods = client.ListPodSandbox();
  if (!pods.ok()) return pods.error().Wrap("list pods");
  auto containers = client.ListContainers(runtime::v1::ListContainersRequest());
  if (!containers.ok()) return containers.error().Wrap("list containers");
  return MakeInventory(*pods, *containers);
}

}  // namespace airlock::cli
