// BuildContainerSpec: the OCI runtime config.json of one application container, from its CRI
// ContainerConfig, the pod's PodSandboxConfig, the image config and what the caller prepared.
// Pure apart from reading the rootfs' /etc/passwd and /etc/group, stat()ing CRI devices and
// reading seccomp profiles.
#pragma once

#include <nlohmann/json.hpp>

#include "shim/base/result.h"
#include "shim/oci/spec_input.h"

namespace airlock::oci {

// Errors: kInvalidArgument naming the field ("validate container config: mounts[2]...");
// kUnimplemented for features airlock does not have (user namespaces, image volumes);
// kFailedPrecondition when the caller's input is incomplete (no sandbox pid, no default
// seccomp profile).
Result<nlohmann::json> BuildContainerSpec(const ContainerSpecInput& in);

}  // namespace airlock::oci
