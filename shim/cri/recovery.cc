// After a restart: load the persisted records. Containers and sandboxes kept running under
// their monitors; their live state is read from the monitor files like any other time.
#include <spdlog/spdlog.h>

#include "shim/cri/names.h"
#include "shim/cri/runtime_manager.h"

namespace airlock {

void RuntimeManager::Recover() {
  std::vector<std::string> errors;
  auto sandboxes = store_.LoadSandboxes(&errors);
  auto containers = store_.LoadContainers(&errors);
  for (const auto& e : errors) spdlog::warn("msg=\"skipping unreadable record\" error=\"{}\"", e);

  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : sandboxes) {
    names_[SandboxName(s->config.metadata())] = s->id;
    std::string id = s->id;
    sandboxes_[id] = std::shared_ptr<SandboxRecord>(std::move(s));
  }
  for (auto& c : containers) {
    auto sb = sandboxes_.find(c->sandbox_id);
    if (sb == sandboxes_.end()) {
      spdlog::warn("msg=\"container of an unknown pod sandbox\" container={} sandbox={}", c->id,
                   c->sandbox_id);
    } else {
      names_[ContainerName(c->config.metadata(), sb->second->config.metadata())] = c->id;
    }
    std::string id = c->id;
    containers_[id] = std::shared_ptr<ContainerRecord>(std::move(c));
  }
  spdlog::info("msg=\"state recovered\" sandboxes={} containers={}", sandboxes_.size(),
               containers_.size());
}

}  // namespace airlock
