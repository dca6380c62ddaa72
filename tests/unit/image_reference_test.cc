#include "shim/image/image_reference.h"

#include <gtest/gtest.h>

#include <string>

namespace airlock {
namespace {

std::string Normalize(const std::string& s) {
  auto r = ParseImageReference(s);
  return r.ok() ? r->String() : "error: " + r.error().message;
}

const std::string kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(ImageReferenceTest, NormalizesLikeDocker) {
  EXPECT_EQ(Normalize("busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(Normalize("busybox:1.36"), "docker.io/library/busybox:1.36");
  EXPECT_EQ(Normalize("foo/bar:1"), "docker.io/foo/bar:1");
  EXPECT_EQ(Normalize("docker.io/busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(Normalize("index.docker.io/library/busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(Normalize("quay.io/a/b/c"), "quay.io/a/b/c:latest");
  EXPECT_EQ(Normalize("localhost/x"), "localhost/x:latest");
  EXPECT_EQ(Normalize("registry:5000/x"), "registry:5000/x:latest");
  EXPECT_EQ(Normalize("registry:5000/x:v2"), "registry:5000/x:v2");
  EXPECT_EQ(Normalize("my-registry.local/team_a/app__x"), "my-registry.local/team_a/app__x:latest");
}

TEST(ImageReferenceTest, DigestReferencesKeepNoDefaultTag) {
  auto r = ParseImageReference("registry:5000/x@" + kDigest);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->domain, "registry:5000");
  EXPECT_EQ(r->path, "x");
  EXPECT_EQ(r->tag, "");
  EXPECT_EQ(r->digest, kDigest);
  EXPECT_EQ(r->String(), "registry:5000/x@" + kDigest);
  EXPECT_EQ(r->TagString(), "");
  EXPECT_EQ(Normalize("busybox:1@" + kDigest), "docker.io/library/busybox:1@" + kDigest);
}

TEST(ImageReferenceTest, SplitsParts) {
  auto r = ParseImageReference("foo/bar:1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Repository(), "docker.io/foo/bar");
  EXPECT_EQ(r->TagString(), "docker.io/foo/bar:1");
}

TEST(ImageReferenceTest, RejectsInvalidNames) {
  for (const char* bad :
       {"", "Busybox", "foo/Bar", "busybox:", "busybox:-x", "busybox@sha256:1", "busybox@md5:0123",
        "a//b", "/busybox", "busybox/", "foo/.bar", "reg:port/x", "-x", "foo/bar:t@g", "x:y:z"}) {
    auto r = ParseImageReference(bad);
    EXPECT_FALSE(r.ok()) << bad << " parsed as " << r->String();
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
      EXPECT_NE(r.error().message.find("parse image reference"), std::string::npos);
    }
  }
  std::string long_tag(129, 'a');
  EXPECT_FALSE(ParseImageReference("busybox:" + long_tag).ok());
  EXPECT_TRUE(ParseImageReference("busybox:" + long_tag.substr(1)).ok());
}

TEST(ImageReferenceTest, BareImageIdIsNotAName) {
  auto r = ParseImageReference(kDigest.substr(7));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("image id"), std::string::npos);
  // With an explicit registry it is a legal (if odd) repository name.
  EXPECT_TRUE(ParseImageReference("registry.local/" + kDigest.substr(7)).ok());
}

}  // namespace
}  // namespace airlock
