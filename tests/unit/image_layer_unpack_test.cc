// UnpackLayer against hostile and ordinary layer tars. Each hostile case checks both that the
// layer is refused (or the entry skipped) and that nothing appeared outside the layer dir.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "shim/base/file_util.h"
#include "shim/image/layer_unpacker.h"
#include "tests/unit/testdata/image/tar_writer.h"

namespace airlock {
namespace {

using testing::TarWriter;
namespace fs = std::filesystem;

class LayerUnpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/airlock-layer-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    base_ = templ;
    layer_ = base_ + "/store/layer";
    outside_ = base_ + "/outside";
    ASSERT_TRUE(MakeDirs(layer_).ok());
    ASSERT_TRUE(MakeDirs(outside_).ok());
  }
  void TearDown() override { (void)RemoveTree(base_); }

  Result<UnpackedLayer> Unpack(const std::string& tar, LayerLimits limits = {}) {
    std::string blob = base_ + "/blob";
    std::ofstream(blob, std::ios::binary | std::ios::trunc) << tar;
    return UnpackLayer(blob, layer_, limits);
  }
  // Everything under base_ except the layer dir, the blob and the (empty) outside dir.
  bool OutsideUntouched() const {
    for (const auto& e : fs::recursive_directory_iterator(base_)) {
      std::string p = e.path().string();
      if (p == base_ + "/blob" || p == base_ + "/store" || p == outside_ || p.rfind(layer_, 0) == 0)
        continue;
      ADD_FAILURE() << "unexpected file outside the layer: " << p;
      return false;
    }
    return true;
  }
  static bool Exists(const std::string& p) {
    struct stat st;
    return ::lstat(p.c_str(), &st) == 0;
  }

  std::string base_, layer_, outside_;
};

