#include "shim/cri/state_store.h"

#include <unistd.h>

#include <filesystem>

#include "shim/base/file_util.h"

namespace airlock {
namespace {

template <typename Record, typename Decode>
std::vector<std::unique_ptr<Record>> LoadAll(const std::string& dir, Decode decode,
                                             std::vector<std::string>* errors) {
  std::vector<std::unique_ptr<Record>> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    auto text = ReadFile(entry.path().string(), 16 << 20);
    auto rec = std::make_unique<Record>();
    Status st = text.ok() ? decode(*text, rec.get()) : Status(text.error());
    if (!st.ok()) {
      errors->push_back(entry.path().string() + ": " + st.error().message);
      continue;
    }
    out.push_back(std::move(rec));
  }
  return out;
}

Status Unlink(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove " + path, errno);
  return Status::Ok();
}

}  // namespace

Result<StateStore> StateStore::Open(const std::string& root) {
  AIRLOCK_RETURN_IF_ERROR(MakeDirs(root + "/sandboxes", 0700));
  AIRLOCK_RETURN_IF_ERROR(MakeDirs(root + "/containers", 0700));
  return StateStore(root);
}

Status StateStore::SaveSandbox(const SandboxRecord& r) {
  return WriteFileAtomic(root_ + "/sandboxes/" + r.id + ".json", EncodeSandbox(r), 0600);
}

Status StateStore::SaveContainer(const ContainerRecord& r) {
  return WriteFileAtomic(root_ + "/containers/" + r.id + ".json", EncodeContainer(r), 0600);
}

Status StateStore::DeleteSandbox(const std::string& id) {
  return Unlink(root_ + "/sandboxes/" + id + ".json");
}

Status StateStore::DeleteContainer(const std::string& id) {
  return Unlink(root_ + "/containers/" + id + ".json");
}

std::vector<std::unique_ptr<SandboxRecord>> StateStore::LoadSandboxes(
    std::vector<std::string>* errors) const {
  return LoadAll<SandboxRecord>(root_ + "/sandboxes", DecodeSandbox, errors);
}

std::vector<std::unique_ptr<ContainerRecord>> StateStore::LoadContainers(
    std::vector<std::string>* errors) const {
  return LoadAll<ContainerRecord>(root_ + "/containers", DecodeContainer, errors);
}

}  // namespace airlock
