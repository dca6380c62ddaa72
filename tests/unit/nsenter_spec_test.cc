// ExecSpec parsing from OCI config.json and the capability / rlimit name tables.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include "nsenter/exec_spec.h"

namespace airlock::nsenter {
namespace {

using nlohmann::json;

json Config() {
  return json::parse(R"({
    "ociVersion": "1.0.2",
    "process": {
      "terminal": true,
      "user": {"uid": 1000, "gid": 1001, "additionalGids": [5, 6], "umask": 18},
      "args": ["sh", "-c", "echo hi"],
      "env": ["PATH=/bin", "A=1", "A=2", "HOME=/root"],
      "cwd": "/work",
      "capabilities": {
        "bounding": ["CAP_KILL", "CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
        "effective": ["CAP_KILL"],
        "permitted": ["CAP_KILL", "CAP_CHOWN"],
        "ambient": ["CAP_KILL"]
      },
      "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512}],
      "noNewPrivileges": true,
      "oomScoreAdj": 100,
      "apparmorProfile": "airlock-default"
    },
    "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}}
  })");
}

TEST(NsenterSpecTest, ParsesTheProcessObject) {
  auto spec = ExecSpecFromOci(Config());
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->argv, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  EXPECT_FALSE(spec->tty) << "the container's terminal flag must not leak into execs";
  EXPECT_EQ(spec->uid, 1000u);
  EXPECT_EQ(spec->gid, 1001u);
  EXPECT_EQ(spec->additional_gids, (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(spec->umask, 022u);
  EXPECT_EQ(spec->env, (std::vector<std::string>{"PATH=/bin", "A=2", "HOME=/root"}));
  EXPECT_EQ(spec->cwd, "/work");
  EXPECT_EQ(spec->caps.bounding,
            (1ull << CAP_KILL) | (1ull << CAP_CHOWN) | (1ull << CAP_NET_BIND_SERVICE));
  EXPECT_EQ(spec->caps.effective, 1ull << CAP_KILL);
  EXPECT_EQ(spec->caps.permitted, (1ull << CAP_KILL) | (1ull << CAP_CHOWN));
  EXPECT_EQ(spec->caps.inheritable, 0u) << "absent inheritable must stay empty";
  EXPECT_EQ(spec->caps.ambient, 1ull << CAP_KILL);
  ASSERT_EQ(spec->rlimits.size(), 1u);
  EXPECT_EQ(spec->rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(spec->rlimits[0].soft, 512u);
  EXPECT_EQ(spec->rlimits[0].hard, 1024u);
  EXPECT_TRUE(spec->no_new_privileges);
  EXPECT_EQ(spec->oom_score_adj, 100);
  EXPECT_EQ(spec->apparmor_profile, "airlock-default");
  ASSERT_NE(spec->seccomp, nullptr);
  EXPECT_GT(spec->seccomp->instructions().size(), 2u);
  EXPECT_TRUE(ValidateExecSpec(*spec).ok());
}

TEST(NsenterSpecTest, MinimalConfigHasSafeDefaults) {
  auto spec = ExecSpecFromOci(json::parse(R"({"process": {"args": ["true"]}})"));
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->uid, 0u);
  EXPECT_EQ(spec->cwd, "/");
  EXPECT_EQ(spec->caps.bounding, 0u);
  EXPECT_EQ(spec->caps.effective, 0u);
  EXPECT_FALSE(spec->no_new_privileges);
  EXPECT_FALSE(spec->oom_score_adj.has_value());
  EXPECT_EQ(spec->seccomp, nullptr);
}

TEST(NsenterSpecTest, RejectsBadInput) {
  auto bad = [](const std::string& text) {
    auto spec = ExecSpecFromOci(json::parse(text));
    EXPECT_FALSE(spec.ok()) << text;
    if (!spec.ok()) {
      EXPECT_EQ(spec.error().code, ErrorCode::kInvalidArgument) << text;
    }
  };
  bad(R"({})");
  bad(R"({"process": "x"})");
  bad(R"({"process": {"user": {"uid": -1}}})");
  bad(R"({"process": {"user": {"uid": 4294967295}}})");
  bad(R"({"process": {"user": {"uid": "0"}}})");
  bad(R"({"process": {"user": {"uid": 1, "additionalGids": [-5]}}})");
  bad(R"({"process": {"capabilities": {"bounding": ["CAP_TYPO"]}}})");
  bad(R"({"process": {"rlimits": [{"type": "RLIMIT_BOGUS", "hard": 1, "soft": 1}]}})");
  bad(R"({"process": {"args": [1, 2]}})");
  bad(R"({"process": {}, "linux": {"seccomp": {"defaultAction": "SCMP_ACT_NOPE"}}})");
}

TEST(NsenterSpecTest, ValidateRejectsWhatWouldChangeTheCommand) {
  ExecSpec spec;
  EXPECT_FALSE(ValidateExecSpec(spec).ok()) << "empty argv";
  spec.argv = {""};
  EXPECT_FALSE(ValidateExecSpec(spec).ok()) << "empty argv[0]";
  spec.argv = {"ls", std::string("a\0b", 3)};
  EXPECT_FALSE(ValidateExecSpec(spec).ok()) << "NUL in an argument";
  spec.argv = {"ls"};
  EXPECT_TRUE(ValidateExecSpec(spec).ok());
  spec.env = {"NOEQUALS"};
  EXPECT_FALSE(ValidateExecSpec(spec).ok());
  spec.env = {"=x"};
  EXPECT_FALSE(ValidateExecSpec(spec).ok());
  spec.env = {};
  spec.cwd = "relative";
  EXPECT_FALSE(ValidateExecSpec(spec).ok());
  spec.cwd = "/";
  spec.uid = 4294967295u;
  EXPECT_FALSE(ValidateExecSpec(spec).ok()) << "(uid_t)-1 means 'unchanged' to setresuid";
}

TEST(NsenterSpecTest, CapabilityNameTableMatchesTheKernelNumbers) {
  EXPECT_EQ(*CapabilityFromName("CAP_CHOWN"), CAP_CHOWN);
  EXPECT_EQ(*CapabilityFromName("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
  EXPECT_EQ(*CapabilityFromName("CAP_NET_RAW"), CAP_NET_RAW);
  EXPECT_EQ(*CapabilityFromName("CAP_SETFCAP"), CAP_SETFCAP);
  EXPECT_EQ(*CapabilityFromName("CAP_AUDIT_READ"), CAP_AUDIT_READ);
  EXPECT_EQ(*CapabilityFromName("CAP_BPF"), 39);
  EXPECT_EQ(*CapabilityFromName("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(*CapabilityFromName("sys_ptrace"), CAP_SYS_PTRACE) << "case and prefix optional";
  EXPECT_FALSE(CapabilityFromName("CAP_NOPE").ok());
  for (int cap = 0; cap <= 40; ++cap) {
    auto back = CapabilityFromName(CapabilityName(cap));
    ASSERT_TRUE(back.ok()) << cap;
    EXPECT_EQ(*back, cap);
  }
  EXPECT_EQ(CapabilityName(63), "CAP_63");
  auto mask = CapabilityMaskFromNames({"CAP_KILL", "CAP_NET_BIND_SERVICE"});
  ASSERT_TRUE(mask.ok());
  EXPECT_EQ(*mask, 0x420u);  // the value /proc/<pid>/status prints
}

TEST(NsenterSpecTest, RlimitNames) {
  EXPECT_EQ(*RlimitFromName("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(*RlimitFromName("RLIMIT_CORE"), RLIMIT_CORE);
  EXPECT_EQ(*RlimitFromName("rlimit_nproc"), RLIMIT_NPROC);
  EXPECT_EQ(*RlimitFromName("RLIMIT_RTTIME"), RLIMIT_RTTIME);
  EXPECT_FALSE(RlimitFromName("NOFILE").ok());
}

}  // namespace
}  // namespace airlock::nsenter
