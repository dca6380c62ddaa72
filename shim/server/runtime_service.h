// runtime.v1.RuntimeService on gRPC's callback API. Handlers are thin: validate the
// request, call the RuntimeManager (or the exec service), map the status.
#pragma once

#include "proto/cri_api.h"
#include "shim/base/work_pool.h"
#include "shim/config/config.h"
#include "shim/cri/runtime_manager.h"
#include "shim/exec/exec_sync_runner.h"
#include "streaming/request_cache.h"

namespace airlock {

// Where Exec/Attach/PortForward send their callers: the token cache the streaming server
// consumes and the server's base URL ("http://127.0.0.1:<port>/"). Without a cache the three
// calls answer UNAVAILABLE.
struct StreamEndpoint {
  streaming::RequestCache* cache = nullptr;
  std::string base_url;
};

class RuntimeServiceImpl final : public runtime::v1::RuntimeService::CallbackService {
 public:
  RuntimeServiceImpl(const Config& config, RuntimeManager& manager, WorkPool& pool,
                     ExecSyncRunner& exec_sync, StreamEndpoint stream = {})
      : config_(config),
        manager_(manager),
        pool_(pool),
        exec_sync_(exec_sync),
        stream_(std::move(stream)) {}

  using Ctx = grpc::CallbackServerContext;
  using Unary = grpc::ServerUnaryReactor;

  Unary* Version(Ctx*, const runtime::v1::VersionRequest*, runtime::v1::VersionResponse*) override;
  Unary* Status(Ctx*, const runtime::v1::StatusRequest*, runtime::v1::StatusResponse*) override;
  Unary* RuntimeConfig(Ctx*, const runtime::v1::RuntimeConfigRequest*,
                       runtime::v1::RuntimeConfigResponse*) override;
  Unary* UpdateRuntimeConfig(Ctx*, const runtime::v1::UpdateRuntimeConfigRequest*,
                             runtime::v1::UpdateRuntimeConfigResponse*) override;

  Unary* RunPodSandbox(Ctx*, const runtime::v1::RunPodSandboxRequest*,
                       runtime::v1::RunPodSandboxResponse*) override;
  Unary* StopPodSandbox(Ctx*, const runtime::v1::StopPodSandboxRequest*,
                        runtime::v1::StopPodSandboxResponse*) override;
  Unary* RemovePodSandbox(Ctx*, const runtime::v1::RemovePodSandboxRequest*,
                          runtime::v1::RemovePodSandboxResponse*) override;
  Unary* PodSandboxStatus(Ctx*, const runtime::v1::PodSandboxStatusRequest*,
                          runtime::v1::PodSandboxStatusResponse*) override;
  Unary* ListPodSandbox(Ctx*, const runtime::v1::ListPodSandboxRequest*,
                        runtime::v1::ListPodSandboxResponse*) override;
  grpc::ServerWriteReactor<runtime::v1::StreamPodSandboxesResponse>* StreamPodSandboxes(
      Ctx*, const runtime::v1::StreamPodSandboxesRequest*) override;

  Unary* CreateContainer(Ctx*, const runtime::v1::CreateContainerRequest*,
                         runtime::v1::CreateContainerResponse*) override;
  Unary* StartContainer(Ctx*, const runtime::v1::StartContainerRequest*,
                        runtime::v1::StartContainerResponse*) override;
  Unary* StopContainer(Ctx*, const runtime::v1::StopContainerRequest*,
                       runtime::v1::StopContainerResponse*) override;
  Unary* RemoveContainer(Ctx*, const runtime::v1::RemoveContainerRequest*,
                         runtime::v1::RemoveContainerResponse*) override;
  Unary* ListContainers(Ctx*, const runtime::v1::ListContainersRequest*,
                        runtime::v1::ListContainersResponse*) override;
  grpc::ServerWriteReactor<runtime::v1::StreamContainersResponse>* StreamContainers(
      Ctx*, const runtime::v1::StreamContainersRequest*) override;
  Unary* ContainerStatus(Ctx*, const runtime::v1::ContainerStatusRequest*,
                         runtime::v1::ContainerStatusResponse*) override;
  Unary* ReopenContainerLog(Ctx*, const runtime::v1::ReopenContainerLogRequest*,
                            runtime::v1::ReopenContainerLogResponse*) override;
  Unary* ExecSync(Ctx*, const runtime::v1::ExecSyncRequest*,
                  runtime::v1::ExecSyncResponse*) override;
  // Validate, then hand out a single-use streaming URL (the streaming server does the rest).
  Unary* Exec(Ctx*, const runtime::v1::ExecRequest*, runtime::v1::ExecResponse*) override;
  Unary* Attach(Ctx*, const runtime::v1::AttachRequest*, runtime::v1::AttachResponse*) override;
  Unary* PortForward(Ctx*, const runtime::v1::PortForwardRequest*,
                     runtime::v1::PortForwardResponse*) override;

