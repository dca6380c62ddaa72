// ImageStore end to end: archives built by scripts/make-test-image.py (both formats) and by
// the byte-level writer in testdata/image/tar_writer.h (whiteouts, hostile content).
#include "shim/image/image_store.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "shim/base/file_util.h"
#include "tests/unit/testdata/image/tar_writer.h"

namespace airlock {
namespace {

using testing::OciArchive;
using testing::TarWriter;
namespace fs = std::filesystem;

constexpr char kBusybox[] = "docker.io/library/busybox:latest";

class ImageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/airlock-image-store-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    base_ = templ;
    root_ = base_ + "/store";
    auto s = ImageStore::Open(root_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s.value());
  }
  void TearDown() override {
    store_.reset();
    (void)RemoveTree(base_);
  }

  // Runs the repo's image script; the archive lands in base_.
  std::string MakeScriptImage(const std::string& format, const std::string& tag = kBusybox) {
    std::string out = base_ + "/" + format + "-" + std::to_string(counter_++) + ".tar";
    std::string cmd = "/usr/bin/python3 " AIRLOCK_SOURCE_DIR
                      "/scripts/make-test-image.py --format " +
                      format + " --tag " + tag + " --out " + out + " > /dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return out;
  }
  std::string WriteArchive(const std::string& bytes) {
    std::string out = base_ + "/built-" + std::to_string(counter_++) + ".tar";
    std::ofstream(out, std::ios::binary | std::ios::trunc) << bytes;
    return out;
  }
  size_t CountEntries(const std::string& sub) const {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_ + "/" + sub)) ++n;
    return n;
  }
  // A failed import leaves no image, no layer, no blob and no staging behind.
  void ExpectStoreEmpty() const {
    EXPECT_TRUE(store_->List().empty());
    EXPECT_EQ(CountEntries("layers"), 0u);
    EXPECT_EQ(CountEntries("blobs/sha256"), 0u);
    EXPECT_EQ(CountEntries("images"), 0u);
    EXPECT_EQ(CountEntries("tmp"), 0u);
  }

  std::string base_, root_;
  std::unique_ptr<ImageStore> store_;
  int counter_ = 0;
};

