#include "shim/oci/container_spec.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "shim/oci/capabilities.h"
#include "shim/oci/container_mounts.h"
#include "shim/oci/devices.h"
#include "shim/oci/seccomp_profile.h"
#include "shim/oci/spec_parts.h"
#include "shim/oci/user_lookup.h"

namespace airlock::oci {
namespace {

using nlohmann::json;
using runtime::v1::NamespaceMode;

constexpr const char* kOp = "validate container config";
constexpr const char* kSc = "linux.security_context";
constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Docker's rule, which containerd and CRI-O follow: a CRI command replaces the image
// Entrypoint (and then the image Cmd is dropped too); CRI args replace the image Cmd.
Result<std::vector<std::string>> ProcessArgs(const runtime::v1::ContainerConfig& cfg,
                                             const ImageConfig& image) {
  std::vector<std::string> command(cfg.command().begin(), cfg.command().end());
  std::vector<std::string> args(cfg.args().begin(), cfg.args().end());
  if (command.empty()) {
    if (args.empty()) args = image.cmd;
    // An Entrypoint of [""] is how an image says "no entrypoint".
    if (!(image.entrypoint.size() == 1 && image.entrypoint[0].empty())) command = image.entrypoint;
  }
  command.insert(command.end(), args.begin(), args.end());
  if (command.empty())
    return InvalidField(kOp, "no command: command, args and the image's Entrypoint/Cmd are empty");
  for (size_t i = 0; i < command.size(); ++i) {
    if (command[i].find('\0') != std::string::npos)
      return InvalidField(kOp, "command/args element " + std::to_string(i) + " holds a NUL byte");
  }
  return command;
}

// Ordered environment where a later definition of a key replaces the earlier value in place.
class Environment {
 public:
  void Set(const std::string& key, const std::string& value) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      entries_[it->second] = key + "=" + value;
      return;
    }
    index_[key] = entries_.size();
    entries_.push_back(key + "=" + value);
  }
  void SetEntry(const std::string& entry) {
    auto eq = entry.find('=');
    if (eq == std::string::npos) return;  // "KEY" alone means nothing without a value here
    Set(entry.substr(0, eq), entry.substr(eq + 1));
  }
  const std::vector<std::string>& entries() const { return entries_; }

 private:
  std::vector<std::string> entries_;
  std::map<std::string, size_t> index_;
};

Result<std::vector<std::string>> BuildEnv(const ContainerSpecInput& in) {
  Environment env;
  env.SetEntry(kDefaultPath);
  if (!in.sandbox_config.hostname().empty()) env.Set("HOSTNAME", in.sandbox_config.hostname());
  if (in.config.tty()) env.Set("TERM", "xterm");
  for (const auto& e : in.image.env) env.SetEntry(e);
  for (int i = 0; i < in.config.envs_size(); ++i) {
    const auto& kv = in.config.envs(i);
    std::string where = "envs[" + std::to_string(i) + "]";
    if (kv.key().empty()) return InvalidField(kOp, where + ".key is empty");
    if (kv.key().find('=') != std::string::npos || kv.key().find('\0') != std::string::npos)
      return InvalidField(kOp, where + ".key \"" + kv.key() + "\" holds '=' or a NUL byte");
    // value is proto bytes: any byte but NUL survives execve.
    if (kv.value().find('\0') != std::string::npos)
      return InvalidField(kOp, where + ".value holds a NUL byte");
    env.Set(kv.key(), ToValidUtf8(kv.value()));
  }
  return env.entries();
}

Result<json> BuildNamespaces(const ContainerSpecInput& in) {
  const auto& ns = in.config.linux().security_context().namespace_options();
  if (ns.has_userns_options() && ns.userns_options().mode() != runtime::v1::NODE) {
    return MakeError(ErrorCode::kUnimplemented,
                     std::string(kOp) + ": " + kSc +
                         ".namespace_options.userns_options: user namespaces are not supported");
  }
  bool needs_sandbox = ns.pid() == runtime::v1::POD || ns.network() != runtime::v1::NODE ||
                       ns.ipc() != runtime::v1::NODE;
  if (needs_sandbox && in.sandbox_pid <= 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "build container spec: the sandbox infra pid is unknown");
  }
  json out = json::array();
  switch (ns.pid()) {
    case runtime::v1::POD:
      out.push_back(Namespace("pid", NamespacePath(in.sandbox_pid, "pid")));
      break;
    case runtime::v1::CONTAINER:
      out.push_back(Namespace("pid"));
      break;
    case runtime::v1::TARGET:
      if (in.target_pid <= 0) {
        return InvalidField(kOp, std::string(kSc) + ".namespace_options.target_id \"" +
                                     ns.target_id() + "\" has no running init process");
      }
      out.push_back(Namespace("pid", NamespacePath(in.target_pid, "pid")));
      break;
    case runtime::v1::NODE:
      break;
    default:
      return InvalidField(kOp, std::string(kSc) + ".namespace_options.pid is unknown");
  }
  // Host network also means the host's UTS namespace (hostname), as in the peers.
  if (ns.network() != runtime::v1::NODE) {
    out.push_back(Namespace("network", NamespacePath(in.sandbox_pid, "net")));
  }
  if (ns.ipc() != runtime::v1::NODE) {
    out.push_back(Namespace("ipc", NamespacePath(in.sandbox_pid, "ipc")));
  }
  if (ns.network() != runtime::v1::NODE) {
    out.push_back(Namespace("uts", NamespacePath(in.sandbox_pid, "uts")));
  }
  out.push_back(Namespace("mount"));
  return out;
}

