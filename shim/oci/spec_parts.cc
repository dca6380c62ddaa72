#include "shim/oci/spec_parts.h"

#include <regex>

namespace airlock::oci {

using nlohmann::json;

const std::vector<std::string>& DefaultMaskedPaths() {
  static const std::vector<std::string> kMasked = {
      "/proc/acpi",       "/proc/asound",      "/proc/interrupts",
      "/proc/kcore",      "/proc/keys",        "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
      "/proc/scsi",       "/sys/firmware",     "/sys/devices/virtual/powercap",
  };
  return kMasked;
}

const std::vector<std::string>& DefaultReadonlyPaths() {
  static const std::vector<std::string> kReadonly = {
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
  };
  return kReadonly;
}

json DefaultMounts(bool privileged) {
  json sys_opts = json::array({"nosuid", "noexec", "nodev"});
  if (!privileged) sys_opts.push_back("ro");
  json cgroup_opts = json::array({"nosuid", "noexec", "nodev", "relatime"});
  if (!privileged) cgroup_opts.push_back("ro");
  return json::array({
      {{"destination", "/proc"},
       {"type", "proc"},
       {"source", "proc"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
      {{"destination", "/dev/shm"},
       {"type", "tmpfs"},
       {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/dev/mqueue"},
       {"type", "mqueue"},
       {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"}, {"options", sys_opts}},
      {{"destination", "/sys/fs/cgroup"},
       {"type", "cgroup"},
       {"source", "cgroup"},
       {"options", cgroup_opts}},
  });
}

json BindMount(const std::string& destination, const std::string& source, bool readonly,
               const std::string& propagation) {
  return {{"destination", destination},
          {"type", "bind"},
          {"source", source},
          {"options", {"rbind", propagation, readonly ? "ro" : "rw"}}};
}

std::string CgroupsPathFor(const std::string& parent, const std::string& id, bool systemd) {
  if (systemd) return parent + ":airlock:" + id;
  if (!parent.empty() && parent.back() == '/') return parent + id;
  return parent + "/" + id;
}

json Namespace(const std::string& type, const std::string& path) {
  json ns = {{"type", type}};
  if (!path.empty()) ns["path"] = path;
  return ns;
}

std::string NamespacePath(int pid, const std::string& ns) {
  return "/proc/" + std::to_string(pid) + "/ns/" + ns;
}

json CapabilitiesBlock(const std::vector<std::string>& caps,
                       const std::vector<std::string>& ambient) {
  // Inheritable stays empty unless ambient capabilities are asked for (CVE-2022-27652).
  return {{"bounding", caps},
          {"effective", caps},
          {"permitted", caps},
          {"inheritable", ambient},
          {"ambient", ambient}};
}

Result<json> ResourcesToOci(const runtime::v1::LinuxContainerResources& r, const HostFeatures& host,
                            const std::string& field) {
  json out = json::object();
  json cpu = json::object();
  // A zero means "not set" in proto3; runc treats an absent field as "leave the default".
  if (r.cpu_period() < 0) return InvalidField("build spec", field + ".cpu_period is negative");
  if (r.cpu_shares() < 0) return InvalidField("build spec", field + ".cpu_shares is negative");
  if (r.cpu_period() > 0) cpu["period"] = static_cast<uint64_t>(r.cpu_period());
  if (r.cpu_quota() != 0) cpu["quota"] = r.cpu_quota();
  if (r.cpu_shares() > 0) cpu["shares"] = static_cast<uint64_t>(r.cpu_shares());
  if (!r.cpuset_cpus().empty()) cpu["cpus"] = r.cpuset_cpus();
  if (!r.cpuset_mems().empty()) cpu["mems"] = r.cpuset_mems();
  if (!cpu.empty()) out["cpu"] = cpu;

  json memory = json::object();
  if (r.memory_limit_in_bytes() < 0)
    return InvalidField("build spec", field + ".memory_limit_in_bytes is negative");
  if (r.memory_limit_in_bytes() > 0) memory["limit"] = r.memory_limit_in_bytes();
  // -1 is "unlimited swap" in runc; other negatives are nonsense.
  if (r.memory_swap_limit_in_bytes() < -1)
    return InvalidField("build spec", field + ".memory_swap_limit_in_bytes is below -1");
  if (r.memory_swap_limit_in_bytes() != 0) memory["swap"] = r.memory_swap_limit_in_bytes();
  if (!memory.empty()) out["memory"] = memory;

  if (r.hugepage_limits_size() > 0) {
    json limits = json::array();
    for (int i = 0; i < r.hugepage_limits_size(); ++i) {
      const auto& h = r.hugepage_limits(i);
      static const std::regex kPageSize("^[0-9]+[KMG]B$");
      if (!std::regex_match(h.page_size(), kPageSize)) {
        return InvalidField("build spec", field + ".hugepage_limits[" + std::to_string(i) +
                                              "].page_size \"" + h.page_size() +
                                              "\" is not like 2MB or 1GB");
      }
      limits.push_back({{"pageSize", h.page_size()}, {"limit", h.limit()}});
    }
    out["hugepageLimits"] = limits;
  }

  if (r.unified_size() > 0) {
    if (!host.cgroup_v2) {
      return InvalidField("build spec",
                          field + ".unified needs cgroup v2; this host runs cgroup v1");
    }
    json unified = json::object();
    for (const auto& [k, v] : r.unified()) unified[k] = v;
    out["unified"] = unified;
  }
  return out;
}

std::string ToValidUtf8(const std::string& bytes) {
  // nlohmann's serializer already knows how to replace bad sequences; reuse it rather than
  // carry a second UTF-8 decoder.
  std::string quoted = json(bytes).dump(-1, ' ', false, json::error_handler_t::replace);
  return json::parse(quoted).get<std::string>();
}

bool IsCleanAbsolutePath(const std::string& path) {
  if (path.empty() || path.front() != '/') return false;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

void AddSandboxAnnotations(const std::string& sandbox_id,
                           const runtime::v1::PodSandboxConfig& config, json* out) {
  (*out)[kAnnotationSandboxId] = sandbox_id;
  (*out)[kAnnotationSandboxName] = config.metadata().name();
  (*out)[kAnnotationSandboxNamespace] = config.metadata().namespace_();
  (*out)[kAnnotationSandboxUid] = config.metadata().uid();
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
std::string DeprecatedSeccompPath(const runtime::v1::LinuxContainerSecurityContext& sc) {
  return sc.seccomp_profile_path();
}
std::string DeprecatedSeccompPath(const runtime::v1::LinuxSandboxSecurityContext& sc) {
  return sc.seccomp_profile_path();
}
std::string DeprecatedAppArmorProfile(const runtime::v1::LinuxContainerSecurityContext& sc) {
  return sc.apparmor_profile();
}
#pragma GCC diagnostic pop

Error InvalidField(const std::string& op, const std::string& detail) {
  return MakeError(ErrorCode::kInvalidArgument, op + ": " + detail);
}

}  // namespace airlock::oci
