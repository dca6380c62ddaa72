// The RuntimeManager-backed resolver's choices: which sandbox and container a node-API path
// names, and which records make a container "privileged" for the exec rule.
#include <gtest/gtest.h>

#include "shim/nodeapi/runtime_exec_resolver.h"

namespace airlock::nodeapi {
namespace {
namespace v1 = runtime::v1;

v1::PodSandbox Sandbox(const std::string& id, const std::string& ns, const std::string& name,
                       const std::string& uid, bool ready, int64_t created) {
  v1::PodSandbox s;
  s.set_id(id);
  s.mutable_metadata()->set_namespace_(ns);
  s.mutable_metadata()->set_name(name);
  s.mutable_metadata()->set_uid(uid);
  s.set_state(ready ? v1::SANDBOX_READY : v1::SANDBOX_NOTREADY);
  s.set_created_at(created);
  return s;
}

v1::Container Ctr(const std::string& id, const std::string& name, int64_t created) {
  v1::Container c;
  c.set_id(id);
  c.mutable_metadata()->set_name(name);
  c.set_created_at(created);
  c.set_state(v1::CONTAINER_RUNNING);
  return c;
}

TEST(PickSandbox, MatchesNamespaceNameUidAndPrefersTheNewestReadyAttempt) {
  std::vector<v1::PodSandbox> all = {
      Sandbox("old", "dev", "web", "u1", true, 100),
      Sandbox("new", "dev", "web", "u2", true, 200),
      Sandbox("newest-but-stopped", "dev", "web", "u3", false, 300),
      Sandbox("other-ns", "prod", "web", "u4", true, 400),
  };
  EXPECT_EQ(PickSandbox(all, {"dev", "web", "", "app"})->id(), "new");
  EXPECT_EQ(PickSandbox(all, {"dev", "web", "u1", "app"})->id(), "old");
  EXPECT_FALSE(PickSandbox(all, {"dev", "web", "u3", "app"}).has_value());  // not ready
  EXPECT_FALSE(PickSandbox(all, {"dev", "api", "", "app"}).has_value());
  EXPECT_EQ(PickSandbox(all, {"prod", "web", "", "app"})->id(), "other-ns");
}

TEST(PickContainer, MatchesByNameNewestFirst) {
  std::vector<v1::Container> all = {Ctr("a1", "app", 10), Ctr("a2", "app", 20),
                                    Ctr("s1", "sidecar", 30)};
  EXPECT_EQ(PickContainer(all, "app")->id(), "a2");
  EXPECT_EQ(PickContainer(all, "sidecar")->id(), "s1");
  EXPECT_FALSE(PickContainer(all, "ap").has_value());
}

TEST(PrivilegeOf, ReadsTheFlagAndHostNamespacesFromPodAndContainer) {
  v1::PodSandboxConfig pod;
  v1::ContainerConfig ctr;
  EXPECT_FALSE(PrivilegeOf(pod, ctr, false).any());
  EXPECT_TRUE(PrivilegeOf(pod, ctr, true).privileged);

  v1::ContainerConfig priv_ctr;
  priv_ctr.mutable_linux()->mutable_security_context()->set_privileged(true);
  EXPECT_TRUE(PrivilegeOf(pod, priv_ctr, false).privileged);

  auto* ns = pod.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_pid(v1::NODE);
  PrivilegeFacts facts = PrivilegeOf(pod, ctr, false);
  EXPECT_TRUE(facts.host_pid);
  EXPECT_FALSE(facts.host_network);
  ns->set_pid(v1::CONTAINER);
  ns->set_network(v1::NODE);
  ns->set_ipc(v1::NODE);
  facts = PrivilegeOf(pod, ctr, false);
  EXPECT_FALSE(facts.host_pid);
  EXPECT_TRUE(facts.host_network);
  EXPECT_TRUE(facts.host_ipc);

  v1::PodSandboxConfig plain_pod;
  v1::ContainerConfig hostpid_ctr;
  hostpid_ctr.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      v1::NODE);
  EXPECT_TRUE(PrivilegeOf(plain_pod, hostpid_ctr, false).host_pid);
}

}  // namespace
}  // namespace airlock::nodeapi
