// Wire facts of proto/api.proto that the kubelet, crictl and critest depend on.
//
// A peer built from upstream's api.proto only sees method paths, field numbers, wire types and
// enum numbers; a renumbered field decodes silently into the wrong value. These tests pin those
// facts (from kubernetes/cri-api, see shared reference mission-anchors §1) so that an edit of
// api.proto that changes the wire cannot pass unnoticed. The last tests go through real gRPC with
// hand-encoded bytes, i.e. without trusting our own descriptors at all.
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <string>
#include <vector>

#include "proto/cri_api.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::ServiceDescriptor;

const DescriptorPool& Pool() {
  // Touching a generated type makes sure api.pb.cc is linked and registered.
  (void)runtime::v1::VersionRequest::descriptor();
  return *DescriptorPool::generated_pool();
}

// ---- services ------------------------------------------------------------------------------

// Request and response types default to <Method>Request / <Method>Response.
struct RpcFact {
  const char* path;
  bool server_streaming = false;
  const char* input = nullptr;
  const char* output = nullptr;
};

const std::vector<RpcFact>& RuntimeRpcs() {
  static const std::vector<RpcFact> rpcs = {
      {"/runtime.v1.RuntimeService/Version"},
      {"/runtime.v1.RuntimeService/RunPodSandbox"},
      {"/runtime.v1.RuntimeService/StopPodSandbox"},
      {"/runtime.v1.RuntimeService/RemovePodSandbox"},
      {"/runtime.v1.RuntimeService/PodSandboxStatus"},
      {"/runtime.v1.RuntimeService/ListPodSandbox"},
      {"/runtime.v1.RuntimeService/StreamPodSandboxes", true},
      {"/runtime.v1.RuntimeService/CreateContainer"},
      {"/runtime.v1.RuntimeService/StartContainer"},
      {"/runtime.v1.RuntimeService/StopContainer"},
      {"/runtime.v1.RuntimeService/RemoveContainer"},
      {"/runtime.v1.RuntimeService/ListContainers"},
      {"/runtime.v1.RuntimeService/StreamContainers", true},
      {"/runtime.v1.RuntimeService/ContainerStatus"},
      {"/runtime.v1.RuntimeService/UpdateContainerResources"},
      {"/runtime.v1.RuntimeService/ReopenContainerLog"},
      {"/runtime.v1.RuntimeService/ExecSync"},
      {"/runtime.v1.RuntimeService/Exec"},
      {"/runtime.v1.RuntimeService/Attach"},
      {"/runtime.v1.RuntimeService/PortForward"},
      {"/runtime.v1.RuntimeService/ContainerStats"},
      {"/runtime.v1.RuntimeService/ListContainerStats"},
      {"/runtime.v1.RuntimeService/StreamContainerStats", true},
      {"/runtime.v1.RuntimeService/PodSandboxStats"},
      {"/runtime.v1.RuntimeService/ListPodSandboxStats"},
      {"/runtime.v1.RuntimeService/StreamPodSandboxStats", true},
      {"/runtime.v1.RuntimeService/UpdateRuntimeConfig"},
      {"/runtime.v1.RuntimeService/Status"},
      {"/runtime.v1.RuntimeService/CheckpointContainer"},
      {"/runtime.v1.RuntimeService/CheckpointPod"},
      {"/runtime.v1.RuntimeService/RestorePod"},
      {"/runtime.v1.RuntimeService/GetContainerEvents", true, "GetEventsRequest",
       "ContainerEventResponse"},
      {"/runtime.v1.RuntimeService/ListMetricDescriptors"},
      {"/runtime.v1.RuntimeService/ListPodSandboxMetrics"},
      {"/runtime.v1.RuntimeService/StreamPodSandboxMetrics", true},
      {"/runtime.v1.RuntimeService/RuntimeConfig"},
      {"/runtime.v1.RuntimeService/UpdatePodSandboxResources"},
  };
  return rpcs;
}

const std::vector<RpcFact>& ImageRpcs() {
  static const std::vector<RpcFact> rpcs = {
      {"/runtime.v1.ImageService/ListImages"},  {"/runtime.v1.ImageService/StreamImages", true},
      {"/runtime.v1.ImageService/ImageStatus"}, {"/runtime.v1.ImageService/PullImage"},
      {"/runtime.v1.ImageService/RemoveImage"}, {"/runtime.v1.ImageService/ImageFsInfo"},
  };
  return rpcs;
}

void ExpectService(const char* service_name, const std::vector<RpcFact>& rpcs) {
  const ServiceDescriptor* service = Pool().FindServiceByName(service_name);
  ASSERT_NE(service, nullptr) << service_name;
  // Same count in both directions: nothing missing, nothing invented.
  EXPECT_EQ(service->method_count(), static_cast<int>(rpcs.size())) << service_name;
  for (const RpcFact& rpc : rpcs) {
    const std::string path(rpc.path);
    const std::string method_name = path.substr(path.rfind('/') + 1);
    const auto* method = service->FindMethodByName(method_name);
    ASSERT_NE(method, nullptr) << "missing rpc " << path;
    EXPECT_EQ("/" + service->full_name() + "/" + method->name(), path);
    const std::string input = rpc.input ? rpc.input : method_name + "Request";
    const std::string output = rpc.output ? rpc.output : method_name + "Response";
    EXPECT_EQ(method->input_type()->full_name(), "runtime.v1." + input) << path;
    EXPECT_EQ(method->output_type()->full_name(), "runtime.v1." + output) << path;
    EXPECT_FALSE(method->client_streaming()) << path;
    EXPECT_EQ(method->server_streaming(), rpc.server_streaming) << path;
  }
}

