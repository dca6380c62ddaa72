#include <gtest/gtest.h>

#include "cli/resolve.h"

namespace airlock::cli {
namespace {

// Two `airlock run --name web` pods in different namespaces, a two-container pod, and an
// empty pod; ids chosen so that prefixes collide where the tests need them to.
Inventory FakeInventory() {
  Inventory inv;
  inv.pods = {
      {"p1aaaa", "web", "default", "u1", {}},
      {"p2bbbb", "web", "prod", "u2", {}},
      {"p3cccc", "multi", "default", "u3", {{kDefaultContainerAnnotation, "app"}}},
      {"p4dddd", "duo", "default", "u4", {}},
      {"p5eeee", "empty", "default", "u5", {}},
  };
  inv.containers = {
      {"c1aaaa", "web", "p1aaaa"},     {"c2bbbb", "web", "p2bbbb"},  {"c3cc01", "app", "p3cccc"},
      {"c3cc02", "sidecar", "p3cccc"}, {"c4dd01", "left", "p4dddd"}, {"c4dd02", "right", "p4dddd"},
  };
  return inv;
}

std::string Container(const Query& q) {
  auto r = ResolveContainer(FakeInventory(), q);
  return r.ok() ? *r : "error: " + r.error().message;
}

TEST(CliResolve, ContainerByIdNameAndPrefix) {
  EXPECT_EQ(Container({"c1aaaa", ""}), "c1aaaa");
  EXPECT_EQ(Container({"sidecar", ""}), "c3cc02");
  EXPECT_EQ(Container({"c3cc0", ""}).substr(0, 6), "error:");  // two containers share it
  EXPECT_EQ(Container({"c3cc01", ""}), "c3cc01");
  EXPECT_EQ(Container({"c2", ""}), "c2bbbb");
}

TEST(CliResolve, SameNameInTwoNamespacesNeedsDashN) {
  auto r = ResolveContainer(FakeInventory(), {"web", ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("default/web/web (c1aaaa)"), std::string::npos);
  EXPECT_NE(r.error().message.find("prod/web/web (c2bbbb)"), std::string::npos);
  EXPECT_NE(r.error().message.find("-n NAMESPACE"), std::string::npos);
  EXPECT_EQ(Container({"web", "prod"}), "c2bbbb");
  EXPECT_EQ(Container({"web", "default"}), "c1aaaa");
}

TEST(CliResolve, PodNameMeansItsDefaultContainer) {
  EXPECT_EQ(Container({"multi", ""}), "c3cc01");  // via the default-container annotation
  EXPECT_EQ(Container({"p3cc", ""}), "c3cc01");   // pod id prefix
  auto duo = ResolveContainer(FakeInventory(), {"duo", ""});
  ASSERT_FALSE(duo.ok());
  EXPECT_NE(duo.error().message.find("choose one of: left, right"), std::string::npos);
  auto empty = ResolveContainer(FakeInventory(), {"empty", ""});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kNotFound);
}

TEST(CliResolve, NothingMatches) {
  auto r = ResolveContainer(FakeInventory(), {"nginx", "kube-system"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message, "no container or pod matches \"nginx\" in namespace kube-system");
}

TEST(CliResolve, PodVerbs) {
  auto inv = FakeInventory();
  EXPECT_EQ(*ResolvePod(inv, {"multi", ""}), "p3cccc");
  EXPECT_EQ(*ResolvePod(inv, {"web", "prod"}), "p2bbbb");
  EXPECT_EQ(*ResolvePod(inv, {"p4", ""}), "p4dddd");
  EXPECT_FALSE(ResolvePod(inv, {"web", ""}).ok());
  EXPECT_FALSE(ResolvePod(inv, {"p", ""}).ok());
  EXPECT_FALSE(ResolvePod(inv, {"sidecar", ""}).ok());  // a container name is not a pod
}

TEST(CliResolve, TargetPrefersThePodForASharedName) {
  auto inv = FakeInventory();
  auto pod = ResolveTarget(inv, {"web", "default"});
  ASSERT_TRUE(pod.ok());
  EXPECT_EQ(pod->kind, Target::Kind::kPod);
  EXPECT_EQ(pod->id, "p1aaaa");

  auto by_container_id = ResolveTarget(inv, {"c1aaaa", ""});
  ASSERT_TRUE(by_container_id.ok());
  EXPECT_EQ(by_container_id->kind, Target::Kind::kContainer);

  auto by_container_name = ResolveTarget(inv, {"sidecar", ""});
  ASSERT_TRUE(by_container_name.ok());
  EXPECT_EQ(by_container_name->kind, Target::Kind::kContainer);
  EXPECT_EQ(by_container_name->id, "c3cc02");

  auto pod_prefix = ResolveTarget(inv, {"p5", ""});
  ASSERT_TRUE(pod_prefix.ok());
  EXPECT_EQ(pod_prefix->kind, Target::Kind::kPod);
}

TEST(CliResolve, TargetPrefixAmbiguousAcrossKinds) {
  Inventory inv;
  inv.pods = {{"ab12", "p", "default", "u", {}}};
  inv.containers = {{"ab34", "c", "ab12"}};
  auto r = ResolveTarget(inv, {"ab", ""});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("pod default/p (ab12)"), std::string::npos);
  EXPECT_NE(r.error().message.find("default/p/c (ab34)"), std::string::npos);
}

TEST(CliResolve, PickContainerByName) {
  auto inv = FakeInventory();
  EXPECT_EQ(*PickContainer(inv, "p4dddd", "right"), "c4dd02");
  auto missing = PickContainer(inv, "p4dddd", "middle");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "pod default/duo has no container \"middle\" (it has: left, right)");
}

}  // namespace
}  // namespace airlock::cli
