#include "shim/image/layer_unpacker.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "shim/base/unique_fd.h"
#include "shim/image/sha256.h"

namespace airlock {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr size_t kReadChunk = 128 * 1024;

struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveReadDeleter>;

Error Reject(const std::string& path, const std::string& reason) {
  return MakeError(ErrorCode::kInvalidArgument, "unpack layer entry \"" + path + "\": " + reason);
}

// Splits a tar path into components. Leading "./" is the common spelling of relative paths
// and is dropped; "/" and ".." are refused rather than rewritten, so that a hostile layer
// fails loudly instead of landing somewhere the author did not intend.
Result<std::vector<std::string>> SplitEntryPath(const std::string& path) {
  if (path.empty()) return Reject(path, "empty path");
  if (path.front() == '/') return Reject(path, "absolute path");
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? slash : slash - start);
    if (part == "..") return Reject(path, "\"..\" component");
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

// Streams the uncompressed bytes of the blob into the tar reader, hashing them on the way:
// the hash of exactly these bytes is the layer's diff id.
struct DecompressedSource {
  archive* raw = nullptr;
  Sha256* hash = nullptr;
  uint64_t bytes = 0;
  uint64_t max_bytes = 0;
  std::string error;
  char buf[kReadChunk];
};

la_ssize_t ReadDecompressed(archive* tar, void* opaque, const void** out) {
  auto* src = static_cast<DecompressedSource*>(opaque);
  la_ssize_t n = archive_read_data(src->raw, src->buf, sizeof src->buf);
  if (n < 0) {
    src->error = archive_error_string(src->raw) ? archive_error_string(src->raw) : "read failed";
    archive_set_error(tar, EIO, "decompress layer: %s", src->error.c_str());
    return -1;
  }
  src->bytes += static_cast<uint64_t>(n);
  if (src->bytes > src->max_bytes) {
    src->error = "uncompressed stream larger than " + std::to_string(src->max_bytes) + " bytes";
    archive_set_error(tar, EFBIG, "%s", src->error.c_str());
    return -1;
  }
  src->hash->Update(src->buf, static_cast<size_t>(n));
  *out = src->buf;
  return n;
}

class Unpacker {
 public:
  Unpacker(UniqueFd root, const LayerLimits& limits)
      : root_(std::move(root)), limits_(limits), is_root_(::geteuid() == 0) {}

  Status Entry(archive* tar, archive_entry* entry);
  Status FinishDirectoryTimes();
  UnpackedLayer& result() { return result_; }

 private:
  struct DirTime {
    std::vector<std::string> parts;
    timespec times[2];
  };

  Result<UniqueFd> OpenDir(const std::string& path, const std::vector<std::string>& parts,
                           size_t count, bool create);
  Status ClearSlot(int parent, const std::string& name, const std::string& path, bool keep_dir);
  Status SetOwner(int fd, const char* name, archive_entry* entry, const std::string& path);
  Status SetXattrs(int fd, archive_entry* entry, const std::string& path);
  Status WriteData(archive* tar, int fd, const std::string& path);

  UniqueFd root_;
  LayerLimits limits_;
  bool is_root_;
  UnpackedLayer result_;
  std::vector<DirTime> dir_times_;
};

// Opens parts[0..count) below the layer root, one O_NOFOLLOW step at a time, so a symlink
// (whether from this tar or a race) can never redirect the walk.
Result<UniqueFd> Unpacker::OpenDir(const std::string& path, const std::vector<std::string>& parts,
                                   size_t count, bool create) {
  UniqueFd cur(::fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
  if (!cur) return ErrnoError("dup layer root fd", errno);
  for (size_t i = 0; i < count; ++i) {
    const char* name = parts[i].c_str();
    int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    UniqueFd next(::openat(cur.get(), name, flags));
    if (!next && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), name, 0755) != 0 && errno != EEXIST)
        return ErrnoError("unpack layer entry \"" + path + "\": mkdir " + parts[i], errno);
      next.reset(::openat(cur.get(), name, flags));
    }
    if (!next) {
      if (errno == ELOOP || errno == ENOTDIR)
        return Reject(path, "component \"" + parts[i] + "\" is a symlink or not a directory");
      return ErrnoError("unpack layer entry \"" + path + "\": open " + parts[i], errno);
    }
    cur = std::move(next);
  }
  return cur;
}

// Tar semantics: a later entry replaces an earlier one of the same name.
Status Unpacker::ClearSlot(int parent, const std::string& name, const std::string& path,
                           bool keep_dir) {
  struct stat st;
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return ErrnoError("unpack layer entry \"" + path + "\": stat", errno);
  }
  bool is_dir = S_ISDIR(st.st_mode);
  if (is_dir && keep_dir) return Status::Ok();
  if (::unlinkat(parent, name.c_str(), is_dir ? AT_REMOVEDIR : 0) != 0)
    return ErrnoError("unpack layer entry \"" + path + "\": replace existing entry", errno);
  return Status::Ok();
}

