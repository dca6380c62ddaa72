#include "shim/cri/records.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

namespace airlock {
namespace {

using nlohmann::json;

std::string ProtoToJson(const google::protobuf::Message& m) {
  std::string out;
  // Field names as in the .proto so the files read like the CRI docs.
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

Status ProtoFromJson(const std::string& text, google::protobuf::Message* m) {
  auto st = google::protobuf::util::JsonStringToMessage(text, m);
  if (!st.ok())
    return MakeError(ErrorCode::kInternal, "decode " + m->GetTypeName() + ": " + st.ToString());
  return Status::Ok();
}

template <typename F>
Status Guard(const std::string& what, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, "decode " + what + " record: " + e.what());
  }
}

}  // namespace

std::string EncodeSandbox(const SandboxRecord& r) {
  json j = {{"id", r.id},
            {"config", json::parse(ProtoToJson(r.config))},
            {"runtime_handler", r.runtime_handler},
            {"created_at", r.created_at},
            {"stopped", r.stopped},
            {"pid", r.pid},
            {"pid_start_time", r.pid_start_time},
            {"bundle_dir", r.bundle_dir},
            {"state_dir", r.state_dir}};
  return j.dump(2);
}

Status DecodeSandbox(const std::string& text, SandboxRecord* r) {
  return Guard("sandbox", [&]() -> Status {
    json j = json::parse(text);
    r->id = j.at("id").get<std::string>();
    AIRLOCK_RETURN_IF_ERROR(ProtoFromJson(j.at("config").dump(), &r->config));
    r->runtime_handler = j.value("runtime_handler", "");
    r->created_at = j.at("created_at").get<int64_t>();
    r->stopped = j.value("stopped", false);
    r->pid = j.value("pid", 0);
    r->pid_start_time = j.value("pid_start_time", uint64_t{0});
    r->bundle_dir = j.at("bundle_dir").get<std::string>();
    r->state_dir = j.at("state_dir").get<std::string>();
    return Status::Ok();
  });
}

std::string EncodeContainer(const ContainerRecord& r) {
  json j = {{"id", r.id},
            {"sandbox_id", r.sandbox_id},
            {"config", json::parse(ProtoToJson(r.config))},
            {"image_id", r.image_id},
            {"image_name", r.image_name},
            {"created_at", r.created_at},
            {"started_at", r.started_at},
            {"log_path", r.log_path},
            {"pid", r.pid},
            {"pid_start_time", r.pid_start_time},
            {"privileged", r.privileged},
            {"bundle_dir", r.bundle_dir},
            {"state_dir", r.state_dir},
            {"layer_dir", r.layer_dir}};
  return j.dump(2);
}

Status DecodeContainer(const std::string& text, ContainerRecord* r) {
  return Guard("container", [&]() -> Status {
    json j = json::parse(text);
    r->id = j.at("id").get<std::string>();
    r->sandbox_id = j.at("sandbox_id").get<std::string>();
    AIRLOCK_RETURN_IF_ERROR(ProtoFromJson(j.at("config").dump(), &r->config));
    r->image_id = j.value("image_id", "");
    r->image_name = j.value("image_name", "");
    r->created_at = j.at("created_at").get<int64_t>();
    r->started_at = j.value("started_at", int64_t{0});
    r->log_path = j.value("log_path", "");
    r->pid = j.value("pid", 0);
    r->pid_start_time = j.value("pid_start_time", uint64_t{0});
    r->privileged = j.value("privileged", false);
    r->bundle_dir = j.at("bundle_dir").get<std::string>();
    r->state_dir = j.at("state_dir").get<std::string>();
    r->layer_dir = j.at("layer_dir").get<std::string>();
    return Status::Ok();
  });
}

}  // namespace airlock
