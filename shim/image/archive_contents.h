// ArchiveContents: the files of an image archive (OCI layout or docker save tarball), copied
// out of the tar into a private staging directory with each file's sha256 computed on the way.
// Names in the outer tar are never used as filesystem paths: staged files are numbered, so a
// hostile name ("../x", "/etc/passwd") can at most fail to be found.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "shim/base/result.h"

namespace airlock {

struct StagedFile {
  std::string path;    // the copy in the staging directory
  std::string digest;  // "sha256:<hex>" of the content
  uint64_t size = 0;
};

class ArchiveContents {
 public:
  // Reads the (optionally compressed) tar at `archive_path`; regular files go to numbered
  // files under `staging_dir` (which must exist). Fails on truncated or corrupt archives and
  // when the files together exceed `max_bytes`.
  static Result<ArchiveContents> Read(const std::string& archive_path,
                                      const std::string& staging_dir, uint64_t max_bytes);

  // Looks a name up as the archive's JSON files spell it ("blobs/sha256/<hex>",
  // "<id>/layer.tar"), following symlinks inside the archive (docker save links duplicate
  // layers to one copy). nullptr when absent.
  const StagedFile* Find(std::string_view name) const;
  // The content of a small file (JSON), bounded by `max_bytes`.
  Result<std::string> ReadText(std::string_view name, size_t max_bytes = 4 << 20) const;

 private:
  std::map<std::string, StagedFile> files_;
  std::map<std::string, std::string> links_;  // normalized name -> normalized target
};

// Lexically normalizes an archive member name: drops "./" and empty components, applies
// "..". Returns empty when the name climbs above the archive root.
std::string NormalizeMemberName(std::string_view name);

}  // namespace airlock