TEST(ProtoWire, RuntimeServiceHasEveryUpstreamRpcAtItsPath) {
  ExpectService("runtime.v1.RuntimeService", RuntimeRpcs());
}

TEST(ProtoWire, ImageServiceHasEveryUpstreamRpcAtItsPath) {
  ExpectService("runtime.v1.ImageService", ImageRpcs());
}

TEST(ProtoWire, FileIsProto3PackageRuntimeV1) {
  const auto* file = runtime::v1::VersionRequest::descriptor()->file();
  EXPECT_EQ(file->package(), "runtime.v1");
  EXPECT_EQ(file->syntax(), google::protobuf::FileDescriptor::SYNTAX_PROTO3);
  EXPECT_EQ(file->name(), "proto/api.proto");
}

// ---- fields --------------------------------------------------------------------------------

enum class Card { kOne, kRepeated, kMap };  // kMap = map<string, string>

struct FieldFact {
  const char* message;
  const char* field;
  int number;
  FieldDescriptor::Type type;
  Card card = Card::kOne;
  const char* type_name = "";  // message/enum type, without the "runtime.v1." prefix
};

constexpr auto kStr = FieldDescriptor::TYPE_STRING;
constexpr auto kBytes = FieldDescriptor::TYPE_BYTES;
constexpr auto kBool = FieldDescriptor::TYPE_BOOL;
constexpr auto kI32 = FieldDescriptor::TYPE_INT32;
constexpr auto kI64 = FieldDescriptor::TYPE_INT64;
constexpr auto kU32 = FieldDescriptor::TYPE_UINT32;
constexpr auto kU64 = FieldDescriptor::TYPE_UINT64;
constexpr auto kMsg = FieldDescriptor::TYPE_MESSAGE;
constexpr auto kEnum = FieldDescriptor::TYPE_ENUM;
constexpr auto kOne = Card::kOne;
constexpr auto kRep = Card::kRepeated;
constexpr auto kMap = Card::kMap;

