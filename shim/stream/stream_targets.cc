#include "shim/stream/stream_targets.h"

#include "shim/cri/runtime_manager.h"

namespace airlock {

Result<ContainerProcessTarget> ManagerStreamTargets::RunningContainer(const std::string& id) {
  auto c = manager_.RunningContainer(id);
  if (!c.ok()) return c.error();
  const ContainerRecord& r = **c;
  return ContainerProcessTarget{r.id, r.pid, r.pid_start_time, r.bundle_dir + "/config.json",
                                r.state_dir};
}

Result<SandboxNetworkTarget> ManagerStreamTargets::ReadySandbox(const std::string& id) {
  auto s = manager_.ReadySandbox(id);
  if (!s.ok()) return s.error();
  return SandboxNetworkTarget{(*s)->id, (*s)->pid, (*s)->pid_start_time};
}

}  // namespace airlock