Result<json> PathList(const google::protobuf::RepeatedPtrField<std::string>& given,
                      const std::vector<std::string>& defaults, const std::string& field) {
  if (given.empty()) return json(defaults);
  json out = json::array();
  for (int i = 0; i < given.size(); ++i) {
    if (!IsCleanAbsolutePath(given[i])) {
      return InvalidField(
          kOp, field + "[" + std::to_string(i) + "] \"" + given[i] + "\" is not absolute");
    }
    out.push_back(given[i]);
  }
  return out;
}

Result<std::optional<std::string>> AppArmorProfile(const ContainerSpecInput& in) {
  const auto& sc = in.config.linux().security_context();
  if (sc.privileged()) return std::optional<std::string>();
  std::string localhost;
  if (sc.has_apparmor()) {
    if (sc.apparmor().profile_type() == runtime::v1::SecurityProfile::Localhost)
      localhost = sc.apparmor().localhost_ref();
  } else if (std::string old = DeprecatedAppArmorProfile(sc); old.rfind("localhost/", 0) == 0) {
    localhost = old.substr(10);
  }
  if (localhost.empty()) return std::optional<std::string>();  // no profile shipped for default
  if (!in.host.apparmor_enabled) {
    return InvalidField(kOp, std::string(kSc) + ".apparmor: profile \"" + localhost +
                                 "\" requested but AppArmor is not enabled on this host");
  }
  return std::optional<std::string>(localhost);
}

}  // namespace

