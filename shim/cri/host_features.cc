#include "shim/cri/host_features.h"

#include <linux/magic.h>
#include <sys/statfs.h>

#include <algorithm>

#include "shim/base/file_util.h"
#include "shim/oci/capabilities.h"

namespace airlock {

oci::HostFeatures DetectHostFeatures() {
  oci::HostFeatures host;
  auto caps = oci::CurrentProcessCapabilities();
  if (caps.ok()) host.grantable_capabilities = *caps;
  struct statfs fs;
  host.cgroup_v2 = ::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
  auto apparmor = ReadFile("/sys/module/apparmor/parameters/enabled", 16);
  host.apparmor_enabled = apparmor.ok() && !apparmor->empty() && (*apparmor)[0] == 'Y';
  // Lowering oom_score_adj below our own value needs CAP_SYS_RESOURCE; without it runc
  // fails the whole container, so the floor is our own value.
  bool can_lower =
      caps.ok() && std::find(caps->begin(), caps->end(), "CAP_SYS_RESOURCE") != caps->end();
  if (can_lower) {
    host.min_oom_score_adj = -1000;
  } else {
    auto own = ReadFile("/proc/self/oom_score_adj", 32);
    host.min_oom_score_adj = own.ok() ? std::atoll(own->c_str()) : 0;
  }
  return host;
}

}  // namespace airlock
