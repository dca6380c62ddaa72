// BuildSandboxSpec: the OCI runtime config.json of a pod's infra (pause) process, the holder
// of the pod's network, IPC, UTS and (shared) PID namespaces.
#pragma once

#include <nlohmann/json.hpp>

#include "shim/base/result.h"
#include "shim/oci/spec_input.h"

namespace airlock::oci {

// The pause binary from the host is bind-mounted read-only at /pause on an empty, read-only
// rootfs; the process runs with no capabilities, no_new_privs and the runtime-default seccomp
// profile (unless the pod is privileged or asks otherwise). Errors: kInvalidArgument naming
// the field (e.g. a net.* sysctl with host networking).
Result<nlohmann::json> BuildSandboxSpec(const SandboxSpecInput& in);

// True when `key` is a sysctl the kernel keeps per namespace (runc refuses others):
// IPC ones need an IPC namespace, net.* a network namespace, kernel.hostname/domainname a UTS one.
bool IsNamespacedSysctl(const std::string& key);

}  // namespace airlock::oci
