#include "shim/exec/exec_spec_cache.h"

#include <nlohmann/json.hpp>

#include "shim/base/file_util.h"

namespace airlock {

Result<std::shared_ptr<const nsenter::ExecSpec>> ExecSpecCache::Get(
    const std::string& container_id, uint64_t start_time, const std::string& config_path) {
  Key key{container_id, start_time};
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      it->second.first = ++tick_;
      return it->second.second;
    }
  }
  // Parse outside the lock; two racing misses both parse, one result wins.
  auto text = ReadFile(config_path, 8 << 20);
  if (!text.ok()) return text.error().Wrap("read exec spec of container " + container_id);
  nlohmann::json config = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded())
    return MakeError(ErrorCode::kInternal, "parse " + config_path + ": not valid JSON");
  auto spec = nsenter::ExecSpecFromOci(config);
  if (!spec.ok()) return spec.error().Wrap("container " + container_id);
  auto shared = std::make_shared<const nsenter::ExecSpec>(std::move(*spec));

  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() >= capacity_) {
    // Evict the least recently used entry; O(n) is fine at this size and miss rate.
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second.first < oldest->second.first) oldest = it;
    entries_.erase(oldest);
  }
  entries_[key] = {++tick_, shared};
  return shared;
}

}  // namespace airlock
