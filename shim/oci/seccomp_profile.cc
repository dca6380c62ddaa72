#include "shim/oci/seccomp_profile.h"

#include <algorithm>
#include <set>

#include "shim/base/file_util.h"

namespace airlock::oci {
namespace {

using nlohmann::json;

constexpr size_t kMaxProfileBytes = 4 << 20;

struct CapabilitySyscalls {
  const char* capability;
  std::vector<const char*> syscalls;
};

// What the widely used container default grants per capability (moby's profile), as names.
const std::vector<CapabilitySyscalls>& GatedSyscalls() {
  static const std::vector<CapabilitySyscalls> kGated = {
      {"CAP_SYS_ADMIN",
       {"bpf",           "clone",         "clone3",      "fanotify_init",   "fsconfig",
        "fsmount",       "fsopen",        "fspick",      "lookup_dcookie",  "mount",
        "mount_setattr", "move_mount",    "open_tree",   "perf_event_open", "quotactl",
        "quotactl_fd",   "setdomainname", "sethostname", "setns",           "syslog",
        "umount",        "umount2",       "unshare"}},
      {"CAP_SYS_BOOT", {"reboot"}},
      {"CAP_SYS_CHROOT", {"chroot"}},
      {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
      {"CAP_SYS_PACCT", {"acct"}},
      {"CAP_SYS_PTRACE", {"kcmp", "pidfd_getfd", "process_madvise"}},
      {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
      {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
      {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
      {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
      {"CAP_SYSLOG", {"syslog"}},
      {"CAP_BPF", {"bpf"}},
      {"CAP_PERFMON", {"perf_event_open"}},
      {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
  };
  return kGated;
}

Error Invalid(const std::string& path, const std::string& reason) {
  return MakeError(ErrorCode::kInvalidArgument, "load seccomp profile " + path + ": " + reason);
}

}  // namespace

Result<SeccompSelection> SelectSeccomp(const runtime::v1::SecurityProfile* profile,
                                       const std::string& deprecated_path, SeccompKind when_absent,
                                       const std::string& field) {
  using runtime::v1::SecurityProfile;
  if (profile != nullptr) {
    if (profile->profile_type() != SecurityProfile::Localhost &&
        !profile->localhost_ref().empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       field + ".seccomp.localhost_ref is set but profile_type is not Localhost");
    }
    switch (profile->profile_type()) {
      case SecurityProfile::RuntimeDefault:
        return SeccompSelection{SeccompKind::kRuntimeDefault, ""};
      case SecurityProfile::Unconfined:
        return SeccompSelection{SeccompKind::kUnconfined, ""};
      case SecurityProfile::Localhost: {
        const std::string& ref = profile->localhost_ref();
        if (ref.empty() || ref.front() != '/') {
          return MakeError(ErrorCode::kInvalidArgument,
                           field + ".seccomp.localhost_ref \"" + ref + "\" is not absolute");
        }
        return SeccompSelection{SeccompKind::kLocalhost, ref};
      }
      default:
        return MakeError(ErrorCode::kInvalidArgument,
                         field + ".seccomp.profile_type " +
                             std::to_string(static_cast<int>(profile->profile_type())) +
                             " is unknown");
    }
  }
  const std::string& p = deprecated_path;
  if (p.empty()) return SeccompSelection{when_absent, ""};
  if (p == "runtime/default" || p == "docker/default")
    return SeccompSelection{SeccompKind::kRuntimeDefault, ""};
  if (p == "unconfined") return SeccompSelection{SeccompKind::kUnconfined, ""};
  constexpr std::string_view kLocalhost = "localhost/";
  if (p.rfind(kLocalhost, 0) == 0) {
    std::string ref = p.substr(kLocalhost.size());
    if (ref.empty() || ref.front() != '/') {
      return MakeError(ErrorCode::kInvalidArgument, field + ".seccomp_profile_path \"" + p +
                                                        "\" does not name an absolute path");
    }
    return SeccompSelection{SeccompKind::kLocalhost, ref};
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   field + ".seccomp_profile_path \"" + p +
                       "\" is not runtime/default, docker/default, unconfined or localhost/<path>");
}

Result<json> LoadSeccompProfile(const std::string& path) {
  auto text = ReadFile(path, kMaxProfileBytes);
  if (!text.ok()) {
    Error e = text.error().Wrap("load seccomp profile");
    // A missing profile named by the pod is the caller's mistake, not ours.
    if (e.code == ErrorCode::kNotFound) e.code = ErrorCode::kInvalidArgument;
    return e;
  }
  json profile = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (profile.is_discarded()) return Invalid(path, "not valid JSON");
  if (!profile.is_object()) return Invalid(path, "not a JSON object");
  if (profile.contains("archMap"))
    return Invalid(path, "Docker-format profile (archMap); OCI linux.seccomp format is required");
  auto action = profile.find("defaultAction");
  if (action == profile.end() || !action->is_string() || action->get<std::string>().empty())
    return Invalid(path, "defaultAction is missing");
  auto syscalls = profile.find("syscalls");
  if (syscalls == profile.end()) return profile;
  if (!syscalls->is_array()) return Invalid(path, "syscalls is not an array");
  for (size_t i = 0; i < syscalls->size(); ++i) {
    const json& rule = (*syscalls)[i];
    std::string where = "syscalls[" + std::to_string(i) + "]";
    if (!rule.is_object()) return Invalid(path, where + " is not an object");
    if (rule.contains("includes") || rule.contains("excludes"))
      return Invalid(path, where + " has Docker-format includes/excludes");
    auto names = rule.find("names");
    if (names == rule.end() || !names->is_array() || names->empty())
      return Invalid(path, where + ".names is missing or empty");
    for (const json& n : *names) {
      if (!n.is_string()) return Invalid(path, where + ".names holds a non-string");
    }
    auto a = rule.find("action");
    if (a == rule.end() || !a->is_string()) return Invalid(path, where + ".action is missing");
  }
  return profile;
}

void WidenForCapabilities(json* profile, const std::vector<std::string>& caps) {
  std::vector<std::string> names;
  for (const auto& gated : GatedSyscalls()) {
    if (std::find(caps.begin(), caps.end(), gated.capability) == caps.end()) continue;
    for (const char* n : gated.syscalls) {
      if (std::find(names.begin(), names.end(), n) == names.end()) names.emplace_back(n);
    }
  }
  if (names.empty()) return;
  std::sort(names.begin(), names.end());
  std::set<std::string> granted(names.begin(), names.end());
  json& rules = (*profile)["syscalls"];
  if (!rules.is_array()) rules = json::array();
  // Remove narrower rules (clone's flag mask, clone3's ENOSYS) first: libseccomp refuses two
  // different actions for the same syscall, and an unconditional allow must not sit beside them.
  json kept = json::array();
  for (json& rule : rules) {
    json remaining = json::array();
    for (const json& n : rule["names"]) {
      if (!granted.count(n.get<std::string>())) remaining.push_back(n);
    }
    if (remaining.empty()) continue;
    rule["names"] = std::move(remaining);
    kept.push_back(std::move(rule));
  }
  kept.push_back(json{{"names", names}, {"action", "SCMP_ACT_ALLOW"}});
  rules = std::move(kept);
}

Result<std::optional<json>> SeccompForProcess(const SeccompSelection& selection,
                                              const std::string& default_profile_path,
                                              const std::vector<std::string>& caps) {
  switch (selection.kind) {
    case SeccompKind::kUnconfined:
      return std::optional<json>();
    case SeccompKind::kLocalhost: {
      auto profile = LoadSeccompProfile(selection.localhost_path);
      if (!profile.ok()) return profile.error();
      return std::optional<json>(std::move(*profile));
    }
    case SeccompKind::kRuntimeDefault: {
      if (default_profile_path.empty()) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "load seccomp runtime default: no default profile path configured");
      }
      auto profile = LoadSeccompProfile(default_profile_path);
      if (!profile.ok()) {
        Error e = profile.error();
        e.code = ErrorCode::kFailedPrecondition;  // our installation is broken, not the request
        return e;
      }
      WidenForCapabilities(&*profile, caps);
      return std::optional<json>(std::move(*profile));
    }
  }
  return MakeError(ErrorCode::kInternal, "select seccomp: unknown kind");
}

}  // namespace airlock::oci
