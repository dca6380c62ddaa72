#include "cli/tar_sniff.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "shim/base/unique_fd.h"

namespace airlock::cli {
namespace {

constexpr size_t kBlock = 512;
// Long-name and PAX bodies are read into memory; real ones are a few hundred bytes.
constexpr uint64_t kMaxMetaBody = 1 << 20;

// ustar header layout (POSIX.1-1988 + GNU/PAX extensions), byte offsets.
constexpr size_t kNameOff = 0, kNameLen = 100;
constexpr size_t kSizeOff = 124, kSizeLen = 12;
constexpr size_t kChksumOff = 148, kChksumLen = 8;
constexpr size_t kTypeOff = 156;
constexpr size_t kMagicOff = 257;
constexpr size_t kPrefixOff = 345, kPrefixLen = 155;

Error NotTar(const std::string& path, const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument, "read tar " + path + ": " + why);
}

std::string Field(const unsigned char* h, size_t off, size_t len) {
  const char* p = reinterpret_cast<const char*>(h + off);
  return std::string(p, strnlen(p, len));
}

// Octal, or GNU base-256 (high bit of the first byte set) for sizes of 8 GiB and more.
std::optional<uint64_t> Number(const unsigned char* h, size_t off, size_t len) {
  uint64_t v = 0;
  if (h[off] & 0x80) {
    for (size_t i = 0; i < len; ++i) {
      unsigned char b = i == 0 ? (h[off] & 0x7f) : h[off + i];
      if (v >> 56) return std::nullopt;
      v = (v << 8) | b;
    }
    return v;
  }
  size_t i = off;
  while (i < off + len && h[i] == ' ') ++i;
  bool any = false;
  for (; i < off + len && h[i] >= '0' && h[i] <= '7'; ++i) {
    if (v >> 60) return std::nullopt;
    v = v * 8 + (h[i] - '0');
    any = true;
  }
  return any ? std::optional<uint64_t>(v) : std::nullopt;
}

bool ChecksumOk(const unsigned char* h) {
  auto stored = Number(h, kChksumOff, kChksumLen);
  if (!stored) return false;
  // The checksum is computed with its own field read as spaces; old tars summed signed chars.
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    bool in_field = i >= kChksumOff && i < kChksumOff + kChksumLen;
    unsigned char b = in_field ? ' ' : h[i];
    unsigned_sum += b;
    signed_sum += static_cast<signed char>(b);
  }
  return *stored == unsigned_sum || static_cast<int64_t>(*stored) == signed_sum;
}

std::optional<std::string> CompressionName(const unsigned char* h) {
  if (h[0] == 0x1f && h[1] == 0x8b) return "gzip";
  if (h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd) return "zstd";
  if (h[0] == 0xfd && std::memcmp(h + 1, "7zXZ", 4) == 0) return "xz";
  if (std::memcmp(h, "BZh", 3) == 0) return "bzip2";
  return std::nullopt;
}

// PAX records are "<len> <key>=<value>\n"; only `path` matters here.
std::optional<std::string> PaxPath(const std::string& body) {
  size_t pos = 0;
  std::optional<std::string> path;
  while (pos < body.size()) {
    size_t sp = body.find(' ', pos);
    if (sp == std::string::npos) break;
    size_t len = 0;
    for (size_t i = pos; i < sp; ++i) {
      if (body[i] < '0' || body[i] > '9') return path;
      len = len * 10 + (body[i] - '0');
    }
    if (len == 0 || pos + len > body.size()) break;
    std::string record = body.substr(sp + 1, pos + len - sp - 1);
    if (!record.empty() && record.back() == '\n') record.pop_back();
    if (record.rfind("path=", 0) == 0) path = record.substr(5);
    pos += len;
  }
  return path;
}

std::string Normalize(std::string name) {
  while (true) {
    if (name.rfind("./", 0) == 0) {
      name.erase(0, 2);
    } else if (!name.empty() && name[0] == '/') {
      name.erase(0, 1);
    } else {
      break;
    }
  }
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name;
}

