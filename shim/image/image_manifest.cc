#include "shim/image/image_manifest.h"

#include <nlohmann/json.hpp>

#include "shim/base/file_util.h"
#include "shim/image/image_record.h"
#include "shim/image/image_reference.h"
#include "shim/image/sha256.h"

namespace airlock {
namespace {

using nlohmann::json;

#if defined(__x86_64__)
constexpr const char* kHostArch = "amd64";
#elif defined(__aarch64__)
constexpr const char* kHostArch = "arm64";
#else
constexpr const char* kHostArch = "";
#endif

constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";
constexpr const char* kContainerdNameAnnotation = "io.containerd.image.name";
constexpr int kMaxIndexDepth = 3;

Error Invalid(const std::string& what, const std::string& reason) {
  return MakeError(ErrorCode::kInvalidArgument, what + ": " + reason);
}

std::string Str(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

Result<json> ReadJson(const ArchiveContents& contents, const std::string& name) {
  auto text = contents.ReadText(name);
  if (!text.ok()) return text.error();
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Invalid("parse " + name, "not valid JSON");
  return j;
}

// The blob named by `digest`, after checking that its bytes hash to that digest and that its
// length matches the descriptor.
Result<const StagedFile*> VerifiedBlob(const ArchiveContents& contents, const json& descriptor) {
  std::string digest = Str(descriptor, "digest");
  if (!IsSha256Digest(digest))
    return Invalid("read blob \"" + digest + "\"", "only sha256 digests are supported");
  const StagedFile* f = contents.Find("blobs/sha256/" + digest.substr(7));
  if (!f) return Invalid("read blob " + digest, "not in the archive");
  if (f->digest != digest)
    return Invalid("verify blob " + digest, "content hashes to " + f->digest);
  if (descriptor.contains("size") && descriptor["size"].is_number_integer() &&
      descriptor["size"].get<int64_t>() != static_cast<int64_t>(f->size))
    return Invalid("verify blob " + digest,
                   "size " + std::to_string(f->size) + " does not match the descriptor");
  return f;
}

std::string NormalizedTag(const std::string& name) {
  auto ref = ParseImageReference(name);
  return ref.ok() ? ref->TagString() : "";
}

bool SelectorMatches(const std::string& selector, const std::vector<std::string>& names) {
  std::string want = NormalizedTag(selector);
  for (const auto& n : names)
    if (n == selector || (!want.empty() && NormalizedTag(n) == want)) return true;
  return false;
}

std::string JoinNames(const std::vector<std::vector<std::string>>& all) {
  std::string out;
  for (const auto& names : all)
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "no names" : out;
}

// Picks the candidate the selector names, or the only one.
Result<size_t> Choose(const std::vector<std::vector<std::string>>& names,
                      const std::string& selector, const std::string& what) {
  if (names.empty()) return Invalid(what, "the archive holds no image");
  if (names.size() == 1) return size_t{0};
  if (selector.empty())
    return Invalid(what, "the archive holds " + std::to_string(names.size()) +
                             " images; name one (" + JoinNames(names) + ")");
  for (size_t i = 0; i < names.size(); ++i)
    if (SelectorMatches(selector, names[i])) return i;
  return MakeError(ErrorCode::kNotFound,
                   what + ": no image named \"" + selector + "\" (has " + JoinNames(names) + ")");
}

// Fills config, config_digest and the expected diff ids from a config blob.
Status ParseConfig(const StagedFile* blob, ImportPlan& plan) {
  auto text = ReadFile(blob->path, 4 << 20);
  if (!text.ok()) return text.error();
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  std::string what = "parse image config " + blob->digest;
  if (j.is_discarded() || !j.is_object()) return Invalid(what, "not a JSON object");
  std::string os = Str(j, "os");
  if (!os.empty() && os != "linux") return Invalid(what, "image is for os \"" + os + "\"");
  if (!j.contains("rootfs") || !j["rootfs"].is_object() || !j["rootfs"].contains("diff_ids") ||
      !j["rootfs"]["diff_ids"].is_array())
    return Invalid(what, "missing rootfs.diff_ids");
  const json& ids = j["rootfs"]["diff_ids"];
  if (ids.size() != plan.layers.size())
    return Invalid(what, std::to_string(ids.size()) + " diff ids for " +
                             std::to_string(plan.layers.size()) + " layers");
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].is_string() || !IsSha256Digest(ids[i].get<std::string>()))
      return Invalid(what, "diff id " + std::to_string(i) + " is not a sha256 digest");
    plan.layers[i].diff_id = ids[i].get<std::string>();
  }
  auto config = ImageConfigFromOci(j.contains("config") ? j["config"] : json());
  if (!config.ok()) return config.error();
  plan.config = std::move(config.value());
  plan.config_blob = blob;
  plan.config_digest = blob->digest;
  return Status::Ok();
}

