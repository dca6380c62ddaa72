// StreamTargets: what the streaming runtime needs to know about containers and pods — the
// pinned identity of a running container's init (to exec into it) and of a ready pod's infra
// process (whose network namespace port-forward dials in). A narrow seam, so that the exec
// and dial paths can be tested against a real runc container without a RuntimeManager.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "shim/base/result.h"

namespace airlock {

class RuntimeManager;

struct ContainerProcessTarget {
  std::string container_id;  // full id (a prefix the caller typed is resolved)
  pid_t init_pid = 0;
  uint64_t start_time = 0;  // /proc/<pid>/stat field 22: pins init_pid against reuse
  std::string config_path;  // the container's OCI config.json (user, caps, seccomp, env)
  std::string monitor_dir;  // the container monitor's files (attach socket)
};

struct SandboxNetworkTarget {
  std::string sandbox_id;
  pid_t infra_pid = 0;  // the pause process: it holds the pod's network namespace
  uint64_t start_time = 0;
};

class StreamTargets {
 public:
  virtual ~StreamTargets() = default;
  // kNotFound for an unknown id, kFailedPrecondition when the container is not running.
  virtual Result<ContainerProcessTarget> RunningContainer(const std::string& id) = 0;
  // kNotFound for an unknown id, kFailedPrecondition when the sandbox is not ready.
  virtual Result<SandboxNetworkTarget> ReadySandbox(const std::string& id) = 0;
};

// The production lookups: the RuntimeManager's records.
class ManagerStreamTargets final : public StreamTargets {
 public:
  explicit ManagerStreamTargets(RuntimeManager& manager) : manager_(manager) {}
  Result<ContainerProcessTarget> RunningContainer(const std::string& id) override;
  Result<SandboxNetworkTarget> ReadySandbox(const std::string& id) override;

 private:
  RuntimeManager& manager_;
};

}  // namespace airlock