TEST_F(LayerUnpackTest, UnpacksFilesDirsLinksWithMetadata) {
  std::string tar = TarWriter()
                        .Dir("./", 0755)
                        .Dir("./etc/", 0750, 1000000000)
                        .File("./etc/hosts", "127.0.0.1 localhost\n", 0640, 1000, 1001, 1234567)
                        .File("usr/bin/tool", "#!/bin/sh\n", 04755)
                        .Symlink("bin", "usr/bin")
                        .Hardlink("etc/hosts.bak", "etc/hosts")
                        .Finish();
  auto r = Unpack(tar);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->diff_id, testing::DigestOf(tar));
  EXPECT_EQ(r->entries, 6u);
  EXPECT_EQ(r->size_bytes, 20u + 10u);

  struct stat st;
  ASSERT_EQ(::lstat((layer_ + "/etc/hosts").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mtime, 1234567);
  EXPECT_EQ(st.st_nlink, 2u);  // the hard link shares the inode
  ASSERT_EQ(::lstat((layer_ + "/etc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_mtime, 1000000000);  // set after its children were created
  ASSERT_EQ(::lstat((layer_ + "/usr/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);  // set-uid survives (chmod after chown)
  EXPECT_EQ(fs::read_symlink(layer_ + "/bin"), "usr/bin");
}

TEST_F(LayerUnpackTest, GzipLayerDiffIdIsDigestOfUncompressedTar) {
  std::string tar = TarWriter().File("a", "hello").Finish();
  std::string gz;
  {
    std::unique_ptr<archive, decltype(&archive_write_free)> w(archive_write_new(),
                                                              &archive_write_free);
    archive_write_add_filter_gzip(w.get());
    archive_write_set_format_raw(w.get());
    size_t used = 0;
    std::string buf(tar.size() + 4096, '\0');
    ASSERT_EQ(archive_write_open_memory(w.get(), buf.data(), buf.size(), &used), ARCHIVE_OK);
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(),
                                                                    &archive_entry_free);
    archive_entry_set_filetype(e.get(), AE_IFREG);
    ASSERT_EQ(archive_write_header(w.get(), e.get()), ARCHIVE_OK);
    ASSERT_EQ(archive_write_data(w.get(), tar.data(), tar.size()),
              static_cast<la_ssize_t>(tar.size()));
    ASSERT_EQ(archive_write_close(w.get()), ARCHIVE_OK);
    gz = buf.substr(0, used);
  }
  ASSERT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);  // really gzip
  auto r = Unpack(gz);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->diff_id, testing::DigestOf(tar));
  EXPECT_NE(r->diff_id, testing::DigestOf(gz));
  EXPECT_EQ(ReadFile(layer_ + "/a").value(), "hello");
}

TEST_F(LayerUnpackTest, RejectsDotDotTraversal) {
  auto r = Unpack(TarWriter().File("ok", "x").File("../outside/pwned", "x").Finish());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("\"..\""), std::string::npos) << r.error().message;
  r = Unpack(TarWriter().File("a/../../../outside/pwned", "x").Finish());
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(Exists(outside_ + "/pwned"));
  EXPECT_TRUE(OutsideUntouched());
}

TEST_F(LayerUnpackTest, RejectsAbsolutePaths) {
  auto r = Unpack(TarWriter().File(outside_ + "/pwned", "x").Finish());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("absolute"), std::string::npos) << r.error().message;
  EXPECT_FALSE(Exists(outside_ + "/pwned"));
  EXPECT_TRUE(OutsideUntouched());
}

TEST_F(LayerUnpackTest, RejectsWritingThroughASymlink) {
  for (const std::string& target : {outside_, std::string("../../outside")}) {
    ASSERT_TRUE(RemoveTree(layer_).ok() && MakeDirs(layer_).ok());
    auto r = Unpack(TarWriter().Symlink("evil", target).File("evil/pwned", "x").Finish());
    ASSERT_FALSE(r.ok()) << "symlink to " << target;
    EXPECT_NE(r.error().message.find("symlink"), std::string::npos) << r.error().message;
    EXPECT_FALSE(Exists(outside_ + "/pwned"));
    // The symlink itself is fine to keep: it is resolved inside the container's root.
    EXPECT_EQ(fs::read_symlink(layer_ + "/evil"), target);
  }
  // A symlinked directory entry then a directory through it: same refusal.
  ASSERT_TRUE(RemoveTree(layer_).ok() && MakeDirs(layer_).ok());
  EXPECT_FALSE(Unpack(TarWriter().Symlink("d", outside_).Dir("d/sub/").Finish()).ok());
  EXPECT_FALSE(Exists(outside_ + "/sub"));
  EXPECT_TRUE(OutsideUntouched());
}

TEST_F(LayerUnpackTest, RejectsHardLinksOutOfTheLayer) {
  struct stat before;
  ASSERT_EQ(::stat("/etc/passwd", &before), 0);
  for (const char* target : {"/etc/passwd", "../../../../../../etc/passwd"}) {
    auto r = Unpack(TarWriter().Hardlink("passwd", target).Finish());
    ASSERT_FALSE(r.ok()) << target;
    EXPECT_NE(r.error().message.find("hard link target"), std::string::npos) << r.error().message;
  }
  // A relative name that does not exist in this layer is not looked up anywhere else.
  auto r = Unpack(TarWriter().Hardlink("passwd", "etc/passwd").Finish());
  ASSERT_FALSE(r.ok());
  // Nor through a symlink that points out of the layer.
  r = Unpack(TarWriter().Symlink("etc2", "/etc").Hardlink("passwd2", "etc2/passwd").Finish());
  ASSERT_FALSE(r.ok());
  struct stat after;
  ASSERT_EQ(::stat("/etc/passwd", &after), 0);
  EXPECT_EQ(after.st_nlink, before.st_nlink);
  EXPECT_FALSE(Exists(layer_ + "/passwd"));
  EXPECT_FALSE(Exists(layer_ + "/passwd2"));
}

TEST_F(LayerUnpackTest, SkipsDeviceNodes) {
  auto r = Unpack(TarWriter().CharDevice("dev/mem", 1, 1).File("dev/keep", "x").Finish());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->skipped_devices, 1u);
  EXPECT_FALSE(Exists(layer_ + "/dev/mem"));
  EXPECT_TRUE(Exists(layer_ + "/dev/keep"));
}