Status Unpacker::SetOwner(int fd, const char* name, archive_entry* entry, const std::string& path) {
  uid_t uid = static_cast<uid_t>(archive_entry_uid(entry));
  gid_t gid = static_cast<gid_t>(archive_entry_gid(entry));
  int rc = name ? ::fchownat(fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) : ::fchown(fd, uid, gid);
  // Without root the files keep our uid; that only happens in unprivileged tests.
  if (rc != 0 && !(errno == EPERM && !is_root_))
    return ErrnoError("unpack layer entry \"" + path + "\": chown", errno);
  return Status::Ok();
}

Status Unpacker::SetXattrs(int fd, archive_entry* entry, const std::string& path) {
  archive_entry_xattr_reset(entry);
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
    std::string_view n(name);
    // trusted.* (overlay.opaque, overlay.redirect, ...) would let a layer rewrite the merged
    // view; only plain user data and file capabilities are carried over.
    if (n.substr(0, 5) != "user." && n != "security.capability") continue;
    if (::fsetxattr(fd, name, value, size, 0) != 0 && errno != ENOTSUP)
      return ErrnoError("unpack layer entry \"" + path + "\": set xattr " + std::string(n), errno);
  }
  return Status::Ok();
}

Status Unpacker::WriteData(archive* tar, int fd, const std::string& path) {
  const void* buf = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  for (;;) {
    int rc = archive_read_data_block(tar, &buf, &size, &offset);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK)
      return Reject(path, std::string("read data: ") + archive_error_string(tar));
    const char* p = static_cast<const char*>(buf);
    while (size > 0) {
      ssize_t n = ::pwrite(fd, p, size, offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("unpack layer entry \"" + path + "\": write", errno);
      }
      p += n;
      size -= static_cast<size_t>(n);
      offset += n;
    }
  }
  return Status::Ok();
}