// mission-anchors §1.2 (exec family), §1.3 (kubelet + crictl set), §1.4 (security context).
const std::vector<FieldFact>& FieldFacts() {
  static const std::vector<FieldFact> facts = {
      // §1.2 exec family. ExecRequest and AttachRequest order stdin/tty differently.
      {"ExecSyncRequest", "container_id", 1, kStr},
      {"ExecSyncRequest", "cmd", 2, kStr, kRep},
      {"ExecSyncRequest", "timeout", 3, kI64},
      {"ExecSyncResponse", "stdout", 1, kBytes},
      {"ExecSyncResponse", "stderr", 2, kBytes},
      {"ExecSyncResponse", "exit_code", 3, kI32},
      {"ExecRequest", "container_id", 1, kStr},
      {"ExecRequest", "cmd", 2, kStr, kRep},
      {"ExecRequest", "tty", 3, kBool},
      {"ExecRequest", "stdin", 4, kBool},
      {"ExecRequest", "stdout", 5, kBool},
      {"ExecRequest", "stderr", 6, kBool},
      {"ExecResponse", "url", 1, kStr},
      {"AttachRequest", "container_id", 1, kStr},
      {"AttachRequest", "stdin", 2, kBool},
      {"AttachRequest", "tty", 3, kBool},
      {"AttachRequest", "stdout", 4, kBool},
      {"AttachRequest", "stderr", 5, kBool},
      {"AttachResponse", "url", 1, kStr},
      {"PortForwardRequest", "pod_sandbox_id", 1, kStr},
      {"PortForwardRequest", "port", 2, kI32, kRep},
      {"PortForwardResponse", "url", 1, kStr},
      // §1.3 version, status, runtime config.
      {"VersionRequest", "version", 1, kStr},
      {"VersionResponse", "version", 1, kStr},
      {"VersionResponse", "runtime_name", 2, kStr},
      {"VersionResponse", "runtime_version", 3, kStr},
      {"VersionResponse", "runtime_api_version", 4, kStr},
      {"StatusRequest", "verbose", 1, kBool},
      {"StatusResponse", "status", 1, kMsg, kOne, "RuntimeStatus"},
      {"StatusResponse", "info", 2, kMsg, kMap},
      {"StatusResponse", "runtime_handlers", 3, kMsg, kRep, "RuntimeHandler"},
      {"StatusResponse", "features", 4, kMsg, kOne, "RuntimeFeatures"},
      {"RuntimeStatus", "conditions", 1, kMsg, kRep, "RuntimeCondition"},
      {"RuntimeCondition", "type", 1, kStr},
      {"RuntimeCondition", "status", 2, kBool},
      {"RuntimeCondition", "reason", 3, kStr},
      {"RuntimeCondition", "message", 4, kStr},
      {"RuntimeHandler", "name", 1, kStr},
      {"RuntimeHandler", "features", 2, kMsg, kOne, "RuntimeHandlerFeatures"},
      {"RuntimeHandlerFeatures", "recursive_read_only_mounts", 1, kBool},
      {"RuntimeHandlerFeatures", "user_namespaces", 2, kBool},
      {"RuntimeFeatures", "supplemental_groups_policy", 1, kBool},
      {"RuntimeFeatures", "user_namespaces_host_network", 2, kBool},
      {"RuntimeFeatures", "mount_options", 3, kBool},
      {"UpdateRuntimeConfigRequest", "runtime_config", 1, kMsg, kOne, "RuntimeConfig"},
      {"RuntimeConfig", "network_config", 1, kMsg, kOne, "NetworkConfig"},
      {"NetworkConfig", "pod_cidr", 1, kStr},
      {"RuntimeConfigResponse", "linux", 1, kMsg, kOne, "LinuxRuntimeConfiguration"},
      {"LinuxRuntimeConfiguration", "cgroup_driver", 1, kEnum, kOne, "CgroupDriver"},
      // §1.3 pod sandboxes.
      {"RunPodSandboxRequest", "config", 1, kMsg, kOne, "PodSandboxConfig"},
      {"RunPodSandboxRequest", "runtime_handler", 2, kStr},
      {"RunPodSandboxResponse", "pod_sandbox_id", 1, kStr},
      {"PodSandboxConfig", "metadata", 1, kMsg, kOne, "PodSandboxMetadata"},
      {"PodSandboxConfig", "hostname", 2, kStr},
      {"PodSandboxConfig", "log_directory", 3, kStr},
      {"PodSandboxConfig", "dns_config", 4, kMsg, kOne, "DNSConfig"},
      {"PodSandboxConfig", "port_mappings", 5, kMsg, kRep, "PortMapping"},
      {"PodSandboxConfig", "labels", 6, kMsg, kMap},
      {"PodSandboxConfig", "annotations", 7, kMsg, kMap},
      {"PodSandboxConfig", "linux", 8, kMsg, kOne, "LinuxPodSandboxConfig"},
      {"PodSandboxConfig", "windows", 9, kMsg, kOne, "WindowsPodSandboxConfig"},
      {"PodSandboxMetadata", "name", 1, kStr},
      {"PodSandboxMetadata", "uid", 2, kStr},
      {"PodSandboxMetadata", "namespace", 3, kStr},
      {"PodSandboxMetadata", "attempt", 4, kU32},
      {"DNSConfig", "servers", 1, kStr, kRep},
      {"DNSConfig", "searches", 2, kStr, kRep},
      {"DNSConfig", "options", 3, kStr, kRep},
      {"PortMapping", "protocol", 1, kEnum, kOne, "Protocol"},
      {"PortMapping", "container_port", 2, kI32},
      {"PortMapping", "host_port", 3, kI32},
      {"PortMapping", "host_ip", 4, kStr},
      {"LinuxPodSandboxConfig", "cgroup_parent", 1, kStr},
      {"LinuxPodSandboxConfig", "security_context", 2, kMsg, kOne, "LinuxSandboxSecurityContext"},
      {"LinuxPodSandboxConfig", "sysctls", 3, kMsg, kMap},
      {"LinuxPodSandboxConfig", "overhead", 4, kMsg, kOne, "LinuxContainerResources"},
      {"LinuxPodSandboxConfig", "resources", 5, kMsg, kOne, "LinuxContainerResources"},
      {"LinuxSandboxSecurityContext", "namespace_options", 1, kMsg, kOne, "NamespaceOption"},
      {"LinuxSandboxSecurityContext", "selinux_options", 2, kMsg, kOne, "SELinuxOption"},
      {"LinuxSandboxSecurityContext", "run_as_user", 3, kMsg, kOne, "Int64Value"},
      {"LinuxSandboxSecurityContext", "run_as_group", 8, kMsg, kOne, "Int64Value"},
      {"LinuxSandboxSecurityContext", "readonly_rootfs", 4, kBool},
      {"LinuxSandboxSecurityContext", "supplemental_groups", 5, kI64, kRep},
      {"LinuxSandboxSecurityContext", "supplemental_groups_policy", 11, kEnum, kOne,
       "SupplementalGroupsPolicy"},
      {"LinuxSandboxSecurityContext", "privileged", 6, kBool},
      {"LinuxSandboxSecurityContext", "seccomp", 9, kMsg, kOne, "SecurityProfile"},
      {"LinuxSandboxSecurityContext", "apparmor", 10, kMsg, kOne, "SecurityProfile"},
      {"LinuxSandboxSecurityContext", "seccomp_profile_path", 7, kStr},
      {"NamespaceOption", "network", 1, kEnum, kOne, "NamespaceMode"},
      {"NamespaceOption", "pid", 2, kEnum, kOne, "NamespaceMode"},
      {"NamespaceOption", "ipc", 3, kEnum, kOne, "NamespaceMode"},
      {"NamespaceOption", "target_id", 4, kStr},
      {"NamespaceOption", "userns_options", 5, kMsg, kOne, "UserNamespace"},
      {"UserNamespace", "mode", 1, kEnum, kOne, "NamespaceMode"},
      {"UserNamespace", "uids", 2, kMsg, kRep, "IDMapping"},
      {"UserNamespace", "gids", 3, kMsg, kRep, "IDMapping"},
      {"IDMapping", "host_id", 1, kU32},
      {"IDMapping", "container_id", 2, kU32},
      {"IDMapping", "length", 3, kU32},
      {"StopPodSandboxRequest", "pod_sandbox_id", 1, kStr},
      {"RemovePodSandboxRequest", "pod_sandbox_id", 1, kStr},
      {"PodSandboxStatusRequest", "pod_sandbox_id", 1, kStr},
      {"PodSandboxStatusRequest", "verbose", 2, kBool},
      {"PodSandboxStatusResponse", "status", 1, kMsg, kOne, "PodSandboxStatus"},
      {"PodSandboxStatusResponse", "info", 2, kMsg, kMap},
      {"PodSandboxStatusResponse", "containers_statuses", 3, kMsg, kRep, "ContainerStatus"},
      {"PodSandboxStatusResponse", "timestamp", 4, kI64},
      {"PodSandboxStatus", "id", 1, kStr},
      {"PodSandboxStatus", "metadata", 2, kMsg, kOne, "PodSandboxMetadata"},
      {"PodSandboxStatus", "state", 3, kEnum, kOne, "PodSandboxState"},
      {"PodSandboxStatus", "created_at", 4, kI64},
      {"PodSandboxStatus", "network", 5, kMsg, kOne, "PodSandboxNetworkStatus"},
      {"PodSandboxStatus", "linux", 6, kMsg, kOne, "LinuxPodSandboxStatus"},
      {"PodSandboxStatus", "labels", 7, kMsg, kMap},
      {"PodSandboxStatus", "annotations", 8, kMsg, kMap},
      {"PodSandboxStatus", "runtime_handler", 9, kStr},
      {"PodSandboxNetworkStatus", "ip", 1, kStr},
      {"PodSandboxNetworkStatus", "additional_ips", 2, kMsg, kRep, "PodIP"},
      {"PodIP", "ip", 1, kStr},
      {"LinuxPodSandboxStatus", "namespaces", 1, kMsg, kOne, "Namespace"},
      {"Namespace", "options", 2, kMsg, kOne, "NamespaceOption"},
      {"ListPodSandboxRequest", "filter", 1, kMsg, kOne, "PodSandboxFilter"},
      {"PodSandboxFilter", "id", 1, kStr},
      {"PodSandboxFilter", "state", 2, kMsg, kOne, "PodSandboxStateValue"},
      {"PodSandboxFilter", "label_selector", 3, kMsg, kMap},
      {"PodSandboxStateValue", "state", 1, kEnum, kOne, "PodSandboxState"},
      {"ListPodSandboxResponse", "items", 1, kMsg, kRep, "PodSandbox"},
      {"PodSandbox", "id", 1, kStr},
      {"PodSandbox", "metadata", 2, kMsg, kOne, "PodSandboxMetadata"},
      {"PodSandbox", "state", 3, kEnum, kOne, "PodSandboxState"},
      {"PodSandbox", "created_at", 4, kI64},
      {"PodSandbox", "labels", 5, kMsg, kMap},
      {"PodSandbox", "annotations", 6, kMsg, kMap},
      {"PodSandbox", "runtime_handler", 7, kStr},
      // §1.3 containers.
      {"CreateContainerRequest", "pod_sandbox_id", 1, kStr},
      {"CreateContainerRequest", "config", 2, kMsg, kOne, "ContainerConfig"},
      {"CreateContainerRequest", "sandbox_config", 3, kMsg, kOne, "PodSandboxConfig"},
      {"CreateContainerResponse", "container_id", 1, kStr},
      {"ContainerConfig", "metadata", 1, kMsg, kOne, "ContainerMetadata"},
      {"ContainerConfig", "image", 2, kMsg, kOne, "ImageSpec"},
      {"ContainerConfig", "command", 3, kStr, kRep},
      {"ContainerConfig", "args", 4, kStr, kRep},
      {"ContainerConfig", "working_dir", 5, kStr},
      {"ContainerConfig", "envs", 6, kMsg, kRep, "KeyValue"},
      {"ContainerConfig", "mounts", 7, kMsg, kRep, "Mount"},
      {"ContainerConfig", "devices", 8, kMsg, kRep, "Device"},
      {"ContainerConfig", "labels", 9, kMsg, kMap},
      {"ContainerConfig", "annotations", 10, kMsg, kMap},
      {"ContainerConfig", "log_path", 11, kStr},
      {"ContainerConfig", "stdin", 12, kBool},
      {"ContainerConfig", "stdin_once", 13, kBool},
      {"ContainerConfig", "tty", 14, kBool},
      {"ContainerConfig", "linux", 15, kMsg, kOne, "LinuxContainerConfig"},
      {"ContainerConfig", "windows", 16, kMsg, kOne, "WindowsContainerConfig"},
      {"ContainerConfig", "CDI_devices", 17, kMsg, kRep, "CDIDevice"},
      {"ContainerConfig", "stop_signal", 18, kEnum, kOne, "Signal"},
      {"ContainerMetadata", "name", 1, kStr},
      {"ContainerMetadata", "attempt", 2, kU32},
      {"KeyValue", "key", 1, kStr},
      {"KeyValue", "value", 2, kBytes},
      {"Device", "container_path", 1, kStr},
      {"Device", "host_path", 2, kStr},
      {"Device", "permissions", 3, kStr},
      {"CDIDevice", "name", 1, kStr},
      {"Mount", "container_path", 1, kStr},
      {"Mount", "host_path", 2, kStr},
      {"Mount", "readonly", 3, kBool},
      {"Mount", "selinux_relabel", 4, kBool},
      {"Mount", "propagation", 5, kEnum, kOne, "MountPropagation"},
      {"Mount", "uidMappings", 6, kMsg, kRep, "IDMapping"},
      {"Mount", "gidMappings", 7, kMsg, kRep, "IDMapping"},
      {"Mount", "recursive_read_only", 8, kBool},
      {"Mount", "image", 9, kMsg, kOne, "ImageSpec"},
      {"Mount", "image_sub_path", 10, kStr},
      {"Mount", "mount_options", 11, kStr, kRep},
      {"ImageSpec", "image", 1, kStr},
      {"ImageSpec", "annotations", 2, kMsg, kMap},
      {"ImageSpec", "user_specified_image", 18, kStr},
      {"ImageSpec", "runtime_handler", 19, kStr},
      {"ImageSpec", "image_ref", 20, kStr},
      {"LinuxContainerConfig", "resources", 1, kMsg, kOne, "LinuxContainerResources"},
      {"LinuxContainerConfig", "security_context", 2, kMsg, kOne, "LinuxContainerSecurityContext"},
      {"LinuxContainerResources", "cpu_period", 1, kI64},
      {"LinuxContainerResources", "cpu_quota", 2, kI64},
      {"LinuxContainerResources", "cpu_shares", 3, kI64},
      {"LinuxContainerResources", "memory_limit_in_bytes", 4, kI64},
      {"LinuxContainerResources", "oom_score_adj", 5, kI64},
      {"LinuxContainerResources", "cpuset_cpus", 6, kStr},
      {"LinuxContainerResources", "cpuset_mems", 7, kStr},
      {"LinuxContainerResources", "hugepage_limits", 8, kMsg, kRep, "HugepageLimit"},
      {"LinuxContainerResources", "unified", 9, kMsg, kMap},
      {"LinuxContainerResources", "memory_swap_limit_in_bytes", 10, kI64},
      {"StartContainerRequest", "container_id", 1, kStr},
      {"StopContainerRequest", "container_id", 1, kStr},
      {"StopContainerRequest", "timeout", 2, kI64},
      {"RemoveContainerRequest", "container_id", 1, kStr},
      {"ListContainersRequest", "filter", 1, kMsg, kOne, "ContainerFilter"},
      {"ContainerFilter", "id", 1, kStr},
      {"ContainerFilter", "state", 2, kMsg, kOne, "ContainerStateValue"},
      {"ContainerFilter", "pod_sandbox_id", 3, kStr},
      {"ContainerFilter", "label_selector", 4, kMsg, kMap},
      {"ContainerStateValue", "state", 1, kEnum, kOne, "ContainerState"},
      {"ListContainersResponse", "containers", 1, kMsg, kRep, "Container"},
      {"Container", "id", 1, kStr},
      {"Container", "pod_sandbox_id", 2, kStr},
      {"Container", "metadata", 3, kMsg, kOne, "ContainerMetadata"},
      {"Container", "image", 4, kMsg, kOne, "ImageSpec"},
      {"Container", "image_ref", 5, kStr},
      {"Container", "state", 6, kEnum, kOne, "ContainerState"},
      {"Container", "created_at", 7, kI64},
      {"Container", "labels", 8, kMsg, kMap},
      {"Container", "annotations", 9, kMsg, kMap},
      {"Container", "image_id", 10, kStr},
      {"ContainerStatusRequest", "container_id", 1, kStr},
      {"ContainerStatusRequest", "verbose", 2, kBool},
      {"ContainerStatusResponse", "status", 1, kMsg, kOne, "ContainerStatus"},
      {"ContainerStatusResponse", "info", 2, kMsg, kMap},
      {"ContainerStatus", "id", 1, kStr},
      {"ContainerStatus", "metadata", 2, kMsg, kOne, "ContainerMetadata"},
      {"ContainerStatus", "state", 3, kEnum, kOne, "ContainerState"},
      {"ContainerStatus", "created_at", 4, kI64},
      {"ContainerStatus", "started_at", 5, kI64},
      {"ContainerStatus", "finished_at", 6, kI64},
      {"ContainerStatus", "exit_code", 7, kI32},
      {"ContainerStatus", "image", 8, kMsg, kOne, "ImageSpec"},
      {"ContainerStatus", "image_ref", 9, kStr},
      {"ContainerStatus", "reason", 10, kStr},
      {"ContainerStatus", "message", 11, kStr},
      {"ContainerStatus", "labels", 12, kMsg, kMap},
      {"ContainerStatus", "annotations", 13, kMsg, kMap},
      {"ContainerStatus", "mounts", 14, kMsg, kRep, "Mount"},
      {"ContainerStatus", "log_path", 15, kStr},
      {"ContainerStatus", "resources", 16, kMsg, kOne, "ContainerResources"},
      {"ContainerStatus", "image_id", 17, kStr},
      {"ContainerStatus", "user", 18, kMsg, kOne, "ContainerUser"},
      {"ContainerStatus", "stop_signal", 19, kEnum, kOne, "Signal"},
      {"ContainerUser", "linux", 1, kMsg, kOne, "LinuxContainerUser"},
      {"LinuxContainerUser", "uid", 1, kI64},
      {"LinuxContainerUser", "gid", 2, kI64},
      {"LinuxContainerUser", "supplemental_groups", 3, kI64, kRep},
      // §1.3 images.
      {"ListImagesRequest", "filter", 1, kMsg, kOne, "ImageFilter"},
      {"ImageFilter", "image", 1, kMsg, kOne, "ImageSpec"},
      {"ListImagesResponse", "images", 1, kMsg, kRep, "Image"},
      {"Image", "id", 1, kStr},
      {"Image", "repo_tags", 2, kStr, kRep},
      {"Image", "repo_digests", 3, kStr, kRep},
      {"Image", "size", 4, kU64},
      {"Image", "uid", 5, kMsg, kOne, "Int64Value"},
      {"Image", "username", 6, kStr},
      {"Image", "spec", 7, kMsg, kOne, "ImageSpec"},
      {"Image", "pinned", 8, kBool},
      {"ImageStatusRequest", "image", 1, kMsg, kOne, "ImageSpec"},
      {"ImageStatusRequest", "verbose", 2, kBool},
      {"ImageStatusResponse", "image", 1, kMsg, kOne, "Image"},
      {"ImageStatusResponse", "info", 2, kMsg, kMap},
      {"PullImageRequest", "image", 1, kMsg, kOne, "ImageSpec"},
      {"PullImageRequest", "auth", 2, kMsg, kOne, "AuthConfig"},
      {"PullImageRequest", "sandbox_config", 3, kMsg, kOne, "PodSandboxConfig"},
      {"AuthConfig", "username", 1, kStr},
      {"AuthConfig", "password", 2, kStr},
      {"AuthConfig", "auth", 3, kStr},
      {"AuthConfig", "server_address", 4, kStr},
      {"AuthConfig", "identity_token", 5, kStr},
      {"AuthConfig", "registry_token", 6, kStr},
      {"PullImageResponse", "image_ref", 1, kStr},
      {"RemoveImageRequest", "image", 1, kMsg, kOne, "ImageSpec"},
      {"ImageFsInfoResponse", "image_filesystems", 1, kMsg, kRep, "FilesystemUsage"},
      {"ImageFsInfoResponse", "container_filesystems", 2, kMsg, kRep, "FilesystemUsage"},
      {"FilesystemUsage", "timestamp", 1, kI64},
      {"FilesystemUsage", "fs_id", 2, kMsg, kOne, "FilesystemIdentifier"},
      {"FilesystemUsage", "used_bytes", 3, kMsg, kOne, "UInt64Value"},
      {"FilesystemUsage", "inodes_used", 4, kMsg, kOne, "UInt64Value"},
      {"FilesystemIdentifier", "mountpoint", 1, kStr},
      {"UInt64Value", "value", 1, kU64},
      // §1.4 what an exec inherits from the container.
      {"LinuxContainerSecurityContext", "capabilities", 1, kMsg, kOne, "Capability"},
      {"LinuxContainerSecurityContext", "privileged", 2, kBool},
      {"LinuxContainerSecurityContext", "namespace_options", 3, kMsg, kOne, "NamespaceOption"},
      {"LinuxContainerSecurityContext", "selinux_options", 4, kMsg, kOne, "SELinuxOption"},
      {"LinuxContainerSecurityContext", "run_as_user", 5, kMsg, kOne, "Int64Value"},
      {"LinuxContainerSecurityContext", "run_as_group", 12, kMsg, kOne, "Int64Value"},
      {"LinuxContainerSecurityContext", "run_as_username", 6, kStr},
      {"LinuxContainerSecurityContext", "readonly_rootfs", 7, kBool},
      {"LinuxContainerSecurityContext", "supplemental_groups", 8, kI64, kRep},
      {"LinuxContainerSecurityContext", "supplemental_groups_policy", 17, kEnum, kOne,
       "SupplementalGroupsPolicy"},
      {"LinuxContainerSecurityContext", "no_new_privs", 11, kBool},
      {"LinuxContainerSecurityContext", "masked_paths", 13, kStr, kRep},
      {"LinuxContainerSecurityContext", "readonly_paths", 14, kStr, kRep},
      {"LinuxContainerSecurityContext", "seccomp", 15, kMsg, kOne, "SecurityProfile"},
      {"LinuxContainerSecurityContext", "apparmor", 16, kMsg, kOne, "SecurityProfile"},
      {"LinuxContainerSecurityContext", "apparmor_profile", 9, kStr},
      {"LinuxContainerSecurityContext", "seccomp_profile_path", 10, kStr},
      {"SELinuxOption", "user", 1, kStr},
      {"SELinuxOption", "role", 2, kStr},
      {"SELinuxOption", "type", 3, kStr},
      {"SELinuxOption", "level", 4, kStr},
      {"Capability", "add_capabilities", 1, kStr, kRep},
      {"Capability", "drop_capabilities", 2, kStr, kRep},
      {"Capability", "add_ambient_capabilities", 3, kStr, kRep},
      {"SecurityProfile", "profile_type", 1, kEnum, kOne, "SecurityProfile.ProfileType"},
      {"SecurityProfile", "localhost_ref", 2, kStr},
      {"Int64Value", "value", 1, kI64},
  };
  return facts;
}

