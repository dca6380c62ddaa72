// Runs real containers with runc 1.1 from specs made by shim/oci and checks, from inside, what a
// user would check: capabilities, uid/gid/groups, read-only rootfs, hostname of the pod, seccomp
// filter mode, masked paths, and that a privileged container starts on a host without
// CAP_SYS_RESOURCE. Needs root, runc, busybox-static and the static airlock-pause.
// api.pb.h first: its Signal enum spells SIGKILL, ... which <csignal> defines as macros.
// clang-format off
#include "proto/cri_api.h"
// clang-format on

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "shim/base/file_util.h"
#include "shim/oci/capabilities.h"
#include "shim/oci/container_spec.h"
#include "shim/oci/sandbox_spec.h"
#include "shim/oci/spec_parts.h"

namespace airlock::oci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kSeccompDefault =
    std::string(AIRLOCK_SOURCE_DIR) + "/configs/seccomp-default.json";
const std::string kPause = AIRLOCK_PAUSE_BINARY;
const std::string kBusybox = "/bin/busybox";

struct Output {
  int status = -1;
  std::string text;
};

// Test-only: every argument here is ours, so a shell line is fine.
Output Shell(const std::string& line) {
  Output out;
  FILE* p = ::popen((line + " </dev/null 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.text.append(buf, n);
  out.status = ::pclose(p);
  return out;
}

std::string Field(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      std::string v = line.substr(key.size());
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "<missing " + key + ">";
}

std::string Mask(const std::vector<std::string>& caps) {
  uint64_t mask = 0;
  const auto& known = KnownCapabilities();
  for (const auto& c : caps) {
    auto it = std::find(known.begin(), known.end(), c);
    if (it != known.end()) mask |= uint64_t{1} << (it - known.begin());
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(mask));
  return buf;
}

class OciSpecRuncTest : public testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (Shell("runc --version").status != 0) GTEST_SKIP() << "needs runc";
    if (!fs::exists(kBusybox) || !fs::exists(kPause)) GTEST_SKIP() << "needs busybox and pause";
    std::string tmpl = "/tmp/airlock-oci-it-XXXXXX";
    dir_ = ::mkdtemp(tmpl.data());
    tag_ = "oci-it-" + std::to_string(::getpid());
    root_ = dir_ + "/runc-root";
    cgroup_parent_ = "/" + tag_;
    auto caps = CurrentProcessCapabilities();
    ASSERT_TRUE(caps.ok()) << caps.error().message;
    host_.grantable_capabilities = *caps;
    MakeRootfs(dir_ + "/ctr-rootfs");
    WriteText(dir_ + "/hostname", "pod-it\n");
  }

  void TearDown() override {
    if (dir_.empty()) return;
    for (const auto& id : started_) Shell("runc --root " + root_ + " delete -f " + id);
    // runc removes the containers' cgroups; the parent we named is ours to remove.
    for (const auto& ctl : fs::directory_iterator("/sys/fs/cgroup")) {
      ::rmdir((ctl.path().string() + cgroup_parent_).c_str());
    }
    (void)RemoveTree(dir_);
  }

  static void WriteText(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
  }

  void MakeRootfs(const std::string& rootfs) {
    fs::create_directories(rootfs + "/bin");
    fs::copy_file(kBusybox, rootfs + "/bin/busybox");
    for (const char* applet : {"sh", "grep", "id", "touch", "hostname", "cat", "wc", "ls"})
      fs::create_symlink("busybox", rootfs + "/bin/" + applet);
    WriteText(rootfs + "/etc/passwd", "root:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n");
    WriteText(rootfs + "/etc/group", "root:x:0:\naudio:x:29:app\napp:x:1000:\n");
  }

  void WriteBundle(const std::string& bundle, const json& spec) {
    fs::create_directories(bundle);
    std::ofstream(bundle + "/config.json") << spec.dump(2);
  }

  // Starts the pod's infra process; returns its host pid.
  int StartSandbox(bool privileged, bool host_network = false) {
    SandboxSpecInput in;
    in.sandbox_id = tag_ + "-sb";
    in.config.mutable_metadata()->set_name("pod-it");
    in.config.set_hostname("pod-it");
    in.config.mutable_linux()->mutable_security_context()->set_privileged(privileged);
    if (host_network) {
      in.config.mutable_linux()
          ->mutable_security_context()
          ->mutable_namespace_options()
          ->set_network(runtime::v1::NODE);
    }
    in.rootfs_path = dir_ + "/sb-rootfs";
    fs::create_directories(in.rootfs_path);
    in.pause_binary_path = kPause;
    in.default_cgroup_parent = cgroup_parent_;
    in.seccomp_profile_path = kSeccompDefault;
    in.host = host_;
    auto spec = BuildSandboxSpec(in);
    EXPECT_TRUE(spec.ok()) << spec.error().message;
    if (!spec.ok()) return -1;
    WriteBundle(dir_ + "/sb", *spec);
    started_.push_back(in.sandbox_id);
    auto run = Shell("runc --root " + root_ + " run -d --bundle " + dir_ + "/sb --pid-file " +
                     dir_ + "/sb.pid " + in.sandbox_id + " >/dev/null");
    EXPECT_EQ(run.status, 0) << run.text;
    auto pid = ReadFile(dir_ + "/sb.pid");
    return pid.ok() ? std::stoi(*pid) : -1;
  }

  ContainerSpecInput Container(const std::string& name, int sandbox_pid,
                               const std::string& script) {
    ContainerSpecInput in;
    in.container_id = tag_ + "-" + name;
    in.sandbox_id = tag_ + "-sb";
    in.config.mutable_metadata()->set_name(name);
    in.config.add_command("/bin/sh");
    in.config.add_args("-c");
    in.config.add_args(script);
    in.sandbox_config.set_hostname("pod-it");
    in.rootfs_path = dir_ + "/ctr-rootfs";
    in.sandbox_pid = sandbox_pid;
    in.cgroups_path = CgroupsPathFor(cgroup_parent_, in.container_id, false);
    in.hostname_path = dir_ + "/hostname";
    in.seccomp_profile_path = kSeccompDefault;
    in.host = host_;
    return in;
  }

  Output RunContainer(const ContainerSpecInput& in) {
    auto spec = BuildContainerSpec(in);
    EXPECT_TRUE(spec.ok()) << spec.error().message;
    if (!spec.ok()) return {};
    std::string bundle = dir_ + "/" + in.container_id;
    WriteBundle(bundle, *spec);
    started_.push_back(in.container_id);
    return Shell("runc --root " + root_ + " run --bundle " + bundle + " " + in.container_id);
  }

  std::string dir_, tag_, root_, cgroup_parent_;
  HostFeatures host_;
  std::vector<std::string> started_;
};