void ExpectBusyboxRootfs(const ImageRecord& r) {
  ASSERT_EQ(r.layer_dirs.size(), 1u);
  const std::string& dir = r.layer_dirs[0];
  struct stat host, st;
  ASSERT_EQ(::stat("/bin/busybox", &host), 0);
  ASSERT_EQ(::lstat((dir + "/bin/busybox").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, host.st_size);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(fs::read_symlink(dir + "/bin/sh"), "busybox");
  EXPECT_EQ(fs::read_symlink(dir + "/bin/ls"), "busybox");
  ASSERT_EQ(::lstat((dir + "/tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  EXPECT_NE(ReadFile(dir + "/etc/passwd").value().find("nobody:x:65534:65534:"), std::string::npos);
  EXPECT_GE(r.size_bytes, static_cast<uint64_t>(host.st_size));
  EXPECT_EQ(r.config.cmd, std::vector<std::string>{"sh"});
  EXPECT_EQ(r.config.env, std::vector<std::string>{
                              "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
}

TEST_F(ImageStoreTest, ImportsOciArchiveFromScript) {
  auto r = store_->Import(MakeScriptImage("oci-archive"), "oci-archive");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->id.starts_with("sha256:"));
  EXPECT_EQ(r->repo_tags, std::vector<std::string>{kBusybox});
  ASSERT_EQ(r->repo_digests.size(), 1u);
  EXPECT_EQ(r->repo_digests[0], "docker.io/library/busybox@" + r->manifest_digest);
  EXPECT_EQ(r->layer_dirs[0], root_ + "/layers/" + r->diff_ids[0].substr(7));
  ExpectBusyboxRootfs(*r);
  // The config blob is stored under its digest, which is the image id.
  EXPECT_TRUE(fs::exists(root_ + "/blobs/sha256/" + r->id.substr(7)));
  EXPECT_EQ(CountEntries("tmp"), 0u);
}

TEST_F(ImageStoreTest, ImportsDockerArchiveAndSharesLayersWithOci) {
  auto d = store_->Import(MakeScriptImage("docker-archive"), "");  // detected
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->repo_tags, std::vector<std::string>{kBusybox});  // "busybox:latest" normalized
  EXPECT_TRUE(d->repo_digests.empty());
  ExpectBusyboxRootfs(*d);

  // Same layer, same config bytes: one image, one unpacked layer, the OCI digest added.
  auto o = store_->Import(MakeScriptImage("oci-archive"), "");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->id, d->id);
  EXPECT_EQ(o->layer_dirs, d->layer_dirs);
  EXPECT_EQ(o->repo_digests.size(), 1u);
  EXPECT_EQ(store_->List().size(), 1u);
  EXPECT_EQ(CountEntries("layers"), 2u);  // the directory and its size record
}

TEST_F(ImageStoreTest, ResolvesByReferenceIdPrefixAndDigest) {
  auto r = store_->Import(MakeScriptImage("oci-archive"), "");
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::string hex = r->id.substr(7);
  for (const std::string& q :
       {std::string("busybox"), std::string("busybox:latest"), std::string(kBusybox),
        std::string("docker.io/busybox"), r->id, hex, hex.substr(0, 12),
        "sha256:" + hex.substr(0, 16), "busybox@" + r->manifest_digest}) {
    auto found = store_->Resolve(q);
    ASSERT_TRUE(found.ok()) << q << ": " << found.error().message;
    EXPECT_EQ(found->id, r->id) << q;
  }
  for (const std::string& q :
       {std::string("busybox:1"), std::string("alpine"), hex.substr(0, 11), "busybox@" + r->id}) {
    auto found = store_->Resolve(q);
    ASSERT_FALSE(found.ok()) << q;
    EXPECT_EQ(found.error().code, ErrorCode::kNotFound) << q;
  }
}

TEST_F(ImageStoreTest, RecordsSurviveReopen) {
  auto r = store_->Import(MakeScriptImage("oci-archive"), "");
  ASSERT_TRUE(r.ok()) << r.error().message;
  store_.reset();
  auto reopened = ImageStore::Open(root_);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  auto list = (*reopened)->List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id, r->id);
  EXPECT_EQ(list[0].repo_tags, r->repo_tags);
  EXPECT_EQ(list[0].repo_digests, r->repo_digests);
  EXPECT_EQ(list[0].layer_dirs, r->layer_dirs);
  EXPECT_EQ(list[0].size_bytes, r->size_bytes);
  EXPECT_EQ(list[0].config.cmd, r->config.cmd);
  EXPECT_TRUE(fs::exists(list[0].layer_dirs[0] + "/bin/busybox"));
}

TEST_F(ImageStoreTest, RemoveUntagsThenDeletesImageAndLayers) {
  std::string archive = MakeScriptImage("oci-archive");
  ASSERT_TRUE(store_->Import(archive, "").ok());
  auto r = store_->Import(archive, "", "example.com/tools/bb:1");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->repo_tags, (std::vector<std::string>{kBusybox, "example.com/tools/bb:1"}));

  ASSERT_TRUE(store_->Remove("busybox").ok());
  auto left = store_->Resolve(r->id);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->repo_tags, std::vector<std::string>{"example.com/tools/bb:1"});
  EXPECT_EQ(left->repo_digests,
            std::vector<std::string>{"example.com/tools/bb@" + r->manifest_digest});
  EXPECT_TRUE(fs::exists(r->layer_dirs[0]));

  ASSERT_TRUE(store_->Remove("example.com/tools/bb:1").ok());
  EXPECT_EQ(store_->Resolve(r->id).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(r->layer_dirs[0]));
  ExpectStoreEmpty();
  EXPECT_EQ(store_->Remove("busybox").error().code, ErrorCode::kNotFound);

  // By id: all tags go at once.
  ASSERT_TRUE(store_->Import(archive, "").ok());
  ASSERT_TRUE(store_->Import(archive, "", "other:2").ok());
  ASSERT_TRUE(store_->Remove(r->id.substr(7, 12)).ok());
  ExpectStoreEmpty();
}

TEST_F(ImageStoreTest, TagMovesToTheNewestImage) {
  std::string layer = TarWriter().File("a", "1").Finish();
  auto first = store_->Import(WriteArchive(OciArchive({layer}, "x.io/app:v1")), "");
  ASSERT_TRUE(first.ok()) << first.error().message;
  std::string layer2 = TarWriter().File("a", "2").Finish();
  auto second = store_->Import(WriteArchive(OciArchive({layer2}, "x.io/app:v1")), "");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(store_->Resolve("x.io/app:v1")->id, second->id);
  EXPECT_TRUE(store_->Resolve(first->id)->repo_tags.empty());  // dangling, still listed
  EXPECT_EQ(store_->List().size(), 2u);
}

