// SeccompProgram: a container's OCI `linux.seccomp` profile compiled to classic BPF on the
// host with libseccomp, once per container. The exec child only hands the bytes to the
// raw seccomp(2) syscall: no libseccomp code runs after fork (it allocates).
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "shim/base/result.h"

namespace airlock::nsenter {

class SeccompProgram {
 public:
  // `profile` is the OCI linux.seccomp object. Unknown syscall names are skipped (as runc
  // does: a profile lists syscalls of newer kernels); unknown actions, operators or
  // architectures are kInvalidArgument. SCMP_ACT_NOTIFY is rejected: nobody would listen.
  static Result<std::shared_ptr<const SeccompProgram>> Compile(const nlohmann::json& profile);

  const std::vector<sock_filter>& instructions() const { return instructions_; }
  // SECCOMP_FILTER_FLAG_* to pass to seccomp(2) (from the profile's "flags").
  unsigned int flags() const { return flags_; }

  // A sock_fprog pointing into this object; valid while it lives. Built before fork.
  sock_fprog fprog() const {
    return sock_fprog{static_cast<unsigned short>(instructions_.size()),
                      const_cast<sock_filter*>(instructions_.data())};
  }

 private:
  SeccompProgram(std::vector<sock_filter> instructions, unsigned int flags)
      : instructions_(std::move(instructions)), flags_(flags) {}

  std::vector<sock_filter> instructions_;
  unsigned int flags_ = 0;
};

}  // namespace airlock::nsenter
