#include "shim/oci/devices.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <string>

#include "shim/oci/spec_parts.h"

namespace airlock::oci {

using nlohmann::json;

Result<DevicePlan> BuildDevices(const runtime::v1::ContainerConfig& config, bool privileged) {
  constexpr const char* kOp = "validate container config";
  DevicePlan plan;
  plan.cgroup_rules.push_back({{"allow", privileged}, {"access", "rwm"}});
  for (int i = 0; i < config.devices_size(); ++i) {
    const auto& d = config.devices(i);
    std::string where = "devices[" + std::to_string(i) + "]";
    if (!IsCleanAbsolutePath(d.host_path()))
      return InvalidField(kOp, where + ".host_path \"" + d.host_path() + "\" is not absolute");
    std::string container_path = d.container_path().empty() ? d.host_path() : d.container_path();
    if (!IsCleanAbsolutePath(container_path)) {
      return InvalidField(kOp,
                          where + ".container_path \"" + container_path + "\" is not absolute");
    }
    std::string access = d.permissions().empty() ? "rwm" : d.permissions();
    if (access.find_first_not_of("rwm") != std::string::npos) {
      return InvalidField(
          kOp, where + ".permissions \"" + d.permissions() + "\" is not a subset of \"rwm\"");
    }
    struct stat st = {};
    if (::stat(d.host_path().c_str(), &st) != 0) {
      int err = errno;
      Error e = ErrnoError("stat " + where + ".host_path " + d.host_path(), err);
      e.code = err == ENOENT ? ErrorCode::kInvalidArgument : ErrorCode::kInternal;
      return e;
    }
    std::string type;
    if (S_ISCHR(st.st_mode)) {
      type = "c";
    } else if (S_ISBLK(st.st_mode)) {
      type = "b";
    } else {
      // containerd expands directories to the devices inside; not needed yet, so say so.
      return InvalidField(
          kOp, where + ".host_path \"" + d.host_path() + "\" is not a character or block device");
    }
    int64_t major_num = major(st.st_rdev);
    int64_t minor_num = minor(st.st_rdev);
    plan.devices.push_back({{"path", container_path},
                            {"type", type},
                            {"major", major_num},
                            {"minor", minor_num},
                            {"fileMode", st.st_mode & 07777},
                            {"uid", st.st_uid},
                            {"gid", st.st_gid}});
    if (!privileged) {
      plan.cgroup_rules.push_back({{"allow", true},
                                   {"type", type},
                                   {"major", major_num},
                                   {"minor", minor_num},
                                   {"access", access}});
    }
  }
  return plan;
}

}  // namespace airlock::oci
