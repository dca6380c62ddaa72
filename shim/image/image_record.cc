#include "shim/image/image_record.h"

#include <nlohmann/json.hpp>

#include "shim/image/sha256.h"

namespace airlock {
namespace {

using nlohmann::json;

std::vector<std::string> StringList(const json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j[key].is_array())
    for (const auto& v : j[key])
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string String(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

}  // namespace

json ImageConfigToJson(const ImageConfig& c) {
  return json{{"User", c.user},
              {"Env", c.env},
              {"Entrypoint", c.entrypoint},
              {"Cmd", c.cmd},
              {"WorkingDir", c.working_dir},
              {"Labels", c.labels},
              {"StopSignal", c.stop_signal}};
}

Result<ImageConfig> ImageConfigFromOci(const json& j) {
  ImageConfig c;
  if (j.is_null()) return c;  // "config" is optional in the OCI image spec
  if (!j.is_object())
    return MakeError(ErrorCode::kInvalidArgument,
                     "parse image config: \"config\" is not an object");
  c.user = String(j, "User");
  c.env = StringList(j, "Env");
  c.entrypoint = StringList(j, "Entrypoint");
  c.cmd = StringList(j, "Cmd");
  c.working_dir = String(j, "WorkingDir");
  c.stop_signal = String(j, "StopSignal");
  if (j.contains("Labels") && j["Labels"].is_object())
    for (const auto& [k, v] : j["Labels"].items())
      if (v.is_string()) c.labels[k] = v.get<std::string>();
  return c;
}

std::string ImageRecordToJson(const ImageRecord& r) {
  json j{{"id", r.id},
         {"repo_tags", r.repo_tags},
         {"repo_digests", r.repo_digests},
         {"size_bytes", r.size_bytes},
         {"diff_ids", r.diff_ids},
         {"manifest_digest", r.manifest_digest},
         {"config", ImageConfigToJson(r.config)}};
  // replace: never throw on odd bytes, whatever a config carried.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<ImageRecord> ImageRecordFromJson(const std::string& text, const std::string& layer_root) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return MakeError(ErrorCode::kInvalidArgument, "parse image record: not a JSON object");
  ImageRecord r;
  r.id = String(j, "id");
  if (!IsSha256Digest(r.id))
    return MakeError(ErrorCode::kInvalidArgument, "parse image record: bad id \"" + r.id + "\"");
  r.repo_tags = StringList(j, "repo_tags");
  r.repo_digests = StringList(j, "repo_digests");
  r.diff_ids = StringList(j, "diff_ids");
  r.manifest_digest = String(j, "manifest_digest");
  if (j.contains("size_bytes") && j["size_bytes"].is_number_unsigned())
    r.size_bytes = j["size_bytes"].get<uint64_t>();
  for (const auto& d : r.diff_ids) {
    if (!IsSha256Digest(d))
      return MakeError(ErrorCode::kInvalidArgument,
                       "parse image record " + r.id + ": bad diff id \"" + d + "\"");
    r.layer_dirs.push_back(layer_root + "/" + d.substr(7));
  }
  if (j.contains("config")) {
    auto c = ImageConfigFromOci(j["config"]);
    if (!c.ok()) return c.error().Wrap("parse image record " + r.id);
    r.config = std::move(c.value());
  }
  return r;
}

}  // namespace airlock
