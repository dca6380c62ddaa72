// Containers: create (rootfs + bundle + monitor + `runtime create`), start, stop, remove.
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>

#include "shim/base/file_util.h"
#include "shim/cri/ids.h"
#include "shim/cri/names.h"
#include "shim/cri/rootfs.h"
#include "shim/cri/runtime_manager.h"
#include "shim/image/image_store.h"
#include "shim/oci/container_spec.h"
#include "shim/oci/sandbox_spec.h"
#include "shim/oci/spec_parts.h"
#include "shim/runtime/oci_runtime.h"

namespace airlock {
namespace v1 = runtime::v1;

namespace {

Status ValidateContainerConfig(const v1::ContainerConfig& c) {
  if (c.metadata().name().empty())
    return MakeError(ErrorCode::kInvalidArgument, "config.metadata.name is required");
  if (c.image().image().empty())
    return MakeError(ErrorCode::kInvalidArgument, "config.image.image is required");
  if (!c.log_path().empty() && c.log_path()[0] == '/')
    return MakeError(
        ErrorCode::kInvalidArgument,
        "config.log_path \"" + c.log_path() + "\" must be relative to the pod's log_directory");
  if (c.log_path().find("..") != std::string::npos)
    return MakeError(ErrorCode::kInvalidArgument,
                     "config.log_path \"" + c.log_path() + "\" contains \"..\"");
  return Status::Ok();
}

// The signal StopContainer sends first: the CRI stop_signal, else the image's, else TERM.
int StopSignal(const v1::ContainerConfig& c, const std::string& image_signal) {
  if (c.stop_signal() != v1::RUNTIME_DEFAULT) {
    const std::string name = v1::Signal_Name(c.stop_signal());
    for (int sig = 1; sig < NSIG; ++sig)
      if (const char* abbrev = sigabbrev_np(sig); abbrev && name == std::string("SIG") + abbrev)
        return sig;
  }
  std::string s = image_signal;
  if (s.rfind("SIG", 0) == 0) s = s.substr(3);
  for (int sig = 1; sig < NSIG; ++sig)
    if (const char* abbrev = sigabbrev_np(sig); abbrev && s == abbrev) return sig;
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) {
    int n = std::atoi(s.c_str());
    if (n > 0 && n < NSIG) return n;
  }
  return SIGTERM;
}

}  // namespace

