#include "shim/image/archive_contents.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "shim/base/file_util.h"
#include "shim/base/unique_fd.h"
#include "shim/image/sha256.h"

namespace airlock {
namespace {

struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

constexpr int kMaxLinkHops = 8;

Error ArchiveError(const std::string& path, archive* a) {
  const char* msg = archive_error_string(a);
  return MakeError(ErrorCode::kInvalidArgument,
                   "read image archive " + path + ": " + (msg ? msg : "unknown error"));
}

}  // namespace

std::string NormalizeMemberName(std::string_view name) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string_view part =
        name.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (part == "..") {
      if (parts.empty()) return "";
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

Result<ArchiveContents> ArchiveContents::Read(const std::string& archive_path,
                                              const std::string& staging_dir, uint64_t max_bytes) {
  std::unique_ptr<archive, ArchiveReadDeleter> a(archive_read_new());
  if (!a) return MakeError(ErrorCode::kInternal, "read image archive: archive_read_new failed");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), archive_path.c_str(), 128 * 1024) != ARCHIVE_OK) {
    const char* msg = archive_error_string(a.get());
    bool missing = ::access(archive_path.c_str(), F_OK) != 0;
    return MakeError(missing ? ErrorCode::kNotFound : ErrorCode::kInvalidArgument,
                     "open image archive " + archive_path + ": " + (msg ? msg : "unknown error"));
  }

  ArchiveContents out;
  uint64_t total = 0;
  std::vector<char> buf(128 * 1024);
  for (int index = 0;; ++index) {
    archive_entry* entry = nullptr;
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return ArchiveError(archive_path, a.get());
    const char* raw_name = archive_entry_pathname(entry);
    std::string name = NormalizeMemberName(raw_name ? raw_name : "");
    if (name.empty()) continue;  // "./" or a name above the root: nothing can refer to it

    if (const char* hardlink = archive_entry_hardlink(entry)) {
      out.links_[name] = NormalizeMemberName(hardlink);
      continue;
    }
    mode_t type = archive_entry_filetype(entry);
    if (type == AE_IFLNK) {
      // Symlink targets are relative to the link's directory.
      const char* target = archive_entry_symlink(entry);
      std::string base = name.substr(0, name.rfind('/') == std::string::npos ? 0 : name.rfind('/'));
      std::string t = target ? target : "";
      out.links_[name] = NormalizeMemberName(t.starts_with("/") ? t : base + "/" + t);
      continue;
    }
    if (type != AE_IFREG) continue;

    la_int64_t declared = archive_entry_size(entry);
    if (declared < 0 || static_cast<uint64_t>(declared) > max_bytes - total)
      return MakeError(ErrorCode::kInvalidArgument,
                       "read image archive " + archive_path + ": member " + name + " of " +
                           std::to_string(declared) + " bytes exceeds the limit of " +
                           std::to_string(max_bytes) + " bytes");
    StagedFile file;
    file.path = staging_dir + "/" + std::to_string(index);
    UniqueFd fd(::open(file.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) return ErrnoError("create staging file " + file.path, errno);
    auto hash = Sha256::Create();
    if (!hash.ok()) return hash.error();
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n < 0) return ArchiveError(archive_path, a.get());
      if (n == 0) break;
      hash->Update(buf.data(), static_cast<size_t>(n));
      file.size += static_cast<uint64_t>(n);
      for (la_ssize_t off = 0; off < n;) {
        ssize_t w = ::write(fd.get(), buf.data() + off, static_cast<size_t>(n - off));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return ErrnoError("write staging file " + file.path, errno);
        off += w;
      }
    }
    total += file.size;
    file.digest = "sha256:" + hash->FinishHex();
    out.files_[name] = std::move(file);
  }
  return out;
}

const StagedFile* ArchiveContents::Find(std::string_view name) const {
  std::string n = NormalizeMemberName(name);
  for (int hop = 0; hop <= kMaxLinkHops && !n.empty(); ++hop) {
    if (auto it = files_.find(n); it != files_.end()) return &it->second;
    auto link = links_.find(n);
    if (link == links_.end()) return nullptr;
    n = link->second;
  }
  return nullptr;
}

Result<std::string> ArchiveContents::ReadText(std::string_view name, size_t max_bytes) const {
  const StagedFile* f = Find(name);
  if (!f)
    return MakeError(ErrorCode::kInvalidArgument,
                     "read image archive member " + std::string(name) + ": not in the archive");
  return ReadFile(f->path, max_bytes);
}

}  // namespace airlock