constexpr const char* kProbe =
    "grep -E '^(CapEff|CapBnd|Seccomp|NoNewPrivs):' /proc/self/status; "
    "echo uid: $(id -u); echo gid: $(id -g); echo groups: $(id -G); "
    "echo hostname: $(hostname); echo etc-hostname: $(cat /etc/hostname); "
    "echo touch-result: $(touch /probe 2>&1 && echo created); "
    "echo keys-bytes: $(cat /proc/keys | wc -c); echo firmware-entries: $(ls /sys/firmware | wc "
    "-l)";

TEST_F(OciSpecRuncTest, RootContainerWithRuntimeDefaultSeccomp) {
  int pid = StartSandbox(false);
  ASSERT_GT(pid, 0);
  auto in = Container("root", pid, kProbe);
  auto* sc = in.config.mutable_linux()->mutable_security_context();
  sc->set_readonly_rootfs(true);
  sc->set_no_new_privs(true);
  sc->mutable_seccomp()->set_profile_type(runtime::v1::SecurityProfile::RuntimeDefault);
  sc->mutable_capabilities()->add_add_capabilities("NET_ADMIN");
  sc->mutable_capabilities()->add_drop_capabilities("CHOWN");
  // kubelet's Guaranteed value: runc would fail without CAP_SYS_RESOURCE; we raise it to 0.
  in.config.mutable_linux()->mutable_resources()->set_oom_score_adj(-997);
  auto out = RunContainer(in);
  ASSERT_EQ(out.status, 0) << out.text;

  std::vector<std::string> want = DefaultCapabilities();
  want.erase(std::find(want.begin(), want.end(), "CAP_CHOWN"));
  want.push_back("CAP_NET_ADMIN");
  EXPECT_EQ(Field(out.text, "CapEff:"), Mask(want)) << out.text;
  EXPECT_EQ(Field(out.text, "CapBnd:"), Mask(want)) << out.text;
  EXPECT_EQ(Field(out.text, "Seccomp:"), "2") << out.text;
  EXPECT_EQ(Field(out.text, "NoNewPrivs:"), "1") << out.text;
  EXPECT_EQ(Field(out.text, "uid:"), "0");
  EXPECT_EQ(Field(out.text, "hostname:"), "pod-it") << "joined the sandbox's UTS namespace";
  EXPECT_EQ(Field(out.text, "etc-hostname:"), "pod-it");
  EXPECT_NE(Field(out.text, "touch-result:").find("Read-only file system"), std::string::npos)
      << out.text;
  if (fs::exists("/proc/keys")) {
    EXPECT_EQ(Field(out.text, "keys-bytes:"), "0") << out.text;
  }
  EXPECT_EQ(Field(out.text, "firmware-entries:"), "0") << out.text;
}