TEST_F(ImageStoreTest, PullImportsArchiveTransportsAndRefusesRegistries) {
  auto oci = store_->Pull("oci-archive:" + MakeScriptImage("oci-archive") + ":quay.io/me/bb:7");
  ASSERT_TRUE(oci.ok()) << oci.error().message;
  EXPECT_EQ(oci->repo_tags, std::vector<std::string>{"quay.io/me/bb:7"});
  auto docker = store_->Pull("docker-archive:" + MakeScriptImage("docker-archive"));
  ASSERT_TRUE(docker.ok()) << docker.error().message;
  EXPECT_EQ(docker->id, oci->id);
  EXPECT_EQ(store_->Resolve("busybox")->id, oci->id);

  // Already present: no registry needed.
  EXPECT_TRUE(store_->Pull("busybox").ok());
  EXPECT_TRUE(store_->Pull(oci->id).ok());

  auto missing = store_->Pull("nginx");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kUnimplemented);
  EXPECT_NE(missing.error().message.find("docker.io/library/nginx:latest"), std::string::npos);
  EXPECT_NE(missing.error().message.find("registry pull is not supported yet"), std::string::npos);
  EXPECT_EQ(store_->Pull("Not A Ref").error().code, ErrorCode::kInvalidArgument);

  auto wrong = store_->Pull("oci-archive:" + MakeScriptImage("docker-archive"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("looks like a docker-archive"), std::string::npos)
      << wrong.error().message;
  wrong = store_->Pull("docker-archive:" + MakeScriptImage("oci-archive"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("looks like an oci-archive"), std::string::npos);
  auto absent = store_->Pull("oci-archive:" + base_ + "/nope.tar");
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().code, ErrorCode::kNotFound);
}

TEST_F(ImageStoreTest, ParsesConfigFields) {
  auto r = store_->Import(WriteArchive(OciArchive({TarWriter().File("f", "x").Finish()}, "a/b:c")),
                          "oci-archive");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->repo_tags, std::vector<std::string>{"docker.io/a/b:c"});
  EXPECT_EQ(r->config.user, "65534:65534");
  EXPECT_EQ(r->config.working_dir, "/tmp");
  EXPECT_EQ(r->config.entrypoint, std::vector<std::string>{"/bin/busybox"});
  EXPECT_EQ(r->config.stop_signal, "SIGINT");
  EXPECT_EQ(r->config.labels.at("a"), "b");
}

