#include "cli/cri_client.h"

namespace airlock::cli {
namespace {

namespace v1 = runtime::v1;
using std::chrono::seconds;

// Ordinary calls answer in milliseconds; a hung daemon should not hang the shell for long.
constexpr seconds kCallTimeout{30};
// Importing a multi-GiB archive unpacks every layer inside the call.
constexpr seconds kPullTimeout{600};
// A big ListContainers reply must fit; gRPC's default receive cap is 4 MiB.
constexpr int kMaxReceiveBytes = 64 << 20;

ErrorCode ToErrorCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return ErrorCode::kInvalidArgument;
    case grpc::StatusCode::NOT_FOUND:
      return ErrorCode::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS:
      return ErrorCode::kAlreadyExists;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
      return ErrorCode::kFailedPrecondition;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return ErrorCode::kResourceExhausted;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return ErrorCode::kDeadlineExceeded;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return ErrorCode::kPermissionDenied;
    case grpc::StatusCode::UNIMPLEMENTED:
      return ErrorCode::kUnimplemented;
    case grpc::StatusCode::UNAVAILABLE:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kInternal;
  }
}

}  // namespace

std::string NormalizeEndpoint(const std::string& endpoint) {
  if (!endpoint.empty() && endpoint[0] == '/') return "unix://" + endpoint;
  return endpoint;
}

const char* GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "Canceled";
    case grpc::StatusCode::UNKNOWN:
      return "Unknown";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "InvalidArgument";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DeadlineExceeded";
    case grpc::StatusCode::NOT_FOUND:
      return "NotFound";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "AlreadyExists";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PermissionDenied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "ResourceExhausted";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FailedPrecondition";
    case grpc::StatusCode::ABORTED:
      return "Aborted";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OutOfRange";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "Unimplemented";
    case grpc::StatusCode::INTERNAL:
      return "Internal";
    case grpc::StatusCode::UNAVAILABLE:
      return "Unavailable";
    case grpc::StatusCode::DATA_LOSS:
      return "DataLoss";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "Unauthenticated";
    default:
      return "Unknown";
  }
}

Error FromGrpcStatus(const grpc::Status& status, const std::string& endpoint) {
  std::string msg = std::string(GrpcCodeName(status.error_code())) + ": " + status.error_message();
  // Unavailable almost always means "no daemon on that socket": name the socket.
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    msg = "connect " + endpoint + ": " + msg + " (is airlockd running?)";
  }
  return MakeError(ToErrorCode(status.error_code()), msg);
}

CriClient::CriClient(const std::string& endpoint, std::optional<seconds> timeout)
    : endpoint_(NormalizeEndpoint(endpoint)), timeout_(timeout) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReceiveBytes);
  channel_ = grpc::CreateCustomChannel(endpoint_, grpc::InsecureChannelCredentials(), args);
  runtime_ = v1::RuntimeService::NewStub(channel_);
  images_ = v1::ImageService::NewStub(channel_);
}

void CriClient::SetDeadline(grpc::ClientContext* ctx, seconds fallback, seconds extra) const {
  ctx->set_deadline(std::chrono::system_clock::now() + timeout_.value_or(fallback) + extra);
}

// Callers run the RPC in its own statement first: as arguments of one call, the RPC and the
// move of `resp` would be unsequenced.
template <typename Resp>
Result<Resp> CriClient::Finish(const grpc::Status& status, Resp resp) const {
  if (!status.ok()) return FromGrpcStatus(status, endpoint_);
  return resp;
}

Result<v1::VersionResponse> CriClient::Version() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout);
  v1::VersionRequest req;
  req.set_version("v1");
  v1::VersionResponse resp;
  grpc::Status s = runtime_->Version(&ctx, req, &resp);
  return Finish(s, std::move(resp));
}

Result<v1::PullImageResponse> CriClient::PullImage(const v1::PullImageRequest& req) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kPullTimeout);
  v1::PullImageResponse resp;
  grpc::Status s = images_->PullImage(&ctx, req, &resp);
  return Finish(s, std::move(resp));
}

Result<v1::ListImagesResponse> CriClient::ListImages() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout);
  v1::ListImagesResponse resp;
  grpc::Status s = images_->ListImages(&ctx, v1::ListImagesRequest(), &resp);
  return Finish(s, std::move(resp));
}

Status CriClient::RemoveImage(const std::string& image) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout);
  v1::RemoveImageRequest req;
  req.mutable_image()->set_image(image);
  v1::RemoveImageResponse resp;
  grpc::Status s = images_->RemoveImage(&ctx, req, &resp);
  if (!s.ok()) return FromGrpcStatus(s, endpoint_);
  return Status::Ok();
}

