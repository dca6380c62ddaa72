#include "tests/unit/cli_fake_cri_server.h"

#include <cstdio>

namespace airlock::cli::testing {

namespace v1 = runtime::v1;
using grpc::ServerContext;

namespace {
constexpr int64_t kNow = 1'700'000'000'000'000'000;
grpc::Status NotFound(const std::string& what) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND, what + " not found");
}
}  // namespace

FakeCriServer::FakeCriServer(const std::string& socket_path, std::string log_dir)
    : log_dir_(std::move(log_dir)) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix://" + socket_path, grpc::InsecureServerCredentials());
  builder.RegisterService(static_cast<v1::RuntimeService::Service*>(this));
  builder.RegisterService(static_cast<v1::ImageService::Service*>(this));
  server_ = builder.BuildAndStart();
}

FakeCriServer::~FakeCriServer() {
  if (server_) server_->Shutdown();
}

std::string FakeCriServer::NextId(char kind) {
  // 64 characters like real ids: kind letter, a counter (so short prefixes are unique), filler.
  char buf[8];
  std::snprintf(buf, sizeof buf, "%c%03d", kind, next_id_++);
  return buf + std::string(60, 'f');
}

grpc::Status FakeCriServer::Version(ServerContext*, const v1::VersionRequest*,
                                    v1::VersionResponse* resp) {
  resp->set_version("0.1.0");
  resp->set_runtime_name("fake-cri");
  resp->set_runtime_version("9.9.9");
  resp->set_runtime_api_version("v1");
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::RunPodSandbox(ServerContext*, const v1::RunPodSandboxRequest* req,
                                          v1::RunPodSandboxResponse* resp) {
  std::lock_guard<std::mutex> lock(mu);
  last_run_pod = *req;
  v1::PodSandbox pod;
  pod.set_id(NextId('a'));
  *pod.mutable_metadata() = req->config().metadata();
  pod.set_state(v1::SANDBOX_READY);
  pod.set_created_at(kNow);
  pods[pod.id()] = pod;
  resp->set_pod_sandbox_id(pod.id());
  calls.push_back("RunPodSandbox " + pod.id());
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::StopPodSandbox(ServerContext*, const v1::StopPodSandboxRequest* req,
                                           v1::StopPodSandboxResponse*) {
  std::lock_guard<std::mutex> lock(mu);
  calls.push_back("StopPodSandbox " + req->pod_sandbox_id());
  auto it = pods.find(req->pod_sandbox_id());
  if (it == pods.end()) return NotFound("pod " + req->pod_sandbox_id());
  it->second.set_state(v1::SANDBOX_NOTREADY);
  for (auto& [id, c] : containers) {
    if (c.pod_sandbox_id() == it->first) c.set_state(v1::CONTAINER_EXITED);
  }
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::RemovePodSandbox(ServerContext*, const v1::RemovePodSandboxRequest* req,
                                             v1::RemovePodSandboxResponse*) {
  std::lock_guard<std::mutex> lock(mu);
  calls.push_back("RemovePodSandbox " + req->pod_sandbox_id());
  pods.erase(req->pod_sandbox_id());
  std::erase_if(containers, [&](const auto& kv) {
    return kv.second.pod_sandbox_id() == req->pod_sandbox_id();
  });
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::ListPodSandbox(ServerContext*, const v1::ListPodSandboxRequest*,
                                           v1::ListPodSandboxResponse* resp) {
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& [id, p] : pods) *resp->add_items() = p;
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::CreateContainer(ServerContext*, const v1::CreateContainerRequest* req,
                                            v1::CreateContainerResponse* resp) {
  std::lock_guard<std::mutex> lock(mu);
  last_create = *req;
  if (!pods.count(req->pod_sandbox_id())) return NotFound("pod " + req->pod_sandbox_id());
  v1::Container c;
  c.set_id(NextId('c'));
  c.set_pod_sandbox_id(req->pod_sandbox_id());
  *c.mutable_metadata() = req->config().metadata();
  *c.mutable_image() = req->config().image();
  c.set_state(v1::CONTAINER_CREATED);
  c.set_created_at(kNow);
  containers[c.id()] = c;
  resp->set_container_id(c.id());
  calls.push_back("CreateContainer " + c.id());
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::StartContainer(ServerContext*, const v1::StartContainerRequest* req,
                                           v1::StartContainerResponse*) {
  std::lock_guard<std::mutex> lock(mu);
  calls.push_back("StartContainer " + req->container_id());
  if (fail_start) return *fail_start;
  auto it = containers.find(req->container_id());
  if (it == containers.end()) return NotFound("container " + req->container_id());
  it->second.set_state(v1::CONTAINER_RUNNING);
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::StopContainer(ServerContext*, const v1::StopContainerRequest* req,
                                          v1::StopContainerResponse*) {
  std::lock_guard<std::mutex> lock(mu);
  calls.push_back("StopContainer " + req->container_id() + " " + std::to_string(req->timeout()));
  auto it = containers.find(req->container_id());
  if (it == containers.end()) return NotFound("container " + req->container_id());
  it->second.set_state(v1::CONTAINER_EXITED);
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::RemoveContainer(ServerContext*, const v1::RemoveContainerRequest* req,
                                            v1::RemoveContainerResponse*) {
  std::lock_guard<std::mutex> lock(mu);
  calls.push_back("RemoveContainer " + req->container_id());
  containers.erase(req->container_id());
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::ListContainers(ServerContext*, const v1::ListContainersRequest* req,
                                           v1::ListContainersResponse* resp) {
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& [id, c] : containers) {
    if (req->filter().has_state() && req->filter().state().state() != c.state()) continue;
    *resp->add_containers() = c;
  }
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::ContainerStatus(ServerContext*, const v1::ContainerStatusRequest* req,
                                            v1::ContainerStatusResponse* resp) {
  std::lock_guard<std::mutex> lock(mu);
  auto it = containers.find(req->container_id());
  if (it == containers.end()) return NotFound("container " + req->container_id());
  auto* s = resp->mutable_status();
  s->set_id(it->first);
  *s->mutable_metadata() = it->second.metadata();
  s->set_state(it->second.state());
  s->set_log_path(log_dir_ + "/" + it->first + ".log");
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::ListImages(ServerContext*, const v1::ListImagesRequest*,
                                       v1::ListImagesResponse* resp) {
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& img : images) *resp->add_images() = img;
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::PullImage(ServerContext*, const v1::PullImageRequest* req,
                                      v1::PullImageResponse* resp) {
  std::lock_guard<std::mutex> lock(mu);
  calls.push_back("PullImage " + req->image().image());
  v1::Image img;
  img.set_id("sha256:" + std::string(64, static_cast<char>('0' + images.size() % 10)));
  img.set_size(1'234'567);
  images.push_back(img);
  resp->set_image_ref(img.id());
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::RemoveImage(ServerContext*, const v1::RemoveImageRequest* req,
                                        v1::RemoveImageResponse*) {
  std::lock_guard<std::mutex> lock(mu);
  calls.push_back("RemoveImage " + req->image().image());
  std::erase_if(images, [&](const v1::Image& i) { return i.id() == req->image().image(); });
  return grpc::Status::OK;
}

}  // namespace airlock::cli::testing
