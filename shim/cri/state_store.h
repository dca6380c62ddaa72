// Persists sandbox and container records under <root>/{sandboxes,containers}/<id>.json,
// each written atomically, so that a crash never leaves a half-written record.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shim/cri/records.h"

namespace airlock {

class StateStore {
 public:
  static Result<StateStore> Open(const std::string& root);

  Status SaveSandbox(const SandboxRecord& r);
  Status SaveContainer(const ContainerRecord& r);
  Status DeleteSandbox(const std::string& id);
  Status DeleteContainer(const std::string& id);

  // Records that fail to decode are skipped and named in `errors` rather than failing
  // the daemon's start.
  std::vector<std::unique_ptr<SandboxRecord>> LoadSandboxes(std::vector<std::string>* errors) const;
  std::vector<std::unique_ptr<ContainerRecord>> LoadContainers(
      std::vector<std::string>* errors) const;

 private:
  explicit StateStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace airlock