Status Unpacker::Entry(archive* tar, archive_entry* entry) {
  const char* raw_path = archive_entry_pathname(entry);
  std::string path = raw_path ? raw_path : "";
  if (++result_.entries > limits_.max_entries)
    return Reject(path, "layer has more than " + std::to_string(limits_.max_entries) + " entries");
  auto parts_or = SplitEntryPath(path);
  if (!parts_or.ok()) return parts_or.error();
  std::vector<std::string> parts = std::move(parts_or.value());
  mode_t type = archive_entry_filetype(entry);
  const char* hardlink = archive_entry_hardlink(entry);

  if (parts.empty()) {  // "./": the layer root itself; only its metadata can change.
    if (type != AE_IFDIR) return Reject(path, "layer root entry is not a directory");
    AIRLOCK_RETURN_IF_ERROR(SetOwner(root_.get(), nullptr, entry, path));
    if (::fchmod(root_.get(), archive_entry_perm(entry)) != 0)
      return ErrnoError("unpack layer entry \"" + path + "\": chmod", errno);
    return Status::Ok();
  }

  auto parent_or = OpenDir(path, parts, parts.size() - 1, /*create=*/true);
  if (!parent_or.ok()) return parent_or.error();
  int parent = parent_or->get();
  const std::string& name = parts.back();

  if (name == kOpaqueMarker) {
    if (::fsetxattr(parent, "trusted.overlay.opaque", "y", 1, 0) != 0)
      return ErrnoError("unpack layer entry \"" + path + "\": set trusted.overlay.opaque", errno);
    return Status::Ok();
  }
  if (name.compare(0, kWhiteoutPrefix.size(), kWhiteoutPrefix) == 0) {
    std::string target = name.substr(kWhiteoutPrefix.size());
    if (target.compare(0, kWhiteoutPrefix.size(), kWhiteoutPrefix) == 0) return Status::Ok();
    if (target.empty() || target == "." || target == "..")
      return Reject(path, "whiteout without a name");
    AIRLOCK_RETURN_IF_ERROR(ClearSlot(parent, target, path, /*keep_dir=*/false));
    // overlayfs reads a 0/0 character device in a lower layer as "deleted here".
    if (::mknodat(parent, target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
      return ErrnoError("unpack layer entry \"" + path + "\": create whiteout", errno);
    return Status::Ok();
  }

  timespec times[2];
  times[0].tv_sec = times[1].tv_sec = archive_entry_mtime(entry);
  times[0].tv_nsec = times[1].tv_nsec = archive_entry_mtime_nsec(entry);

  if (hardlink) {
    auto target_or = SplitEntryPath(hardlink);
    if (!target_or.ok()) return Reject(path, "hard link target: " + target_or.error().message);
    if (target_or->empty()) return Reject(path, "hard link to the layer root");
    auto tparent = OpenDir(path, *target_or, target_or->size() - 1, /*create=*/false);
    if (!tparent.ok()) return Reject(path, "hard link target: " + tparent.error().message);
    AIRLOCK_RETURN_IF_ERROR(ClearSlot(parent, name, path, /*keep_dir=*/false));
    // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself, never its target.
    if (::linkat(tparent->get(), target_or->back().c_str(), parent, name.c_str(), 0) != 0)
      return ErrnoError("unpack layer entry \"" + path + "\": link to " + hardlink, errno);
    return Status::Ok();
  }

  switch (type) {
    case AE_IFDIR: {
      AIRLOCK_RETURN_IF_ERROR(ClearSlot(parent, name, path, /*keep_dir=*/true));
      if (::mkdirat(parent, name.c_str(), 0700) != 0 && errno != EEXIST)
        return ErrnoError("unpack layer entry \"" + path + "\": mkdir", errno);
      auto dir = OpenDir(path, parts, parts.size(), /*create=*/false);
      if (!dir.ok()) return dir.error();
      AIRLOCK_RETURN_IF_ERROR(SetOwner(dir->get(), nullptr, entry, path));
      AIRLOCK_RETURN_IF_ERROR(SetXattrs(dir->get(), entry, path));
      if (::fchmod(dir->get(), archive_entry_perm(entry)) != 0)
        return ErrnoError("unpack layer entry \"" + path + "\": chmod", errno);
      // Children added later would bump the mtime again; set it once all entries are in.
      dir_times_.push_back(DirTime{parts, {times[0], times[1]}});
      return Status::Ok();
    }
    case AE_IFREG: {
      la_int64_t declared = archive_entry_size(entry);
      if (declared < 0 || static_cast<uint64_t>(declared) > limits_.max_bytes - result_.size_bytes)
        return Reject(path, "size " + std::to_string(declared) + " exceeds the layer limit of " +
                                std::to_string(limits_.max_bytes) + " bytes");
      AIRLOCK_RETURN_IF_ERROR(ClearSlot(parent, name, path, /*keep_dir=*/false));
      UniqueFd fd(::openat(parent, name.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!fd) return ErrnoError("unpack layer entry \"" + path + "\": create", errno);
      AIRLOCK_RETURN_IF_ERROR(WriteData(tar, fd.get(), path));
      // Sparse entries end in a hole that pwrite never reached.
      if (::ftruncate(fd.get(), declared) != 0)
        return ErrnoError("unpack layer entry \"" + path + "\": truncate", errno);
      result_.size_bytes += static_cast<uint64_t>(declared);
      AIRLOCK_RETURN_IF_ERROR(SetOwner(fd.get(), nullptr, entry, path));
      AIRLOCK_RETURN_IF_ERROR(SetXattrs(fd.get(), entry, path));
      // After chown, which clears set-id bits.
      if (::fchmod(fd.get(), archive_entry_perm(entry)) != 0)
        return ErrnoError("unpack layer entry \"" + path + "\": chmod", errno);
      if (::futimens(fd.get(), times) != 0)
        return ErrnoError("unpack layer entry \"" + path + "\": set times", errno);
      return Status::Ok();
    }
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      if (!target || !*target) return Reject(path, "symlink without a target");
      AIRLOCK_RETURN_IF_ERROR(ClearSlot(parent, name, path, /*keep_dir=*/false));
      // The target text is stored, never resolved here; the container resolves it inside
      // its own root.
      if (::symlinkat(target, parent, name.c_str()) != 0)
        return ErrnoError("unpack layer entry \"" + path + "\": symlink", errno);
      AIRLOCK_RETURN_IF_ERROR(SetOwner(parent, name.c_str(), entry, path));
      if (::utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        return ErrnoError("unpack layer entry \"" + path + "\": set times", errno);
      return Status::Ok();
    }
    case AE_IFIFO: {
      AIRLOCK_RETURN_IF_ERROR(ClearSlot(parent, name, path, /*keep_dir=*/false));
      if (::mknodat(parent, name.c_str(), S_IFIFO | 0600, 0) != 0)
        return ErrnoError("unpack layer entry \"" + path + "\": mkfifo", errno);
      AIRLOCK_RETURN_IF_ERROR(SetOwner(parent, name.c_str(), entry, path));
      if (::fchmodat(parent, name.c_str(), archive_entry_perm(entry), 0) != 0)
        return ErrnoError("unpack layer entry \"" + path + "\": chmod", errno);
      return Status::Ok();
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFSOCK:
      // A device node in an image would give the container raw access to a host device the
      // runtime did not grant; runc populates /dev itself.
      ++result_.skipped_devices;
      return Status::Ok();
    default:
      return Reject(path, "unknown entry type");
  }
}

Status Unpacker::FinishDirectoryTimes() {
  // Deepest first, so setting a child's times cannot disturb its parent's again.
  for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
    std::string path;
    for (const auto& p : it->parts) path += "/" + p;
    auto parent = OpenDir(path, it->parts, it->parts.size() - 1, /*create=*/false);
    if (!parent.ok()) return parent.error();
    if (::utimensat(parent->get(), it->parts.back().c_str(), it->times, AT_SYMLINK_NOFOLLOW) != 0)
      return ErrnoError("unpack layer entry \"" + path + "\": set times", errno);
  }
  return Status::Ok();
}

}  // namespace

Result<UnpackedLayer> UnpackLayer(const std::string& blob_path, const std::string& dest_dir,
                                  const LayerLimits& limits) {
  UniqueFd root(::open(dest_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) return ErrnoError("open layer directory " + dest_dir, errno);

  ArchivePtr raw(archive_read_new());
  ArchivePtr tar(archive_read_new());
  if (!raw || !tar) return MakeError(ErrorCode::kInternal, "unpack layer: archive_read_new failed");
  archive_read_support_filter_all(raw.get());
  archive_read_support_format_raw(raw.get());
  archive_read_support_format_empty(raw.get());
  if (archive_read_open_filename(raw.get(), blob_path.c_str(), kReadChunk) != ARCHIVE_OK)
    return MakeError(ErrorCode::kInvalidArgument,
                     "open layer " + blob_path + ": " + archive_error_string(raw.get()));
  archive_entry* raw_entry = nullptr;
  int rc = archive_read_next_header(raw.get(), &raw_entry);
  if (rc != ARCHIVE_OK)
    return MakeError(ErrorCode::kInvalidArgument,
                     "read layer " + blob_path + ": " +
                         (rc == ARCHIVE_EOF ? "empty blob" : archive_error_string(raw.get())));

  auto hash = Sha256::Create();
  if (!hash.ok()) return hash.error();
  auto source = std::make_unique<DecompressedSource>();
  source->raw = raw.get();
  source->hash = &hash.value();
  // Headers and padding add at most ~1 KiB per entry on top of the content bytes.
  source->max_bytes = limits.max_bytes + limits.max_entries * 1536 + (1 << 20);

  archive_read_support_format_tar(tar.get());
  if (archive_read_open(tar.get(), source.get(), nullptr, ReadDecompressed, nullptr) != ARCHIVE_OK)
    return MakeError(ErrorCode::kInvalidArgument,
                     "read layer " + blob_path + ": " + archive_error_string(tar.get()));

  Unpacker unpacker(std::move(root), limits);
  for (;;) {
    archive_entry* entry = nullptr;
    rc = archive_read_next_header(tar.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc == ARCHIVE_WARN) {
      spdlog::warn("unpack layer warning blob={} reason=\"{}\"", blob_path,
                   archive_error_string(tar.get()));
    } else if (rc != ARCHIVE_OK) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "read layer " + blob_path + ": " + archive_error_string(tar.get()));
    }
    Status st = unpacker.Entry(tar.get(), entry);
    if (!st.ok()) return st.error().Wrap("layer " + blob_path);
  }
  AIRLOCK_RETURN_IF_ERROR(unpacker.FinishDirectoryTimes());

  // The tar reader stops at the end-of-archive blocks; the diff id covers every byte.
  char drain[kReadChunk];
  for (;;) {
    la_ssize_t n = archive_read_data(raw.get(), drain, sizeof drain);
    if (n < 0)
      return MakeError(ErrorCode::kInvalidArgument,
                       "read layer " + blob_path + ": " + archive_error_string(raw.get()));
    if (n == 0) break;
    source->bytes += static_cast<uint64_t>(n);
    if (source->bytes > source->max_bytes)
      return MakeError(ErrorCode::kInvalidArgument,
                       "read layer " + blob_path + ": uncompressed stream too large");
    hash->Update(drain, static_cast<size_t>(n));
  }

  UnpackedLayer out = std::move(unpacker.result());
  out.diff_id = "sha256:" + hash->FinishHex();
  if (out.skipped_devices > 0)
    spdlog::warn("unpack layer skipped device nodes blob={} count={}", blob_path,
                 out.skipped_devices);
  return out;
}

}  // namespace airlock
