// The CRI gRPC client the verbs share: one channel to the daemon, one deadline per call, and
// grpc::Status turned into an airlock::Error whose message starts with the gRPC code name
// ("NotFound: container ... not found") so users see what the daemon said.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "proto/cri_api.h"
#include "proto/cri_api.h"
#include "shim/base/result.h"

namespace airlock::cli {

inline constexpr char kDefaultEndpoint[] = "unix:///run/airlock/airlock.sock";

// "/path.sock" -> "unix:///path.sock"; "unix://..." and other gRPC targets are kept as they are.
std::string NormalizeEndpoint(const std::string& endpoint);

// "NotFound", "DeadlineExceeded", ... (the names crictl shows after "code = ").
const char* GrpcCodeName(grpc::StatusCode code);
Error FromGrpcStatus(const grpc::Status& status, const std::string& endpoint);

class CriClient {
 public:
  // `timeout` overrides every per-call default deadline when set (--timeout).
  CriClient(const std::string& endpoint, std::optional<std::chrono::seconds> timeout);

  const std::string& endpoint() const { return endpoint_; }

  Result<runtime::v1::VersionResponse> Version();

  Result<runtime::v1::PullImageResponse> PullImage(const runtime::v1::PullImageRequest& req);
  Result<runtime::v1::ListImagesResponse> ListImages();
  Status RemoveImage(const std::string& image);

  Result<std::string> RunPodSandbox(const runtime::v1::RunPodSandboxRequest& req);
  Status StopPodSandbox(const std::string& pod_id);
  Status RemovePodSandbox(const std::string& pod_id);
  Result<runtime::v1::ListPodSandboxResponse> ListPodSandbox();

  Result<std::string> CreateContainer(const runtime::v1::CreateContainerRequest& req);
  Status StartContainer(const std::string& container_id);
  Status StopContainer(const std::string& container_id, int64_t grace_seconds);
  Status RemoveContainer(const std::string& container_id);
  Result<runtime::v1::ListContainersResponse> ListContainers(
      const runtime::v1::ListContainersRequest& req);
  Result<runtime::v1::ContainerStatusResponse> ContainerStatus(const std::string& container_id);
  // `timeout_seconds` is the command's limit inside the daemon (0 = none); the RPC deadline
  // leaves a minute beyond it for the daemon to kill and answer, like the kubelet does.
  Result<runtime::v1::ExecSyncResponse> ExecSync(const std::string& container_id,
                                                 const std::vector<std::string>& cmd,
                                                 int64_t timeout_seconds);

 private:
  // Deadline for one call: the --timeout value, else `fallback`; plus `extra` (a stop's grace
  // period must not eat into the time the daemon needs to answer).
  void SetDeadline(grpc::ClientContext* ctx, std::chrono::seconds fallback,
                   std::chrono::seconds extra = std::chrono::seconds(0)) const;
  template <typename Resp>
  Result<Resp> Finish(const grpc::Status& status, Resp resp) const;

  std::string endpoint_;
  std::optional<std::chrono::seconds> timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<runtime::v1::ImageService::Stub> images_;
};

}  // namespace airlock::cli
