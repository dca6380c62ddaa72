// Seccomp for OCI specs: which filter a process gets (CRI SecurityProfile or the deprecated
// seccomp_profile_path strings), loading OCI-format profiles, and widening the runtime default
// for the capabilities a container holds.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "proto/cri_api.h"
#include "shim/base/result.h"

namespace airlock::oci {

enum class SeccompKind { kUnconfined, kRuntimeDefault, kLocalhost };

struct SeccompSelection {
  SeccompKind kind = SeccompKind::kUnconfined;
  std::string localhost_path;  // absolute path of an OCI linux.seccomp JSON file
};

// `profile` (nullptr when the message field is absent) wins over `deprecated_path`
// ("runtime/default", "docker/default", "unconfined", "localhost/<abs path>"); with neither,
// `when_absent` applies (containers: unconfined, as containerd and critest expect).
// `field` names the security context in errors.
Result<SeccompSelection> SelectSeccomp(const runtime::v1::SecurityProfile* profile,
                                       const std::string& deprecated_path, SeccompKind when_absent,
                                       const std::string& field);

// Reads and checks an OCI-format profile (object with defaultAction, syscalls[].names/action).
// Docker-format profiles ("archMap", "includes"/"excludes") are refused: runc would apply
// their conditional rules unconditionally.
Result<nlohmann::json> LoadSeccompProfile(const std::string& path);

// The runtime default keeps some syscalls for holders of a capability (namespaces and mounts
// for CAP_SYS_ADMIN, reboot for CAP_SYS_BOOT, ...). OCI profiles cannot say "if capability",
// so the builder allows them here, replacing any narrower rule for the same names.
void WidenForCapabilities(nlohmann::json* profile, const std::vector<std::string>& caps);

// linux.seccomp for a process: nullopt for no filter. `default_profile_path` is the
// RuntimeDefault profile (configs/seccomp-default.json once installed).
Result<std::optional<nlohmann::json>> SeccompForProcess(const SeccompSelection& selection,
                                                        const std::string& default_profile_path,
                                                        const std::vector<std::string>& caps);

}  // namespace airlock::oci