bool IsIndex(const std::string& media_type, const json& body) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json" ||
         (media_type.empty() && body.contains("manifests"));
}

// Follows nested indexes (multi-platform images) down to the manifest for this host.
Result<std::pair<const StagedFile*, json>> ResolveManifest(const ArchiveContents& contents,
                                                           const json& descriptor, int depth) {
  auto blob = VerifiedBlob(contents, descriptor);
  if (!blob.ok()) return blob.error();
  auto text = ReadFile((*blob)->path, 4 << 20);
  if (!text.ok()) return text.error();
  json body = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  std::string what = "parse manifest " + (*blob)->digest;
  if (body.is_discarded() || !body.is_object()) return Invalid(what, "not a JSON object");
  std::string media_type = Str(descriptor, "mediaType");
  if (media_type.empty()) media_type = Str(body, "mediaType");
  if (!IsIndex(media_type, body)) return std::make_pair(*blob, std::move(body));

  if (depth >= kMaxIndexDepth) return Invalid(what, "indexes nested too deeply");
  if (!body["manifests"].is_array()) return Invalid(what, "\"manifests\" is not an array");
  for (const auto& m : body["manifests"]) {
    const json& platform = m.contains("platform") ? m["platform"] : json();
    if (Str(platform, "os") == "linux" && Str(platform, "architecture") == kHostArch)
      return ResolveManifest(contents, m, depth + 1);
  }
  return MakeError(ErrorCode::kNotFound,
                   what + ": no manifest for linux/" + std::string(kHostArch));
}

bool IsLayerMediaType(const std::string& media_type) {
  // OCI layer.v1.tar[+gzip|+zstd], their nondistributable forms, docker rootfs.diff.tar.gzip.
  return media_type.find(".tar") != std::string::npos ||
         media_type.find("tar+") != std::string::npos;
}

}  // namespace

Result<ArchiveFormat> DetectArchiveFormat(const ArchiveContents& contents) {
  // docker save since 25.0 writes both layouts; the OCI one carries digests for everything.
  if (contents.Find("oci-layout") && contents.Find("index.json")) return ArchiveFormat::kOciArchive;
  if (contents.Find("manifest.json")) return ArchiveFormat::kDockerArchive;
  return Invalid("detect image archive format",
                 "neither an OCI layout (oci-layout, index.json) nor a docker save archive "
                 "(manifest.json)");
}

