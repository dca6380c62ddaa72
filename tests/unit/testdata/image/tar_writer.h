// Test helpers that write tar and image archives byte by byte, so that tests can build the
// hostile inputs (absolute names, "..", huge declared sizes, forged xattrs) that a
// well-behaved tar writer would refuse to produce.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "shim/image/sha256.h"

namespace airlock::testing {

class TarWriter {
 public:
  TarWriter& File(const std::string& name, const std::string& data, int mode = 0644, int uid = 0,
                  int gid = 0, int64_t mtime = 946684800) {
    Header(name, '0', data.size(), mode, "", uid, gid, mtime);
    Data(data);
    return *this;
  }
  TarWriter& Dir(const std::string& name, int mode = 0755, int64_t mtime = 946684800) {
    Header(name, '5', 0, mode, "", 0, 0, mtime);
    return *this;
  }
  TarWriter& Symlink(const std::string& name, const std::string& target) {
    Header(name, '2', 0, 0777, target);
    return *this;
  }
  TarWriter& Hardlink(const std::string& name, const std::string& target) {
    Header(name, '1', 0, 0644, target);
    return *this;
  }
  TarWriter& CharDevice(const std::string& name, int major, int minor) {
    Header(name, '3', 0, 0666, "", 0, 0, 946684800, major, minor);
    return *this;
  }
  // A pax header whose records apply to the next entry ("SCHILY.xattr.user.x" = "v").
  TarWriter& Pax(const std::vector<std::pair<std::string, std::string>>& records) {
    std::string body;
    for (const auto& [k, v] : records) {
      std::string rest = " " + k + "=" + v + "\n";
      size_t len = rest.size() + 1;
      while (std::to_string(len).size() + rest.size() != len) ++len;
      body += std::to_string(len) + rest;
    }
    Header("PaxHeaders/x", 'x', body.size(), 0644);
    Data(body);
    return *this;
  }
  // A header that claims `size` bytes, followed by none of them.
  TarWriter& HeaderOnly(const std::string& name, uint64_t size) {
    Header(name, '0', size, 0644);
    return *this;
  }
  std::string Finish() const { return out_ + std::string(1024, '\0'); }

 private:
  void Data(const std::string& data) {
    out_ += data;
    out_.append((512 - data.size() % 512) % 512, '\0');
  }
  static void Octal(char* field, size_t width, uint64_t value) {
    std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                  static_cast<unsigned long long>(value));
  }
  void Header(const std::string& name, char type, uint64_t size, int mode,
              const std::string& link = "", int uid = 0, int gid = 0, int64_t mtime = 946684800,
              int major = 0, int minor = 0) {
    char h[512] = {};
    std::memcpy(h, name.data(), std::min<size_t>(name.size(), 100));
    Octal(h + 100, 8, static_cast<uint64_t>(mode));
    Octal(h + 108, 8, static_cast<uint64_t>(uid));
    Octal(h + 116, 8, static_cast<uint64_t>(gid));
    if (size < (uint64_t{1} << 33)) {
      Octal(h + 124, 12, size);
    } else {  // base-256, as GNU tar and libarchive write sizes past 8 GiB
      h[124] = static_cast<char>(0x80);
      for (int i = 0; i < 8; ++i) h[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
    }
    Octal(h + 136, 12, static_cast<uint64_t>(mtime));
    h[156] = type;
    std::memcpy(h + 157, link.data(), std::min<size_t>(link.size(), 100));
    std::memcpy(h + 257, "ustar", 6);
    std::memcpy(h + 263, "00", 2);
    Octal(h + 329, 8, static_cast<uint64_t>(major));
    Octal(h + 337, 8, static_cast<uint64_t>(minor));
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::snprintf(h + 148, 8, "%06o", sum);
    out_.append(h, 512);
  }

  std::string out_;
};

inline std::string DigestOf(const std::string& data) { return Sha256Digest(data).value(); }
inline std::string HexOf(const std::string& data) { return DigestOf(data).substr(7); }

// An OCI image layout archive holding one image made of uncompressed `layers`.
// `corrupt_layer` stores the first layer's bytes with one byte flipped under its digest.
inline std::string OciArchive(const std::vector<std::string>& layers, const std::string& ref_name,
                              bool corrupt_layer = false, std::string diff_id_override = "") {
  std::string diff_ids, layer_descs;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string d = (i == 0 && !diff_id_override.empty()) ? diff_id_override : DigestOf(layers[i]);
    diff_ids += (i ? "," : "") + ("\"" + d + "\"");
    layer_descs += (i ? "," : "") +
                   ("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" +
                    DigestOf(layers[i]) + "\",\"size\":" + std::to_string(layers[i].size()) + "}");
  }
  std::string config =
      "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"],"
      "\"User\":\"65534:65534\",\"WorkingDir\":\"/tmp\",\"Labels\":{\"a\":\"b\"},"
      "\"StopSignal\":\"SIGINT\",\"Entrypoint\":[\"/bin/busybox\"]},"
      "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" +
      diff_ids + "]}}";
  std::string manifest =
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
      "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" +
      DigestOf(config) + "\",\"size\":" + std::to_string(config.size()) + "},\"layers\":[" +
      layer_descs + "]}";
  std::string index =
      "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
      "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" +
      DigestOf(manifest) + "\",\"size\":" + std::to_string(manifest.size()) +
      ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + ref_name + "\"}}]}";
  TarWriter w;
  w.File("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}").File("index.json", index);
  w.File("blobs/sha256/" + HexOf(config), config).File("blobs/sha256/" + HexOf(manifest), manifest);
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string bytes = layers[i];
    if (i == 0 && corrupt_layer && !bytes.empty()) bytes[0] ^= 0x20;
    w.File("blobs/sha256/" + HexOf(layers[i]), bytes);
  }
  return w.Finish();
}

}  // namespace airlock::testing
