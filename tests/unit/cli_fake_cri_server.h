// An in-memory CRI runtime on a real gRPC unix socket, for driving the real `airlock` binary in
// cli_verbs_test.cc: it keeps pods/containers/images like a runtime would and records the
// requests so tests can check every field the CLI sends.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "proto/cri_api.h"

namespace airlock::cli::testing {

class FakeCriServer final : public runtime::v1::RuntimeService::Service,
                            public runtime::v1::ImageService::Service {
 public:
  // `log_dir`: ContainerStatus.log_path of container X is "<log_dir>/X.log".
  FakeCriServer(const std::string& socket_path, std::string log_dir);
  ~FakeCriServer() override;

  std::mutex mu;
  std::map<std::string, runtime::v1::PodSandbox> pods;
  std::map<std::string, runtime::v1::Container> containers;
  std::vector<runtime::v1::Image> images;
  std::vector<std::string> calls;  // "StopContainer <id> <timeout>", "PullImage <image>", ...
  std::optional<runtime::v1::RunPodSandboxRequest> last_run_pod;
  std::optional<runtime::v1::CreateContainerRequest> last_create;
  std::optional<grpc::Status> fail_start;  // StartContainer returns this when set

  grpc::Status Version(grpc::ServerContext*, const runtime::v1::VersionRequest*,
                       runtime::v1::VersionResponse*) override;
  grpc::Status RunPodSandbox(grpc::ServerContext*, const runtime::v1::RunPodSandboxRequest*,
                             runtime::v1::RunPodSandboxResponse*) override;
  grpc::Status StopPodSandbox(grpc::ServerContext*, const runtime::v1::StopPodSandboxRequest*,
                              runtime::v1::StopPodSandboxResponse*) override;
  grpc::Status RemovePodSandbox(grpc::ServerContext*, const runtime::v1::RemovePodSandboxRequest*,
                                runtime::v1::RemovePodSandboxResponse*) override;
  grpc::Status ListPodSandbox(grpc::ServerContext*, const runtime::v1::ListPodSandboxRequest*,
                              runtime::v1::ListPodSandboxResponse*) override;
  grpc::Status CreateContainer(grpc::ServerContext*, const runtime::v1::CreateContainerRequest*,
                               runtime::v1::CreateContainerResponse*) override;
  grpc::Status StartContainer(grpc::ServerContext*, const runtime::v1::StartContainerRequest*,
                              runtime::v1::StartContainerResponse*) override;
  grpc::Status StopContainer(grpc::ServerContext*, const runtime::v1::StopContainerRequest*,
                             runtime::v1::StopContainerResponse*) override;
  grpc::Status RemoveContainer(grpc::ServerContext*, const runtime::v1::RemoveContainerRequest*,
                               runtime::v1::RemoveContainerResponse*) override;
  grpc::Status ListContainers(grpc::ServerContext*, const runtime::v1::ListContainersRequest*,
                              runtime::v1::ListContainersResponse*) override;
  grpc::Status ContainerStatus(grpc::ServerContext*, const runtime::v1::ContainerStatusRequest*,
                               runtime::v1::ContainerStatusResponse*) override;

  grpc::Status ListImages(grpc::ServerContext*, const runtime::v1::ListImagesRequest*,
                          runtime::v1::ListImagesResponse*) override;
  grpc::Status PullImage(grpc::ServerContext*, const runtime::v1::PullImageRequest*,
                         runtime::v1::PullImageResponse*) override;
  grpc::Status RemoveImage(grpc::ServerContext*, const runtime::v1::RemoveImageRequest*,
                           runtime::v1::RemoveImageResponse*) override;

 private:
  std::string NextId(char kind);

  std::string log_dir_;
  int next_id_ = 1;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace airlock::cli::testing
