// The mount list of a container: runtime defaults, the per-sandbox /etc files and /dev/shm,
// then the CRI mounts (validated, converted to OCI bind mounts, parents before children).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "shim/base/result.h"
#include "shim/oci/spec_input.h"

namespace airlock::oci {

struct MountPlan {
  nlohmann::json mounts = nlohmann::json::array();
  std::string rootfs_propagation;  // "rshared"/"rslave" when a CRI mount needs it, else ""
};

// Errors are kInvalidArgument naming the field, e.g. `mounts[2].container_path "x" is not
// absolute`; image volumes and id-mapped mounts are kUnimplemented.
Result<MountPlan> BuildContainerMounts(const ContainerSpecInput& in, bool privileged,
                                       bool readonly_rootfs);

}  // namespace airlock::oci
