#include "shim/image/image_store.h"

#include <dirent.h>
#include <spdlog/spdlog.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "shim/base/file_util.h"
#include "shim/image/archive_contents.h"
#include "shim/image/image_manifest.h"
#include "shim/image/image_reference.h"
#include "shim/image/sha256.h"

namespace airlock {
namespace {

constexpr std::string_view kOciArchive = "oci-archive";
constexpr std::string_view kDockerArchive = "docker-archive";

std::string Hex(const std::string& digest) { return digest.substr(7); }  // after "sha256:"

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    out.push_back(e.path().filename().string());
  return out;
}

void AddUnique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// Removes a staging directory when the import ends, however it ends.
class TempDir {
 public:
  static Result<TempDir> Create(const std::string& parent, const std::string& prefix) {
    std::string templ = parent + "/" + prefix + "XXXXXX";
    if (!::mkdtemp(templ.data())) return ErrnoError("create staging directory in " + parent, errno);
    return TempDir(std::move(templ));
  }
  TempDir(TempDir&& o) noexcept : path_(std::exchange(o.path_, "")) {}
  TempDir(const TempDir&) = delete;
  ~TempDir() {
    if (!path_.empty()) (void)RemoveTree(path_);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<ImageStore>> ImageStore::Open(std::string root, ImageStoreLimits limits) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty() || root.front() != '/')
    return MakeError(ErrorCode::kInvalidArgument,
                     "open image store \"" + root + "\": root must be an absolute path");
  std::unique_ptr<ImageStore> store(new ImageStore(root, limits));
  for (const char* sub : {"blobs/sha256", "layers", "images", "tmp"})
    AIRLOCK_RETURN_IF_ERROR(MakeDirs(root + "/" + sub, 0700));
  // Leftovers of imports and removals that a crash interrupted.
  for (const auto& name : ListDir(root + "/tmp"))
    AIRLOCK_RETURN_IF_ERROR(RemoveTree(root + "/tmp/" + name));
  AIRLOCK_RETURN_IF_ERROR(store->Load());
  return store;
}

std::string ImageStore::LayerDir(const std::string& diff_id) const {
  return root_ + "/layers/" + Hex(diff_id);
}

std::string ImageStore::BlobPath(const std::string& digest) const {
  return root_ + "/blobs/sha256/" + Hex(digest);
}

Status ImageStore::Load() {
  std::lock_guard lock(mu_);
  for (const auto& name : ListDir(root_ + "/images")) {
    if (!name.ends_with(".json")) continue;
    std::string path = root_ + "/images/" + name;
    auto text = ReadFile(path, 16 << 20);
    if (!text.ok()) return text.error().Wrap("load image store " + root_);
    auto record = ImageRecordFromJson(*text, root_ + "/layers");
    if (!record.ok()) {
      spdlog::warn("image store skips unreadable record path={} reason=\"{}\"", path,
                   record.error().message);
      continue;
    }
    bool complete = true;
    for (const auto& dir : record->layer_dirs)
      complete = complete && ::access(dir.c_str(), F_OK) == 0;
    if (!complete) {
      spdlog::warn("image store skips image with missing layers id={}", record->id);
      continue;
    }
    images_[record->id] = std::move(record.value());
  }
  for (const auto& dir : CollectGarbageLocked()) (void)RemoveTree(dir);
  spdlog::info("image store opened root={} images={}", root_, images_.size());
  return Status::Ok();
}

Result<uint64_t> ImageStore::EnsureLayer(const std::string& blob_path, const std::string& diff_id,
                                         const std::string& staging, uint64_t budget) {
  const std::string dir = LayerDir(diff_id);
  const std::string sidecar = dir + ".json";
  auto read_size = [&]() -> Result<uint64_t> {
    auto text = ReadFile(sidecar, 4096);
    if (!text.ok()) return text.error();
    auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("size_bytes") || !j["size_bytes"].is_number_unsigned())
      return MakeError(ErrorCode::kInternal, "read layer record " + sidecar + ": malformed");
    return j["size_bytes"].get<uint64_t>();
  };
  {
    std::lock_guard lock(mu_);
    if (::access(dir.c_str(), F_OK) == 0) return read_size();
  }