Result<std::string> CriClient::RunPodSandbox(const v1::RunPodSandboxRequest& req) {
  grpc::ClientContext ctx;
  // Starting the pause process and setting up namespaces takes longer than a lookup.
  SetDeadline(&ctx, kCallTimeout * 2);
  v1::RunPodSandboxResponse resp;
  grpc::Status s = runtime_->RunPodSandbox(&ctx, req, &resp);
  if (!s.ok()) return FromGrpcStatus(s, endpoint_);
  return resp.pod_sandbox_id();
}

Status CriClient::StopPodSandbox(const std::string& pod_id) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout * 2);
  v1::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(pod_id);
  v1::StopPodSandboxResponse resp;
  grpc::Status s = runtime_->StopPodSandbox(&ctx, req, &resp);
  if (!s.ok()) return FromGrpcStatus(s, endpoint_);
  return Status::Ok();
}

Status CriClient::RemovePodSandbox(const std::string& pod_id) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout * 2);
  v1::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(pod_id);
  v1::RemovePodSandboxResponse resp;
  grpc::Status s = runtime_->RemovePodSandbox(&ctx, req, &resp);
  if (!s.ok()) return FromGrpcStatus(s, endpoint_);
  return Status::Ok();
}

Result<v1::ListPodSandboxResponse> CriClient::ListPodSandbox() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout);
  v1::ListPodSandboxResponse resp;
  grpc::Status s = runtime_->ListPodSandbox(&ctx, v1::ListPodSandboxRequest(), &resp);
  return Finish(s, std::move(resp));
}

Result<std::string> CriClient::CreateContainer(const v1::CreateContainerRequest& req) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout * 2);
  v1::CreateContainerResponse resp;
  grpc::Status s = runtime_->CreateContainer(&ctx, req, &resp);
  if (!s.ok()) return FromGrpcStatus(s, endpoint_);
  return resp.container_id();
}

Status CriClient::StartContainer(const std::string& container_id) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout * 2);
  v1::StartContainerRequest req;
  req.set_container_id(container_id);
  v1::StartContainerResponse resp;
  grpc::Status s = runtime_->StartContainer(&ctx, req, &resp);
  if (!s.ok()) return FromGrpcStatus(s, endpoint_);
  return Status::Ok();
}

Status CriClient::StopContainer(const std::string& container_id, int64_t grace_seconds) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout, seconds(grace_seconds));
  v1::StopContainerRequest req;
  req.set_container_id(container_id);
  req.set_timeout(grace_seconds);
  v1::StopContainerResponse resp;
  grpc::Status s = runtime_->StopContainer(&ctx, req, &resp);
  if (!s.ok()) return FromGrpcStatus(s, endpoint_);
  return Status::Ok();
}

Status CriClient::RemoveContainer(const std::string& container_id) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout);
  v1::RemoveContainerRequest req;
  req.set_container_id(container_id);
  v1::RemoveContainerResponse resp;
  grpc::Status s = runtime_->RemoveContainer(&ctx, req, &resp);
  if (!s.ok()) return FromGrpcStatus(s, endpoint_);
  return Status::Ok();
}

Result<v1::ListContainersResponse> CriClient::ListContainers(const v1::ListContainersRequest& req) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout);
  v1::ListContainersResponse resp;
  grpc::Status s = runtime_->ListContainers(&ctx, req, &resp);
  return Finish(s, std::move(resp));
}

Result<v1::ContainerStatusResponse> CriClient::ContainerStatus(const std::string& container_id) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout);
  v1::ContainerStatusRequest req;
  req.set_container_id(container_id);
  v1::ContainerStatusResponse resp;
  grpc::Status s = runtime_->ContainerStatus(&ctx, req, &resp);
  return Finish(s, std::move(resp));
}

Result<v1::ExecSyncResponse> CriClient::ExecSync(const std::string& container_id,
                                               const std::vector<std::string>& cmd,
                                               int64_t timeout_seconds) {
  grpc::ClientContext ctx;
  if (timeout_seconds > 0) {
    ctx.set_deadline(std::chrono::system_clock::now() + seconds(timeout_seconds) + seconds(60));
  }
  v1::ExecSyncRequest req;
  req.set_container_id(container_id);
  for (const auto& c : cmd) req.add_cmd(c);
  req.set_timeout(timeout_seconds);
  v1::ExecSyncResponse resp;
  grpc::Status s = runtime_->ExecSync(&ctx, req, &resp);
  return Finish(s, std::move(resp));
}

}  // namespace airlock::cli
