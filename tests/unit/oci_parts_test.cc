// Tests of the building blocks of shim/oci: capability names and arithmetic, account lookup in
// an untrusted rootfs, and seccomp profile selection/loading (including the shipped default).
// api.pb.h first: its Signal enum spells SIGABRT, SIGKILL, ... which <csignal> (reached through
// gtest) defines as macros.
// clang-format off
#include "proto/cri_api.h"
// clang-format on

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "shim/base/file_util.h"
#include "shim/oci/capabilities.h"
#include "shim/oci/seccomp_profile.h"
#include "shim/oci/spec_parts.h"
#include "shim/oci/user_lookup.h"

namespace airlock::oci {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kTestdata = AIRLOCK_OCI_TESTDATA;
const std::string kDefaultProfile =
    std::string(AIRLOCK_SOURCE_DIR) + "/configs/seccomp-default.json";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "oci-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { (void)RemoveTree(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

TEST(OciCapabilities, NormalizeAcceptsAllSpellings) {
  for (const char* name : {"chown", "CHOWN", "cap_chown", "CAP_CHOWN", "Cap_Chown"}) {
    auto cap = NormalizeCapability(name);
    ASSERT_TRUE(cap.ok()) << name;
    EXPECT_EQ(*cap, "CAP_CHOWN");
  }
  EXPECT_FALSE(NormalizeCapability("CAP_FLY").ok());
  EXPECT_FALSE(NormalizeCapability("").ok());
}

TEST(OciCapabilities, TableMatchesKernelNumbers) {
  const auto& known = KnownCapabilities();
  ASSERT_EQ(known.size(), 41u);
  EXPECT_EQ(known[21], "CAP_SYS_ADMIN");
  EXPECT_EQ(known[24], "CAP_SYS_RESOURCE");
  EXPECT_EQ(known[40], "CAP_CHECKPOINT_RESTORE");
  EXPECT_EQ(DefaultCapabilities().size(), 14u);
}

TEST(OciCapabilities, MaskWithoutSysResource) {
  // CapPrm of this build host: everything up to bit 40 except CAP_SYS_RESOURCE.
  auto caps = CapabilitiesFromMask(0x000001fffeffffffULL);
  EXPECT_EQ(caps.size(), 40u);
  EXPECT_FALSE(HasCapability(caps, "CAP_SYS_RESOURCE"));
  EXPECT_TRUE(HasCapability(caps, "CAP_SYS_ADMIN"));
}

TEST(OciCapabilities, CurrentProcessMatchesProcStatus) {
  auto caps = CurrentProcessCapabilities();
  ASSERT_TRUE(caps.ok()) << caps.error().message;
  if (::geteuid() == 0) {
    EXPECT_TRUE(HasCapability(*caps, "CAP_CHOWN"));
  }
}

TEST(OciCapabilities, DefaultsTheHostLacksAreLeftOut) {
  std::vector<std::string> grantable = {"CAP_CHOWN", "CAP_KILL"};
  auto caps = ComputeCapabilities(runtime::v1::Capability(), grantable, "caps");
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(*caps, grantable);
}

TEST(OciUserLookup, ParsersSkipMalformedLines) {
  auto users = ParsePasswd("root:x:0:0::/:/bin/sh\nbad\nneg:x:-1:0::/:\nu:x:5:6\r\n#c:x:1:1\n");
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[1].name, "u");
  EXPECT_EQ(users[1].gid, 6u);
  auto groups = ParseGroup("g:x:7:a,b,\nempty:x:8:\nbad:x:y:\n");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].members, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(groups[1].members.empty());
}

TEST(OciUserLookup, SymlinkCannotEscapeTheRootfs) {
  TempDir dir;
  std::string rootfs = dir.path() + "/rootfs";
  WriteText(dir.path() + "/host-passwd", "evil:x:4242:4242::/:/bin/sh\n");
  fs::create_directories(rootfs + "/etc");
  // Absolute and relative links that would leave the rootfs on the host.
  fs::create_symlink(dir.path() + "/host-passwd", rootfs + "/etc/passwd");
  UserRequest req;
  req.username = "evil";
  auto user = ResolveUser(rootfs, req);
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.error().message, "run_as_username \"evil\" is not in the image's /etc/passwd");

  fs::remove(rootfs + "/etc/passwd");
  fs::create_symlink("../../host-passwd", rootfs + "/etc/passwd");
  EXPECT_FALSE(ResolveUser(rootfs, req).ok());
}

