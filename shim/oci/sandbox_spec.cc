#include "shim/oci/sandbox_spec.h"

#include <set>

#include "shim/oci/seccomp_profile.h"
#include "shim/oci/spec_parts.h"

namespace airlock::oci {
namespace {

using nlohmann::json;

constexpr const char* kOp = "validate sandbox config";
constexpr const char* kSc = "linux.security_context";

enum class SysctlNamespace { kNone, kIpc, kNet, kUts };

SysctlNamespace SysctlOwner(const std::string& key) {
  static const std::set<std::string> kIpc = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  if (kIpc.count(key) || key.rfind("fs.mqueue.", 0) == 0) return SysctlNamespace::kIpc;
  if (key.rfind("net.", 0) == 0) return SysctlNamespace::kNet;
  if (key == "kernel.hostname" || key == "kernel.domainname") return SysctlNamespace::kUts;
  return SysctlNamespace::kNone;
}

Result<json> Sysctls(const SandboxSpecInput& in) {
  const auto& ns = in.config.linux().security_context().namespace_options();
  const bool host_net = ns.network() == runtime::v1::NODE;
  const bool host_ipc = ns.ipc() == runtime::v1::NODE;
  json out = json::object();
  for (const auto& [key, value] : in.config.linux().sysctls()) {
    std::string where = "linux.sysctls[\"" + key + "\"]";
    switch (SysctlOwner(key)) {
      case SysctlNamespace::kNone:
        return InvalidField(kOp, where + ": not a namespaced sysctl");
      case SysctlNamespace::kIpc:
        if (host_ipc) return InvalidField(kOp, where + ": not allowed with host IPC");
        break;
      case SysctlNamespace::kNet:
      case SysctlNamespace::kUts:
        if (host_net) return InvalidField(kOp, where + ": not allowed with host network");
        break;
    }
    out[key] = value;
  }
  return out;
}

Result<json> User(const runtime::v1::LinuxSandboxSecurityContext& sc) {
  // The rootfs is empty, so only numeric ids make sense for the infra process.
  if (sc.has_run_as_group() && !sc.has_run_as_user())
    return InvalidField(kOp, std::string(kSc) + ".run_as_group is set without run_as_user");
  json user = {{"uid", 0}, {"gid", 0}};
  auto check = [](int64_t v, const std::string& field) -> Result<int64_t> {
    if (v < 0 || v > 0xFFFFFFFE)
      return InvalidField(kOp, field + " " + std::to_string(v) + " is out of range");
    return v;
  };
  if (sc.has_run_as_user()) {
    auto uid = check(sc.run_as_user().value(), std::string(kSc) + ".run_as_user");
    if (!uid.ok()) return uid.error();
    user["uid"] = *uid;
  }
  if (sc.has_run_as_group()) {
    auto gid = check(sc.run_as_group().value(), std::string(kSc) + ".run_as_group");
    if (!gid.ok()) return gid.error();
    user["gid"] = *gid;
  }
  json groups = json::array();
  for (int i = 0; i < sc.supplemental_groups_size(); ++i) {
    auto gid = check(sc.supplemental_groups(i),
                     std::string(kSc) + ".supplemental_groups[" + std::to_string(i) + "]");
    if (!gid.ok()) return gid.error();
    groups.push_back(*gid);
  }
  if (!groups.empty()) user["additionalGids"] = groups;
  return user;
}

}  // namespace

bool IsNamespacedSysctl(const std::string& key) {
  return SysctlOwner(key) != SysctlNamespace::kNone;
}

Result<json> BuildSandboxSpec(const SandboxSpecInput& in) {
  const auto& linux_cfg = in.config.linux();
  const auto& sc = linux_cfg.security_context();
  const auto& ns = sc.namespace_options();

  if (in.sandbox_id.empty()) return InvalidField(kOp, "sandbox id is empty");
  if (!IsCleanAbsolutePath(in.rootfs_path))
    return InvalidField(kOp, "rootfs path \"" + in.rootfs_path + "\" is not absolute");
  if (!IsCleanAbsolutePath(in.pause_binary_path))
    return InvalidField(kOp, "pause binary path \"" + in.pause_binary_path + "\" is not absolute");
  if (ns.has_userns_options() && ns.userns_options().mode() != runtime::v1::NODE) {
    return MakeError(ErrorCode::kUnimplemented,
                     std::string(kOp) + ": " + kSc +
                         ".namespace_options.userns_options: user namespaces are not supported");
  }

  auto user = User(sc);
  if (!user.ok()) return user.error();
  json process = {
      {"terminal", false},
      {"user", std::move(*user)},
      {"args", {"/pause"}},
      {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
      {"cwd", "/"},
      // pause only sleeps and reaps: it needs no capability at all.
      {"capabilities", CapabilitiesBlock({}, {})},
      {"noNewPrivileges", true},
  };

  const bool host_net = ns.network() == runtime::v1::NODE;
  json namespaces = json::array();
  if (ns.pid() != runtime::v1::NODE) namespaces.push_back(Namespace("pid"));
  if (!host_net) namespaces.push_back(Namespace("network"));
  if (ns.ipc() != runtime::v1::NODE) namespaces.push_back(Namespace("ipc"));
  // runc can only set a hostname in a UTS namespace of its own; host network keeps the
  // host's hostname, as with the peers.
  if (!host_net) namespaces.push_back(Namespace("uts"));
  namespaces.push_back(Namespace("mount"));

  auto sysctls = Sysctls(in);
  if (!sysctls.ok()) return sysctls.error();

  std::string parent =
      linux_cfg.cgroup_parent().empty() ? in.default_cgroup_parent : linux_cfg.cgroup_parent();
  json linux = {
      {"namespaces", std::move(namespaces)},
      {"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
      {"cgroupsPath", CgroupsPathFor(parent, in.sandbox_id, in.host.systemd_cgroup)},
      {"maskedPaths", DefaultMaskedPaths()},
      {"readonlyPaths", DefaultReadonlyPaths()},
  };
  if (!sysctls->empty()) linux["sysctl"] = std::move(*sysctls);

  if (!sc.privileged()) {
    // Unlike containers, an infra process without a stated profile gets the runtime default:
    // we know pause runs under it, and it is one less unfiltered process per pod.
    auto selection = SelectSeccomp(sc.has_seccomp() ? &sc.seccomp() : nullptr,
                                   DeprecatedSeccompPath(sc), SeccompKind::kRuntimeDefault, kSc);
    if (!selection.ok()) return selection.error().Wrap(kOp);
    auto seccomp = SeccompForProcess(*selection, in.seccomp_profile_path, {});
    if (!seccomp.ok()) return seccomp.error().Wrap("build sandbox spec");
    if (seccomp->has_value()) linux["seccomp"] = std::move(**seccomp);
  }

  json mounts = DefaultMounts(false);
  mounts.push_back(BindMount("/pause", in.pause_binary_path, true));

  json annotations = json::object();
  for (const auto& [k, v] : in.config.annotations()) annotations[k] = v;
  annotations[kAnnotationContainerType] = "sandbox";
  annotations[kAnnotationSandboxLogDir] = in.config.log_directory();
  AddSandboxAnnotations(in.sandbox_id, in.config, &annotations);

  json spec = {
      {"ociVersion", kOciVersion},
      {"process", std::move(process)},
      {"root", {{"path", in.rootfs_path}, {"readonly", true}}},
      {"mounts", std::move(mounts)},
      {"annotations", std::move(annotations)},
      {"linux", std::move(linux)},
  };
  if (!host_net && !in.config.hostname().empty()) spec["hostname"] = in.config.hostname();
  return spec;
}

}  // namespace airlock::oci
