#include "shim/oci/container_mounts.h"

#include <algorithm>
#include <set>
#include <vector>

#include "shim/oci/spec_parts.h"

namespace airlock::oci {
namespace {

using nlohmann::json;
using runtime::v1::Mount;

constexpr const char* kOp = "validate container config";

// Per-mount flags a pod may add; anything else could change what the bind mount means.
const std::set<std::string>& AllowedMountOptions() {
  static const std::set<std::string> kAllowed = {"noexec",      "nosuid",    "nodev",
                                                 "noatime",     "relatime",  "nodiratime",
                                                 "strictatime", "norelatime"};
  return kAllowed;
}

size_t Depth(const std::string& path) {
  return static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
}

std::string Clean(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool IsUnder(const std::string& path, const std::string& dir) {
  if (path == dir) return true;
  if (dir == "/") return true;
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

const char* PropagationOption(runtime::v1::MountPropagation p) {
  switch (p) {
    case runtime::v1::PROPAGATION_HOST_TO_CONTAINER:
      return "rslave";
    case runtime::v1::PROPAGATION_BIDIRECTIONAL:
      return "rshared";
    default:
      return "rprivate";
  }
}

Result<json> ConvertMount(const Mount& m, size_t index) {
  std::string where = "mounts[" + std::to_string(index) + "]";
  if (!IsCleanAbsolutePath(Clean(m.container_path()))) {
    return InvalidField(kOp,
                        where + ".container_path \"" + m.container_path() + "\" is not absolute");
  }
  if (m.has_image() && !m.image().image().empty()) {
    return MakeError(ErrorCode::kUnimplemented,
                     std::string(kOp) + ": " + where + ".image: image volumes are not supported");
  }
  if (m.uidmappings_size() > 0 || m.gidmappings_size() > 0) {
    return MakeError(ErrorCode::kUnimplemented,
                     std::string(kOp) + ": " + where + ": id-mapped mounts are not supported");
  }
  if (!IsCleanAbsolutePath(Clean(m.host_path()))) {
    return InvalidField(kOp, where + ".host_path \"" + m.host_path() + "\" is not absolute");
  }
  if (m.propagation() < runtime::v1::PROPAGATION_PRIVATE ||
      m.propagation() > runtime::v1::PROPAGATION_BIDIRECTIONAL) {
    return InvalidField(kOp,
                        where + ".propagation " + std::to_string(m.propagation()) + " is unknown");
  }
  if (m.recursive_read_only()) {
    if (!m.readonly()) return InvalidField(kOp, where + ".recursive_read_only needs readonly");
    if (m.propagation() != runtime::v1::PROPAGATION_PRIVATE)
      return InvalidField(kOp, where + ".recursive_read_only needs PROPAGATION_PRIVATE");
  }
  // selinux_relabel is ignored: this runtime does not label (no SELinux support).
  json mount = BindMount(Clean(m.container_path()), Clean(m.host_path()), m.readonly(),
                         PropagationOption(m.propagation()));
  if (m.recursive_read_only()) mount["options"].push_back("rro");
  for (int j = 0; j < m.mount_options_size(); ++j) {
    const std::string& opt = m.mount_options(j);
    if (!AllowedMountOptions().count(opt)) {
      return InvalidField(kOp, where + ".mount_options[" + std::to_string(j) + "] \"" + opt +
                                   "\" is not one of noexec, nosuid, nodev, noatime, relatime, "
                                   "nodiratime, strictatime, norelatime");
    }
    mount["options"].push_back(opt);
  }
  return mount;
}

}  // namespace

Result<MountPlan> BuildContainerMounts(const ContainerSpecInput& in, bool privileged,
                                       bool readonly_rootfs) {
  MountPlan plan;
  const auto& cri = in.config.mounts();

  std::vector<json> user;
  std::vector<std::string> user_destinations;
  bool any_shared = false;
  bool any_slave = false;
  for (int i = 0; i < cri.size(); ++i) {
    auto m = ConvertMount(cri[i], static_cast<size_t>(i));
    if (!m.ok()) return m.error();
    user_destinations.push_back((*m)["destination"].get<std::string>());
    user.push_back(std::move(*m));
    any_shared |= cri[i].propagation() == runtime::v1::PROPAGATION_BIDIRECTIONAL;
    any_slave |= cri[i].propagation() == runtime::v1::PROPAGATION_HOST_TO_CONTAINER;
  }
  // Parents before children, otherwise a later parent mount would hide a child mount.
  std::stable_sort(user.begin(), user.end(), [](const json& a, const json& b) {
    return Depth(a["destination"].get<std::string>()) < Depth(b["destination"].get<std::string>());
  });
  // Mount events must reach the host (rshared) or the container (rslave) through the rootfs
  // mount too, or the per-mount propagation has no effect.
  if (any_shared) {
    plan.rootfs_propagation = "rshared";
  } else if (any_slave) {
    plan.rootfs_propagation = "rslave";
  }

  auto user_covers = [&](const std::string& dest) {
    return std::any_of(user_destinations.begin(), user_destinations.end(),
                       [&](const std::string& u) { return IsUnder(dest, u); });
  };

  for (json& m : DefaultMounts(privileged)) {
    std::string dest = m["destination"].get<std::string>();
    if (user_covers(dest)) continue;
    if (dest == "/dev/shm" && !in.shm_path.empty()) {
      plan.mounts.push_back(BindMount("/dev/shm", in.shm_path, false));
      continue;
    }
    plan.mounts.push_back(std::move(m));
  }
  const std::pair<const char*, const std::string*> etc_files[] = {
      {"/etc/hostname", &in.hostname_path},
      {"/etc/resolv.conf", &in.resolv_conf_path},
      {"/etc/hosts", &in.hosts_path},
  };
  for (const auto& [dest, source] : etc_files) {
    if (source->empty() || user_covers(dest)) continue;
    plan.mounts.push_back(BindMount(dest, *source, readonly_rootfs));
  }
  for (json& m : user) plan.mounts.push_back(std::move(m));
  return plan;
}

}  // namespace airlock::oci
