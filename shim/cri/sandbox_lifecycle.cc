// Pod sandboxes: an infra (pause) process run by the OCI runtime that holds the pod's
// network, IPC, UTS (and optionally PID) namespaces for its containers to join.
#include <spdlog/spdlog.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "shim/base/file_util.h"
#include "shim/cri/ids.h"
#include "shim/cri/names.h"
#include "shim/cri/runtime_manager.h"
#include "shim/oci/container_spec.h"
#include "shim/oci/sandbox_spec.h"
#include "shim/oci/spec_parts.h"
#include "shim/runtime/oci_runtime.h"

namespace airlock {
namespace v1 = runtime::v1;

namespace {

Status ValidateSandboxConfig(const v1::PodSandboxConfig& config) {
  const auto& md = config.metadata();
  if (md.name().empty())
    return MakeError(ErrorCode::kInvalidArgument, "config.metadata.name is required");
  if (md.namespace_().empty())
    return MakeError(ErrorCode::kInvalidArgument, "config.metadata.namespace is required");
  if (md.uid().empty())
    return MakeError(ErrorCode::kInvalidArgument, "config.metadata.uid is required");
  if (!config.log_directory().empty() && config.log_directory()[0] != '/')
    return MakeError(ErrorCode::kInvalidArgument,
                     "config.log_directory \"" + config.log_directory() + "\" is not absolute");
  return Status::Ok();
}

std::string ResolvConf(const v1::DNSConfig& dns) {
  std::string out;
  for (const auto& s : dns.servers()) out += "nameserver " + s + "\n";
  if (dns.searches_size() > 0) {
    out += "search";
    for (const auto& s : dns.searches()) out += " " + s;
    out += "\n";
  }
  if (dns.options_size() > 0) {
    out += "options";
    for (const auto& s : dns.options()) out += " " + s;
    out += "\n";
  }
  return out;
}

bool HostNetwork(const v1::PodSandboxConfig& config) {
  return config.linux().security_context().namespace_options().network() == v1::NODE;
}

}  // namespace

Result<std::string> RuntimeManager::RunPodSandbox(const v1::PodSandboxConfig& config,
                                                  const std::string& runtime_handler) {
  AIRLOCK_RETURN_IF_ERROR(ValidateSandboxConfig(config));
  if (!runtime_handler.empty() && runtime_handler != "runc" &&
      runtime_handler != deps_.config->runtime.binary)
    return MakeError(
        ErrorCode::kInvalidArgument,
        "runtime_handler \"" + runtime_handler + "\" is not configured (airlock has one: \"\")");
  auto id = NewId();
  if (!id.ok()) return id.error();
  const std::string name = SandboxName(config.metadata());
  AIRLOCK_RETURN_IF_ERROR(ReserveName(name, *id));

  auto rec = std::make_shared<SandboxRecord>();
  rec->id = *id;
  rec->config = config;
  rec->runtime_handler = runtime_handler;
  rec->created_at = deps_.clock->WallNanos();
  rec->bundle_dir = deps_.config->state + "/sandboxes/" + *id;
  rec->state_dir = rec->bundle_dir + "/monitor";

  bool created = false;
  auto fail = [&](const Error& e) -> Error {
    if (created) (void)deps_.runtime->Delete(*id, /*force=*/true);
    (void)RemoveTree(rec->bundle_dir);
    ReleaseName(name);
    spdlog::warn("msg=\"RunPodSandbox failed\" pod={} error=\"{}\"", name, e.message);
    return e;
  };

  for (const auto& dir : {rec->bundle_dir + "/rootfs", rec->state_dir})
    if (Status st = MakeDirs(dir, 0711); !st.ok()) return fail(st.error());
  if (!config.log_directory().empty())
    if (Status st = MakeDirs(config.log_directory(), 0755); !st.ok()) return fail(st.error());

  // Files the pod's containers bind-mount: hostname and resolv.conf.
  std::string hostname = config.hostname();
  if (HostNetwork(config)) {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    hostname = buf;
  }
  if (Status st = WriteFileAtomic(rec->bundle_dir + "/hostname", hostname + "\n", 0644); !st.ok())
    return fail(st.error());
  std::string resolv = config.has_dns_config() ? ResolvConf(config.dns_config()) : "";
  if (resolv.empty()) {
    auto host = ReadFile("/etc/resolv.conf", 1 << 20);
    resolv = host.ok() ? *host : "";
  }
  if (Status st = WriteFileAtomic(rec->bundle_dir + "/resolv.conf", resolv, 0644); !st.ok())
    return fail(st.error());

  oci::SandboxSpecInput in;
  in.sandbox_id = *id;
  in.config = config;
  in.rootfs_path = rec->bundle_dir + "/rootfs";
  in.pause_binary_path = deps_.config->runtime.pause_path;
  in.default_cgroup_parent = deps_.config->runtime.cgroup_parent;
  in.seccomp_profile_path = deps_.config->runtime.seccomp_profile;
  in.host = host_;
  auto spec = oci::BuildSandboxSpec(in);
  if (!spec.ok()) return fail(spec.error());
  MonitorOptions mon;
  mon.id = *id;
  mon.bundle = rec->bundle_dir;
  mon.state_dir = rec->state_dir;
  mon.log_path = "/dev/null";
  auto init =
      CreateInRuntime(spec->dump(2), mon, "pod sandbox " + config.metadata().name(), &created);
  if (!init.ok()) return fail(init.error());
  if (Status st = deps_.runtime->Start(*id); !st.ok())
    return fail(st.error().Wrap("start pod sandbox " + config.metadata().name()));
  rec->pid = init->pid;
  rec->pid_start_time = init->start_time;
  if (Status st = store_.SaveSandbox(*rec); !st.ok()) return fail(st.error());

  {
    std::lock_guard<std::mutex> lock(mu_);
    sandboxes_[*id] = rec;
  }
  spdlog::info("msg=\"pod sandbox ready\" id={} pod={} pid={}", *id, name, rec->pid);
  return *id;
}

Status RuntimeManager::StopSandboxLocked(SandboxRecord& s) {
  for (const auto& c : ContainersOf(s.id)) {
    std::lock_guard<std::mutex> lock(c->op_mu);
    AIRLOCK_RETURN_IF_ERROR(StopContainerLocked(*c, 0));
  }
  if (ProcessAlive(s.pid, s.pid_start_time)) {
    Status st = deps_.runtime->Kill(s.id, SIGKILL, /*all=*/true);
    if (!st.ok() && ProcessAlive(s.pid, s.pid_start_time))
      return st.error().Wrap("stop pod sandbox " + s.id);
    auto exit = OciRuntime::WaitExit(
        s.state_dir, std::chrono::seconds(deps_.config->runtime.stop_kill_grace_seconds));
    if (!exit.ok() && ProcessAlive(s.pid, s.pid_start_time))
      return exit.error().Wrap("stop pod sandbox " + s.id);
  }
  if (!s.stopped) {
    s.stopped = true;
    AIRLOCK_RETURN_IF_ERROR(store_.SaveSandbox(s));
  }
  return Status::Ok();
}

Status RuntimeManager::StopPodSandbox(const std::string& id) {
  auto s = FindSandbox(id);
  if (!s.ok()) return s.error();
  std::lock_guard<std::mutex> lock((*s)->op_mu);
  return StopSandboxLocked(**s);
}

Status RuntimeManager::RemovePodSandbox(const std::string& id) {
  auto s = FindSandbox(id);
  // CRI: removing a sandbox that is already gone is not an error.
  if (!s.ok()) return s.error().code == ErrorCode::kNotFound ? Status::Ok() : Status(s.error());
  SandboxRecord& rec = **s;
  std::lock_guard<std::mutex> lock(rec.op_mu);
  AIRLOCK_RETURN_IF_ERROR(StopSandboxLocked(rec));
  for (const auto& c : ContainersOf(rec.id)) {
    std::lock_guard<std::mutex> clock(c->op_mu);
    AIRLOCK_RETURN_IF_ERROR(RemoveContainerLocked(*c));
  }
  Status st = deps_.runtime->Delete(rec.id, /*force=*/true);
  if (!st.ok() && st.error().code != ErrorCode::kNotFound)
    return st.error().Wrap("remove pod sandbox " + rec.id);
  CleanupSandboxFiles(rec);
  AIRLOCK_RETURN_IF_ERROR(store_.DeleteSandbox(rec.id));
  {
    std::lock_guard<std::mutex> map_lock(mu_);
    sandboxes_.erase(rec.id);
    names_.erase(SandboxName(rec.config.metadata()));
  }
  spdlog::info("msg=\"pod sandbox removed\" id={}", rec.id);
  return Status::Ok();
}

void RuntimeManager::CleanupSandboxFiles(const SandboxRecord& s) {
  if (Status st = RemoveTree(s.bundle_dir); !st.ok())
    spdlog::warn("msg=\"cleanup failed\" sandbox={} error=\"{}\"", s.id, st.error().message);
}

Result<v1::PodSandboxStatusResponse> RuntimeManager::PodSandboxStatus(const std::string& id,
                                                                      bool verbose) {
  auto s = FindSandbox(id);
  if (!s.ok()) return s.error();
  const SandboxRecord& rec = **s;
  v1::PodSandboxStatusResponse resp;
  auto* st = resp.mutable_status();
  st->set_id(rec.id);
  *st->mutable_metadata() = rec.config.metadata();
  st->set_state(SandboxReady(rec) ? v1::SANDBOX_READY : v1::SANDBOX_NOTREADY);
  st->set_created_at(rec.created_at);
  // No CNI yet: the pod network namespace has only loopback, so there is no pod IP.
  st->mutable_network()->set_ip("");
  *st->mutable_linux()->mutable_namespaces()->mutable_options() =
      rec.config.linux().security_context().namespace_options();
  *st->mutable_labels() = rec.config.labels();
  *st->mutable_annotations() = rec.config.annotations();
  st->set_runtime_handler(rec.runtime_handler);
  resp.set_timestamp(deps_.clock->WallNanos());
  if (verbose) {
    nlohmann::json info = {
        {"pid", rec.pid}, {"bundle", rec.bundle_dir}, {"runtime", deps_.config->runtime.binary}};
    (*resp.mutable_info())["info"] = info.dump();
  }
  return resp;
}

std::vector<v1::PodSandbox> RuntimeManager::ListPodSandbox(const v1::PodSandboxFilter& filter) {
  std::vector<SandboxPtr> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, s] : sandboxes_) all.push_back(s);
  }
  std::vector<v1::PodSandbox> out;
  for (const auto& s : all) {
    if (!filter.id().empty() && s->id.rfind(filter.id(), 0) != 0) continue;
    v1::PodSandboxState state = SandboxReady(*s) ? v1::SANDBOX_READY : v1::SANDBOX_NOTREADY;
    if (filter.has_state() && filter.state().state() != state) continue;
    bool labels_match = true;
    for (const auto& [k, v] : filter.label_selector()) {
      auto it = s->config.labels().find(k);
      if (it == s->config.labels().end() || it->second != v) labels_match = false;
    }
    if (!labels_match) continue;
    v1::PodSandbox item;
    item.set_id(s->id);
    *item.mutable_metadata() = s->config.metadata();
    item.set_state(state);
    item.set_created_at(s->created_at);
    *item.mutable_labels() = s->config.labels();
    *item.mutable_annotations() = s->config.annotations();
    item.set_runtime_handler(s->runtime_handler);
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace airlock
