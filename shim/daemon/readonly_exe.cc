#include "shim/daemon/readonly_exe.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "shim/base/file_util.h"
#include "shim/base/unique_fd.h"

namespace airlock {
namespace {

constexpr char kOriginalDirEnv[] = "AIRLOCK_ORIGINAL_DIR";

bool ExeIsReadOnly() {
  struct statvfs st;
  return ::statvfs("/proc/self/exe", &st) == 0 && (st.f_flag & ST_RDONLY) != 0;
}

}  // namespace

Result<std::string> RunFromReadOnlyExe(const std::string& state_dir, char** argv) {
  std::error_code ec;
  if (ExeIsReadOnly()) {
    const char* original = std::getenv(kOriginalDirEnv);
    std::string dir =
        original ? original
                 : std::filesystem::read_symlink("/proc/self/exe", ec).parent_path().string();
    ::unsetenv(kOriginalDirEnv);  // not for the processes we start
    return dir;
  }
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return MakeError(ErrorCode::kInternal, "read /proc/self/exe: " + ec.message());
  const std::string bin_dir = state_dir + "/bin";
  const std::string target = bin_dir + "/airlockd";
  AIRLOCK_RETURN_IF_ERROR(MakeDirs(bin_dir, 0700));
  // A mount left by an earlier run (crash, or the binary was upgraded) is replaced.
  while (::umount2(target.c_str(), MNT_DETACH) == 0) {
  }
  UniqueFd placeholder(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0500));
  if (!placeholder) return ErrnoError("create " + target, errno);
  placeholder.reset();
  if (::mount("/proc/self/exe", target.c_str(), nullptr, MS_BIND, nullptr) != 0)
    return ErrnoError("bind-mount airlockd's binary at " + target, errno);
  if (::mount(nullptr, target.c_str(), nullptr,
              MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0) {
    int err = errno;
    ::umount2(target.c_str(), MNT_DETACH);
    return ErrnoError("make " + target + " read-only", err);
  }
  ::setenv(kOriginalDirEnv, exe.parent_path().c_str(), 1);
  ::execv(target.c_str(), argv);
  int err = errno;
  ::unsetenv(kOriginalDirEnv);
  ::umount2(target.c_str(), MNT_DETACH);
  return ErrnoError("re-execute airlockd from " + target, err);
}

}  // namespace airlock
