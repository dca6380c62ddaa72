// Pieces shared by the sandbox and container spec builders: default mounts and paths,
// namespaces, cgroups path, resources and capability blocks in OCI runtime-spec shape.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "proto/cri_api.h"
#include "shim/base/result.h"
#include "shim/oci/spec_input.h"

namespace airlock::oci {

// The version runc 1.1 writes with `runc spec`; runc accepts any 1.0.x.
inline constexpr const char* kOciVersion = "1.0.2-dev";

// Annotation keys the containerd CRI plugin sets; tools (NRI plugins, gVisor, monitoring)
// read them, so airlock uses the same names.
inline constexpr const char* kAnnotationContainerType = "io.kubernetes.cri.container-type";
inline constexpr const char* kAnnotationSandboxId = "io.kubernetes.cri.sandbox-id";
inline constexpr const char* kAnnotationSandboxName = "io.kubernetes.cri.sandbox-name";
inline constexpr const char* kAnnotationSandboxNamespace = "io.kubernetes.cri.sandbox-namespace";
inline constexpr const char* kAnnotationSandboxUid = "io.kubernetes.cri.sandbox-uid";
inline constexpr const char* kAnnotationSandboxLogDir = "io.kubernetes.cri.sandbox-log-directory";
inline constexpr const char* kAnnotationContainerName = "io.kubernetes.cri.container-name";
inline constexpr const char* kAnnotationImageName = "io.kubernetes.cri.image-name";

const std::vector<std::string>& DefaultMaskedPaths();
const std::vector<std::string>& DefaultReadonlyPaths();

// /proc, /dev (tmpfs), /dev/pts, /dev/shm, /dev/mqueue, /sys, /sys/fs/cgroup. Privileged
// containers get /sys and its cgroup mount read-write.
nlohmann::json DefaultMounts(bool privileged);

// A bind mount; `propagation` is rprivate, rslave or rshared.
nlohmann::json BindMount(const std::string& destination, const std::string& source, bool readonly,
                         const std::string& propagation = "rprivate");

// cgroupfs: "<parent>/<id>"; systemd: "<parent slice>:airlock:<id>" (runc's slice:prefix:name).
std::string CgroupsPathFor(const std::string& parent, const std::string& id, bool systemd);

nlohmann::json Namespace(const std::string& type, const std::string& path = "");
// "/proc/<pid>/ns/<ns>" — how a process joins a namespace of a running one.
std::string NamespacePath(int pid, const std::string& ns);

// process.capabilities with the same set in bounding, effective and permitted; `ambient` also
// goes to inheritable (the kernel keeps ambient only within permitted ∩ inheritable).
nlohmann::json CapabilitiesBlock(const std::vector<std::string>& caps,
                                 const std::vector<std::string>& ambient);

// linux.resources from CRI resources (without devices). `field` prefixes errors.
Result<nlohmann::json> ResourcesToOci(const runtime::v1::LinuxContainerResources& r,
                                      const HostFeatures& host, const std::string& field);

// `bytes` with every invalid UTF-8 sequence replaced by U+FFFD. JSON cannot carry other bytes,
// and Go (runc, containerd) makes the same substitution when it encodes such strings.
std::string ToValidUtf8(const std::string& bytes);

// True when `path` is absolute and has no "." or ".." component.
bool IsCleanAbsolutePath(const std::string& path);

// The io.kubernetes.cri.sandbox-* annotations, shared by both builders.
void AddSandboxAnnotations(const std::string& sandbox_id,
                           const runtime::v1::PodSandboxConfig& config, nlohmann::json* out);

// The deprecated string fields, read on purpose: kubelets older than 1.22 only send these.
std::string DeprecatedSeccompPath(const runtime::v1::LinuxContainerSecurityContext& sc);
std::string DeprecatedSeccompPath(const runtime::v1::LinuxSandboxSecurityContext& sc);
std::string DeprecatedAppArmorProfile(const runtime::v1::LinuxContainerSecurityContext& sc);

// Error for a bad field: code kInvalidArgument, message "<op>: <field detail>".
Error InvalidField(const std::string& op, const std::string& detail);

}  // namespace airlock::oci
