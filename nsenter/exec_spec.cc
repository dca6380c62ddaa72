#include "nsenter/exec_spec.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

#include "shim/base/capability_names.h"

namespace airlock::nsenter {
namespace {

// Index = capability number; the shared table, so tests check what the engine uses.
constexpr const auto& kCapNames = kCapabilityNames;

struct RlimitName {
  std::string_view name;
  int resource;
};
constexpr std::array<RlimitName, 16> kRlimits = {{
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
}};

std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

Error Invalid(const std::string& field, const std::string& reason) {
  return MakeError(ErrorCode::kInvalidArgument, "parse OCI config " + field + ": " + reason);
}

// "KEY=value" list with later duplicates replacing earlier ones, in first-seen order.
std::vector<std::string> DedupEnv(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  for (const auto& kv : env) {
    std::string_view key = std::string_view(kv).substr(0, kv.find('='));
    auto same = std::find_if(out.begin(), out.end(), [&](const std::string& e) {
      return std::string_view(e).substr(0, e.find('=')) == key;
    });
    if (same != out.end()) {
      *same = kv;
    } else {
      out.push_back(kv);
    }
  }
  return out;
}

Result<uint64_t> CapSet(const nlohmann::json& caps, const char* name) {
  if (!caps.contains(name) || caps[name].is_null()) return uint64_t{0};
  auto mask = CapabilityMaskFromNames(caps[name].get<std::vector<std::string>>());
  if (!mask.ok())
    return mask.error().Wrap(std::string("parse OCI config process.capabilities.") + name);
  return *mask;
}

}  // namespace

Result<int> CapabilityFromName(std::string_view name) {
  std::string upper = Upper(name);
  if (upper.rfind("CAP_", 0) != 0) upper = "CAP_" + upper;
  for (size_t i = 0; i < kCapNames.size(); ++i) {
    if (kCapNames[i] == upper) return static_cast<int>(i);
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "parse capability " + std::string(name) + ": unknown capability");
}

std::string CapabilityName(int cap) {
  if (cap >= 0 && static_cast<size_t>(cap) < kCapNames.size()) return std::string(kCapNames[cap]);
  return "CAP_" + std::to_string(cap);
}

Result<uint64_t> CapabilityMaskFromNames(const std::vector<std::string>& names) {
  uint64_t mask = 0;
  for (const auto& n : names) {
    auto cap = CapabilityFromName(n);
    if (!cap.ok()) return cap.error();
    mask |= uint64_t{1} << *cap;
  }
  return mask;
}

Result<int> RlimitFromName(std::string_view name) {
  std::string upper = Upper(name);
  for (const auto& r : kRlimits) {
    if (r.name == upper) return r.resource;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "parse rlimit " + std::string(name) + ": unknown resource");
}

Status ValidateExecSpec(const ExecSpec& spec) {
  auto bad = [](const std::string& what) { return MakeError(ErrorCode::kInvalidArgument, what); };
  if (spec.argv.empty() || spec.argv[0].empty()) return bad("validate exec argv: empty command");
  for (const auto& a : spec.argv) {
    if (a.find('\0') != std::string::npos) return bad("validate exec argv: NUL byte in argument");
  }
  for (const auto& e : spec.env) {
    size_t eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      return bad("validate exec env " + e + ": not KEY=value");
    if (e.find('\0') != std::string::npos) return bad("validate exec env: NUL byte");
  }
  if (spec.cwd.empty() || spec.cwd[0] != '/' || spec.cwd.find('\0') != std::string::npos) {
    return bad("validate exec cwd " + spec.cwd + ": must be an absolute path");
  }
  if (spec.uid == std::numeric_limits<uint32_t>::max() ||
      spec.gid == std::numeric_limits<uint32_t>::max()) {
    // (uid_t)-1 means "leave unchanged" to setresuid: it must never reach the kernel.
    return bad("validate exec user: uid/gid 4294967295 is not a valid id");
  }
  for (uint32_t g : spec.additional_gids) {
    if (g == std::numeric_limits<uint32_t>::max()) return bad("validate exec user: bad group");
  }
  return Status::Ok();
}

Result<ExecSpec> ExecSpecFromOci(const nlohmann::json& config) {
  try {
    if (!config.is_object() || !config.contains("process") || !config["process"].is_object()) {
      return Invalid("process", "missing");
    }
    const auto& p = config["process"];
    ExecSpec spec;
    if (p.contains("args")) spec.argv = p["args"].get<std::vector<std::string>>();
    spec.tty = false;  // the container's own terminal flag says nothing about an exec
    if (p.contains("user")) {
      const auto& u = p["user"];
      // OCI ids are numbers; a negative or >32-bit value fails get<uint32_t> range checks below.
      auto id = [&](const char* key) -> Result<uint32_t> {
        if (!u.contains(key)) return uint32_t{0};
        if (!u[key].is_number_integer() || u[key].get<int64_t>() < 0) {
          return Invalid(std::string("process.user.") + key, "not a non-negative integer");
        }
        uint64_t v = u[key].get<uint64_t>();
        if (v >= std::numeric_limits<uint32_t>::max())
          return Invalid(std::string("process.user.") + key, "out of range");
        return static_cast<uint32_t>(v);
      };
      auto uid = id("uid");
      if (!uid.ok()) return uid.error();
      auto gid = id("gid");
      if (!gid.ok()) return gid.error();
      spec.uid = *uid;
      spec.gid = *gid;
      if (u.contains("additionalGids")) {
        for (const auto& g : u["additionalGids"]) {
          if (!g.is_number_integer() || g.get<int64_t>() < 0 ||
              g.get<uint64_t>() >= std::numeric_limits<uint32_t>::max()) {
            return Invalid("process.user.additionalGids", "bad group id");
          }
          spec.additional_gids.push_back(g.get<uint32_t>());
        }
      }
      if (u.contains("umask") && !u["umask"].is_null())
        spec.umask = u["umask"].get<uint32_t>() & 0777;
    }
    if (p.contains("env")) spec.env = DedupEnv(p["env"].get<std::vector<std::string>>());
    if (p.contains("cwd")) spec.cwd = p["cwd"].get<std::string>();
    if (p.contains("capabilities") && p["capabilities"].is_object()) {
      const auto& c = p["capabilities"];
      for (auto [field, name] : {std::pair{&spec.caps.bounding, "bounding"},
                                 {&spec.caps.effective, "effective"},
                                 {&spec.caps.inheritable, "inheritable"},
                                 {&spec.caps.permitted, "permitted"},
                                 {&spec.caps.ambient, "ambient"}}) {
        auto mask = CapSet(c, name);
        if (!mask.ok()) return mask.error();
        *field = *mask;
      }
    }
    if (p.contains("rlimits")) {
      for (const auto& r : p["rlimits"]) {
        auto res = RlimitFromName(r.at("type").get<std::string>());
        if (!res.ok()) return res.error().Wrap("parse OCI config process.rlimits");
        spec.rlimits.push_back(
            Rlimit{*res, r.at("soft").get<uint64_t>(), r.at("hard").get<uint64_t>()});
      }
    }
    spec.no_new_privileges = p.value("noNewPrivileges", false);
    if (p.contains("oomScoreAdj") && !p["oomScoreAdj"].is_null()) {
      spec.oom_score_adj = p["oomScoreAdj"].get<int>();
    }
    spec.apparmor_profile = p.value("apparmorProfile", std::string());
    spec.selinux_label = p.value("selinuxLabel", std::string());

    if (config.contains("linux") && config["linux"].contains("seccomp") &&
        !config["linux"]["seccomp"].is_null()) {
      auto prog = SeccompProgram::Compile(config["linux"]["seccomp"]);
      if (!prog.ok()) return prog.error().Wrap("parse OCI config linux.seccomp");
      spec.seccomp = *prog;
    }
    return spec;
  } catch (const nlohmann::json::exception& e) {
    return Invalid("process", e.what());
  }
}

}  // namespace airlock::nsenter
