// Reserved names, as the kubelet expects them to be unique: a second RunPodSandbox or
// CreateContainer with the same metadata (and attempt) fails until the first is removed.
#pragma once

#include <string>

#include "proto/cri_api.h"

namespace airlock {

inline std::string SandboxName(const runtime::v1::PodSandboxMetadata& pod) {
  return pod.name() + "_" + pod.namespace_() + "_" + pod.uid() + "_" +
         std::to_string(pod.attempt());
}

inline std::string ContainerName(const runtime::v1::ContainerMetadata& c,
                                 const runtime::v1::PodSandboxMetadata& pod) {
  return c.name() + "_" + pod.name() + "_" + pod.namespace_() + "_" + pod.uid() + "_" +
         std::to_string(c.attempt());
}

}  // namespace airlock
