// A container's root filesystem: overlayfs with the image layers as read-only lower dirs
// and a per-container upper/work pair, mounted on the bundle's rootfs directory.
#pragma once

#include <string>
#include <vector>

#include "shim/base/result.h"

namespace airlock {

// `layers` bottom -> top, as the image store lists them.
Status MountRootfs(const std::vector<std::string>& layers, const std::string& layer_dir,
                   const std::string& target);
// Detaches the mount; succeeds when nothing is mounted there.
Status UnmountRootfs(const std::string& target);

}  // namespace airlock