Result<json> BuildContainerSpec(const ContainerSpecInput& in) {
  const auto& cfg = in.config;
  const auto& sc = cfg.linux().security_context();
  const bool privileged = sc.privileged();

  if (in.container_id.empty()) return InvalidField(kOp, "container id is empty");
  if (!IsCleanAbsolutePath(in.rootfs_path))
    return InvalidField(kOp, "rootfs path \"" + in.rootfs_path + "\" is not absolute");
  if (privileged && !in.sandbox_config.linux().security_context().privileged()) {
    return InvalidField(
        kOp, std::string(kSc) + ".privileged is set but the pod sandbox is not privileged");
  }

  auto args = ProcessArgs(cfg, in.image);
  if (!args.ok()) return args.error();
  auto env = BuildEnv(in);
  if (!env.ok()) return env.error();

  std::string cwd = !cfg.working_dir().empty()      ? cfg.working_dir()
                    : !in.image.working_dir.empty() ? in.image.working_dir
                                                    : "/";
  if (cwd.front() != '/') return InvalidField(kOp, "working_dir \"" + cwd + "\" is not absolute");

  // User.
  if (sc.has_run_as_group() && !sc.has_run_as_user() && sc.run_as_username().empty()) {
    return InvalidField(
        kOp, std::string(kSc) + ".run_as_group is set without run_as_user or run_as_username");
  }
  UserRequest req;
  if (sc.has_run_as_user()) req.uid = sc.run_as_user().value();
  if (sc.has_run_as_group()) req.gid = sc.run_as_group().value();
  req.username = sc.run_as_username();
  req.image_user = in.image.user;
  req.supplemental_groups.assign(sc.supplemental_groups().begin(), sc.supplemental_groups().end());
  req.merge_image_groups = sc.supplemental_groups_policy() == runtime::v1::Merge;
  auto user = ResolveUser(in.rootfs_path, req);
  if (!user.ok()) return user.error().Wrap(kOp);

  // Capabilities.
  const std::vector<std::string> grantable =
      in.host.grantable_capabilities.empty() ? KnownCapabilities() : in.host.grantable_capabilities;
  std::vector<std::string> caps;
  if (privileged) {
    caps = grantable;
  } else {
    auto computed =
        ComputeCapabilities(sc.capabilities(), grantable, std::string(kSc) + ".capabilities");
    if (!computed.ok()) return computed.error().Wrap(kOp);
    caps = std::move(*computed);
  }
  std::vector<std::string> ambient;
  for (int i = 0; i < sc.capabilities().add_ambient_capabilities_size(); ++i) {
    std::string where =
        std::string(kSc) + ".capabilities.add_ambient_capabilities[" + std::to_string(i) + "]";
    auto cap = NormalizeCapability(sc.capabilities().add_ambient_capabilities(i));
    if (!cap.ok()) return cap.error().Wrap(std::string(kOp) + ": " + where);
    if (!HasCapability(caps, *cap))
      return InvalidField(kOp, where + ": " + *cap + " is not in the container's capability set");
    if (!HasCapability(ambient, *cap)) ambient.push_back(*cap);
  }

  json process = {
      {"terminal", cfg.tty()},
      {"user", {{"uid", user->uid}, {"gid", user->gid}}},
      {"args", *args},
      {"env", *env},
      {"cwd", cwd},
      {"capabilities", CapabilitiesBlock(caps, ambient)},
      {"noNewPrivileges", sc.no_new_privs()},
  };
  if (!user->additional_gids.empty()) process["user"]["additionalGids"] = user->additional_gids;
  auto apparmor = AppArmorProfile(in);
  if (!apparmor.ok()) return apparmor.error();
  if (apparmor->has_value()) process["apparmorProfile"] = **apparmor;

  // Linux.
  json linux = json::object();
  auto namespaces = BuildNamespaces(in);
  if (!namespaces.ok()) return namespaces.error();
  linux["namespaces"] = std::move(*namespaces);

  json resources = json::object();
  if (cfg.linux().has_resources()) {
    const auto& r = cfg.linux().resources();
    auto converted = ResourcesToOci(r, in.host, "linux.resources");
    if (!converted.ok()) return converted.error();
    resources = std::move(*converted);
    if (r.oom_score_adj() < -1000 || r.oom_score_adj() > 1000) {
      return InvalidField(kOp, "linux.resources.oom_score_adj " +
                                   std::to_string(r.oom_score_adj()) + " is not in [-1000, 1000]");
    }
    process["oomScoreAdj"] = std::max(r.oom_score_adj(), in.host.min_oom_score_adj);
  }
  auto devices = BuildDevices(cfg, privileged);
  if (!devices.ok()) return devices.error();
  resources["devices"] = std::move(devices->cgroup_rules);
  linux["resources"] = std::move(resources);
  if (!devices->devices.empty()) linux["devices"] = std::move(devices->devices);
  if (!in.cgroups_path.empty()) linux["cgroupsPath"] = in.cgroups_path;

  // Privileged containers see the host's /proc and /sys as they are (peers do the same).
  if (!privileged) {
    auto masked =
        PathList(sc.masked_paths(), DefaultMaskedPaths(), std::string(kSc) + ".masked_paths");
    if (!masked.ok()) return masked.error();
    auto readonly =
        PathList(sc.readonly_paths(), DefaultReadonlyPaths(), std::string(kSc) + ".readonly_paths");
    if (!readonly.ok()) return readonly.error();
    linux["maskedPaths"] = std::move(*masked);
    linux["readonlyPaths"] = std::move(*readonly);

    auto selection = SelectSeccomp(sc.has_seccomp() ? &sc.seccomp() : nullptr,
                                   DeprecatedSeccompPath(sc), SeccompKind::kUnconfined, kSc);
    if (!selection.ok()) return selection.error().Wrap(kOp);
    auto seccomp = SeccompForProcess(*selection, in.seccomp_profile_path, caps);
    if (!seccomp.ok()) return seccomp.error().Wrap("build container spec");
    if (seccomp->has_value()) linux["seccomp"] = std::move(**seccomp);
  }

  auto mounts = BuildContainerMounts(in, privileged, sc.readonly_rootfs());
  if (!mounts.ok()) return mounts.error();
  if (!mounts->rootfs_propagation.empty()) linux["rootfsPropagation"] = mounts->rootfs_propagation;

  // CRI annotations first so that ours, which tools rely on, cannot be spoofed by a pod.
  json annotations = json::object();
  for (const auto& [k, v] : cfg.annotations()) annotations[k] = v;
  annotations[kAnnotationContainerType] = "container";
  annotations[kAnnotationContainerName] = cfg.metadata().name();
  annotations[kAnnotationImageName] = in.image_name.empty() ? cfg.image().image() : in.image_name;
  AddSandboxAnnotations(in.sandbox_id, in.sandbox_config, &annotations);

  return json{
      {"ociVersion", kOciVersion},
      {"process", std::move(process)},
      {"root", {{"path", in.rootfs_path}, {"readonly", sc.readonly_rootfs()}}},
      {"mounts", std::move(mounts->mounts)},
      {"annotations", std::move(annotations)},
      {"linux", std::move(linux)},
  };
}

}  // namespace airlock::oci
