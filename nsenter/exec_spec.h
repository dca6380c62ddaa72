// ExecSpec: everything the exec engine needs to start one process inside a running
// container, taken from the container's OCI config.json (`process` and `linux.seccomp`)
// plus the per-request argv/tty/window size. Parsing happens on the host, in the daemon,
// so that the forked child has nothing left to decide (see README.md, "Process model").
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsenter/seccomp_program.h"
#include "shim/base/result.h"

namespace airlock::nsenter {

// The five capability sets as kernel bit masks (bit n = capability number n).
struct CapabilitySets {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t inheritable = 0;
  uint64_t permitted = 0;
  uint64_t ambient = 0;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_* number
  uint64_t soft = 0;
  uint64_t hard = 0;
};

struct WindowSize {
  uint16_t rows = 0;
  uint16_t cols = 0;
};

struct ExecSpec {
  // Per request.
  std::vector<std::string> argv;
  bool tty = false;
  WindowSize winsize;

  // From the container's OCI process object.
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  std::optional<uint32_t> umask;
  std::vector<std::string> env;  // "KEY=value", deduplicated, last wins
  std::string cwd = "/";
  CapabilitySets caps;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::string apparmor_profile;
  std::string selinux_label;

  // Compiled once per container (linux.seccomp); null when the container has none.
  std::shared_ptr<const SeccompProgram> seccomp;
};

// Builds the container part of an ExecSpec from a whole OCI config.json. argv defaults to
// process.args; callers overwrite argv/tty/winsize per request. Errors are kInvalidArgument
// "parse OCI config <field>: <reason>".
Result<ExecSpec> ExecSpecFromOci(const nlohmann::json& config);

// Capability name ("CAP_SYS_ADMIN", case-insensitive, "CAP_" optional) -> number.
Result<int> CapabilityFromName(std::string_view name);
// Number -> canonical "CAP_XXX" name; "CAP_<n>" for numbers this build does not know.
std::string CapabilityName(int cap);
// Names -> mask. Unknown names are an error (a typo must not silently drop a restriction).
Result<uint64_t> CapabilityMaskFromNames(const std::vector<std::string>& names);

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE.
Result<int> RlimitFromName(std::string_view name);

// Checks argv/env/cwd for things that would make the executed command differ from the one
// audited (empty argv, NUL bytes, env keys without '=' or empty, relative cwd).
Status ValidateExecSpec(const ExecSpec& spec);

}  // namespace airlock::nsenter
