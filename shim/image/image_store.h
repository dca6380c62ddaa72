// ImageStore: the node's local images. Imports OCI image layout archives and docker save
// tarballs, unpacks each layer once per diff id into a directory that overlayfs can stack,
// and keeps one JSON record per image so that a restarted daemon finds everything again.
//
// On disk, under the root the caller gives (e.g. /var/lib/airlock/images):
//   blobs/sha256/<hex>       manifest and config blobs, content addressed
//   layers/<diff id hex>/    one unpacked layer (its own diff only, whiteouts as overlayfs wants)
//   layers/<diff id hex>.json  {"diff_id", "size_bytes"}: written before the directory appears
//   images/<id hex>.json     ImageRecord, written with WriteFileAtomic
//   tmp/                     staging for imports and removals; emptied by Open()
//
// Thread-safe. Unpacking runs outside the lock; a layer that an import is still unpacking or
// about to reference is never garbage collected.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "shim/base/result.h"
#include "shim/image/fs_usage.h"
#include "shim/image/image_record.h"
#include "shim/image/layer_unpacker.h"

namespace airlock {

struct ImageStoreLimits {
  uint64_t max_layer_bytes = uint64_t{8} << 30;  // content of one layer
  uint64_t max_image_bytes = uint64_t{8} << 30;  // content of all layers of one image
  uint64_t max_layer_entries = 1'000'000;
  uint64_t max_archive_bytes = uint64_t{16} << 30;  // files staged from one archive
};

class ImageStore {
 public:
  static Result<std::unique_ptr<ImageStore>> Open(std::string root, ImageStoreLimits limits = {});

  // Imports the archive at `archive_path`. `transport`: "oci-archive", "docker-archive", or ""
  // to detect. `ref` (optional) picks the image in a multi-image archive and becomes its tag;
  // without it the names recorded in the archive are used. An image already present gains
  // the tags; a tag moves from whichever image held it before.
  Result<ImageRecord> Import(const std::string& archive_path, std::string_view transport,
                             const std::string& ref = "");
  // "oci-archive:PATH[:REF]" / "docker-archive:PATH[:REF]" import; a reference already in
  // the store resolves; anything else is kUnimplemented (no registry pull yet).
  Result<ImageRecord> Pull(const std::string& image_ref);
  // By full or short reference, repo digest, image id, or unambiguous id prefix (>= 12 hex).
  Result<ImageRecord> Resolve(const std::string& ref_or_id) const;
  std::vector<ImageRecord> List() const;
  // By reference: untags, and deletes the image once no tag is left. By id: deletes the image
  // with all its tags. Layers and blobs no other image uses are deleted with it.
  Status Remove(const std::string& ref_or_id);
  Result<FsUsage> Usage() const;

  const std::string& root() const { return root_; }

 private:
  ImageStore(std::string root, ImageStoreLimits limits) : root_(std::move(root)), limits_(limits) {}

  struct Lookup {
    std::string id;
    bool by_reference = false;
    std::string tag;  // the tag the reference matched, when it matched a tag
  };

  Status Load();
  Result<Lookup> FindLocked(const std::string& ref_or_id) const;
  Result<uint64_t> EnsureLayer(const std::string& blob_path, const std::string& diff_id,
                               const std::string& staging, uint64_t budget);
  Status PersistLocked(const ImageRecord& record);
  // Deletes layers and blobs that no image and no running import refer to. Directories are
  // renamed into tmp/ under the lock and returned for deletion after it is released.
  std::vector<std::string> CollectGarbageLocked();
  std::string LayerDir(const std::string& diff_id) const;
  std::string BlobPath(const std::string& digest) const;

  const std::string root_;
  const ImageStoreLimits limits_;

  mutable std::mutex mu_;
  std::map<std::string, ImageRecord> images_;  // by id
  std::multiset<std::string> pending_layers_;  // diff ids of imports in flight
  uint64_t gc_counter_ = 0;
};

}  // namespace airlock
