// runtime.v1.ImageService over the local image store.
#pragma once

#include "proto/cri_api.h"
#include "shim/base/work_pool.h"
#include "shim/cri/runtime_manager.h"
#include "shim/image/image_store.h"

namespace airlock {

class ImageServiceImpl final : public runtime::v1::ImageService::CallbackService {
 public:
  ImageServiceImpl(ImageStore& store, RuntimeManager& manager, WorkPool& pool)
      : store_(store), manager_(manager), pool_(pool) {}

  using Ctx = grpc::CallbackServerContext;
  using Unary = grpc::ServerUnaryReactor;

  Unary* ListImages(Ctx*, const runtime::v1::ListImagesRequest*,
                    runtime::v1::ListImagesResponse*) override;
  grpc::ServerWriteReactor<runtime::v1::StreamImagesResponse>* StreamImages(
      Ctx*, const runtime::v1::StreamImagesRequest*) override;
  Unary* ImageStatus(Ctx*, const runtime::v1::ImageStatusRequest*,
                     runtime::v1::ImageStatusResponse*) override;
  Unary* PullImage(Ctx*, const runtime::v1::PullImageRequest*,
                   runtime::v1::PullImageResponse*) override;
  Unary* RemoveImage(Ctx*, const runtime::v1::RemoveImageRequest*,
                     runtime::v1::RemoveImageResponse*) override;
  Unary* ImageFsInfo(Ctx*, const runtime::v1::ImageFsInfoRequest*,
                     runtime::v1::ImageFsInfoResponse*) override;

 private:
  std::vector<runtime::v1::Image> Images(const runtime::v1::ImageFilter& filter);

  ImageStore& store_;
  RuntimeManager& manager_;
  WorkPool& pool_;
};

}  // namespace airlock