Result<ImportPlan> PlanOciImport(const ArchiveContents& contents, const std::string& selector) {
  if (!contents.Find("oci-layout") || !contents.Find("index.json"))
    return Invalid(
        "read oci-archive",
        "no oci-layout/index.json in the archive" +
            std::string(contents.Find("manifest.json") ? " (it looks like a docker-archive)" : ""));
  auto index = ReadJson(contents, "index.json");
  if (!index.ok()) return index.error();
  if (!index->is_object() || !(*index).contains("manifests") || !(*index)["manifests"].is_array())
    return Invalid("parse index.json", "\"manifests\" is not an array");
  const json& manifests = (*index)["manifests"];

  std::vector<std::vector<std::string>> names;
  for (const auto& m : manifests) {
    std::vector<std::string> n;
    const json& ann = m.contains("annotations") ? m["annotations"] : json();
    for (const char* key : {kContainerdNameAnnotation, kRefNameAnnotation})
      if (std::string v = Str(ann, key); !v.empty()) n.push_back(v);
    names.push_back(std::move(n));
  }
  auto chosen = Choose(names, selector, "read oci-archive index.json");
  if (!chosen.ok()) return chosen.error();

  ImportPlan plan;
  for (const auto& n : names[*chosen]) {
    // A bare ref.name like "latest" names no repository; only full names become tags.
    if (n.find_first_of("/:") == std::string::npos) continue;
    if (std::string tag = NormalizedTag(n); !tag.empty()) plan.archive_tags.push_back(tag);
  }

  auto resolved = ResolveManifest(contents, manifests[*chosen], 0);
  if (!resolved.ok()) return resolved.error();
  const auto& [manifest_blob, manifest] = *resolved;
  plan.manifest_blob = manifest_blob;
  plan.manifest_digest = manifest_blob->digest;
  std::string what = "parse manifest " + plan.manifest_digest;
  if (!manifest.contains("config") || !manifest.contains("layers") ||
      !manifest["layers"].is_array())
    return Invalid(what, "missing config or layers");
  for (const auto& l : manifest["layers"]) {
    if (!IsLayerMediaType(Str(l, "mediaType")))
      return Invalid(what, "unsupported layer media type \"" + Str(l, "mediaType") + "\"");
    auto blob = VerifiedBlob(contents, l);
    if (!blob.ok()) return blob.error();
    plan.layers.push_back(PlannedLayer{*blob, ""});
  }
  auto config_blob = VerifiedBlob(contents, manifest["config"]);
  if (!config_blob.ok()) return config_blob.error();
  AIRLOCK_RETURN_IF_ERROR(ParseConfig(*config_blob, plan));
  return plan;
}

Result<ImportPlan> PlanDockerImport(const ArchiveContents& contents, const std::string& selector) {
  if (!contents.Find("manifest.json"))
    return Invalid(
        "read docker-archive",
        "no manifest.json in the archive" +
            std::string(contents.Find("index.json") ? " (it looks like an oci-archive)" : ""));
  auto manifest = ReadJson(contents, "manifest.json");
  if (!manifest.ok()) return manifest.error();
  if (!manifest->is_array()) return Invalid("parse manifest.json", "not a JSON array");

  std::vector<std::vector<std::string>> names;
  for (const auto& m : *manifest) {
    std::vector<std::string> n;
    if (m.is_object() && m.contains("RepoTags") && m["RepoTags"].is_array())
      for (const auto& t : m["RepoTags"])
        if (t.is_string()) n.push_back(t.get<std::string>());
    names.push_back(std::move(n));
  }
  auto chosen = Choose(names, selector, "read docker-archive manifest.json");
  if (!chosen.ok()) return chosen.error();
  const json& entry = (*manifest)[*chosen];
  if (!entry.is_object() || !entry.contains("Layers") || !entry["Layers"].is_array())
    return Invalid("parse manifest.json", "entry without Layers");

  ImportPlan plan;
  for (const auto& n : names[*chosen])
    if (std::string tag = NormalizedTag(n); !tag.empty()) plan.archive_tags.push_back(tag);

  // Where a member is named by its digest (blobs/sha256/<hex>, legacy "<hex>.json"), check it.
  auto named = [&](const std::string& name, bool strip_json) -> Result<const StagedFile*> {
    const StagedFile* f = contents.Find(name);
    if (!f) return Invalid("read docker-archive member " + name, "not in the archive");
    std::string base = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
    if (strip_json && base.ends_with(".json")) base.resize(base.size() - 5);
    bool digest_named =
        base.size() == 64 && IsLowerHex(base) && (strip_json || name.starts_with("blobs/sha256/"));
    if (digest_named && f->digest != "sha256:" + base)
      return Invalid("verify docker-archive member " + name, "content hashes to " + f->digest);
    return f;
  };
  for (const auto& l : entry["Layers"]) {
    if (!l.is_string()) return Invalid("parse manifest.json", "layer name is not a string");
    auto blob = named(l.get<std::string>(), false);
    if (!blob.ok()) return blob.error();
    plan.layers.push_back(PlannedLayer{*blob, ""});
  }
  std::string config_name = Str(entry, "Config");
  if (config_name.empty()) return Invalid("parse manifest.json", "entry without Config");
  auto config_blob = named(config_name, true);
  if (!config_blob.ok()) return config_blob.error();
  AIRLOCK_RETURN_IF_ERROR(ParseConfig(*config_blob, plan));
  return plan;
}

}  // namespace airlock
