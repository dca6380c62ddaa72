// Small filesystem helpers shared by the shim's stores. All return values, never throw.
#pragma once

#include <string>

#include "shim/base/result.h"

namespace airlock {

// Writes `data` to `path` atomically: temp file in the same directory, fsync, rename.
Status WriteFileAtomic(const std::string& path, const std::string& data, int mode = 0644);
// Reads a whole file; `max_bytes` bounds memory against hostile or corrupt inputs.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes = 64 << 20);
// mkdir -p with the given mode for created directories.
Status MakeDirs(const std::string& path, int mode = 0755);
// rm -rf. Callers unmount what they mounted first; this does not look for mounts.
Status RemoveTree(const std::string& path);

}  // namespace airlock