TEST(OciUserLookup, SymlinkInsideTheRootfsIsFollowed) {
  TempDir dir;
  std::string rootfs = dir.path() + "/rootfs";
  WriteText(rootfs + "/usr/share/passwd", "svc:x:300:301::/:/bin/sh\n");
  fs::create_directories(rootfs + "/etc");
  fs::create_symlink("/usr/share/passwd", rootfs + "/etc/passwd");  // absolute = rootfs-relative
  UserRequest req;
  req.username = "svc";
  auto user = ResolveUser(rootfs, req);
  ASSERT_TRUE(user.ok()) << user.error().message;
  EXPECT_EQ(user->uid, 300u);
  EXPECT_EQ(user->gid, 301u);
}

TEST(OciUserLookup, FifoAndHugeFilesAreRefusedNotWaitedFor) {
  TempDir dir;
  std::string rootfs = dir.path() + "/rootfs";
  fs::create_directories(rootfs + "/etc");
  ASSERT_EQ(::mkfifo((rootfs + "/etc/passwd").c_str(), 0644), 0);
  UserRequest req;
  req.username = "x";
  auto user = ResolveUser(rootfs, req);
  ASSERT_FALSE(user.ok());
  EXPECT_NE(user.error().message.find("not a regular file"), std::string::npos);

  fs::remove(rootfs + "/etc/passwd");
  WriteText(rootfs + "/etc/passwd", std::string(2 << 20, '#'));
  user = ResolveUser(rootfs, req);
  ASSERT_FALSE(user.ok());
  EXPECT_NE(user.error().message.find("larger than 1048576 bytes"), std::string::npos);
}

TEST(OciUserLookup, NoPasswdFileMeansNumericIdsOnly) {
  TempDir dir;
  UserRequest req;
  req.uid = 1000;
  auto user = ResolveUser(dir.path(), req);
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->uid, 1000u);
  EXPECT_EQ(user->gid, 0u);
  req = UserRequest();
  req.image_user = "app";
  EXPECT_FALSE(ResolveUser(dir.path(), req).ok());
}

TEST(OciSeccomp, SelectFromDeprecatedPath) {
  auto sel = [](const std::string& p) {
    return SelectSeccomp(nullptr, p, SeccompKind::kUnconfined, "sc");
  };
  EXPECT_EQ(sel("")->kind, SeccompKind::kUnconfined);
  EXPECT_EQ(sel("runtime/default")->kind, SeccompKind::kRuntimeDefault);
  EXPECT_EQ(sel("docker/default")->kind, SeccompKind::kRuntimeDefault);
  EXPECT_EQ(sel("unconfined")->kind, SeccompKind::kUnconfined);
  EXPECT_EQ(sel("localhost//etc/p.json")->localhost_path, "/etc/p.json");
  EXPECT_FALSE(sel("localhost/p.json").ok());
  EXPECT_FALSE(sel("/etc/p.json").ok());
  // An explicit message wins over the old string.
  runtime::v1::SecurityProfile unconfined;
  unconfined.set_profile_type(runtime::v1::SecurityProfile::Unconfined);
  EXPECT_EQ(SelectSeccomp(&unconfined, "runtime/default", SeccompKind::kRuntimeDefault, "sc")->kind,
            SeccompKind::kUnconfined);
  runtime::v1::SecurityProfile bad;
  bad.set_localhost_ref("/x.json");  // RuntimeDefault with a ref
  EXPECT_FALSE(SelectSeccomp(&bad, "", SeccompKind::kUnconfined, "sc").ok());
}