TEST_F(LayerUnpackTest, RejectsHugeDeclaredSizeBeforeWriting) {
  auto r = Unpack(TarWriter().HeaderOnly("big", uint64_t{1} << 40).Finish());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("exceeds the layer limit"), std::string::npos)
      << r.error().message;
  EXPECT_FALSE(Exists(layer_ + "/big"));
}

TEST_F(LayerUnpackTest, EnforcesConfiguredLimits) {
  std::string mib(1 << 20, 'x');
  LayerLimits limits{.max_bytes = (1 << 20) + 10, .max_entries = 100};
  EXPECT_TRUE(Unpack(TarWriter().File("a", mib).Finish(), limits).ok());
  ASSERT_TRUE(RemoveTree(layer_).ok() && MakeDirs(layer_).ok());
  auto r = Unpack(TarWriter().File("a", mib).File("b", "0123456789x").Finish(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("exceeds"), std::string::npos);

  ASSERT_TRUE(RemoveTree(layer_).ok() && MakeDirs(layer_).ok());
  TarWriter many;
  for (int i = 0; i < 101; ++i) many.File("f" + std::to_string(i), "");
  r = Unpack(many.Finish(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("more than 100 entries"), std::string::npos);
}

TEST_F(LayerUnpackTest, RejectsTruncatedLayer) {
  std::string tar = TarWriter().File("a", std::string(5000, 'x')).Finish();
  auto r = Unpack(tar.substr(0, 2048));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(LayerUnpackTest, TurnsOciWhiteoutsIntoOverlayWhiteouts) {
  if (::geteuid() != 0) GTEST_SKIP() << "mknod and trusted.* xattrs need root";
  auto r = Unpack(TarWriter()
                      .Dir("etc/")
                      .File("etc/.wh.motd", "")
                      .Dir("var/cache/")
                      .File("var/cache/.wh..wh..opq", "")
                      .File("var/cache/new", "n")
                      .File(".wh..wh.plnk", "")  // aufs bookkeeping: ignored
                      .Finish());
  ASSERT_TRUE(r.ok()) << r.error().message;
  struct stat st;
  ASSERT_EQ(::lstat((layer_ + "/etc/motd").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(Exists(layer_ + "/etc/.wh.motd"));
  char value[8] = {};
  ASSERT_EQ(
      ::lgetxattr((layer_ + "/var/cache").c_str(), "trusted.overlay.opaque", value, sizeof value),
      1);
  EXPECT_EQ(value[0], 'y');
  EXPECT_FALSE(Exists(layer_ + "/var/cache/.wh..wh..opq"));
  EXPECT_TRUE(Exists(layer_ + "/var/cache/new"));
  EXPECT_FALSE(Exists(layer_ + "/.wh..wh.plnk"));
  EXPECT_FALSE(Exists(layer_ + "/.wh.plnk"));
}

TEST_F(LayerUnpackTest, KeepsUserXattrsDropsForgedOverlayXattrs) {
  if (::geteuid() != 0) GTEST_SKIP() << "reading trusted.* xattrs needs root";
  auto r = Unpack(
      TarWriter()
          .Pax({{"SCHILY.xattr.trusted.overlay.opaque", "y"}, {"SCHILY.xattr.user.note", "kept"}})
          .Dir("d/")
          .Finish());
  ASSERT_TRUE(r.ok()) << r.error().message;
  char value[16] = {};
  EXPECT_EQ(::lgetxattr((layer_ + "/d").c_str(), "trusted.overlay.opaque", value, sizeof value),
            -1);
  ASSERT_EQ(::lgetxattr((layer_ + "/d").c_str(), "user.note", value, sizeof value), 4);
  EXPECT_EQ(std::string(value, 4), "kept");
}

}  // namespace
}  // namespace airlock
