#include "shim/cri/rootfs.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>

#include "shim/base/file_util.h"

namespace airlock {

Status MountRootfs(const std::vector<std::string>& layers, const std::string& layer_dir,
                   const std::string& target) {
  if (layers.empty()) return MakeError(ErrorCode::kInvalidArgument, "image has no layers");
  std::string upper = layer_dir + "/upper";
  std::string work = layer_dir + "/work";
  for (const auto& dir : {upper, work, target}) AIRLOCK_RETURN_IF_ERROR(MakeDirs(dir, 0755));
  // overlayfs lists lower dirs top first.
  std::string lower;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    if (!lower.empty()) lower += ':';
    lower += *it;
  }
  std::string data = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
  // The kernel takes at most one page of mount data.
  if (data.size() >= static_cast<size_t>(::sysconf(_SC_PAGESIZE)))
    return MakeError(ErrorCode::kInvalidArgument,
                     "mount rootfs " + target + ": " + std::to_string(layers.size()) +
                         " layers make the overlay options longer than a page");
  if (::mount("overlay", target.c_str(), "overlay", 0, data.c_str()) != 0)
    return ErrnoError("mount overlay on " + target, errno);
  return Status::Ok();
}

Status UnmountRootfs(const std::string& target) {
  if (::umount2(target.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return ErrnoError("unmount " + target, errno);
  return Status::Ok();
}

}  // namespace airlock