TEST_F(ImageStoreTest, WhiteoutsHideLowerLayerFilesUnderOverlayfs) {
  if (::geteuid() != 0) GTEST_SKIP() << "whiteouts and overlay mounts need root";
  std::string lower =
      TarWriter().Dir("d/").File("d/old", "old").File("gone", "bye").File("kept", "k").Finish();
  std::string upper = TarWriter()
                          .Dir("d/")
                          .File("d/.wh..wh..opq", "")
                          .File("d/new", "new")
                          .File(".wh.gone", "")
                          .Finish();
  auto r = store_->Import(WriteArchive(OciArchive({lower, upper}, "x.io/wh:1")), "");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->layer_dirs.size(), 2u);
  struct stat st;
  ASSERT_EQ(::lstat((r->layer_dirs[1] + "/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
  char v = 0;
  EXPECT_EQ(::lgetxattr((r->layer_dirs[1] + "/d").c_str(), "trusted.overlay.opaque", &v, 1), 1);

  // What a container would see: overlay lowerdir=top:bottom.
  std::string merged = base_ + "/merged";
  ASSERT_TRUE(MakeDirs(merged).ok());
  std::string opts = "lowerdir=" + r->layer_dirs[1] + ":" + r->layer_dirs[0];
  if (::mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) != 0)
    GTEST_SKIP() << "overlay mount unavailable: " << std::strerror(errno);
  EXPECT_TRUE(fs::exists(merged + "/kept"));
  EXPECT_FALSE(fs::exists(merged + "/gone"));
  EXPECT_TRUE(fs::exists(merged + "/d/new"));
  EXPECT_FALSE(fs::exists(merged + "/d/old"));
  ::umount2(merged.c_str(), MNT_DETACH);
}

TEST_F(ImageStoreTest, RejectsBlobWhoseContentDoesNotMatchItsDigest) {
  std::string layer = TarWriter().File("a", "content").Finish();
  auto r =
      store_->Import(WriteArchive(OciArchive({layer}, "x.io/bad:1", /*corrupt_layer=*/true)), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("content hashes to"), std::string::npos) << r.error().message;
  ExpectStoreEmpty();
}

TEST_F(ImageStoreTest, RejectsLayerWhoseDiffIdDoesNotMatchConfig) {
  std::string layer = TarWriter().File("a", "content").Finish();
  std::string wrong = testing::DigestOf("something else");
  auto r = store_->Import(WriteArchive(OciArchive({layer}, "x.io/bad:1", false, wrong)), "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("verify layer " + wrong), std::string::npos)
      << r.error().message;
  ExpectStoreEmpty();
}

TEST_F(ImageStoreTest, RejectsTruncatedArchive) {
  std::string archive = MakeScriptImage("oci-archive");
  auto bytes = ReadFile(archive).value();
  auto r = store_->Import(WriteArchive(bytes.substr(0, bytes.size() / 2)), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  ExpectStoreEmpty();
}

TEST_F(ImageStoreTest, HostileLayersAreRejectedAndNothingLandsOutsideTheStore) {
  std::string outside = base_ + "/outside";
  ASSERT_TRUE(MakeDirs(outside).ok());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"traversal", TarWriter().File("../../../outside/pwned", "x").Finish()},
      {"absolute", TarWriter().File(outside + "/pwned", "x").Finish()},
      {"symlink escape", TarWriter().Symlink("e", outside).File("e/pwned", "x").Finish()},
      {"hardlink to /etc/passwd", TarWriter().Hardlink("pwned", "/etc/passwd").Finish()},
      {"huge declared size", TarWriter().HeaderOnly("big", uint64_t{1} << 42).Finish()},
  };
  for (const auto& [name, layer] : cases) {
    auto r = store_->Import(WriteArchive(OciArchive({layer}, "x.io/hostile:1")), "");
    EXPECT_FALSE(r.ok()) << name;
    EXPECT_FALSE(fs::exists(outside + "/pwned")) << name;
    ExpectStoreEmpty();
  }
  // A device node is skipped, not fatal; the rest of the layer imports.
  auto r = store_->Import(
      WriteArchive(OciArchive({TarWriter().CharDevice("dev/sda", 8, 0).File("ok", "1").Finish()},
                              "x.io/dev:1")),
      "");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(fs::exists(r->layer_dirs[0] + "/dev/sda"));
  EXPECT_TRUE(fs::exists(r->layer_dirs[0] + "/ok"));
}

TEST_F(ImageStoreTest, ImageLimitCoversAllLayers) {
  store_.reset();
  ImageStoreLimits limits;
  limits.max_layer_bytes = 1500;
  limits.max_image_bytes = 2500;
  auto s = ImageStore::Open(root_, limits);
  ASSERT_TRUE(s.ok());
  std::string a = TarWriter().File("a", std::string(1000, 'a')).Finish();
  std::string b = TarWriter().File("b", std::string(1000, 'b')).Finish();
  std::string c = TarWriter().File("c", std::string(1000, 'c')).Finish();
  std::string big = TarWriter().File("c", std::string(2000, 'c')).Finish();
  EXPECT_TRUE((*s)->Import(WriteArchive(OciArchive({a, b}, "x.io/ok:1")), "").ok());
  auto r = (*s)->Import(WriteArchive(OciArchive({big}, "x.io/big:1")), "");
  ASSERT_FALSE(r.ok());
  r = (*s)->Import(WriteArchive(OciArchive({a, b, c}, "x.io/three:1")), "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("limit"), std::string::npos) << r.error().message;
  EXPECT_EQ((*s)->List().size(), 1u);
}

TEST_F(ImageStoreTest, ConcurrentImportsOfTheSameImageAgree) {
  std::string archive = MakeScriptImage("oci-archive");
  std::vector<std::thread> threads;
  std::vector<std::string> ids(4);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      auto r = store_->Import(archive, "", "x.io/c:" + std::to_string(i));
      ids[i] = r.ok() ? r->id : "error: " + r.error().message;
    });
  for (auto& t : threads) t.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  ASSERT_EQ(store_->List().size(), 1u);
  EXPECT_EQ(store_->List()[0].repo_tags.size(), 4u);
  EXPECT_EQ(CountEntries("layers"), 2u);
  ExpectBusyboxRootfs(store_->List()[0]);
}

TEST_F(ImageStoreTest, UsageReportsTheStoreFilesystem) {
  ASSERT_TRUE(store_->Import(MakeScriptImage("oci-archive"), "").ok());
  auto u = store_->Usage();
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_FALSE(u->mountpoint.empty());
  EXPECT_EQ(root_.rfind(u->mountpoint == "/" ? "/" : u->mountpoint + "/", 0), 0u) << u->mountpoint;
  struct stat host;
  ASSERT_EQ(::stat("/bin/busybox", &host), 0);
  EXPECT_GE(u->used_bytes, static_cast<uint64_t>(host.st_size));
  EXPECT_GT(u->inodes_used, 250u);  // one symlink per applet
}

}  // namespace
}  // namespace airlock