  std::string tmp = staging + "/layer-" + Hex(diff_id);
  if (::mkdir(tmp.c_str(), 0755) != 0) return ErrnoError("create layer directory " + tmp, errno);
  ::chmod(tmp.c_str(), 0755);  // not the umask's choice: this becomes a lowerdir's root
  LayerLimits limits{budget, limits_.max_layer_entries};
  auto unpacked = UnpackLayer(blob_path, tmp, limits);
  if (!unpacked.ok()) return unpacked.error();
  if (unpacked->diff_id != diff_id)
    return MakeError(
        ErrorCode::kInvalidArgument,
        "verify layer " + diff_id + ": uncompressed content hashes to " + unpacked->diff_id);

  std::lock_guard lock(mu_);
  // Another import may have finished the same layer meanwhile; its copy is as good as ours.
  if (::access(dir.c_str(), F_OK) == 0) return read_size();
  nlohmann::json j{{"diff_id", diff_id}, {"size_bytes", unpacked->size_bytes}};
  AIRLOCK_RETURN_IF_ERROR(WriteFileAtomic(sidecar, j.dump() + "\n", 0600));
  if (::rename(tmp.c_str(), dir.c_str()) != 0)
    return ErrnoError("rename " + tmp + " to " + dir, errno);
  spdlog::info("image store unpacked layer diff_id={} bytes={} entries={}", diff_id,
               unpacked->size_bytes, unpacked->entries);
  return unpacked->size_bytes;
}

Result<ImageRecord> ImageStore::Import(const std::string& archive_path, std::string_view transport,
                                       const std::string& ref) {
  const std::string what = "import image archive " + archive_path;
  if (!transport.empty() && transport != kOciArchive && transport != kDockerArchive)
    return MakeError(ErrorCode::kInvalidArgument,
                     what + ": unknown transport \"" + std::string(transport) + "\"");
  std::optional<ImageReference> tag_ref;
  if (!ref.empty()) {
    auto parsed = ParseImageReference(ref);
    if (!parsed.ok()) return parsed.error().Wrap(what);
    tag_ref = std::move(parsed.value());
  }

  auto staging = TempDir::Create(root_ + "/tmp", "import-");
  if (!staging.ok()) return staging.error();
  std::string files = staging->path() + "/files";
  if (::mkdir(files.c_str(), 0700) != 0) return ErrnoError("create " + files, errno);
  auto contents = ArchiveContents::Read(archive_path, files, limits_.max_archive_bytes);
  if (!contents.ok()) return contents.error();

  ArchiveFormat format;
  if (transport.empty()) {
    auto detected = DetectArchiveFormat(*contents);
    if (!detected.ok()) return detected.error().Wrap(what);
    format = *detected;
  } else {
    format = transport == kOciArchive ? ArchiveFormat::kOciArchive : ArchiveFormat::kDockerArchive;
  }
  auto plan = format == ArchiveFormat::kOciArchive ? PlanOciImport(*contents, ref)
                                                   : PlanDockerImport(*contents, ref);
  if (!plan.ok()) return plan.error().Wrap(what);

  std::vector<std::string> tags = plan->archive_tags;
  if (tag_ref) {
    if (!tag_ref->digest.empty() && tag_ref->digest != plan->manifest_digest)
      return MakeError(ErrorCode::kInvalidArgument, what + ": reference " + ref +
                                                        " does not match manifest digest \"" +
                                                        plan->manifest_digest + "\"");
    tags.clear();
    if (!tag_ref->tag.empty()) tags.push_back(tag_ref->TagString());
  }
  std::vector<std::string> digests;
  if (!plan->manifest_digest.empty()) {
    for (const auto& t : tags) {
      auto r = ParseImageReference(t);
      if (r.ok()) AddUnique(digests, r->Repository() + "@" + plan->manifest_digest);
    }
    if (tag_ref) AddUnique(digests, tag_ref->Repository() + "@" + plan->manifest_digest);
  }

  // Pin the layers before unpacking so that a concurrent Remove cannot collect them.
  {
    std::lock_guard lock(mu_);
    for (const auto& l : plan->layers) pending_layers_.insert(l.diff_id);
  }
  struct Unpin {
    ImageStore* store;
    const std::vector<PlannedLayer>& layers;
    ~Unpin() {
      std::lock_guard lock(store->mu_);
      for (const auto& l : layers)
        store->pending_layers_.erase(store->pending_layers_.find(l.diff_id));
    }
  } unpin{this, plan->layers};

  uint64_t total = plan->config_blob->size;
  for (const auto& layer : plan->layers) {
    uint64_t left = total >= limits_.max_image_bytes ? 0 : limits_.max_image_bytes - total;
    auto size = EnsureLayer(layer.blob->path, layer.diff_id, staging->path(),
                            std::min(limits_.max_layer_bytes, left));
    if (!size.ok()) return size.error().Wrap(what);
    total += *size;
    if (total > limits_.max_image_bytes)
      return MakeError(ErrorCode::kInvalidArgument, what + ": image content exceeds the limit of " +
                                                        std::to_string(limits_.max_image_bytes) +
                                                        " bytes");
  }

  std::lock_guard lock(mu_);
  for (const StagedFile* blob : {plan->config_blob, plan->manifest_blob}) {
    if (!blob) continue;
    // Staging lives on the store's filesystem, so this is an atomic move.
    if (::rename(blob->path.c_str(), BlobPath(blob->digest).c_str()) != 0)
      return ErrnoError("store blob " + blob->digest, errno);
  }
  ImageRecord& record = images_[plan->config_digest];
  record.id = plan->config_digest;
  record.size_bytes = total;
  record.diff_ids.clear();
  record.layer_dirs.clear();
  for (const auto& l : plan->layers) {
    record.diff_ids.push_back(l.diff_id);
    record.layer_dirs.push_back(LayerDir(l.diff_id));
  }
  if (!plan->manifest_digest.empty()) record.manifest_digest = plan->manifest_digest;
  record.config = plan->config;
  for (const auto& d : digests) AddUnique(record.repo_digests, d);
  for (const auto& t : tags) {
    AddUnique(record.repo_tags, t);
    // A tag names one image: take it away from whichever image had it.
    for (auto& [id, other] : images_) {
      if (id == record.id) continue;
      auto it = std::find(other.repo_tags.begin(), other.repo_tags.end(), t);
      if (it == other.repo_tags.end()) continue;
      other.repo_tags.erase(it);
      AIRLOCK_RETURN_IF_ERROR(PersistLocked(other));
    }
  }
  AIRLOCK_RETURN_IF_ERROR(PersistLocked(record));
  spdlog::info("image store imported id={} tags={} layers={} bytes={}", record.id,
               record.repo_tags.empty() ? "<none>" : record.repo_tags.front(),
               record.diff_ids.size(), record.size_bytes);
  return record;
}

