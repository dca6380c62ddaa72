// ImportPlan: what an image archive says about one image, checked against the bytes in it.
// Two readers fill it: the OCI image layout (index.json -> manifest -> config + layers) and
// the docker save layout (manifest.json -> Config + Layers). Both verify every digest the
// format states; layer diff ids are checked later, while unpacking.
#pragma once

#include <string>
#include <vector>

#include "shim/base/result.h"
#include "shim/image/archive_contents.h"
#include "shim/image/image_config.h"

namespace airlock {

enum class ArchiveFormat { kOciArchive, kDockerArchive };

struct PlannedLayer {
  const StagedFile* blob = nullptr;  // compressed or not; the unpacker detects which
  std::string diff_id;               // expected, from the config's rootfs.diff_ids
};

struct ImportPlan {
  std::string config_digest;  // also the image id
  const StagedFile* config_blob = nullptr;
  std::string manifest_digest;  // OCI only
  const StagedFile* manifest_blob = nullptr;
  std::vector<PlannedLayer> layers;       // bottom -> top
  std::vector<std::string> archive_tags;  // normalized names recorded in the archive
  ImageConfig config;
};

// Which layout the archive holds; an error when it is neither.
Result<ArchiveFormat> DetectArchiveFormat(const ArchiveContents& contents);

// `selector` (may be empty) picks one image when the archive holds several: matched against
// the OCI ref.name / io.containerd.image.name annotations or docker RepoTags, raw or
// normalized. A single-image archive is used whatever the selector says.
Result<ImportPlan> PlanOciImport(const ArchiveContents& contents, const std::string& selector);
Result<ImportPlan> PlanDockerImport(const ArchiveContents& contents, const std::string& selector);

}  // namespace airlock