Result<std::string> RuntimeManager::CreateContainer(const std::string& sandbox_id,
                                                    const v1::ContainerConfig& config) {
  AIRLOCK_RETURN_IF_ERROR(ValidateContainerConfig(config));
  auto sandbox = FindSandbox(sandbox_id);
  if (!sandbox.ok()) return sandbox.error();
  SandboxRecord& sb = **sandbox;
  std::lock_guard<std::mutex> sandbox_lock(sb.op_mu);
  if (!SandboxReady(sb))
    return MakeError(ErrorCode::kFailedPrecondition, "pod sandbox " + sb.id + " is not ready");
  auto image = deps_.images->Resolve(config.image().image());
  if (!image.ok())
    return image.error().Wrap("config.image.image \"" + config.image().image() + "\"");

  auto id = NewId();
  if (!id.ok()) return id.error();
  const std::string name = ContainerName(config.metadata(), sb.config.metadata());
  AIRLOCK_RETURN_IF_ERROR(ReserveName(name, *id));

  auto rec = std::make_shared<ContainerRecord>();
  rec->id = *id;
  rec->sandbox_id = sb.id;
  rec->config = config;
  rec->image_id = image->id;
  rec->image_name = config.image().image();
  rec->created_at = deps_.clock->WallNanos();
  rec->privileged = config.linux().security_context().privileged();
  rec->bundle_dir = deps_.config->state + "/containers/" + *id;
  rec->state_dir = rec->bundle_dir + "/monitor";
  rec->layer_dir = deps_.config->root + "/containers/" + *id;
  if (!config.log_path().empty() && !sb.config.log_directory().empty())
    rec->log_path = sb.config.log_directory() + "/" + config.log_path();
  const std::string rootfs = rec->bundle_dir + "/rootfs";

  bool created = false;
  auto fail = [&](const Error& e) -> Error {
    // Nothing half-created stays behind: runtime state, mount, bundle, layer dir, name.
    if (created) (void)deps_.runtime->Delete(*id, /*force=*/true);
    (void)UnmountRootfs(rootfs);
    (void)RemoveTree(rec->bundle_dir);
    (void)RemoveTree(rec->layer_dir);
    ReleaseName(name);
    spdlog::warn("msg=\"CreateContainer failed\" name={} error=\"{}\"", name, e.message);
    return e;
  };

  if (Status st = MakeDirs(rec->state_dir, 0711); !st.ok()) return fail(st.error());
  if (!rec->log_path.empty()) {
    std::string dir = std::filesystem::path(rec->log_path).parent_path().string();
    if (Status st = MakeDirs(dir, 0755); !st.ok()) return fail(st.error());
  }
  if (Status st = MountRootfs(image->layer_dirs, rec->layer_dir, rootfs); !st.ok())
    return fail(st.error());

  oci::ContainerSpecInput in;
  in.container_id = *id;
  in.sandbox_id = sb.id;
  in.config = config;
  in.sandbox_config = sb.config;
  in.image = image->config;
  in.image_name = config.image().image();
  in.rootfs_path = rootfs;
  in.sandbox_pid = sb.pid;
  const std::string& pod_parent = sb.config.linux().cgroup_parent();
  in.cgroups_path =
      oci::CgroupsPathFor(pod_parent.empty() ? deps_.config->runtime.cgroup_parent : pod_parent,
                          *id, host_.systemd_cgroup);
  in.hostname_path = sb.bundle_dir + "/hostname";
  in.resolv_conf_path = sb.bundle_dir + "/resolv.conf";
  in.seccomp_profile_path = deps_.config->runtime.seccomp_profile;
  in.host = host_;
  const auto& ns = config.linux().security_context().namespace_options();
  if (ns.pid() == v1::TARGET) {
    auto target = FindContainer(ns.target_id());
    if (!target.ok()) return fail(target.error().Wrap("namespace_options.target_id"));
    in.target_pid = (*target)->pid;
  }
  auto spec = oci::BuildContainerSpec(in);
  if (!spec.ok()) return fail(spec.error());
  MonitorOptions mon;
  mon.id = *id;
  mon.bundle = rec->bundle_dir;
  mon.state_dir = rec->state_dir;
  mon.log_path = rec->log_path.empty() ? "/dev/null" : rec->log_path;
  mon.tty = config.tty();
  mon.stdin = config.stdin();
  mon.stdin_once = config.stdin_once();
  auto init =
      CreateInRuntime(spec->dump(2), mon, "container " + config.metadata().name(), &created);
  if (!init.ok()) return fail(init.error());
  rec->pid = init->pid;
  rec->pid_start_time = init->start_time;
  if (Status st = store_.SaveContainer(*rec); !st.ok()) return fail(st.error());
  {
    std::lock_guard<std::mutex> lock(mu_);
    containers_[*id] = rec;
  }
  spdlog::info("msg=\"container created\" id={} name={} image={} pid={}", *id, name, image->id,
               rec->pid);
  return *id;
}

Status RuntimeManager::StartContainer(const std::string& id) {
  auto c = FindContainer(id);
  if (!c.ok()) return c.error();
  ContainerRecord& rec = **c;
  std::lock_guard<std::mutex> lock(rec.op_mu);
  if (rec.started_at != 0)
    return MakeError(ErrorCode::kFailedPrecondition,
                     "container " + rec.id + " is " +
                         (StateOf(rec) == v1::CONTAINER_RUNNING ? "already running"
                                                                : "already started and exited"));
  // Record the start first: once `start` runs the process may exit at any moment.
  rec.started_at = deps_.clock->WallNanos();
  if (Status st = deps_.runtime->Start(rec.id); !st.ok()) {
    rec.started_at = 0;
    return st.error().Wrap("start container " + rec.id);
  }
  AIRLOCK_RETURN_IF_ERROR(store_.SaveContainer(rec));
  spdlog::info("msg=\"container started\" id={}", rec.id);
  return Status::Ok();
}

Status RuntimeManager::StopContainerLocked(ContainerRecord& c, int64_t timeout_seconds) {
  if (StateOf(c) != v1::CONTAINER_RUNNING) {
    KillLeftovers(c);
    return Status::Ok();
  }
  Status st = StopInit(c, timeout_seconds);
  KillLeftovers(c);
  return st;
}

