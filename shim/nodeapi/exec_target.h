// ExecTargetResolver: from the names in a node-API path (namespace, pod, optional pod uid,
// container) to the running container to exec in, with the facts the privileged rule needs.
// A small seam, so that the node API is tested with a fake and the RuntimeManager lookup
// (RuntimeExecTargetResolver) is tested on its own.
#pragma once

#include <string>

#include "shim/base/result.h"
#include "shim/nodeapi/policy.h"

namespace airlock::nodeapi {

struct PodContainerRef {
  std::string namespace_name;
  std::string pod;
  std::string pod_uid;  // "" = any
  std::string container;
};

struct ExecTarget {
  std::string container_id;
  std::string sandbox_id;
  PrivilegeFacts privilege;
};

class ExecTargetResolver {
 public:
  virtual ~ExecTargetResolver() = default;
  // kNotFound naming what is missing: no ready pod of that name (and uid), or no running
  // container of that name in it.
  virtual Result<ExecTarget> Resolve(const PodContainerRef& ref) = 0;
};

}  // namespace airlock::nodeapi
