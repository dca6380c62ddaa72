// UnpackLayer: turns one layer blob (a tar, optionally gzip/zstd compressed) into a directory
// that overlayfs can use as a lowerdir. This is the security edge of the image store: the
// tar is hostile input, and nothing it says may reach outside `dest_dir`.
#pragma once

#include <cstdint>
#include <string>

#include "shim/base/result.h"

namespace airlock {

struct LayerLimits {
  uint64_t max_bytes = uint64_t{8} << 30;  // sum of declared regular-file sizes
  uint64_t max_entries = 1'000'000;        // tar entries, against inode exhaustion
};

struct UnpackedLayer {
  std::string diff_id;      // "sha256:<hex>" of the uncompressed tar stream
  uint64_t size_bytes = 0;  // bytes of regular-file content written
  uint64_t entries = 0;     // tar entries seen
  uint64_t skipped_devices = 0;
};

// Unpacks `blob_path` into the existing, empty directory `dest_dir`.
// Entries are created with *at() syscalls relative to directory fds opened with O_NOFOLLOW,
// so the process-wide cwd is never touched and no symlink is followed while writing.
// Rejected (the whole layer fails): absolute paths, ".." components, a path that passes
// through a symlink or non-directory, hard links whose target is not in this layer, entries
// over the limits, checksum/truncation errors. Skipped: block/char device nodes and sockets
// (the runtime provides /dev), aufs ".wh..wh.*" metadata other than the opaque marker, and
// xattrs other than user.* and security.capability (a layer must not forge overlay xattrs).
// OCI whiteouts become overlayfs whiteouts: ".wh.NAME" -> char device 0/0 "NAME",
// ".wh..wh..opq" -> trusted.overlay.opaque=y on the directory (both need root).
Result<UnpackedLayer> UnpackLayer(const std::string& blob_path, const std::string& dest_dir,
                                  const LayerLimits& limits);

}  // namespace airlock
