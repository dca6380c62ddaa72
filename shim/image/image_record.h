// ImageRecord: what the store knows about one image, and its JSON form on disk
// (<root>/images/<id hex>.json). Layer directories are derived from diff ids and the store
// root at load time, so the JSON stays valid if the store is moved.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "shim/base/result.h"
#include "shim/image/image_config.h"

namespace airlock {

struct ImageRecord {
  std::string id;                         // "sha256:<config digest hex>"
  std::vector<std::string> repo_tags;     // "docker.io/library/busybox:latest"
  std::vector<std::string> repo_digests;  // "docker.io/library/busybox@sha256:<manifest>"
  uint64_t size_bytes = 0;                // unpacked layer content + config, as stored here
  std::vector<std::string> diff_ids;      // bottom -> top
  std::vector<std::string> layer_dirs;    // absolute, parallel to diff_ids (overlay lowerdirs)
  std::string manifest_digest;            // empty for docker-archive imports
  ImageConfig config;
};

nlohmann::json ImageConfigToJson(const ImageConfig& config);
// Reads the "config" object of an OCI/docker image config blob (capitalized keys).
Result<ImageConfig> ImageConfigFromOci(const nlohmann::json& config_object);

std::string ImageRecordToJson(const ImageRecord& record);
// `layer_root` is "<store>/layers"; layer_dirs are rebuilt from it.
Result<ImageRecord> ImageRecordFromJson(const std::string& text, const std::string& layer_root);

}  // namespace airlock
