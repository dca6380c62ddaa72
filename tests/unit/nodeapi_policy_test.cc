// Node exec policy: the TOML file, namespace rules and the privileged-container rule.
#include <gtest/gtest.h>

#include <fstream>

#include "shim/nodeapi/policy.h"

namespace airlock::nodeapi {
namespace {

constexpr char kPolicy[] = R"(
admin_groups = ["system:masters", "cluster-admin"]

[[allow]]
users = ["alice"]
namespaces = ["dev", "team-*"]

[[allow]]
groups = ["ops"]
namespaces = ["*"]
)";

Policy MustParse(const char* text) {
  auto p = ParsePolicy(text, "test policy");
  EXPECT_TRUE(p.ok()) << p.error().message;
  return p.ok() ? *p : Policy{};
}

TEST(Policy, NamespaceRulesByUserGroupAndPattern) {
  Policy policy = MustParse(kPolicy);
  UserInfo alice{"alice", "", {"developers"}};
  EXPECT_TRUE(AuthorizeNamespace(policy, alice, "dev").allowed);
  EXPECT_TRUE(AuthorizeNamespace(policy, alice, "team-a").allowed);
  EXPECT_FALSE(AuthorizeNamespace(policy, alice, "team").allowed);  // "team-*" needs the dash
  EXPECT_FALSE(AuthorizeNamespace(policy, alice, "prod").allowed);

  UserInfo olga{"olga", "", {"ops"}};
  EXPECT_TRUE(AuthorizeNamespace(policy, olga, "prod").allowed);

  UserInfo mallory{"mallory", "", {"alice"}};  // a group named like a user grants nothing
  EXPECT_FALSE(AuthorizeNamespace(policy, mallory, "dev").allowed);
}

TEST(Policy, DenialNamesUserVerbAndNamespace) {
  Policy policy = MustParse(kPolicy);
  PolicyDecision d = AuthorizeNamespace(policy, {"bob", "", {}}, "prod");
  ASSERT_FALSE(d.allowed);
  EXPECT_EQ(d.reason.rfind("Forbidden (user=bob, verb=exec, resource=pods, "
                           "subresource(s)=[exec], namespace=prod)",
                           0),
            0u)
      << d.reason;
}

TEST(Policy, AdminsMayExecEverywhere) {
  Policy policy = MustParse(kPolicy);
  UserInfo root{"root", "", {"system:masters"}};
  EXPECT_TRUE(AuthorizeNamespace(policy, root, "kube-system").allowed);
}

TEST(Policy, PrivilegedRuleOnlyForAdmins) {
  Policy policy = MustParse(kPolicy);
  UserInfo alice{"alice", "", {"developers"}};
  UserInfo admin{"carol", "", {"cluster-admin"}};

  EXPECT_TRUE(AuthorizePrivileged(policy, alice, "dev/web/app", PrivilegeFacts{}).allowed);

  PrivilegeFacts privileged;
  privileged.privileged = true;
  PolicyDecision denied = AuthorizePrivileged(policy, alice, "dev/web/app", privileged);
  ASSERT_FALSE(denied.allowed);
  EXPECT_NE(denied.reason.find("exec into privileged container dev/web/app is only allowed for "
                               "cluster admins"),
            std::string::npos)
      << denied.reason;
  EXPECT_NE(denied.reason.find("the container is privileged"), std::string::npos);
  EXPECT_NE(denied.reason.find("user=alice"), std::string::npos);
  EXPECT_TRUE(AuthorizePrivileged(policy, admin, "dev/web/app", privileged).allowed);

  for (auto set :
       {&PrivilegeFacts::host_pid, &PrivilegeFacts::host_network, &PrivilegeFacts::host_ipc}) {
    PrivilegeFacts facts;
    facts.*set = true;
    PolicyDecision d = AuthorizePrivileged(policy, alice, "dev/web/app", facts);
    EXPECT_FALSE(d.allowed);
    EXPECT_NE(d.reason.find("shares the host's"), std::string::npos) << d.reason;
    EXPECT_TRUE(AuthorizePrivileged(policy, admin, "dev/web/app", facts).allowed);
  }
}

TEST(Policy, DescribesEveryReason) {
  PrivilegeFacts all{true, true, true, true};
  EXPECT_EQ(all.Describe(),
            "the container is privileged and the pod shares the host's PID, network and IPC "
            "namespaces");
  PrivilegeFacts net;
  net.host_network = true;
  EXPECT_EQ(net.Describe(), "the pod shares the host's network namespace");
}

TEST(Policy, DefaultsAndCustomAdminGroups) {
  Policy defaults = MustParse("");
  EXPECT_EQ(defaults.admin_groups, (std::vector<std::string>{"system:masters", "cluster-admin"}));
  EXPECT_FALSE(AuthorizeNamespace(defaults, {"alice", "", {}}, "dev").allowed);  // deny default

  Policy custom = MustParse("admin_groups = [\"sre\"]\n");
  EXPECT_TRUE(IsAdmin(custom, {"x", "", {"sre"}}));
  EXPECT_FALSE(IsAdmin(custom, {"x", "", {"system:masters"}}));
}

TEST(Policy, RejectsTyposAndEmptyRules) {
  for (const char* bad : {
           "admin_group = [\"x\"]\n",                                // misspelt key
           "[[allow]]\nuser = [\"alice\"]\nnamespaces = [\"*\"]\n",  // misspelt rule key
           "[[allow]]\nnamespaces = [\"*\"]\n",                      // names nobody
           "[[allow]]\nusers = [\"alice\"]\n",                       // no namespaces
           "[[allow]]\nusers = \"alice\"\nnamespaces = [\"*\"]\n",   // not an array
           "[[allow]]\nusers = [\"\"]\nnamespaces = [\"*\"]\n",      // empty name
           "admin_groups = [\"x\"\n",                                // TOML syntax
       }) {
    auto p = ParsePolicy(bad, "test policy");
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.error().message.find("test policy"), std::string::npos) << p.error().message;
  }
}

TEST(Policy, ExampleConfigParses) {
  auto p = LoadPolicy(std::string(AIRLOCK_SOURCE_DIR) + "/configs/node-policy.example.toml");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_FALSE(p->rules.empty());
}

}  // namespace
}  // namespace airlock::nodeapi
