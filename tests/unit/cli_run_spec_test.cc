// clang-format off
// First: api.pb.h declares enum Signal { SIGABRT, ... }, which gtest's <signal.h> would clobber.
#include "cli/run_spec.h"
// clang-format on

#include <gtest/gtest.h>

namespace airlock::cli {
namespace {

TEST(CliRunSpec, ImageBaseName) {
  EXPECT_EQ(ImageBaseName("busybox"), "busybox");
  EXPECT_EQ(ImageBaseName("docker.io/library/busybox:1.36"), "busybox");
  EXPECT_EQ(ImageBaseName("localhost:5000/team/My_App:v2@sha256:abcd"), "my-app");
  EXPECT_EQ(ImageBaseName("sha256:0123"), "sha256");
  EXPECT_EQ(ImageBaseName("___"), "pod");
  EXPECT_EQ(ImageBaseName(std::string(80, 'x')).size(), 57u);
}

TEST(CliRunSpec, NamesAreDnsLabels) {
  EXPECT_TRUE(ValidateName("web-1", "name").ok());
  EXPECT_FALSE(ValidateName("Web", "name").ok());
  EXPECT_FALSE(ValidateName("a/b", "name").ok());
  EXPECT_FALSE(ValidateName("-a", "name").ok());
  EXPECT_FALSE(ValidateName("", "name").ok());
  EXPECT_FALSE(ValidateName(std::string(64, 'a'), "name").ok());
  auto e = ValidateName("../etc", "namespace");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message,
            "invalid namespace \"../etc\": use lowercase letters, digits and '-'");
}

TEST(CliRunSpec, GeneratedNamesAndUidsDiffer) {
  auto a = GenerateName("busybox:latest");
  auto b = GenerateName("busybox:latest");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->rfind("busybox-", 0), 0u);
  EXPECT_EQ(a->size(), std::string("busybox-").size() + 5);
  EXPECT_TRUE(ValidateName(*a, "name").ok());
  auto u1 = NewUid();
  auto u2 = NewUid();
  ASSERT_TRUE(u1.ok() && u2.ok());
  EXPECT_NE(*u1, *u2);
  EXPECT_EQ((*u1)[14], '4');
}

TEST(CliRunSpec, PrivilegedReachesPodAndContainer) {
  RunOptions o;
  o.name = "p";
  o.uid = "u";
  o.image = "img";
  o.privileged = true;
  o.stdin = true;
  auto pod = BuildPodConfig(o);
  auto c = BuildContainerConfig(o);
  EXPECT_TRUE(pod.linux().security_context().privileged());
  EXPECT_TRUE(c.linux().security_context().privileged());
  EXPECT_TRUE(c.stdin());
  EXPECT_EQ(c.linux().security_context().namespace_options().pid(), runtime::v1::CONTAINER);
  EXPECT_EQ(pod.log_directory(), "/var/log/airlock/pods/default_p_u");
}

}  // namespace
}  // namespace airlock::cli
