// Inputs of the OCI spec builders: the CRI configs plus the facts only the caller knows
// (paths it prepared, pids of running processes, what this host supports).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/cri_api.h"
#include "shim/image/image_config.h"

namespace airlock::oci {

// What the host and the daemon can do; decided once at startup.
struct HostFeatures {
  // Capabilities the daemon holds and so can grant (CurrentProcessCapabilities()). Empty means
  // every known capability. Privileged containers and "ALL" get exactly this set.
  std::vector<std::string> grantable_capabilities;
  bool cgroup_v2 = false;         // linux.resources.unified is only valid on cgroup v2
  bool apparmor_enabled = false;  // without AppArmor only Localhost profiles are an error
  bool systemd_cgroup = false;    // cgroupsPath in "slice:prefix:name" form (runc --systemd-cgroup)
  // Lowest oom_score_adj the runtime may set. Without CAP_SYS_RESOURCE the kernel refuses to
  // lower it below the daemon's own value, and runc then fails the whole container; kubelet
  // sends negative values for Guaranteed pods, so we raise them to this floor instead.
  int64_t min_oom_score_adj = 0;
};

struct SandboxSpecInput {
  std::string sandbox_id;
  runtime::v1::PodSandboxConfig config;
  std::string rootfs_path;                         // empty directory, root of the infra process
  std::string pause_binary_path;                   // host path, bind-mounted read-only at /pause
  std::string default_cgroup_parent = "/airlock";  // used when config.linux.cgroup_parent is ""
  std::string seccomp_profile_path;                // the RuntimeDefault profile
  HostFeatures host;
};

struct ContainerSpecInput {
  std::string container_id;
  std::string sandbox_id;
  runtime::v1::ContainerConfig config;
  runtime::v1::PodSandboxConfig sandbox_config;
  ImageConfig image;
  std::string image_name;    // for the annotation; defaults to config.image.image
  std::string rootfs_path;   // already mounted by the caller (overlayfs)
  int sandbox_pid = 0;       // infra process: its net/ipc/uts (and pid for POD)
  int target_pid = 0;        // init pid of NamespaceOption.target_id (pid TARGET)
  std::string cgroups_path;  // see CgroupsPathFor()
  // Per-sandbox files bind-mounted over the image's, when the caller made them.
  std::string hostname_path;
  std::string resolv_conf_path;
  std::string hosts_path;
  std::string shm_path;              // the pod's /dev/shm (shared with the IPC namespace)
  std::string seccomp_profile_path;  // the RuntimeDefault profile
  HostFeatures host;
};

}  // namespace airlock::oci
