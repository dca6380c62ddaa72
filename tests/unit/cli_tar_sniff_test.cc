#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli/tar_sniff.h"

namespace airlock::cli {
namespace {

namespace fs = std::filesystem;

// Writes a minimal ustar archive by hand: one header block per member, body padded to 512.
class TarWriter {
 public:
  void Add(const std::string& name, const std::string& body, char type = '0',
           const std::string& prefix = "") {
    char h[512] = {};
    std::memcpy(h, name.data(), std::min<size_t>(name.size(), 100));
    std::snprintf(h + 100, 8, "%07o", 0644);
    std::snprintf(h + 108, 8, "%07o", 0);
    std::snprintf(h + 116, 8, "%07o", 0);
    std::snprintf(h + 124, 12, "%011zo", body.size());
    std::snprintf(h + 136, 12, "%011o", 0);
    h[156] = type;
    std::memcpy(h + 257, "ustar", 6);
    std::memcpy(h + 263, "00", 2);
    std::memcpy(h + 345, prefix.data(), std::min<size_t>(prefix.size(), 155));
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::snprintf(h + 148, 8, "%06o", sum);
    data_.append(h, 512);
    data_ += body;
    data_.append((512 - body.size() % 512) % 512, '\0');
  }
  std::string Finish() const { return data_ + std::string(1024, '\0'); }

 private:
  std::string data_;
};

class CliTarSniff : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cli_tar_sniff_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& bytes) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  // Runs the system tar (GNU) so the sniffer is checked against a real writer's output.
  std::string RealTar(const std::string& name, const std::string& format,
                      const std::vector<std::string>& files) {
    fs::path src = dir_ / (name + ".d");
    for (const auto& f : files) {
      fs::create_directories((src / f).parent_path());
      std::ofstream(src / f) << "{}";
    }
    std::string out = (dir_ / name).string();
    std::string cmd = "tar --format=" + format + " -C " + src.string() + " -cf " + out + " .";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return out;
  }

  fs::path dir_;
};

TEST_F(CliTarSniff, OciLayoutByHandWrittenUstar) {
  TarWriter w;
  w.Add("blobs/", "", '5');
  w.Add("blobs/sha256/", "", '5');
  w.Add("blobs/sha256/aaaa", std::string(700, 'x'));  // body spans two blocks
  w.Add("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  w.Add("index.json", "{}");
  std::string path = Write("oci.tar", w.Finish());
  auto members = ListTarMembers(path);
  ASSERT_TRUE(members.ok()) << members.error().message;
  EXPECT_EQ(*members, (std::vector<std::string>{"blobs", "blobs/sha256", "blobs/sha256/aaaa",
                                                "oci-layout", "index.json"}));
  auto kind = SniffArchive(path);
  ASSERT_TRUE(kind.ok()) << kind.error().message;
  EXPECT_EQ(*kind, ArchiveKind::kOciArchive);
  EXPECT_STREQ(ArchiveTransport(*kind), "oci-archive");
}

TEST_F(CliTarSniff, DockerSaveLayout) {
  TarWriter w;
  w.Add("./0123abcd/layer.tar", std::string(1024, 'l'));
  w.Add("./0123abcd.json", "{}");
  w.Add("./manifest.json", R"([{"RepoTags":["busybox:latest"]}])");
  w.Add("./repositories", "{}");
  auto kind = SniffArchive(Write("docker.tar", w.Finish()));
  ASSERT_TRUE(kind.ok()) << kind.error().message;
  EXPECT_EQ(*kind, ArchiveKind::kDockerArchive);
}

TEST_F(CliTarSniff, UstarPrefixFieldIsPartOfTheName) {
  TarWriter w;
  w.Add("manifest.json", "[]", '0', "deep/dir");
  auto members = ListTarMembers(Write("prefix.tar", w.Finish()));
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(*members, (std::vector<std::string>{"deep/dir/manifest.json"}));
  // A nested manifest.json is not the archive's own.
  EXPECT_FALSE(ClassifyMembers(*members).ok());
}

TEST_F(CliTarSniff, BothLayoutsPreferOci) {
  // docker 25+ `docker save` writes manifest.json next to an OCI layout.
  EXPECT_EQ(*ClassifyMembers({"blobs/sha256/x", "manifest.json", "index.json", "oci-layout"}),
            ArchiveKind::kOciArchive);
}

TEST_F(CliTarSniff, RealGnuTarWithLongNames) {
  std::string long_dir(120, 'd');
  std::string path = RealTar("gnu.tar", "gnu", {long_dir + "/layer.tar", "manifest.json"});
  auto members = ListTarMembers(path);
  ASSERT_TRUE(members.ok()) << members.error().message;
  EXPECT_NE(std::find(members->begin(), members->end(), long_dir + "/layer.tar"), members->end());
  EXPECT_EQ(*SniffArchive(path), ArchiveKind::kDockerArchive);
}

TEST_F(CliTarSniff, RealPaxTar) {
  std::string long_dir(150, 'p');
  std::string path = RealTar("pax.tar", "pax", {long_dir + "/blob", "index.json", "oci-layout"});
  auto members = ListTarMembers(path);
  ASSERT_TRUE(members.ok()) << members.error().message;
  EXPECT_NE(std::find(members->begin(), members->end(), long_dir + "/blob"), members->end());
  EXPECT_EQ(*SniffArchive(path), ArchiveKind::kOciArchive);
}

TEST_F(CliTarSniff, CompressedArchiveIsRejectedWithAReason) {
  std::string tar = RealTar("plain.tar", "gnu", {"index.json"});
  ASSERT_EQ(std::system(("gzip -kf " + tar).c_str()), 0);
  auto kind = SniffArchive(tar + ".gz");
  ASSERT_FALSE(kind.ok());
  EXPECT_NE(kind.error().message.find("gzip-compressed; decompress it first"), std::string::npos)
      << kind.error().message;
}

TEST_F(CliTarSniff, NotATarOrMissing) {
  auto junk = SniffArchive(Write("junk.tar", std::string(2048, 'j')));
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.error().message.find("not a tar archive"), std::string::npos);
  auto empty = SniffArchive(Write("empty.tar", ""));
  ASSERT_FALSE(empty.ok());
  auto missing = SniffArchive((dir_ / "nope.tar").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("nope.tar"), std::string::npos);

  TarWriter w;
  w.Add("README", "hi");
  auto neither = SniffArchive(Write("neither.tar", w.Finish()));
  ASSERT_FALSE(neither.ok());
  EXPECT_NE(neither.error().message.find("neither oci-layout"), std::string::npos);
}

}  // namespace
}  // namespace airlock::cli