TEST(ProtoWire, FieldNumbersTypesAndCardinalityMatchUpstream) {
  for (const FieldFact& fact : FieldFacts()) {
    const std::string where = std::string(fact.message) + "." + fact.field;
    const Descriptor* message =
        Pool().FindMessageTypeByName(std::string("runtime.v1.") + fact.message);
    ASSERT_NE(message, nullptr) << "missing message " << fact.message;
    const FieldDescriptor* field = message->FindFieldByName(fact.field);
    ASSERT_NE(field, nullptr) << "missing field " << where;
    EXPECT_EQ(field->number(), fact.number) << where;
    EXPECT_EQ(field->type(), fact.type) << where << " is " << field->type_name();
    EXPECT_EQ(field->is_repeated(), fact.card != kOne) << where;
    EXPECT_EQ(field->is_map(), fact.card == kMap) << where;
    if (fact.card == kMap) {
      EXPECT_EQ(field->message_type()->map_key()->type(), kStr) << where;
      EXPECT_EQ(field->message_type()->map_value()->type(), kStr) << where;
    } else if (fact.type == kMsg) {
      EXPECT_EQ(field->message_type()->full_name(), std::string("runtime.v1.") + fact.type_name)
          << where;
    } else if (fact.type == kEnum) {
      EXPECT_EQ(field->enum_type()->full_name(), std::string("runtime.v1.") + fact.type_name)
          << where;
    }
  }
}

