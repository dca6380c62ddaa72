// Golden and validation tests of the OCI spec builders (shim/oci). Goldens live in
// testdata/oci/*.json with the checkout-dependent testdata path written as @TESTDATA@;
// AIRLOCK_UPDATE_GOLDEN=1 rewrites them (review the diff before committing).
// api.pb.h first: its Signal enum spells SIGABRT, SIGKILL, ... which <csignal> (reached through
// gtest) defines as macros.
// clang-format off
#include "proto/cri_api.h"
// clang-format on

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "shim/base/file_util.h"
#include "shim/oci/capabilities.h"
#include "shim/oci/container_spec.h"
#include "shim/oci/sandbox_spec.h"
#include "shim/oci/spec_parts.h"

namespace airlock::oci {
namespace {

using nlohmann::json;

const std::string kTestdata = AIRLOCK_OCI_TESTDATA;

json Portable(const json& j) {
  std::string text = j.dump();
  for (size_t pos = 0; (pos = text.find(kTestdata, pos)) != std::string::npos;)
    text.replace(pos, kTestdata.size(), "@TESTDATA@");
  return json::parse(text);
}

void ExpectGolden(const json& actual, const std::string& name) {
  json portable = Portable(actual);
  std::string path = kTestdata + "/" + name + ".json";
  if (std::getenv("AIRLOCK_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << portable.dump(2) << "\n";
    return;
  }
  auto text = ReadFile(path);
  ASSERT_TRUE(text.ok()) << text.error().message;
  json golden = json::parse(*text);
  EXPECT_EQ(golden, portable) << "golden " << path << " differs; patch golden->actual:\n"
                              << json::diff(golden, portable).dump(2);
}

ContainerSpecInput BaseContainer() {
  ContainerSpecInput in;
  in.container_id = "ctr-1";
  in.sandbox_id = "sb-1";
  auto& c = in.config;
  c.mutable_metadata()->set_name("web");
  c.mutable_image()->set_image("docker.io/library/busybox:1.36");
  auto* env = c.add_envs();
  env->set_key("FOO");
  env->set_value("cri");
  env = c.add_envs();
  env->set_key("EXTRA");
  env->set_value(std::string("bytes\xff ok", 9));  // KeyValue.value is bytes, not UTF-8
  (*c.mutable_labels())["app"] = "web";
  (*c.mutable_annotations())["team"] = "infra";
  auto& s = in.sandbox_config;
  s.mutable_metadata()->set_name("pod-a");
  s.mutable_metadata()->set_uid("uid-123");
  s.mutable_metadata()->set_namespace_("default");
  s.set_hostname("pod-a");
  s.mutable_linux()->set_cgroup_parent("/kubepods/poduid-123");
  in.image.env = {"PATH=/usr/local/bin:/bin", "FOO=image", "IMAGE_ONLY=1"};
  in.image.entrypoint = {"/bin/entry"};
  in.image.cmd = {"--serve"};
  in.image.working_dir = "/srv";
  in.rootfs_path = kTestdata + "/rootfs";
  in.sandbox_pid = 4242;
  in.cgroups_path = CgroupsPathFor("/kubepods/poduid-123", "ctr-1", false);
  in.hostname_path = "/run/airlock/sandboxes/sb-1/hostname";
  in.resolv_conf_path = "/run/airlock/sandboxes/sb-1/resolv.conf";
  in.hosts_path = "/run/airlock/sandboxes/sb-1/hosts";
  in.seccomp_profile_path = kTestdata + "/seccomp-test-default.json";
  in.host.grantable_capabilities = KnownCapabilities();
  return in;
}

runtime::v1::LinuxContainerSecurityContext* Sc(ContainerSpecInput& in) {
  return in.config.mutable_linux()->mutable_security_context();
}

json Build(const ContainerSpecInput& in) {
  auto spec = BuildContainerSpec(in);
  EXPECT_TRUE(spec.ok()) << spec.error().message;
  return spec.ok() ? *spec : json();
}

SandboxSpecInput BaseSandbox() {
  SandboxSpecInput in;
  in.sandbox_id = "sb-1";
  auto& s = in.config;
  s.mutable_metadata()->set_name("pod-a");
  s.mutable_metadata()->set_uid("uid-123");
  s.mutable_metadata()->set_namespace_("default");
  s.set_hostname("pod-a");
  s.set_log_directory("/var/log/pods/default_pod-a_uid-123");
  (*s.mutable_annotations())["kubernetes.io/config.source"] = "api";
  (*s.mutable_linux()->mutable_sysctls())["net.ipv4.ip_unprivileged_port_start"] = "0";
  (*s.mutable_linux()->mutable_sysctls())["kernel.shm_rmid_forced"] = "1";
  in.rootfs_path = "/var/lib/airlock/sandboxes/sb-1/rootfs";
  in.pause_binary_path = "/usr/libexec/airlock/airlock-pause";
  in.seccomp_profile_path = kTestdata + "/seccomp-test-default.json";
  return in;
}

std::vector<std::string> Strings(const json& j) { return j.get<std::vector<std::string>>(); }

TEST(OciContainerSpec, DefaultContainerGolden) {
  json spec = Build(BaseContainer());
  ExpectGolden(spec, "container-default");
  // What a user would check without reading the golden:
  EXPECT_EQ(Strings(spec["process"]["args"]), (std::vector<std::string>{"/bin/entry", "--serve"}));
  EXPECT_EQ(spec["process"]["cwd"], "/srv");
  EXPECT_EQ(Strings(spec["process"]["capabilities"]["bounding"]), DefaultCapabilities());
  EXPECT_FALSE(spec["linux"].contains("seccomp")) << "no profile asked: unconfined like peers";
  EXPECT_EQ(spec["linux"]["namespaces"][1]["path"], "/proc/4242/ns/net");
}

TEST(OciContainerSpec, EnvImageThenCriOverridesInPlace) {
  json env = Build(BaseContainer())["process"]["env"];
  EXPECT_EQ(Strings(env),
            (std::vector<std::string>{"PATH=/usr/local/bin:/bin", "HOSTNAME=pod-a", "FOO=cri",
                                      "IMAGE_ONLY=1", "EXTRA=bytes\uFFFD ok"}));
  // The spec must serialise: config.json is JSON, and invalid UTF-8 would make dump() throw.
  EXPECT_NO_THROW(Build(BaseContainer()).dump());
}

TEST(OciContainerSpec, CommandAndArgsMergeWithImage) {
  struct Case {
    std::vector<std::string> command, args, want;
  };
  const Case cases[] = {
      {{}, {}, {"/bin/entry", "--serve"}},
      {{}, {"--debug"}, {"/bin/entry", "--debug"}},
      {{"/bin/sh"}, {}, {"/bin/sh"}},  // a CRI command drops the image Cmd too
      {{"/bin/sh"}, {"-c", "date"}, {"/bin/sh", "-c", "date"}},
  };
  for (const auto& c : cases) {
    auto in = BaseContainer();
    for (const auto& s : c.command) in.config.add_command(s);
    for (const auto& s : c.args) in.config.add_args(s);
    EXPECT_EQ(Strings(Build(in)["process"]["args"]), c.want);
  }
}

TEST(OciContainerSpec, TtyAndWorkingDir) {
  auto in = BaseContainer();
  in.config.set_tty(true);
  in.config.set_working_dir("/work");
  json spec = Build(in);
  EXPECT_EQ(spec["process"]["terminal"], true);
  EXPECT_EQ(spec["process"]["cwd"], "/work");
  EXPECT_EQ(spec["process"]["env"][2], "TERM=xterm");
  in = BaseContainer();
  in.image.working_dir = "";
  EXPECT_EQ(Build(in)["process"]["cwd"], "/");
}

TEST(OciContainerSpec, PrivilegedGolden) {
  auto in = BaseContainer();
  in.sandbox_config.mutable_linux()->mutable_security_context()->set_privileged(true);
  Sc(in)->set_privileged(true);
  Sc(in)->mutable_seccomp()->set_profile_type(runtime::v1::SecurityProfile::Localhost);
  Sc(in)->mutable_seccomp()->set_localhost_ref(kTestdata + "/seccomp-localhost.json");
  auto grantable = KnownCapabilities();
  grantable.erase(grantable.begin() + 24);  // a host without CAP_SYS_RESOURCE, like ours
  in.host.grantable_capabilities = grantable;
  json spec = Build(in);
  ExpectGolden(spec, "container-privileged");
  EXPECT_EQ(Strings(spec["process"]["capabilities"]["effective"]), grantable);
  EXPECT_FALSE(spec["linux"].contains("seccomp")) << "privileged ignores seccomp (critest)";
  EXPECT_FALSE(spec["linux"].contains("maskedPaths"));
  EXPECT_EQ(spec["linux"]["resources"]["devices"][0]["allow"], true);
}

TEST(OciContainerSpec, PrivilegedNeedsPrivilegedSandbox) {
  auto in = BaseContainer();
  Sc(in)->set_privileged(true);
  auto spec = BuildContainerSpec(in);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().message,
            "validate container config: linux.security_context.privileged is set but the pod "
            "sandbox is not privileged");
}

TEST(OciContainerSpec, CapabilitiesAddDropGolden) {
  auto in = BaseContainer();
  auto* caps = Sc(in)->mutable_capabilities();
  caps->add_add_capabilities("NET_ADMIN");
  caps->add_add_capabilities("cap_sys_time");
  caps->add_add_capabilities("CAP_KILL");
  caps->add_drop_capabilities("chown");
  caps->add_drop_capabilities("KILL");  // in both lists: dropped
  ExpectGolden(Build(in)["process"]["capabilities"], "caps-add-drop");
}

TEST(OciContainerSpec, CapabilitiesAllAndDropAll) {
  auto in = BaseContainer();
  Sc(in)->mutable_capabilities()->add_add_capabilities("ALL");
  Sc(in)->mutable_capabilities()->add_drop_capabilities("NET_RAW");
  ExpectGolden(Build(in)["process"]["capabilities"], "caps-add-all-drop-net-raw");

  in = BaseContainer();
  Sc(in)->mutable_capabilities()->add_drop_capabilities("all");
  Sc(in)->mutable_capabilities()->add_add_capabilities("CHOWN");
  EXPECT_EQ(Strings(Build(in)["process"]["capabilities"]["bounding"]),
            (std::vector<std::string>{"CAP_CHOWN"}));
}

TEST(OciContainerSpec, CapabilitiesAmbientGoToInheritable) {
  auto in = BaseContainer();
  Sc(in)->mutable_capabilities()->add_add_capabilities("NET_ADMIN");
  Sc(in)->mutable_capabilities()->add_add_ambient_capabilities("NET_ADMIN");
  json caps = Build(in)["process"]["capabilities"];
  EXPECT_EQ(Strings(caps["ambient"]), (std::vector<std::string>{"CAP_NET_ADMIN"}));
  EXPECT_EQ(Strings(caps["inheritable"]), (std::vector<std::string>{"CAP_NET_ADMIN"}));
}

TEST(OciContainerSpec, RunAsUserGolden) {
  auto in = BaseContainer();
  Sc(in)->set_run_as_username("app");
  Sc(in)->add_supplemental_groups(5000);
  Sc(in)->add_supplemental_groups(29);  // already from /etc/group: listed once
  ExpectGolden(Build(in)["process"]["user"], "user-run-as-username");

  in = BaseContainer();
  Sc(in)->mutable_run_as_user()->set_value(1000);
  Sc(in)->mutable_run_as_group()->set_value(2000);
  Sc(in)->set_supplemental_groups_policy(runtime::v1::Strict);
  Sc(in)->add_supplemental_groups(3000);
  ExpectGolden(Build(in)["process"]["user"], "user-run-as-uid-gid-strict");
}

TEST(OciContainerSpec, ImageUserForms) {
  struct Case {
    std::string image_user;
    json want;
  };
  const Case cases[] = {
      {"app:staff", {{"uid", 1000}, {"gid", 50}, {"additionalGids", {10, 29}}}},
      {"1000:7", {{"uid", 1000}, {"gid", 7}, {"additionalGids", {10, 29}}}},
      {"1234", {{"uid", 1234}, {"gid", 0}}},  // no passwd entry: numeric, no groups
      {"nobody", {{"uid", 65534}, {"gid", 65534}}},
  };
  for (const auto& c : cases) {
    auto in = BaseContainer();
    in.image.user = c.image_user;
    EXPECT_EQ(Build(in)["process"]["user"], c.want) << c.image_user;
  }
  auto in = BaseContainer();
  in.image.user = "app";
  Sc(in)->mutable_run_as_user()->set_value(0);  // the CRI field wins over the image
  EXPECT_EQ(Build(in)["process"]["user"]["uid"], 0);
}

TEST(OciContainerSpec, MountsWithPropagationGolden) {
  auto in = BaseContainer();
  in.shm_path = "/run/airlock/sandboxes/sb-1/shm";
  auto add = [&](const std::string& c, const std::string& h, bool ro,
                 runtime::v1::MountPropagation p) {
    auto* m = in.config.add_mounts();
    m->set_container_path(c);
    m->set_host_path(h);
    m->set_readonly(ro);
    m->set_propagation(p);
    m->set_selinux_relabel(true);  // ignored
    return m;
  };
  add("/data/cache", "/srv/cache", false, runtime::v1::PROPAGATION_PRIVATE);
  add("/data", "/srv/data", true, runtime::v1::PROPAGATION_HOST_TO_CONTAINER);
  add("/var/lib/kubelet/plugins", "/var/lib/kubelet/plugins", false,
      runtime::v1::PROPAGATION_BIDIRECTIONAL)
      ->add_mount_options("nosuid");
  add("/etc/hosts", "/var/lib/kubelet/pods/uid-123/etc-hosts", false,
      runtime::v1::PROPAGATION_PRIVATE);
  json spec = Build(in);
  ExpectGolden(spec["mounts"], "mounts-propagation");
  EXPECT_EQ(spec["linux"]["rootfsPropagation"], "rshared");
}

TEST(OciContainerSpec, SeccompRuntimeDefaultGolden) {
  auto in = BaseContainer();
  Sc(in)->mutable_seccomp()->set_profile_type(runtime::v1::SecurityProfile::RuntimeDefault);
  ExpectGolden(Build(in)["linux"]["seccomp"], "seccomp-runtime-default");
  // CAP_SYS_ADMIN lifts the clone flag mask and the clone3 ENOSYS rule.
  Sc(in)->mutable_capabilities()->add_add_capabilities("SYS_ADMIN");
  ExpectGolden(Build(in)["linux"]["seccomp"], "seccomp-runtime-default-sys-admin");
}

TEST(OciContainerSpec, SeccompSelections) {
  auto localhost = json::parse(*ReadFile(kTestdata + "/seccomp-localhost.json"));
  auto in = BaseContainer();
  Sc(in)->mutable_seccomp()->set_profile_type(runtime::v1::SecurityProfile::Localhost);
  Sc(in)->mutable_seccomp()->set_localhost_ref(kTestdata + "/seccomp-localhost.json");
  EXPECT_EQ(Build(in)["linux"]["seccomp"], localhost);

  in = BaseContainer();
  Sc(in)->mutable_seccomp()->set_profile_type(runtime::v1::SecurityProfile::Unconfined);
  EXPECT_FALSE(Build(in)["linux"].contains("seccomp"));

  // The deprecated string field, as kubelets before 1.22 and critest send it.
  auto with_path = [](const std::string& path) {
    auto in = BaseContainer();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    Sc(in)->set_seccomp_profile_path(path);
#pragma GCC diagnostic pop
    return BuildContainerSpec(in);
  };
  auto runtime_default = with_path("runtime/default");
  ASSERT_TRUE(runtime_default.ok());
  EXPECT_EQ((*runtime_default)["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  auto docker_default = with_path("docker/default");
  ASSERT_TRUE(docker_default.ok());
  EXPECT_EQ((*docker_default)["linux"]["seccomp"], (*runtime_default)["linux"]["seccomp"]);
  auto unconfined = with_path("unconfined");
  ASSERT_TRUE(unconfined.ok());
  EXPECT_FALSE((*unconfined)["linux"].contains("seccomp"));
  auto local = with_path("localhost/" + kTestdata + "/seccomp-localhost.json");
  ASSERT_TRUE(local.ok()) << local.error().message;
  EXPECT_EQ((*local)["linux"]["seccomp"], localhost);
  // critest: "should not support a custom seccomp profile without using localhost/ as a prefix"
  auto bare = with_path(kTestdata + "/seccomp-localhost.json");
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.error().code, ErrorCode::kInvalidArgument);
}

TEST(OciContainerSpec, ResourcesAndOomScoreAdj) {
  auto in = BaseContainer();
  auto* r = in.config.mutable_linux()->mutable_resources();
  r->set_cpu_period(100000);
  r->set_cpu_quota(50000);
  r->set_cpu_shares(512);
  r->set_memory_limit_in_bytes(64 << 20);
  r->set_memory_swap_limit_in_bytes(64 << 20);
  r->set_cpuset_cpus("0-1");
  r->set_cpuset_mems("0");
  auto* h = r->add_hugepage_limits();
  h->set_page_size("2MB");
  h->set_limit(0);
  r->set_oom_score_adj(-997);  // kubelet's value for Guaranteed pods
  json spec = Build(in);
  ExpectGolden(spec["linux"]["resources"], "resources");
  EXPECT_EQ(spec["process"]["oomScoreAdj"], 0) << "raised to the host floor";
  r->set_oom_score_adj(1000);
  EXPECT_EQ(Build(in)["process"]["oomScoreAdj"], 1000);
  in.host.min_oom_score_adj = -1000;  // a host with CAP_SYS_RESOURCE passes it through
  r->set_oom_score_adj(-997);
  EXPECT_EQ(Build(in)["process"]["oomScoreAdj"], -997);
  EXPECT_FALSE(Build(BaseContainer())["process"].contains("oomScoreAdj"));
}

TEST(OciContainerSpec, UnifiedNeedsCgroupV2) {
  auto in = BaseContainer();
  (*in.config.mutable_linux()->mutable_resources()->mutable_unified())["memory.high"] = "1000000";
  auto spec = BuildContainerSpec(in);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().message,
            "build spec: linux.resources.unified needs cgroup v2; this host runs cgroup v1");
  in.host.cgroup_v2 = true;
  EXPECT_EQ(Build(in)["linux"]["resources"]["unified"]["memory.high"], "1000000");
}

TEST(OciContainerSpec, DevicesBecomeNodesAndCgroupRules) {
  auto in = BaseContainer();
  auto* d = in.config.add_devices();
  d->set_host_path("/dev/null");
  d->set_container_path("/dev/xnull");
  d->set_permissions("rw");
  json spec = Build(in);
  ASSERT_EQ(spec["linux"]["devices"].size(), 1u);
  EXPECT_EQ(spec["linux"]["devices"][0]["type"], "c");
  EXPECT_EQ(spec["linux"]["devices"][0]["major"], 1);
  EXPECT_EQ(spec["linux"]["devices"][0]["minor"], 3);
  EXPECT_EQ(spec["linux"]["resources"]["devices"][1],
            (json{{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rw"}}));
}

TEST(OciContainerSpec, NamespaceModes) {
  auto in = BaseContainer();
  auto* ns = Sc(in)->mutable_namespace_options();
  ns->set_pid(runtime::v1::CONTAINER);
  EXPECT_EQ(Build(in)["linux"]["namespaces"][0], (json{{"type", "pid"}}));
  ns->set_pid(runtime::v1::TARGET);
  ns->set_target_id("other");
  in.target_pid = 777;
  EXPECT_EQ(Build(in)["linux"]["namespaces"][0]["path"], "/proc/777/ns/pid");
  ns->set_pid(runtime::v1::NODE);
  ns->set_network(runtime::v1::NODE);
  ns->set_ipc(runtime::v1::NODE);
  EXPECT_EQ(Build(in)["linux"]["namespaces"], (json{{{"type", "mount"}}}));
}

TEST(OciSandboxSpec, DefaultGolden) {
  auto spec = BuildSandboxSpec(BaseSandbox());
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  ExpectGolden(*spec, "sandbox-default");
  EXPECT_EQ((*spec)["hostname"], "pod-a");
  EXPECT_EQ((*spec)["linux"]["cgroupsPath"], "/airlock/sb-1");
  EXPECT_EQ((*spec)["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
}

TEST(OciSandboxSpec, HostNetworkGolden) {
  auto in = BaseSandbox();
  in.config.mutable_linux()->mutable_sysctls()->erase("net.ipv4.ip_unprivileged_port_start");
  in.config.mutable_linux()->set_cgroup_parent("kubepods-besteffort-poduid_123.slice");
  in.host.systemd_cgroup = true;
  auto* ns = in.config.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_network(runtime::v1::NODE);
  ns->set_pid(runtime::v1::NODE);
  auto spec = BuildSandboxSpec(in);
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  ExpectGolden(*spec, "sandbox-host-network");
  EXPECT_FALSE(spec->contains("hostname")) << "runc cannot set a hostname without a UTS ns";
  for (const auto& n : (*spec)["linux"]["namespaces"]) {
    EXPECT_NE(n["type"], "network");
    EXPECT_NE(n["type"], "uts");
    EXPECT_NE(n["type"], "pid");
  }
}

TEST(OciSandboxSpec, ValidationErrors) {
  auto in = BaseSandbox();
  in.config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      runtime::v1::NODE);
  auto spec = BuildSandboxSpec(in);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().message,
            "validate sandbox config: linux.sysctls[\"net.ipv4.ip_unprivileged_port_start\"]: not "
            "allowed with host network");

  in = BaseSandbox();
  (*in.config.mutable_linux()->mutable_sysctls())["vm.swappiness"] = "1";
  spec = BuildSandboxSpec(in);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(spec.error().message.find("vm.swappiness"), std::string::npos);

  in = BaseSandbox();
  in.config.mutable_linux()->mutable_security_context()->mutable_run_as_group()->set_value(5);
  EXPECT_FALSE(BuildSandboxSpec(in).ok());
}

struct ErrorCase {
  const char* name;
  std::function<void(ContainerSpecInput&)> mutate;
  ErrorCode code;
  std::string message;
};

class OciContainerSpecErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(OciContainerSpecErrors, NamesTheField) {
  auto in = BaseContainer();
  GetParam().mutate(in);
  auto spec = BuildContainerSpec(in);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().code, GetParam().code);
  EXPECT_EQ(spec.error().message, GetParam().message);
}

runtime::v1::Mount* AddMount(ContainerSpecInput& in, const std::string& c, const std::string& h) {
  auto* m = in.config.add_mounts();
  m->set_container_path(c);
  m->set_host_path(h);
  return m;
}

const std::string kV = "validate container config: ";

INSTANTIATE_TEST_SUITE_P(
    All, OciContainerSpecErrors,
    testing::Values(
        ErrorCase{"RelativeContainerPath",
                  [](auto& in) {
                    AddMount(in, "/a", "/h");
                    AddMount(in, "/b", "/h");
                    AddMount(in, "x", "/h");
                  },
                  ErrorCode::kInvalidArgument,
                  kV + "mounts[2].container_path \"x\" is not absolute"},
        ErrorCase{"RelativeHostPath", [](auto& in) { AddMount(in, "/a", "h/x"); },
                  ErrorCode::kInvalidArgument, kV + "mounts[0].host_path \"h/x\" is not absolute"},
        ErrorCase{"DotDotContainerPath", [](auto& in) { AddMount(in, "/a/../etc", "/h"); },
                  ErrorCode::kInvalidArgument,
                  kV + "mounts[0].container_path \"/a/../etc\" is not absolute"},
        ErrorCase{"RecursiveReadOnlyNeedsReadonly",
                  [](auto& in) { AddMount(in, "/a", "/h")->set_recursive_read_only(true); },
                  ErrorCode::kInvalidArgument, kV + "mounts[0].recursive_read_only needs readonly"},
        ErrorCase{"BadMountOption",
                  [](auto& in) { AddMount(in, "/a", "/h")->add_mount_options("exec,suid"); },
                  ErrorCode::kInvalidArgument,
                  kV + "mounts[0].mount_options[0] \"exec,suid\" is not one of noexec, nosuid, "
                       "nodev, noatime, relatime, nodiratime, strictatime, norelatime"},
        ErrorCase{"ImageVolume",
                  [](auto& in) { AddMount(in, "/a", "/h")->mutable_image()->set_image("busybox"); },
                  ErrorCode::kUnimplemented,
                  kV + "mounts[0].image: image volumes are not supported"},
        ErrorCase{"UnknownCapability",
                  [](auto& in) {
                    Sc(in)->mutable_capabilities()->add_add_capabilities("NET_ADMIN");
                    Sc(in)->mutable_capabilities()->add_add_capabilities("FLY");
                  },
                  ErrorCode::kInvalidArgument,
                  kV + "linux.security_context.capabilities.add_capabilities[1]: \"FLY\" is not "
                       "a known capability"},
        ErrorCase{"CapabilityNotHeld",
                  [](auto& in) {
                    in.host.grantable_capabilities = DefaultCapabilities();
                    Sc(in)->mutable_capabilities()->add_add_capabilities("SYS_RESOURCE");
                  },
                  ErrorCode::kInvalidArgument,
                  kV + "linux.security_context.capabilities.add_capabilities[0]: "
                       "CAP_SYS_RESOURCE is not held by the runtime and cannot be granted"},
        ErrorCase{"RunAsGroupWithoutUser",
                  [](auto& in) { Sc(in)->mutable_run_as_group()->set_value(5); },
                  ErrorCode::kInvalidArgument,
                  kV + "linux.security_context.run_as_group is set without run_as_user or "
                       "run_as_username"},
        ErrorCase{"UnknownUsername", [](auto& in) { Sc(in)->set_run_as_username("ghost"); },
                  ErrorCode::kInvalidArgument,
                  kV + "run_as_username \"ghost\" is not in the image's /etc/passwd"},
        ErrorCase{"NegativeUid", [](auto& in) { Sc(in)->mutable_run_as_user()->set_value(-1); },
                  ErrorCode::kInvalidArgument,
                  kV + "run_as_user -1 is out of range [0, 4294967294]"},
        ErrorCase{"RelativeMaskedPath", [](auto& in) { Sc(in)->add_masked_paths("proc/kcore"); },
                  ErrorCode::kInvalidArgument,
                  kV + "linux.security_context.masked_paths[0] \"proc/kcore\" is not absolute"},
        ErrorCase{"RelativeLocalhostRef",
                  [](auto& in) {
                    Sc(in)->mutable_seccomp()->set_profile_type(
                        runtime::v1::SecurityProfile::Localhost);
                    Sc(in)->mutable_seccomp()->set_localhost_ref("profiles/x.json");
                  },
                  ErrorCode::kInvalidArgument,
                  kV + "linux.security_context.seccomp.localhost_ref \"profiles/x.json\" is not "
                       "absolute"},
        ErrorCase{"MissingLocalhostProfile",
                  [](auto& in) {
                    Sc(in)->mutable_seccomp()->set_profile_type(
                        runtime::v1::SecurityProfile::Localhost);
                    Sc(in)->mutable_seccomp()->set_localhost_ref("/nonexistent/p.json");
                  },
                  ErrorCode::kInvalidArgument,
                  "build container spec: load seccomp profile: open /nonexistent/p.json: No such "
                  "file or directory"},
        ErrorCase{"NoCommand",
                  [](auto& in) {
                    in.image.entrypoint.clear();
                    in.image.cmd.clear();
                  },
                  ErrorCode::kInvalidArgument,
                  kV + "no command: command, args and the image's Entrypoint/Cmd are empty"},
        ErrorCase{"EnvKeyWithEquals", [](auto& in) { in.config.mutable_envs(0)->set_key("A=B"); },
                  ErrorCode::kInvalidArgument, kV + "envs[0].key \"A=B\" holds '=' or a NUL byte"},
        ErrorCase{"DeviceNotADevice",
                  [](auto& in) { in.config.add_devices()->set_host_path("/etc"); },
                  ErrorCode::kInvalidArgument,
                  kV + "devices[0].host_path \"/etc\" is not a character or block device"},
        ErrorCase{"UserNamespace",
                  [](auto& in) {
                    Sc(in)->mutable_namespace_options()->mutable_userns_options()->set_mode(
                        runtime::v1::POD);
                  },
                  ErrorCode::kUnimplemented,
                  kV + "linux.security_context.namespace_options.userns_options: user "
                       "namespaces are not supported"},
        ErrorCase{"OomOutOfRange",
                  [](auto& in) {
                    in.config.mutable_linux()->mutable_resources()->set_oom_score_adj(1001);
                  },
                  ErrorCode::kInvalidArgument,
                  kV + "linux.resources.oom_score_adj 1001 is not in [-1000, 1000]"},
        ErrorCase{"NoSandboxPid", [](auto& in) { in.sandbox_pid = 0; },
                  ErrorCode::kFailedPrecondition,
                  "build container spec: the sandbox infra pid is unknown"}),
    [](const testing::TestParamInfo<ErrorCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace airlock::oci