TEST_F(OciSpecRuncTest, NamedUserWithGroupsAndNoSeccomp) {
  int pid = StartSandbox(false);
  ASSERT_GT(pid, 0);
  auto in = Container("user", pid, kProbe);
  auto* sc = in.config.mutable_linux()->mutable_security_context();
  sc->set_run_as_username("app");
  sc->add_supplemental_groups(4000);
  auto out = RunContainer(in);
  ASSERT_EQ(out.status, 0) << out.text;
  EXPECT_EQ(Field(out.text, "uid:"), "1000");
  EXPECT_EQ(Field(out.text, "gid:"), "1000");
  EXPECT_EQ(Field(out.text, "groups:"), "1000 29 4000");
  // A non-root process keeps capabilities only in its bounding set.
  EXPECT_EQ(Field(out.text, "CapEff:"), Mask({}));
  EXPECT_EQ(Field(out.text, "CapBnd:"), Mask(DefaultCapabilities()));
  EXPECT_EQ(Field(out.text, "Seccomp:"), "0") << "no profile asked: unconfined, like peers";
  // Writable rootfs: the error is the directory's mode, not EROFS.
  EXPECT_NE(Field(out.text, "touch-result:").find("Permission denied"), std::string::npos)
      << out.text;
}

TEST_F(OciSpecRuncTest, PrivilegedGetsEveryCapabilityTheHostHas) {
  int pid = StartSandbox(true);
  ASSERT_GT(pid, 0);
  auto in = Container("priv", pid, kProbe);
  in.sandbox_config.mutable_linux()->mutable_security_context()->set_privileged(true);
  in.config.mutable_linux()->mutable_security_context()->set_privileged(true);
  auto out = RunContainer(in);
  ASSERT_EQ(out.status, 0) << out.text;
  EXPECT_EQ(Field(out.text, "CapEff:"), Mask(host_.grantable_capabilities));
  EXPECT_EQ(Field(out.text, "Seccomp:"), "0");
  EXPECT_NE(Field(out.text, "firmware-entries:"), "<missing firmware-entries:>");
}

TEST_F(OciSpecRuncTest, HostNetworkPodSeesTheHostHostname) {
  int pid = StartSandbox(false, /*host_network=*/true);
  ASSERT_GT(pid, 0);
  auto in = Container("hostnet", pid, kProbe);
  in.config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      runtime::v1::NODE);
  auto out = RunContainer(in);
  ASSERT_EQ(out.status, 0) << out.text;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(Field(out.text, "hostname:"), host);
}

}  // namespace
}  // namespace airlock::oci
