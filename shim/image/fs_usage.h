// MeasureFsUsage: what CRI ImageFsInfo reports for a directory tree: the mount point of the
// filesystem that holds it, and the bytes and inodes the tree itself uses.
#pragma once

#include <cstdint>
#include <string>

#include "shim/base/result.h"

namespace airlock {

struct FsUsage {
  std::string mountpoint;   // longest mount point (from /proc/self/mountinfo) above `root`
  uint64_t used_bytes = 0;  // allocated blocks (st_blocks * 512), each inode counted once
  uint64_t inodes_used = 0;
};

// Walks `root` without following symlinks or crossing into other filesystems.
Result<FsUsage> MeasureFsUsage(const std::string& root);

}  // namespace airlock
