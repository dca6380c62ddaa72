// CRI devices -> OCI linux.devices (the node runc creates) plus the device-cgroup rule that
// lets the container use it. The host node is stat()ed for its type and numbers.
#pragma once

#include <nlohmann/json.hpp>

#include "proto/cri_api.h"
#include "shim/base/result.h"

namespace airlock::oci {

struct DevicePlan {
  nlohmann::json devices = nlohmann::json::array();       // linux.devices
  nlohmann::json cgroup_rules = nlohmann::json::array();  // linux.resources.devices
};

// Rules start with "deny all" (runc appends its own defaults: null, zero, full, tty, random,
// urandom, ptmx, pts). Privileged containers may use every device ("allow all"); no host
// device nodes are copied into their /dev — only the CRI-listed ones are created.
Result<DevicePlan> BuildDevices(const runtime::v1::ContainerConfig& config, bool privileged);

}  // namespace airlock::oci