// ---- enums ---------------------------------------------------------------------------------

void ExpectEnum(const char* name, const std::vector<std::pair<const char*, int>>& values) {
  const EnumDescriptor* e = Pool().FindEnumTypeByName(std::string("runtime.v1.") + name);
  ASSERT_NE(e, nullptr) << name;
  EXPECT_EQ(e->value_count(), static_cast<int>(values.size())) << name;
  for (const auto& [value_name, number] : values) {
    const auto* value = e->FindValueByName(value_name);
    ASSERT_NE(value, nullptr) << name << "." << value_name;
    EXPECT_EQ(value->number(), number) << name << "." << value_name;
  }
}

TEST(ProtoWire, EnumNumbersMatchUpstream) {
  ExpectEnum("ContainerState", {{"CONTAINER_CREATED", 0},
                                {"CONTAINER_RUNNING", 1},
                                {"CONTAINER_EXITED", 2},
                                {"CONTAINER_UNKNOWN", 3}});
  ExpectEnum("NamespaceMode", {{"POD", 0}, {"CONTAINER", 1}, {"NODE", 2}, {"TARGET", 3}});
  ExpectEnum("SecurityProfile.ProfileType",
             {{"RuntimeDefault", 0}, {"Unconfined", 1}, {"Localhost", 2}});
  ExpectEnum("CgroupDriver", {{"SYSTEMD", 0}, {"CGROUPFS", 1}});
  ExpectEnum("Protocol", {{"TCP", 0}, {"UDP", 1}, {"SCTP", 2}});
  ExpectEnum("PodSandboxState", {{"SANDBOX_READY", 0}, {"SANDBOX_NOTREADY", 1}});
  ExpectEnum("SupplementalGroupsPolicy", {{"Merge", 0}, {"Strict", 1}});
  ExpectEnum("MountPropagation", {{"PROPAGATION_PRIVATE", 0},
                                  {"PROPAGATION_HOST_TO_CONTAINER", 1},
                                  {"PROPAGATION_BIDIRECTIONAL", 2}});
  ExpectEnum("ContainerEventType", {{"CONTAINER_CREATED_EVENT", 0},
                                    {"CONTAINER_STARTED_EVENT", 1},
                                    {"CONTAINER_STOPPED_EVENT", 2},
                                    {"CONTAINER_DELETED_EVENT", 3}});
  ExpectEnum("MetricType", {{"COUNTER", 0}, {"GAUGE", 1}});
}

