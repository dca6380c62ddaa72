#include "shim/server/image_service.h"

#include <nlohmann/json.hpp>

#include "shim/server/reactors.h"

namespace airlock {
namespace v1 = runtime::v1;

namespace {

v1::Image ToCri(const ImageRecord& rec) {
  v1::Image img;
  img.set_id(rec.id);
  for (const auto& t : rec.repo_tags) img.add_repo_tags(t);
  for (const auto& d : rec.repo_digests) img.add_repo_digests(d);
  img.set_size(rec.size_bytes);
  // The kubelet checks runAsNonRoot against these: a numeric user goes to uid, a name to
  // username (as containerd reports them).
  std::string user = rec.config.user.substr(0, rec.config.user.find(':'));
  if (!user.empty() && user.find_first_not_of("0123456789") == std::string::npos) {
    img.mutable_uid()->set_value(std::stoll(user));
  } else if (user.empty()) {
    img.mutable_uid()->set_value(0);
  } else {
    img.set_username(user);
  }
  img.mutable_spec()->set_image(rec.id);
  return img;
}

}  // namespace

std::vector<v1::Image> ImageServiceImpl::Images(const v1::ImageFilter& filter) {
  std::vector<v1::Image> out;
  if (!filter.image().image().empty()) {
    auto rec = store_.Resolve(filter.image().image());
    if (rec.ok()) out.push_back(ToCri(*rec));
    return out;
  }
  for (const auto& rec : store_.List()) out.push_back(ToCri(rec));
  return out;
}

ImageServiceImpl::Unary* ImageServiceImpl::ListImages(Ctx* ctx, const v1::ListImagesRequest* req,
                                                      v1::ListImagesResponse* resp) {
  return Offload(ctx, pool_, [this, req, resp]() -> Status {
    for (auto& img : Images(req->filter())) *resp->add_images() = std::move(img);
    return Status::Ok();
  });
}

grpc::ServerWriteReactor<v1::StreamImagesResponse>* ImageServiceImpl::StreamImages(
    Ctx*, const v1::StreamImagesRequest* req) {
  v1::StreamImagesResponse resp;
  for (auto& img : Images(req->filter())) *resp.add_images() = std::move(img);
  return new ListWriteReactor<v1::StreamImagesResponse>(std::move(resp));
}

ImageServiceImpl::Unary* ImageServiceImpl::ImageStatus(Ctx* ctx, const v1::ImageStatusRequest* req,
                                                       v1::ImageStatusResponse* resp) {
  return Offload(ctx, pool_, [this, req, resp]() -> Status {
    if (req->image().image().empty())
      return MakeError(ErrorCode::kInvalidArgument, "image.image is required");
    auto rec = store_.Resolve(req->image().image());
    if (!rec.ok()) {
      // CRI: an absent image is an empty response, not an error.
      if (rec.error().code == ErrorCode::kNotFound) return Status::Ok();
      return rec.error();
    }
    *resp->mutable_image() = ToCri(*rec);
    if (req->verbose()) {
      nlohmann::json info = {{"id", rec->id},
                             {"layers", rec->layer_dirs},
                             {"config",
                              {{"User", rec->config.user},
                               {"Env", rec->config.env},
                               {"Entrypoint", rec->config.entrypoint},
                               {"Cmd", rec->config.cmd},
                               {"WorkingDir", rec->config.working_dir},
                               {"Labels", rec->config.labels},
                               {"StopSignal", rec->config.stop_signal}}}};
      (*resp->mutable_info())["info"] = info.dump();
    }
    return Status::Ok();
  });
}

ImageServiceImpl::Unary* ImageServiceImpl::PullImage(Ctx* ctx, const v1::PullImageRequest* req,
                                                     v1::PullImageResponse* resp) {
  return Offload(ctx, pool_, [this, req, resp]() -> Status {
    if (req->image().image().empty())
      return MakeError(ErrorCode::kInvalidArgument, "image.image is required");
    auto rec = store_.Pull(req->image().image());
    if (!rec.ok()) return rec.error();
    resp->set_image_ref(rec->id);
    return Status::Ok();
  });
}

ImageServiceImpl::Unary* ImageServiceImpl::RemoveImage(Ctx* ctx, const v1::RemoveImageRequest* req,
                                                       v1::RemoveImageResponse*) {
  return Offload(ctx, pool_, [this, req]() -> Status {
    if (req->image().image().empty())
      return MakeError(ErrorCode::kInvalidArgument, "image.image is required");
    auto rec = store_.Resolve(req->image().image());
    // CRI: removing an image that is already gone succeeds.
    if (!rec.ok())
      return rec.error().code == ErrorCode::kNotFound ? Status::Ok() : Status(rec.error());
    std::string user = manager_.ContainerUsingImage(rec->id);
    if (!user.empty())
      return MakeError(ErrorCode::kFailedPrecondition,
                       "image " + req->image().image() + " is in use by container " + user);
    return store_.Remove(req->image().image());
  });
}

ImageServiceImpl::Unary* ImageServiceImpl::ImageFsInfo(Ctx* ctx, const v1::ImageFsInfoRequest*,
                                                       v1::ImageFsInfoResponse* resp) {
  return Offload(ctx, pool_, [this, resp]() -> Status {
    auto usage = store_.Usage();
    if (!usage.ok()) return usage.error();
    auto* fs = resp->add_image_filesystems();
    fs->set_timestamp(std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count());
    fs->mutable_fs_id()->set_mountpoint(usage->mountpoint);
    fs->mutable_used_bytes()->set_value(usage->used_bytes);
    fs->mutable_inodes_used()->set_value(usage->inodes_used);
    return Status::Ok();
  });
}

}  // namespace airlock