// Reads `len` bytes at `offset`; *got < len only at end of file.
Status ReadAt(int fd, void* buf, size_t len, uint64_t offset, const std::string& path,
              size_t* got) {
  size_t done = 0;
  while (done < len) {
    ssize_t n =
        pread(fd, static_cast<char*>(buf) + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read " + path, errno, ErrorCode::kInvalidArgument);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  *got = done;
  return Status::Ok();
}

}  // namespace

const char* ArchiveTransport(ArchiveKind kind) {
  return kind == ArchiveKind::kOciArchive ? "oci-archive" : "docker-archive";
}

Result<std::vector<std::string>> ListTarMembers(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return ErrnoError("open " + path, errno,
                      errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInvalidArgument);
  }
  std::vector<std::string> members;
  std::optional<std::string> next_name;  // from a GNU 'L' or PAX 'x' header
  uint64_t offset = 0;
  unsigned char h[kBlock];
  while (true) {
    size_t got = 0;
    std::memset(h, 0, kBlock);
    AIRLOCK_RETURN_IF_ERROR(ReadAt(fd.get(), h, kBlock, offset, path, &got));
    if (offset == 0) {
      // Checked before the length: a small compressed file is shorter than one block.
      if (auto c = CompressionName(h)) {
        return NotTar(path, "archive is " + *c + "-compressed; decompress it first");
      }
      if (got < kBlock) return NotTar(path, "empty or shorter than one tar block");
    }
    // A truncated archive still told us its names; the daemon reports the damage.
    if (got < kBlock) break;
    if (std::all_of(h, h + kBlock, [](unsigned char b) { return b == 0; })) break;
    if (!ChecksumOk(h)) {
      return NotTar(path, "bad header checksum at offset " + std::to_string(offset) +
                              (offset == 0 ? " (not a tar archive?)" : ""));
    }
    auto size = Number(h, kSizeOff, kSizeLen);
    if (!size) return NotTar(path, "bad size field at offset " + std::to_string(offset));
    const char type = static_cast<char>(h[kTypeOff]);
    const uint64_t body = offset + kBlock;
    const uint64_t next = body + (*size + kBlock - 1) / kBlock * kBlock;

    if (type == 'L' || type == 'x') {
      if (*size > kMaxMetaBody) return NotTar(path, "extended header too large");
      std::string data(*size, '\0');
      AIRLOCK_RETURN_IF_ERROR(ReadAt(fd.get(), data.data(), data.size(), body, path, &got));
      if (got < data.size()) return NotTar(path, "truncated extended header");
      if (type == 'L') {
        next_name = std::string(data.c_str());
      } else if (auto p = PaxPath(data)) {
        next_name = *p;
      }
    } else if (type != 'g') {
      std::string name;
      if (next_name) {
        name = *next_name;
        next_name.reset();
      } else {
        name = Field(h, kNameOff, kNameLen);
        std::string prefix = Field(h, kPrefixOff, kPrefixLen);
        if (std::memcmp(h + kMagicOff, "ustar", 5) == 0 && !prefix.empty()) {
          name = prefix + "/" + name;
        }
      }
      members.push_back(Normalize(std::move(name)));
    }
    offset = next;
  }
  return members;
}

Result<ArchiveKind> ClassifyMembers(const std::vector<std::string>& members) {
  bool docker = false;
  for (const auto& m : members) {
    if (m == "oci-layout" || m == "index.json") return ArchiveKind::kOciArchive;
    if (m == "manifest.json") docker = true;
  }
  if (docker) return ArchiveKind::kDockerArchive;
  return MakeError(ErrorCode::kInvalidArgument,
                   "archive has neither oci-layout/index.json (OCI) nor manifest.json (docker)");
}

Result<ArchiveKind> SniffArchive(const std::string& path) {
  auto members = ListTarMembers(path);
  if (!members.ok()) return members.error();
  auto kind = ClassifyMembers(*members);
  if (!kind.ok()) return kind.error().Wrap("classify " + path);
  return kind;
}

}  // namespace airlock::cli