Status ImageStore::PersistLocked(const ImageRecord& record) {
  return WriteFileAtomic(root_ + "/images/" + Hex(record.id) + ".json", ImageRecordToJson(record),
                         0600);
}

Result<ImageStore::Lookup> ImageStore::FindLocked(const std::string& ref_or_id) const {
  if (ref_or_id.empty())
    return MakeError(ErrorCode::kInvalidArgument, "find image: empty reference");
  std::string hex = ref_or_id.starts_with("sha256:") ? ref_or_id.substr(7) : ref_or_id;
  if (hex.size() == 64 && IsLowerHex(hex)) {
    if (images_.count("sha256:" + hex)) return Lookup{"sha256:" + hex, false, ""};
    return MakeError(ErrorCode::kNotFound, "find image " + ref_or_id + ": no image with this id");
  }
  if (auto ref = ParseImageReference(ref_or_id); ref.ok()) {
    for (const auto& [id, r] : images_) {
      if (!ref->digest.empty()) {
        std::string want = ref->Repository() + "@" + ref->digest;
        if (std::find(r.repo_digests.begin(), r.repo_digests.end(), want) != r.repo_digests.end())
          return Lookup{id, true, ""};
      } else if (std::find(r.repo_tags.begin(), r.repo_tags.end(), ref->TagString()) !=
                 r.repo_tags.end()) {
        return Lookup{id, true, ref->TagString()};
      }
    }
  }
  // Like docker: a short id prefix, at least 12 hex digits, if it names exactly one image.
  if (hex.size() >= 12 && IsLowerHex(hex)) {
    std::vector<std::string> matches;
    for (const auto& [id, r] : images_)
      if (id.compare(7, hex.size(), hex) == 0) matches.push_back(id);
    if (matches.size() == 1) return Lookup{matches.front(), false, ""};
    if (matches.size() > 1)
      return MakeError(ErrorCode::kInvalidArgument, "find image " + ref_or_id +
                                                        ": id prefix matches " +
                                                        std::to_string(matches.size()) + " images");
  }
  return MakeError(ErrorCode::kNotFound,
                   "find image " + ref_or_id + ": not in the local image store");
}