  // Not supported yet: each answers UNIMPLEMENTED with a message that says so.
  Unary* UpdateContainerResources(Ctx*, const runtime::v1::UpdateContainerResourcesRequest*,
                                  runtime::v1::UpdateContainerResourcesResponse*) override;
  Unary* ContainerStats(Ctx*, const runtime::v1::ContainerStatsRequest*,
                        runtime::v1::ContainerStatsResponse*) override;
  Unary* ListContainerStats(Ctx*, const runtime::v1::ListContainerStatsRequest*,
                            runtime::v1::ListContainerStatsResponse*) override;
  grpc::ServerWriteReactor<runtime::v1::StreamContainerStatsResponse>* StreamContainerStats(
      Ctx*, const runtime::v1::StreamContainerStatsRequest*) override;
  Unary* PodSandboxStats(Ctx*, const runtime::v1::PodSandboxStatsRequest*,
                         runtime::v1::PodSandboxStatsResponse*) override;
  Unary* ListPodSandboxStats(Ctx*, const runtime::v1::ListPodSandboxStatsRequest*,
                             runtime::v1::ListPodSandboxStatsResponse*) override;
  grpc::ServerWriteReactor<runtime::v1::StreamPodSandboxStatsResponse>* StreamPodSandboxStats(
      Ctx*, const runtime::v1::StreamPodSandboxStatsRequest*) override;
  Unary* CheckpointContainer(Ctx*, const runtime::v1::CheckpointContainerRequest*,
                             runtime::v1::CheckpointContainerResponse*) override;
  Unary* CheckpointPod(Ctx*, const runtime::v1::CheckpointPodRequest*,
                       runtime::v1::CheckpointPodResponse*) override;
  Unary* RestorePod(Ctx*, const runtime::v1::RestorePodRequest*,
                    runtime::v1::RestorePodResponse*) override;
  grpc::ServerWriteReactor<runtime::v1::ContainerEventResponse>* GetContainerEvents(
      Ctx*, const runtime::v1::GetEventsRequest*) override;
  Unary* ListMetricDescriptors(Ctx*, const runtime::v1::ListMetricDescriptorsRequest*,
                               runtime::v1::ListMetricDescriptorsResponse*) override;
  Unary* ListPodSandboxMetrics(Ctx*, const runtime::v1::ListPodSandboxMetricsRequest*,
                               runtime::v1::ListPodSandboxMetricsResponse*) override;
  grpc::ServerWriteReactor<runtime::v1::StreamPodSandboxMetricsResponse>* StreamPodSandboxMetrics(
      Ctx*, const runtime::v1::StreamPodSandboxMetricsRequest*) override;
  Unary* UpdatePodSandboxResources(Ctx*, const runtime::v1::UpdatePodSandboxResourcesRequest*,
                                   runtime::v1::UpdatePodSandboxResourcesResponse*) override;

 private:
  const Config& config_;
  RuntimeManager& manager_;
  WorkPool& pool_;
  ExecSyncRunner& exec_sync_;
  const StreamEndpoint stream_;

  // Stores the request under a fresh token and returns the URL that redeems it.
  Result<std::string> IssueStreamUrl(streaming::StreamRequest request);
};

}  // namespace airlock