// When the container shares the pod's PID namespace, its init exiting does not end the
// other processes in its cgroup (exec sessions, daemons it left behind); kill them so that a
// stopped container holds nothing.
void RuntimeManager::KillLeftovers(const ContainerRecord& c) {
  if (c.started_at == 0) return;
  (void)deps_.runtime->Kill(c.id, SIGKILL, /*all=*/true);
}

Status RuntimeManager::StopInit(ContainerRecord& c, int64_t timeout_seconds) {
  auto image = deps_.images->Resolve(c.image_id);
  int sig = StopSignal(c.config, image.ok() ? image->config.stop_signal : "");
  if (timeout_seconds > 0) {
    if (Status st = deps_.runtime->Kill(c.id, sig, /*all=*/false);
        !st.ok() && StateOf(c) == v1::CONTAINER_RUNNING)
      return st.error().Wrap("stop container " + c.id);
    if (OciRuntime::WaitExit(c.state_dir, std::chrono::seconds(timeout_seconds)).ok())
      return Status::Ok();
    spdlog::info("msg=\"container ignored its stop signal; killing\" id={} signal={} timeout={}s",
                 c.id, sig, timeout_seconds);
  }
  if (Status st = deps_.runtime->Kill(c.id, SIGKILL, /*all=*/true);
      !st.ok() && StateOf(c) == v1::CONTAINER_RUNNING)
    return st.error().Wrap("kill container " + c.id);
  auto exit = OciRuntime::WaitExit(
      c.state_dir, std::chrono::seconds(deps_.config->runtime.stop_kill_grace_seconds));
  if (!exit.ok() && StateOf(c) == v1::CONTAINER_RUNNING)
    return exit.error().Wrap("stop container " + c.id);
  return Status::Ok();
}

Status RuntimeManager::StopContainer(const std::string& id, int64_t timeout_seconds) {
  auto c = FindContainer(id);
  if (!c.ok()) return c.error();
  std::lock_guard<std::mutex> lock((*c)->op_mu);
  return StopContainerLocked(**c, timeout_seconds);
}

Status RuntimeManager::RemoveContainerLocked(ContainerRecord& c) {
  // CRI: a running container is stopped forcibly first.
  AIRLOCK_RETURN_IF_ERROR(StopContainerLocked(c, 0));
  Status st = deps_.runtime->Delete(c.id, /*force=*/true);
  if (!st.ok() && st.error().code != ErrorCode::kNotFound)
    return st.error().Wrap("remove container " + c.id);
  CleanupContainerFiles(c);
  AIRLOCK_RETURN_IF_ERROR(store_.DeleteContainer(c.id));
  std::lock_guard<std::mutex> lock(mu_);
  containers_.erase(c.id);
  for (auto it = names_.begin(); it != names_.end(); ++it) {
    if (it->second == c.id) {
      names_.erase(it);
      break;
    }
  }
  spdlog::info("msg=\"container removed\" id={}", c.id);
  return Status::Ok();
}

Status RuntimeManager::RemoveContainer(const std::string& id) {
  auto c = FindContainer(id);
  // CRI: removing a container that is already gone is not an error.
  if (!c.ok()) return c.error().code == ErrorCode::kNotFound ? Status::Ok() : Status(c.error());
  std::lock_guard<std::mutex> lock((*c)->op_mu);
  return RemoveContainerLocked(**c);
}

void RuntimeManager::CleanupContainerFiles(const ContainerRecord& c) {
  for (const Status& st :
       {UnmountRootfs(c.bundle_dir + "/rootfs"), RemoveTree(c.bundle_dir), RemoveTree(c.layer_dir)})
    if (!st.ok())
      spdlog::warn("msg=\"cleanup failed\" container={} error=\"{}\"", c.id, st.error().message);
}

Status RuntimeManager::ReopenContainerLog(const std::string& id) {
  auto c = FindContainer(id);
  if (!c.ok()) return c.error();
  if (StateOf(**c) != v1::CONTAINER_RUNNING)
    return MakeError(ErrorCode::kFailedPrecondition, "container " + (*c)->id + " is not running");
  return OciRuntime::ReopenLog((*c)->state_dir);
}

}  // namespace airlock
