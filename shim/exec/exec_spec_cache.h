// The container half of an exec spec (user, caps, seccomp BPF, env, cwd...) parsed from the
// container's config.json once and reused: kubelet probes exec into the same containers
// every few seconds, and compiling a seccomp filter is the expensive part.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "nsenter/exec_spec.h"
#include "shim/base/result.h"

namespace airlock {

class ExecSpecCache {
 public:
  explicit ExecSpecCache(size_t capacity = 1024) : capacity_(capacity) {}

  // Keyed by container id and init start time, so a re-created container never gets a
  // stale spec.
  Result<std::shared_ptr<const nsenter::ExecSpec>> Get(const std::string& container_id,
                                                       uint64_t start_time,
                                                       const std::string& config_path);

 private:
  using Key = std::pair<std::string, uint64_t>;
  std::mutex mu_;
  size_t capacity_;
  uint64_t tick_ = 0;
  std::map<Key, std::pair<uint64_t, std::shared_ptr<const nsenter::ExecSpec>>> entries_;
};

}  // namespace airlock
