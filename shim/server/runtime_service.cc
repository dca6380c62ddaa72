#include "shim/server/runtime_service.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "shim/server/reactors.h"
#include "shim/stream/stream_request_checks.h"

namespace airlock {
namespace v1 = runtime::v1;

namespace {

constexpr char kRuntimeName[] = "airlock";
// The CRI "version" field is the kubelet API version this runtime speaks.
constexpr char kKubeletApiVersion[] = "0.1.0";

Status Require(const std::string& value, const char* field) {
  if (value.empty())
    return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " is required");
  return Status::Ok();
}

const char kNotYet[] = "not supported yet";

}  // namespace

RuntimeServiceImpl::Unary* RuntimeServiceImpl::Version(Ctx* ctx, const v1::VersionRequest*,
                                                       v1::VersionResponse* resp) {
  resp->set_version(kKubeletApiVersion);
  resp->set_runtime_name(kRuntimeName);
  resp->set_runtime_version(AIRLOCK_VERSION);
  resp->set_runtime_api_version("v1");
  return Done(ctx, Status::Ok());
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::Status(Ctx* ctx, const v1::StatusRequest* req,
                                                      v1::StatusResponse* resp) {
  return Offload(ctx, pool_, [this, req, resp]() -> airlock::Status {
    auto* conditions = resp->mutable_status()->mutable_conditions();
    // Ready means: the OCI runtime binary answers and our state directories are usable.
    auto* runtime_ready = conditions->Add();
    runtime_ready->set_type("RuntimeReady");
    std::string problem = manager_.RuntimeProblem();
    runtime_ready->set_status(problem.empty());
    if (!problem.empty()) {
      runtime_ready->set_reason("RuntimeNotReady");
      runtime_ready->set_message(problem);
    }
    // airlock has no CNI support yet: pods get a private network namespace with only
    // loopback. That is not the pod network a kubelet expects, so say so.
    auto* network_ready = conditions->Add();
    network_ready->set_type("NetworkReady");
    network_ready->set_status(false);
    network_ready->set_reason("NetworkPluginNotReady");
    network_ready->set_message(
        "airlock has no CNI plugin support yet: pods get a private network namespace with "
        "loopback only (host-network pods are unaffected)");
    auto* handler = resp->add_runtime_handlers();
    handler->set_name("");
    if (req->verbose()) {
      nlohmann::json info = {{"runtime", config_.runtime.binary},
                             {"cgroupDriver", config_.runtime.cgroup_driver},
                             {"root", config_.root},
                             {"state", config_.state}};
      (*resp->mutable_info())["config"] = info.dump();
    }
    return airlock::Status::Ok();
  });
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::RuntimeConfig(Ctx* ctx,
                                                             const v1::RuntimeConfigRequest*,
                                                             v1::RuntimeConfigResponse* resp) {
  resp->mutable_linux()->set_cgroup_driver(config_.runtime.cgroup_driver == "systemd"
                                               ? v1::CgroupDriver::SYSTEMD
                                               : v1::CgroupDriver::CGROUPFS);
  return Done(ctx, airlock::Status::Ok());
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::UpdateRuntimeConfig(
    Ctx* ctx, const v1::UpdateRuntimeConfigRequest*, v1::UpdateRuntimeConfigResponse*) {
  // The only field is the pod CIDR, which matters to a CNI plugin; there is none yet.
  return Done(ctx, airlock::Status::Ok());
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::RunPodSandbox(Ctx* ctx,
                                                             const v1::RunPodSandboxRequest* req,
                                                             v1::RunPodSandboxResponse* resp) {
  return Offload(ctx, pool_, [this, req, resp]() -> airlock::Status {
    auto id = manager_.RunPodSandbox(req->config(), req->runtime_handler());
    if (!id.ok()) return id.error();
    resp->set_pod_sandbox_id(*id);
    return airlock::Status::Ok();
  });
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::StopPodSandbox(Ctx* ctx,
                                                              const v1::StopPodSandboxRequest* req,
                                                              v1::StopPodSandboxResponse*) {
  return Offload(ctx, pool_, [this, req]() -> airlock::Status {
    AIRLOCK_RETURN_IF_ERROR(Require(req->pod_sandbox_id(), "pod_sandbox_id"));
    return manager_.StopPodSandbox(req->pod_sandbox_id());
  });
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::RemovePodSandbox(
    Ctx* ctx, const v1::RemovePodSandboxRequest* req, v1::RemovePodSandboxResponse*) {
  return Offload(ctx, pool_, [this, req]() -> airlock::Status {
    AIRLOCK_RETURN_IF_ERROR(Require(req->pod_sandbox_id(), "pod_sandbox_id"));
    return manager_.RemovePodSandbox(req->pod_sandbox_id());
  });
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::PodSandboxStatus(
    Ctx* ctx, const v1::PodSandboxStatusRequest* req, v1::PodSandboxStatusResponse* resp) {
  return Offload(ctx, pool_, [this, req, resp]() -> airlock::Status {
    AIRLOCK_RETURN_IF_ERROR(Require(req->pod_sandbox_id(), "pod_sandbox_id"));
    auto status = manager_.PodSandboxStatus(req->pod_sandbox_id(), req->verbose());
    if (!status.ok()) return status.error();
    *resp = std::move(*status);
    return airlock::Status::Ok();
  });
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::ListPodSandbox(Ctx* ctx,
                                                              const v1::ListPodSandboxRequest* req,
                                                              v1::ListPodSandboxResponse* resp) {
  return Offload(ctx, pool_, [this, req, resp]() -> airlock::Status {
    for (auto& item : manager_.ListPodSandbox(req->filter())) *resp->add_items() = std::move(item);
    return airlock::Status::Ok();
  });
}

grpc::ServerWriteReactor<v1::StreamPodSandboxesResponse>* RuntimeServiceImpl::StreamPodSandboxes(
    Ctx*, const v1::StreamPodSandboxesRequest* req) {
  v1::StreamPodSandboxesResponse resp;
  for (auto& item : manager_.ListPodSandbox(req->filter()))
    *resp.add_pod_sandboxes() = std::move(item);
  return new ListWriteReactor<v1::StreamPodSandboxesResponse>(std::move(resp));
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::CreateContainer(
    Ctx* ctx, const v1::CreateContainerRequest* req, v1::CreateContainerResponse* resp) {
  return Offload(ctx, pool_, [this, req, resp]() -> airlock::Status {
    AIRLOCK_RETURN_IF_ERROR(Require(req->pod_sandbox_id(), "pod_sandbox_id"));
    auto id = manager_.CreateContainer(req->pod_sandbox_id(), req->config());
    if (!id.ok()) return id.error();
    resp->set_container_id(*id);
    return airlock::Status::Ok();
  });
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::StartContainer(Ctx* ctx,
                                                              const v1::StartContainerRequest* req,
                                                              v1::StartContainerResponse*) {
  return Offload(ctx, pool_, [this, req]() -> airlock::Status {
    AIRLOCK_RETURN_IF_ERROR(Require(req->container_id(), "container_id"));
    return manager_.StartContainer(req->container_id());
  });
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::StopContainer(Ctx* ctx,
                                                             const v1::StopContainerRequest* req,
                                                             v1::StopContainerResponse*) {
  return Offload(ctx, pool_, [this, req]() -> airlock::Status {
    AIRLOCK_RETURN_IF_ERROR(Require(req->container_id(), "container_id"));
    if (req->timeout() < 0)
      return MakeError(ErrorCode::kInvalidArgument,
                       "timeout " + std::to_string(req->timeout()) + " is negative");
    return manager_.StopContainer(req->container_id(), req->timeout());
  });
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::RemoveContainer(
    Ctx* ctx, const v1::RemoveContainerRequest* req, v1::RemoveContainerResponse*) {
  return Offload(ctx, pool_, [this, req]() -> airlock::Status {
    AIRLOCK_RETURN_IF_ERROR(Require(req->container_id(), "container_id"));
    return manager_.RemoveContainer(req->container_id());
  });
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::ListContainers(Ctx* ctx,
                                                              const v1::ListContainersRequest* req,
                                                              v1::ListContainersResponse* resp) {
  return Offload(ctx, pool_, [this, req, resp]() -> airlock::Status {
    for (auto& c : manager_.ListContainers(req->filter())) *resp->add_containers() = std::move(c);
    return airlock::Status::Ok();
  });
}

grpc::ServerWriteReactor<v1::StreamContainersResponse>* RuntimeServiceImpl::StreamContainers(
    Ctx*, const v1::StreamContainersRequest* req) {
  v1::StreamContainersResponse resp;
  for (auto& c : manager_.ListContainers(req->filter())) *resp.add_containers() = std::move(c);
  return new ListWriteReactor<v1::StreamContainersResponse>(std::move(resp));
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::ContainerStatus(
    Ctx* ctx, const v1::ContainerStatusRequest* req, v1::ContainerStatusResponse* resp) {
  return Offload(ctx, pool_, [this, req, resp]() -> airlock::Status {
    AIRLOCK_RETURN_IF_ERROR(Require(req->container_id(), "container_id"));
    auto status = manager_.ContainerStatus(req->container_id(), req->verbose());
    if (!status.ok()) return status.error();
    *resp = std::move(*status);
    return airlock::Status::Ok();
  });
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::ReopenContainerLog(
    Ctx* ctx, const v1::ReopenContainerLogRequest* req, v1::ReopenContainerLogResponse*) {
  return Offload(ctx, pool_, [this, req]() -> airlock::Status {
    AIRLOCK_RETURN_IF_ERROR(Require(req->container_id(), "container_id"));
    return manager_.ReopenContainerLog(req->container_id());
  });
}

// --- exec -------------------------------------------------------------------------------

namespace {

// Validates the command of an exec request: a process needs argv[0], and execve cannot
// pass a NUL byte inside an argument.
Status ValidateCommand(const google::protobuf::RepeatedPtrField<std::string>& cmd) {
  if (cmd.empty()) return MakeError(ErrorCode::kInvalidArgument, "cmd is required (empty command)");
  for (int i = 0; i < cmd.size(); ++i)
    if (cmd[i].find('\0') != std::string::npos)
      return MakeError(ErrorCode::kInvalidArgument,
                       "cmd[" + std::to_string(i) + "] contains a NUL byte");
  if (cmd[0].empty()) return MakeError(ErrorCode::kInvalidArgument, "cmd[0] is empty");
  return Status::Ok();
}

// Completes an ExecSync from the runner, and kills the command if the caller goes away.
class ExecSyncReactor final : public grpc::ServerUnaryReactor {
 public:
  ExecSyncReactor(ExecSyncRunner& runner, v1::ExecSyncResponse* resp)
      : runner_(runner), resp_(resp) {}

  void Start(ExecSyncTarget target, std::vector<std::string> argv, int64_t timeout) {
    handle_ =
        runner_.Run(std::move(target), std::move(argv), timeout, [this](Result<ExecSyncResult> r) {
          if (!r.ok()) {
            Finish(ToGrpcStatus(r.error()));
            return;
          }
          resp_->set_stdout(std::move(r->stdout_data));
          resp_->set_stderr(std::move(r->stderr_data));
          resp_->set_exit_code(r->exit_code);
          Finish(grpc::Status::OK);
        });
  }
  void OnCancel() override { runner_.Cancel(handle_.load()); }
  void OnDone() override { delete this; }

 private:
  ExecSyncRunner& runner_;
  v1::ExecSyncResponse* resp_;
  std::atomic<uint64_t> handle_{0};
};

}  // namespace

RuntimeServiceImpl::Unary* RuntimeServiceImpl::ExecSync(Ctx* ctx, const v1::ExecSyncRequest* req,
                                                        v1::ExecSyncResponse* resp) {
  airlock::Status valid = Require(req->container_id(), "container_id");
  if (valid.ok()) valid = ValidateCommand(req->cmd());
  if (valid.ok() && req->timeout() < 0)
    valid = MakeError(ErrorCode::kInvalidArgument,
                      "timeout " + std::to_string(req->timeout()) + " is negative");
  if (!valid.ok()) return Done(ctx, valid);
  auto container = manager_.RunningContainer(req->container_id());
  if (!container.ok()) return Done(ctx, container.error());
  const ContainerRecord& c = **container;
  auto* reactor = new ExecSyncReactor(exec_sync_, resp);
  reactor->Start({c.id, c.pid, c.pid_start_time, c.bundle_dir + "/config.json"},
                 {req->cmd().begin(), req->cmd().end()}, req->timeout());
  return reactor;
}

// --- streaming: Exec, Attach, PortForward -------------------------------------------------

Result<std::string> RuntimeServiceImpl::IssueStreamUrl(streaming::StreamRequest request) {
  if (!stream_.cache) return MakeError(ErrorCode::kUnavailable, "streaming server is not running");
  streaming::RequestKind kind = streaming::KindOf(request);
  auto token = stream_.cache->Insert(std::move(request));
  if (!token.ok()) return token.error();
  return streaming::BuildStreamUrl(stream_.base_url, kind, *token);
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::Exec(Ctx* ctx, const v1::ExecRequest* req,
                                                    v1::ExecResponse* resp) {
  return Offload(ctx, pool_, [this, req, resp]() -> airlock::Status {
    AIRLOCK_RETURN_IF_ERROR(Require(req->container_id(), "container_id"));
    AIRLOCK_RETURN_IF_ERROR(
        CheckStreamFlags(req->tty(), req->stdin(), req->stdout(), req->stderr()));
    AIRLOCK_RETURN_IF_ERROR(ValidateCommand(req->cmd()));
    auto c = manager_.RunningContainer(req->container_id());
    if (!c.ok()) return c.error();
    streaming::ExecRequest r;
    r.container_id = (*c)->id;  // the full id, also when the caller typed a prefix
    r.cmd.assign(req->cmd().begin(), req->cmd().end());
    r.tty = req->tty();
    r.stdin = req->stdin();
    r.stdout = req->stdout();
    r.stderr = req->stderr();
    auto url = IssueStreamUrl(std::move(r));
    if (!url.ok()) return url.error();
    resp->set_url(*url);
    return airlock::Status::Ok();
  });
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::Attach(Ctx* ctx, const v1::AttachRequest* req,
                                                      v1::AttachResponse* resp) {
  return Offload(ctx, pool_, [this, req, resp]() -> airlock::Status {
    AIRLOCK_RETURN_IF_ERROR(Require(req->container_id(), "container_id"));
    AIRLOCK_RETURN_IF_ERROR(
        CheckStreamFlags(req->tty(), req->stdin(), req->stdout(), req->stderr()));
    auto c = manager_.RunningContainer(req->container_id());
    if (!c.ok()) return c.error();
    streaming::AttachRequest r;
    r.container_id = (*c)->id;
    r.tty = req->tty();
    r.stdin = req->stdin();
    r.stdout = req->stdout();
    r.stderr = req->stderr();
    auto url = IssueStreamUrl(std::move(r));
    if (!url.ok()) return url.error();
    resp->set_url(*url);
    return airlock::Status::Ok();
  });
}

RuntimeServiceImpl::Unary* RuntimeServiceImpl::PortForward(Ctx* ctx,
                                                           const v1::PortForwardRequest* req,
                                                           v1::PortForwardResponse* resp) {
  return Offload(ctx, pool_, [this, req, resp]() -> airlock::Status {
    AIRLOCK_RETURN_IF_ERROR(Require(req->pod_sandbox_id(), "pod_sandbox_id"));
    AIRLOCK_RETURN_IF_ERROR(
        CheckPorts({req->port().data(), static_cast<size_t>(req->port_size())}));
    auto s = manager_.ReadySandbox(req->pod_sandbox_id());
    if (!s.ok()) return s.error();
    streaming::PortForwardRequest r;
    r.pod_sandbox_id = (*s)->id;
    r.ports.assign(req->port().begin(), req->port().end());
    auto url = IssueStreamUrl(std::move(r));
    if (!url.ok()) return url.error();
    resp->set_url(*url);
    return airlock::Status::Ok();
  });
}

// --- not supported yet -------------------------------------------------------------------

#define AIRLOCK_UNIMPLEMENTED_UNARY(Method, Why)                                              \
  RuntimeServiceImpl::Unary* RuntimeServiceImpl::Method(Ctx* ctx, const v1::Method##Request*, \
                                                        v1::Method##Response*) {              \
    return Unimplemented(ctx, #Method, Why);                                                  \
  }

AIRLOCK_UNIMPLEMENTED_UNARY(UpdateContainerResources, kNotYet)
AIRLOCK_UNIMPLEMENTED_UNARY(ContainerStats, kNotYet)
AIRLOCK_UNIMPLEMENTED_UNARY(ListContainerStats, kNotYet)
AIRLOCK_UNIMPLEMENTED_UNARY(PodSandboxStats, kNotYet)
AIRLOCK_UNIMPLEMENTED_UNARY(ListPodSandboxStats, kNotYet)
AIRLOCK_UNIMPLEMENTED_UNARY(CheckpointContainer, "checkpoint/restore is not supported")
AIRLOCK_UNIMPLEMENTED_UNARY(CheckpointPod, "checkpoint/restore is not supported")
AIRLOCK_UNIMPLEMENTED_UNARY(RestorePod, "checkpoint/restore is not supported")
AIRLOCK_UNIMPLEMENTED_UNARY(ListMetricDescriptors, kNotYet)
AIRLOCK_UNIMPLEMENTED_UNARY(ListPodSandboxMetrics, kNotYet)
AIRLOCK_UNIMPLEMENTED_UNARY(UpdatePodSandboxResources, kNotYet)
#undef AIRLOCK_UNIMPLEMENTED_UNARY

grpc::ServerWriteReactor<v1::StreamContainerStatsResponse>*
RuntimeServiceImpl::StreamContainerStats(Ctx*, const v1::StreamContainerStatsRequest*) {
  return UnimplementedStream<v1::StreamContainerStatsResponse>("StreamContainerStats", kNotYet);
}

grpc::ServerWriteReactor<v1::StreamPodSandboxStatsResponse>*
RuntimeServiceImpl::StreamPodSandboxStats(Ctx*, const v1::StreamPodSandboxStatsRequest*) {
  return UnimplementedStream<v1::StreamPodSandboxStatsResponse>("StreamPodSandboxStats", kNotYet);
}

grpc::ServerWriteReactor<v1::ContainerEventResponse>* RuntimeServiceImpl::GetContainerEvents(
    Ctx*, const v1::GetEventsRequest*) {
  return UnimplementedStream<v1::ContainerEventResponse>(
      "GetContainerEvents", "container events are not supported yet; use polling (generic PLEG)");
}

grpc::ServerWriteReactor<v1::StreamPodSandboxMetricsResponse>*
RuntimeServiceImpl::StreamPodSandboxMetrics(Ctx*, const v1::StreamPodSandboxMetricsRequest*) {
  return UnimplementedStream<v1::StreamPodSandboxMetricsResponse>("StreamPodSandboxMetrics",
                                                                  kNotYet);
}

}  // namespace airlock
