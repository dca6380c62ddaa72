// Container status and listing: the record plus the live state from the monitor's files.
#include <nlohmann/json.hpp>

#include "shim/base/file_util.h"
#include "shim/cri/runtime_manager.h"
#include "shim/runtime/oci_runtime.h"

namespace airlock {
namespace v1 = runtime::v1;

namespace {

bool LabelsMatch(const google::protobuf::Map<std::string, std::string>& labels,
                 const google::protobuf::Map<std::string, std::string>& selector) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

Result<v1::ContainerStatusResponse> RuntimeManager::ContainerStatus(const std::string& id,
                                                                    bool verbose) {
  auto found = FindContainer(id);
  if (!found.ok()) return found.error();
  const ContainerRecord& c = **found;
  v1::ContainerStatusResponse resp;
  auto* st = resp.mutable_status();
  st->set_id(c.id);
  *st->mutable_metadata() = c.config.metadata();
  v1::ContainerState state = StateOf(c);
  st->set_state(state);
  st->set_created_at(c.created_at);
  st->set_started_at(c.started_at);
  if (state == v1::CONTAINER_EXITED) {
    auto exit = OciRuntime::ReadExit(c.state_dir);
    if (exit.ok()) {
      st->set_finished_at(exit->finished_at_ns);
      st->set_exit_code(exit->exit_code);
      st->set_reason(exit->reason);
    } else {
      // The monitor died without recording the exit (e.g. the node rebooted).
      st->set_exit_code(255);
      st->set_reason("Unknown");
      st->set_message("the container's monitor is gone and recorded no exit status");
    }
  } else if (state == v1::CONTAINER_CREATED) {
    st->set_reason("Created");
  }
  *st->mutable_image() = c.config.image();
  st->set_image_ref(c.image_id);
  st->set_image_id(c.image_id);
  *st->mutable_labels() = c.config.labels();
  *st->mutable_annotations() = c.config.annotations();
  *st->mutable_mounts() = c.config.mounts();
  st->set_log_path(c.log_path);
  if (c.config.has_linux() && c.config.linux().has_resources())
    *st->mutable_resources()->mutable_linux() = c.config.linux().resources();
  if (verbose) {
    nlohmann::json info = {{"sandboxID", c.sandbox_id},
                           {"pid", c.pid},
                           {"privileged", c.privileged},
                           {"bundle", c.bundle_dir},
                           {"runtime", deps_.config->runtime.binary}};
    auto spec = ReadFile(c.bundle_dir + "/config.json", 4 << 20);
    if (spec.ok())
      info["runtimeSpec"] = nlohmann::json::parse(*spec, nullptr, /*allow_exceptions=*/false);
    (*resp.mutable_info())["info"] = info.dump();
  }
  return resp;
}

std::vector<v1::Container> RuntimeManager::ListContainers(const v1::ContainerFilter& filter) {
  std::vector<ContainerPtr> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, c] : containers_) all.push_back(c);
  }
  std::vector<v1::Container> out;
  for (const auto& c : all) {
    if (!filter.id().empty() && c->id.rfind(filter.id(), 0) != 0) continue;
    if (!filter.pod_sandbox_id().empty() && c->sandbox_id.rfind(filter.pod_sandbox_id(), 0) != 0)
      continue;
    if (!LabelsMatch(c->config.labels(), filter.label_selector())) continue;
    v1::ContainerState state = StateOf(*c);
    if (filter.has_state() && filter.state().state() != state) continue;
    v1::Container item;
    item.set_id(c->id);
    item.set_pod_sandbox_id(c->sandbox_id);
    *item.mutable_metadata() = c->config.metadata();
    *item.mutable_image() = c->config.image();
    item.set_image_ref(c->image_id);
    item.set_image_id(c->image_id);
    item.set_state(state);
    item.set_created_at(c->created_at);
    *item.mutable_labels() = c->config.labels();
    *item.mutable_annotations() = c->config.annotations();
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace airlock