TEST(ProtoWire, SignalEnumSpotChecks) {
  const EnumDescriptor* e = runtime::v1::Signal_descriptor();
  EXPECT_EQ(e->value_count(), 66);
  EXPECT_EQ(e->FindValueByName("RUNTIME_DEFAULT")->number(), 0);
  EXPECT_EQ(e->FindValueByName("SIGKILL")->number(), 13);
  EXPECT_EQ(e->FindValueByName("SIGTERM")->number(), 23);
  EXPECT_EQ(e->FindValueByName("SIGRTMIN")->number(), 35);
  EXPECT_EQ(e->FindValueByName("SIGRTMAX")->number(), 65);
}

TEST(ProtoWire, CriApiHeaderCompilesAfterSignalHAndKeepsItsMacros) {
  // This file includes <csignal> and grpcpp before the CRI header, as real consumers do.
  EXPECT_EQ(SIGKILL, 9);
  EXPECT_EQ(SIGTERM, 15);
  EXPECT_EQ(runtime::v1::Signal_Name(static_cast<runtime::v1::Signal>(13)), "SIGKILL");
  runtime::v1::Signal parsed{};
  ASSERT_TRUE(runtime::v1::Signal_Parse("SIGTERM", &parsed));
  EXPECT_EQ(static_cast<int>(parsed), 23);
}