TEST(OciSeccomp, RefusesDockerFormatAndGarbage) {
  auto docker = LoadSeccompProfile(kTestdata + "/seccomp-docker-format.json");
  ASSERT_FALSE(docker.ok());
  EXPECT_NE(docker.error().message.find("archMap"), std::string::npos);
  TempDir dir;
  WriteText(dir.path() + "/bad.json", "{\"syscalls\": [");
  EXPECT_FALSE(LoadSeccompProfile(dir.path() + "/bad.json").ok());
  WriteText(dir.path() + "/noaction.json", "{\"syscalls\": []}");
  EXPECT_FALSE(LoadSeccompProfile(dir.path() + "/noaction.json").ok());
}

// The shipped profile: what `linux.seccomp` of every RuntimeDefault container will hold.
TEST(OciSeccomp, ShippedDefaultProfileShape) {
  auto profile = LoadSeccompProfile(kDefaultProfile);
  ASSERT_TRUE(profile.ok()) << profile.error().message;
  EXPECT_EQ((*profile)["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ((*profile)["defaultErrnoRet"], 1);
  std::set<std::string> arches((*profile)["architectures"].begin(),
                               (*profile)["architectures"].end());
  EXPECT_EQ(arches, (std::set<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                                           "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  std::set<std::string> unconditional;
  int personality_rules = 0;
  bool clone_masked = false;
  bool clone3_enosys = false;
  for (const auto& rule : (*profile)["syscalls"]) {
    for (const auto& n : rule["names"]) {
      std::string name = n.get<std::string>();
      if (rule["action"] == "SCMP_ACT_ALLOW" && !rule.contains("args")) unconditional.insert(name);
      if (name == "personality") ++personality_rules;
      if (name == "clone" && rule.contains("args")) {
        clone_masked =
            rule["args"][0]["op"] == "SCMP_CMP_MASKED_EQ" && rule["args"][0]["value"] == 0x7E020000;
      }
      if (name == "clone3") clone3_enosys = rule["errnoRet"] == 38;
    }
  }
  EXPECT_GT(unconditional.size(), 300u);
  for (const char* needed : {"read", "write", "execve", "openat", "futex", "exit_group", "capset",
                             "setresuid", "setgroups", "prctl", "wait4", "rt_sigreturn"}) {
    EXPECT_TRUE(unconditional.count(needed)) << needed;
  }
  for (const char* held_back :
       {"mount", "umount2", "unshare", "setns", "clone", "clone3", "reboot", "kexec_load",
        "init_module", "bpf", "open_by_handle_at", "keyctl", "add_key", "io_uring_setup",
        "userfaultfd", "personality", "sethostname", "chroot"}) {
    EXPECT_FALSE(unconditional.count(held_back)) << held_back;
  }
  EXPECT_EQ(personality_rules, 5);
  EXPECT_TRUE(clone_masked);
  EXPECT_TRUE(clone3_enosys);
}

TEST(OciSeccomp, WideningReplacesNarrowRules) {
  auto profile = LoadSeccompProfile(kDefaultProfile);
  ASSERT_TRUE(profile.ok());
  WidenForCapabilities(&*profile, {"CAP_SYS_ADMIN"});
  int clone_rules = 0;
  for (const auto& rule : (*profile)["syscalls"]) {
    for (const auto& n : rule["names"]) {
      if (n == "clone" || n == "clone3") {
        ++clone_rules;
        EXPECT_EQ(rule["action"], "SCMP_ACT_ALLOW");
        EXPECT_FALSE(rule.contains("args"));
      }
    }
  }
  EXPECT_EQ(clone_rules, 2);
  EXPECT_EQ((*profile)["syscalls"].back()["names"].size(), 23u);
}

TEST(OciSpecParts, PathsAndCgroups) {
  EXPECT_TRUE(IsCleanAbsolutePath("/a/b"));
  EXPECT_FALSE(IsCleanAbsolutePath("a/b"));
  EXPECT_FALSE(IsCleanAbsolutePath("/a/./b"));
  EXPECT_FALSE(IsCleanAbsolutePath("/a/.."));
  EXPECT_EQ(CgroupsPathFor("/kubepods/pod1", "c1", false), "/kubepods/pod1/c1");
  EXPECT_EQ(CgroupsPathFor("/", "c1", false), "/c1");
  EXPECT_EQ(CgroupsPathFor("kubepods-pod1.slice", "c1", true), "kubepods-pod1.slice:airlock:c1");
}

}  // namespace
}  // namespace airlock::oci