Result<ImageRecord> ImageStore::Resolve(const std::string& ref_or_id) const {
  std::lock_guard lock(mu_);
  auto found = FindLocked(ref_or_id);
  if (!found.ok()) return found.error();
  return images_.at(found->id);
}

std::vector<ImageRecord> ImageStore::List() const {
  std::lock_guard lock(mu_);
  std::vector<ImageRecord> out;
  out.reserve(images_.size());
  for (const auto& [id, r] : images_) out.push_back(r);
  return out;
}

Result<ImageRecord> ImageStore::Pull(const std::string& image_ref) {
  for (std::string_view transport : {kOciArchive, kDockerArchive}) {
    std::string prefix = std::string(transport) + ":";
    if (!image_ref.starts_with(prefix)) continue;
    // As in skopeo, the path ends at the first ':'; the rest names the image.
    std::string rest = image_ref.substr(prefix.size());
    size_t colon = rest.find(':');
    std::string path = rest.substr(0, colon);
    std::string ref = colon == std::string::npos ? "" : rest.substr(colon + 1);
    if (path.empty())
      return MakeError(ErrorCode::kInvalidArgument, "pull image " + image_ref + ": empty path");
    auto imported = Import(path, transport, ref);
    if (!imported.ok()) return imported.error().Wrap("pull image " + image_ref);
    return imported;
  }
  auto found = Resolve(image_ref);
  if (found.ok() || found.error().code != ErrorCode::kNotFound) return found;
  auto ref = ParseImageReference(image_ref);
  if (!ref.ok()) return ref.error().Wrap("pull image");
  return MakeError(ErrorCode::kUnimplemented,
                   "pull image " + ref->String() +
                       ": not in the local image store, and registry pull is not supported yet "
                       "(import it with oci-archive:PATH or docker-archive:PATH)");
}

Status ImageStore::Remove(const std::string& ref_or_id) {
  std::vector<std::string> doomed;
  {
    std::lock_guard lock(mu_);
    auto found = FindLocked(ref_or_id);
    if (!found.ok()) return found.error().Wrap("remove image");
    ImageRecord& record = images_.at(found->id);
    if (found->by_reference && !found->tag.empty() && record.repo_tags.size() > 1) {
      record.repo_tags.erase(
          std::find(record.repo_tags.begin(), record.repo_tags.end(), found->tag));
      // A repo digest stays while some tag of the same repository still names the image.
      std::string repo = found->tag.substr(0, found->tag.rfind(':'));
      bool repo_left = std::any_of(record.repo_tags.begin(), record.repo_tags.end(),
                                   [&](const std::string& t) { return t.starts_with(repo + ":"); });
      if (!repo_left)
        std::erase_if(record.repo_digests,
                      [&](const std::string& d) { return d.starts_with(repo + "@"); });
      return PersistLocked(record);
    }
    std::string path = root_ + "/images/" + Hex(record.id) + ".json";
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return ErrnoError("remove image record " + path, errno);
    spdlog::info("image store removed id={}", record.id);
    images_.erase(found->id);
    doomed = CollectGarbageLocked();
  }
  // Deleting a large tree takes a while; other callers need not wait for it.
  for (const auto& dir : doomed) (void)RemoveTree(dir);
  return Status::Ok();
}

std::vector<std::string> ImageStore::CollectGarbageLocked() {
  std::set<std::string> layers(pending_layers_.begin(), pending_layers_.end());
  std::set<std::string> blobs;
  for (const auto& [id, r] : images_) {
    for (const auto& d : r.diff_ids) layers.insert(Hex(d));
    blobs.insert(Hex(id));
    if (!r.manifest_digest.empty()) blobs.insert(Hex(r.manifest_digest));
  }
  std::vector<std::string> doomed;
  for (const auto& name : ListDir(root_ + "/layers")) {
    std::string path = root_ + "/layers/" + name;
    std::string hex = name.substr(0, name.find('.'));
    if (layers.count(hex)) continue;
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      std::string moved = root_ + "/tmp/gc-" + std::to_string(++gc_counter_) + "-" + name;
      if (::rename(path.c_str(), moved.c_str()) == 0) doomed.push_back(moved);
    } else {
      ::unlink(path.c_str());
    }
  }
  for (const auto& name : ListDir(root_ + "/blobs/sha256"))
    if (!blobs.count(name)) ::unlink((root_ + "/blobs/sha256/" + name).c_str());
  return doomed;
}

Result<FsUsage> ImageStore::Usage() const { return MeasureFsUsage(root_); }

}  // namespace airlock
