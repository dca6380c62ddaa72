// Resolves the user a container process runs as: CRI run_as_* fields, else the image's USER,
// against the container's own /etc/passwd and /etc/group. Those files come from the image and
// are untrusted: they are opened inside the rootfs (symlinks cannot point out of it), must be
// regular files, and are read with a size bound.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shim/base/result.h"

namespace airlock::oci {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

// Malformed lines are skipped, as libc's getpwent does.
std::vector<PasswdEntry> ParsePasswd(std::string_view text);
std::vector<GroupEntry> ParseGroup(std::string_view text);

// Reads `relative` (e.g. "etc/passwd") under `rootfs` with openat2(RESOLVE_IN_ROOT).
// nullopt when the file does not exist; an error when it is not a regular file or is larger
// than `max_bytes`.
Result<std::optional<std::string>> ReadRootfsFile(const std::string& rootfs,
                                                  const std::string& relative, size_t max_bytes);

struct UserRequest {
  std::optional<int64_t> uid;  // run_as_user
  std::optional<int64_t> gid;  // run_as_group
  std::string username;        // run_as_username
  std::string image_user;      // ImageConfig.user: "user[:group]", names or numbers
  std::vector<int64_t> supplemental_groups;
  bool merge_image_groups = true;  // SupplementalGroupsPolicy Merge vs Strict
};

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;  // /etc/group memberships, then supplemental_groups
};

// Precedence as in containerd: run_as_username, then run_as_user, then the image user, then
// root. A numeric id is used as is (its passwd entry, when present, supplies the primary gid
// and the name for group membership); a name must exist in the rootfs. Errors name the field.
Result<ResolvedUser> ResolveUser(const std::string& rootfs, const UserRequest& request);

}  // namespace airlock::oci