// ---- bytes on the wire ---------------------------------------------------------------------

TEST(ProtoWire, ExecAndAttachEncodeTtyAndStdinAtDifferentTags) {
  runtime::v1::ExecRequest exec;
  exec.set_tty(true);
  EXPECT_EQ(exec.SerializeAsString(), std::string("\x18\x01", 2));  // field 3, varint 1
  exec.Clear();
  exec.set_stdin(true);
  EXPECT_EQ(exec.SerializeAsString(), std::string("\x20\x01", 2));  // field 4

  runtime::v1::AttachRequest attach;
  attach.set_stdin(true);
  EXPECT_EQ(attach.SerializeAsString(), std::string("\x10\x01", 2));  // field 2
  attach.Clear();
  attach.set_tty(true);
  EXPECT_EQ(attach.SerializeAsString(), std::string("\x18\x01", 2));  // field 3
}

TEST(ProtoWire, EnvValueAcceptsBytesThatAreNotUtf8) {
  // Go lets env values hold any bytes; a proto3 string field would reject the whole
  // CreateContainer request on parse. KeyValue.value is bytes for that reason.
  const std::string wire("\x0a\x01K\x12\x02\xff\xfe", 7);
  runtime::v1::KeyValue kv;
  ASSERT_TRUE(kv.ParseFromString(wire));
  EXPECT_EQ(kv.key(), "K");
  EXPECT_EQ(kv.value(), std::string("\xff\xfe", 2));
}

