#include "shim/image/fs_usage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <set>
#include <sstream>
#include <utility>

#include "shim/base/file_util.h"
#include "shim/base/unique_fd.h"

namespace airlock {
namespace {

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string UnescapeMountPath(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out.push_back(static_cast<char>(std::strtol(s.substr(i + 1, 3).c_str(), nullptr, 8)));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool IsUnder(const std::string& path, const std::string& mount) {
  if (mount == "/") return true;
  return path.compare(0, mount.size(), mount) == 0 &&
         (path.size() == mount.size() || path[mount.size()] == '/');
}

struct Walk {
  dev_t dev;
  std::set<std::pair<dev_t, ino_t>> seen;
  FsUsage usage;
};

Status WalkDir(int dirfd, const std::string& path, Walk& w, int depth) {
  if (depth > 256) return Status::Ok();  // deeper trees are not produced by the store
  int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open " + path, errno);
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(fd));
  if (!dir) {
    int err = errno;
    ::close(fd);
    return ErrnoError("read directory " + path, err);
  }
  while (dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(::dirfd(dir.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (st.st_dev != w.dev) continue;
    if (w.seen.emplace(st.st_dev, st.st_ino).second) {
      w.usage.used_bytes += static_cast<uint64_t>(st.st_blocks) * 512;
      ++w.usage.inodes_used;
    }
    if (S_ISDIR(st.st_mode)) {
      UniqueFd child(
          ::openat(::dirfd(dir.get()), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child) continue;  // removed while we walk: an import or removal is in progress
      AIRLOCK_RETURN_IF_ERROR(WalkDir(child.get(), path + "/" + name, w, depth + 1));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<FsUsage> MeasureFsUsage(const std::string& root) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(root.c_str(), nullptr), &std::free);
  if (!real) return ErrnoError("resolve " + root, errno);
  std::string canonical = real.get();

  FsUsage usage;
  auto mountinfo = ReadFile("/proc/self/mountinfo", 16 << 20);
  if (!mountinfo.ok()) return mountinfo.error();
  std::istringstream lines(*mountinfo);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, fsroot, mount;
    if (!(fields >> id >> parent >> devno >> fsroot >> mount)) continue;
    mount = UnescapeMountPath(mount);
    if (IsUnder(canonical, mount) && mount.size() >= usage.mountpoint.size())
      usage.mountpoint = mount;
  }

  UniqueFd fd(::open(canonical.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return ErrnoError("open " + canonical, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("stat " + canonical, errno);
  Walk w{st.st_dev, {}, usage};
  w.usage.used_bytes = static_cast<uint64_t>(st.st_blocks) * 512;
  w.usage.inodes_used = 1;
  AIRLOCK_RETURN_IF_ERROR(WalkDir(fd.get(), canonical, w, 0));
  return w.usage;
}

}  // namespace airlock
