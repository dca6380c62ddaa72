// What airlockd remembers about each pod sandbox and container. Records are persisted
// (StateStore) so that a restarted airlockd finds its pods and containers again; the
// live facts (running or exited, exit code) are read from the monitor's files instead.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>

#include "proto/cri_api.h"
#include "shim/base/result.h"

namespace airlock {

struct SandboxRecord {
  std::string id;
  runtime::v1::PodSandboxConfig config;
  std::string runtime_handler;
  int64_t created_at = 0;       // ns since epoch
  bool stopped = false;         // StopPodSandbox was called (or the infra process died)
  pid_t pid = 0;                // infra (pause) process, host pid
  uint64_t pid_start_time = 0;  // /proc/<pid>/stat field 22, pins `pid` against reuse
  std::string bundle_dir;       // volatile: config.json, rootfs, hostname, resolv.conf
  std::string state_dir;        // volatile: monitor files

  // Serialises lifecycle operations on this sandbox (not persisted).
  std::mutex op_mu;
};

struct ContainerRecord {
  std::string id;
  std::string sandbox_id;
  runtime::v1::ContainerConfig config;
  std::string image_id;    // "sha256:..." of the image the rootfs was built from
  std::string image_name;  // the reference the caller gave (ContainerConfig.image.image)
  int64_t created_at = 0;
  int64_t started_at = 0;  // 0 until StartContainer succeeded
  std::string log_path;    // absolute, "" when the pod has no log directory
  pid_t pid = 0;           // init process, host pid
  uint64_t pid_start_time = 0;
  bool privileged = false;  // the exec policy (issue #6) gates on this
  std::string bundle_dir;   // volatile: config.json, rootfs mount point
  std::string state_dir;    // volatile: monitor files (pid, exit, ctl)
  std::string layer_dir;    // persistent: overlay upper/ and work/

  std::mutex op_mu;
};

// JSON encodings used by the StateStore; the proto parts go through protobuf's JSON mapping.
std::string EncodeSandbox(const SandboxRecord& r);
Status DecodeSandbox(const std::string& json, SandboxRecord* r);
std::string EncodeContainer(const ContainerRecord& r);
Status DecodeContainer(const std::string& json, ContainerRecord* r);

}  // namespace airlock