// ---- through gRPC, with hand-encoded bytes -------------------------------------------------

// Answers ExecSync with stdout = first cmd word and exit_code = timeout, so the reply proves the
// server decoded fields 2 and 3 of the request where upstream puts them.
class EchoRuntime final : public runtime::v1::RuntimeService::Service {
 public:
  grpc::Status ExecSync(grpc::ServerContext*, const runtime::v1::ExecSyncRequest* request,
                        runtime::v1::ExecSyncResponse* response) override {
    if (request->container_id() != "c1" || request->cmd_size() != 1) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "unexpected request"};
    }
    response->set_stdout(request->cmd(0));
    response->set_exit_code(static_cast<int32_t>(request->timeout()));
    return grpc::Status::OK;
  }
};

TEST(ProtoWire, GeneratedServiceServesUpstreamPathAndFieldNumbers) {
  EchoRuntime service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  std::shared_ptr<grpc::Channel> channel = server->InProcessChannel(grpc::ChannelArguments());
  grpc::GenericStub stub(channel);

  // ExecSyncRequest{container_id: "c1", cmd: ["hi"], timeout: 7}, encoded by hand.
  const std::string request_bytes(
      "\x0a\x02"
      "c1"
      "\x12\x02"
      "hi"
      "\x18\x07",
      10);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext context;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/runtime.v1.RuntimeService/ExecSync", grpc::StubOptions(), &request,
                 &response, [&done](grpc::Status status) { done.set_value(status); });
  const grpc::Status status = done.get_future().get();
  ASSERT_TRUE(status.ok()) << status.error_message();

  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string response_bytes;
  for (const grpc::Slice& s : slices) {
    response_bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  // ExecSyncResponse{stdout: "hi" (field 1, bytes), exit_code: 7 (field 3, varint)}.
  EXPECT_EQ(response_bytes, std::string("\x0a\x02"
                                        "hi"
                                        "\x18\x07",
                                        6));
  server->Shutdown();
}

}  // namespace
