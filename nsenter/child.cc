// The code that runs between fork and execve. Rules (see child_plan.h): no allocation, no
// locks, no libseccomp/libcap, no stdio; only raw syscalls and the plan. Every failure is
// reported as {stage, errno} on the status pipe and ends the process.
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "nsenter/child_plan.h"
#include "nsenter/path_lookup.h"

namespace airlock::nsenter {
namespace {

void Report(const ChildPlan& p, int32_t kind, int32_t stage, int32_t err, int32_t value) {
  ChildReport r{kind, stage, err, value};
  // A short write only loses the detail; the parent then reports a generic failure.
  while (write(p.status_fd, &r, sizeof r) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void Fail(const ChildPlan& p, ChildStage stage, int err) {
  Report(p, kReportError, stage, err, 0);
  _exit(1);
}

// Decimal without snprintf (which may allocate/lock).
char* FormatInt(char* out, int v) {
  char tmp[16];
  int n = 0;
  unsigned int u = v < 0 ? 0u - static_cast<unsigned int>(v) : static_cast<unsigned int>(v);
  do {
    tmp[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) *out++ = '-';
  while (n > 0) *out++ = tmp[--n];
  *out = '\0';
  return out;
}

void ResetSignalHandlers() {
  // Handlers of the daemon must not run in the child, and SIG_IGN would survive execve
  // (a daemon ignoring SIGPIPE must not hand that to the container's process).
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, nullptr);  // glibc-reserved numbers fail with EINVAL: fine
  }
}

int WriteAttr(int procfs_fd, const char* path, const char* value) {
  int fd = openat(procfs_fd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return errno;
  size_t len = strlen(value);
  int rc = write(fd, value, len) == static_cast<ssize_t>(len) ? 0 : errno;
  close(fd);
  return rc;
}

// Opens the PTY of the container's own devpts instance: /dev/pts/ptmx resolved in the
// container's mount namespace, never following a symlink, verified to be the ptmx node of a
// devpts filesystem, then reopened through the host procfs (opening an unverified device
// node could have side effects). Sends the master to the parent; the peer becomes 0/1/2.
void SetupPty(const ChildPlan& p) {
  int path_fd = open("/dev/pts/ptmx", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (path_fd < 0) Fail(p, kStagePtyOpen, errno);
  struct statfs sfs;
  if (fstatfs(path_fd, &sfs) != 0) Fail(p, kStagePtyVerify, errno);
  struct stat st;
  if (fstat(path_fd, &st) != 0) Fail(p, kStagePtyVerify, errno);
  if (static_cast<unsigned long>(sfs.f_type) != DEVPTS_SUPER_MAGIC || !S_ISCHR(st.st_mode) ||
      major(st.st_rdev) != 5 || minor(st.st_rdev) != 2) {
    Fail(p, kStagePtyVerify, EXDEV);
  }
  char path[32] = "self/fd/";
  FormatInt(path + strlen(path), path_fd);
  int master = openat(p.procfs_fd, path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) Fail(p, kStagePtyOpen, errno);
  close(path_fd);
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) != 0) Fail(p, kStagePtyPeer, errno);
  int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (peer < 0) Fail(p, kStagePtyPeer, errno);
  if (p.rows != 0 && p.cols != 0) {
    struct winsize ws;
    memset(&ws, 0, sizeof ws);
    ws.ws_row = p.rows;
    ws.ws_col = p.cols;
    if (ioctl(master, TIOCSWINSZ, &ws) != 0) Fail(p, kStagePtyPeer, errno);
  }
  // The peer is ours (we just created it): give it to the user the process will run as.
  // EPERM/EINVAL happen for ids unmapped in a user namespace; the tty still works.
  (void)fchown(peer, p.uid, p.gid);

  char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof control);
  char byte = 'm';
  struct iovec iov = {&byte, 1};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &master, sizeof(int));
  if (sendmsg(p.pty_sock, &msg, MSG_NOSIGNAL) != 1) Fail(p, kStagePtySend, errno);
  close(master);

  for (int i = 0; i < 3; ++i) {
    if (dup2(peer, i) < 0) Fail(p, kStageStdio, errno);
  }
  if (peer > 2) close(peer);
  if (ioctl(0, TIOCSCTTY, 0) != 0) Fail(p, kStagePtyPeer, errno);
}

void SetupStdio(const ChildPlan& p) {
  // Move all three out of the way first: the sources may themselves be 0, 1 or 2.
  int tmp[3];
  for (int i = 0; i < 3; ++i) {
    tmp[i] = fcntl(p.stdio[i], F_DUPFD_CLOEXEC, 3);
    if (tmp[i] < 0) Fail(p, kStageStdio, errno);
  }
  for (int i = 0; i < 3; ++i) {
    if (dup2(tmp[i], i) < 0) Fail(p, kStageStdio, errno);  // dup2 clears CLOEXEC on i
  }
}

void LoadSeccomp(const ChildPlan& p) {
  if (!p.has_seccomp) return;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p.seccomp_flags, &p.seccomp) != 0) {
    Fail(p, kStageSeccomp, errno);
  }
}

void VerifyCwd(const ChildPlan& p) {
  // The raw syscall: a cwd outside our root comes back as "(unreachable)/..." (or fails),
  // which is exactly the CVE-2024-21626 escape this check exists for.
  char buf[4096];
  long n = syscall(SYS_getcwd, buf, sizeof buf);
  if (n <= 0) Fail(p, kStageCwdVerify, n < 0 ? errno : ENOENT);
  if (buf[0] != '/') Fail(p, kStageCwdVerify, EXDEV);
}

void SetCredentials(const ChildPlan& p, bool chdir_deferred) {
  for (int cap = 0; cap <= p.last_cap; ++cap) {
    if (p.cap_bounding & (uint64_t{1} << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      Fail(p, kStageBounding, errno);
    }
  }
  // Keep the permitted set across setresuid so capset below can pick from it.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) Fail(p, kStageCapset, errno);
  // Raw syscalls: glibc's wrappers broadcast to all threads via signals (setxid), state
  // that is meaningless and unsafe in a forked child of a multithreaded process.
  if (p.setgroups_allowed && syscall(SYS_setgroups, p.ngroups, p.groups) != 0) {
    Fail(p, kStageSetgroups, errno);
  }
  if (syscall(SYS_setresgid, p.gid, p.gid, p.gid) != 0) Fail(p, kStageSetgid, errno);
  if (syscall(SYS_setresuid, p.uid, p.uid, p.uid) != 0) Fail(p, kStageSetuid, errno);
  if (chdir_deferred && chdir(p.cwd) != 0) Fail(p, kStageChdir, errno);
  VerifyCwd(p);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) Fail(p, kStageCapset, errno);

  struct __user_cap_header_struct hdr;
  memset(&hdr, 0, sizeof hdr);
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  data[0].effective = static_cast<uint32_t>(p.cap_effective);
  data[0].permitted = static_cast<uint32_t>(p.cap_permitted);
  data[0].inheritable = static_cast<uint32_t>(p.cap_inheritable);
  data[1].effective = static_cast<uint32_t>(p.cap_effective >> 32);
  data[1].permitted = static_cast<uint32_t>(p.cap_permitted >> 32);
  data[1].inheritable = static_cast<uint32_t>(p.cap_inheritable >> 32);
  if (syscall(SYS_capset, &hdr, data) != 0) Fail(p, kStageCapset, errno);

  // Ambient after capset: a cap can only be raised if permitted and inheritable (the
  // kernel checks); failures are ignored as runc does.
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (int cap = 0; cap <= p.last_cap; ++cap) {
    if (p.cap_ambient & (uint64_t{1} << cap)) {
      prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
    }
  }
  if (p.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    Fail(p, kStageNoNewPrivs, errno);
  }
}

[[noreturn]] void ExecFailed(const ChildPlan& p, const char* path, int err) {
  (void)path;
  if (err == ENOENT && !p.explicit_path) {
    (void)!write(2, p.msg_not_found, strlen(p.msg_not_found));
  } else {
    const char* text = ExecErrnoText(err);
    struct iovec iov[3] = {{const_cast<char*>(p.msg_prefix), strlen(p.msg_prefix)},
                           {const_cast<char*>(text), strlen(text)},
                           {const_cast<char*>("\n"), 1}};
    (void)!writev(2, iov, 3);
  }
  _exit(ExitCodeForExecErrno(err));
}

// Grandchild "B": in all the container's namespaces (including its pid namespace) and its
// cgroups; a direct child of the daemon thanks to CLONE_PARENT.
[[noreturn]] void RunInContainer(ChildPlan& p) {
  // Session leader: owns a fresh process group the daemon can kill as a whole, and can
  // take the PTY as its controlling terminal.
  if (setsid() < 0) Fail(p, kStageSetsid, errno);
  if (p.tty) {
    SetupPty(p);
  } else {
    SetupStdio(p);
  }
  if (p.umask >= 0) umask(static_cast<mode_t>(p.umask));

  // LSM labels take effect at execve; written through the host procfs handle, never
  // through the container's /proc, which the container controls.
  if (p.apparmor_attr) {
    int err = WriteAttr(p.procfs_fd, "thread-self/attr/apparmor/exec", p.apparmor_attr);
    if (err != 0) err = WriteAttr(p.procfs_fd, "thread-self/attr/exec", p.apparmor_attr);
    if (err != 0) Fail(p, kStageLabel, err);
  }
  if (p.selinux_attr) {
    int err = WriteAttr(p.procfs_fd, "thread-self/attr/exec", p.selinux_attr);
    if (err != 0) Fail(p, kStageLabel, err);
  }

  // No host descriptor survives: keep 0-2 and the status pipe (CLOEXEC, moved to 3).
  int status_fd = p.status_fd;
  if (status_fd != 3) {
    if (dup3(status_fd, 3, O_CLOEXEC) < 0) Fail(p, kStageCloseFds, errno);
    status_fd = 3;
  }
  p.status_fd = status_fd;
  if (syscall(SYS_close_range, 4u, ~0u, 0u) != 0) Fail(p, kStageCloseFds, errno);

  // Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: load it while we have it.
  if (!p.no_new_privs) LoadSeccomp(p);

  // chdir as root first (a directory only root can traverse), again after the user
  // switch if root could not (e.g. root-squashed NFS).
  bool chdir_deferred = false;
  if (chdir(p.cwd) != 0) {
    if (errno != EACCES && errno != EPERM) Fail(p, kStageChdir, errno);
    chdir_deferred = true;
  }
  SetCredentials(p, chdir_deferred);

  // Resolve argv[0] in the container's mount ns with the target credentials, before the
  // final filter so the lookup is not subject to it.
  int err = 0;
  int index = PickExecutable(
      p.candidates, p.ncandidates, p.explicit_path,
      [](const char* path, struct stat* st) { return stat(path, st); }, &err);
  const char* path = index >= 0 ? p.candidates[index] : p.candidates[0];

  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  if (index < 0) ExecFailed(p, path, err);
  // Last: as few syscalls as possible run under the container's filter before execve.
  if (p.no_new_privs) LoadSeccomp(p);
  execve(path, p.argv, p.envp);
  ExecFailed(p, path, errno);
}

int GrandchildMain(void* arg) {
  ChildPlan p = *static_cast<const ChildPlan*>(arg);  // our own copy: we edit status_fd
  RunInContainer(p);
}

// Host-side steps on ourselves, before any namespace is joined: the daemon pre-opened the
// files, so nothing here resolves a path.
void JoinCgroupsAndLimits(const ChildPlan& p) {
  // "0" = the writing process; every cgroup (v1: each hierarchy) before user code runs.
  for (int i = 0; i < p.ncgroup_fds; ++i) {
    if (write(p.cgroup_fds[i], "0", 1) != 1) Fail(p, kStageCgroup, errno);
  }
  // Limits are set here, in the host user namespace: inside a container user namespace
  // they could no longer be set from outside.
  for (int i = 0; i < p.nrlimits; ++i) {
    struct rlimit64 want = {p.rlimits[i].soft, p.rlimits[i].hard};
    if (syscall(SYS_prlimit64, 0, p.rlimits[i].resource, &want, nullptr) != 0) {
      Fail(p, kStageRlimit, errno);
    }
  }
  // Written while still dumpable: a non-dumpable process may not write its own
  // oom_score_adj through procfs ownership rules.
  if (p.oom_score_adj) {
    int err = WriteAttr(p.procfs_fd, "self/oom_score_adj", p.oom_score_adj);
    if (err != 0) Fail(p, kStageOomScore, err);
  }
}

}  // namespace

int RunExecChild(void* arg) {
  const ChildPlan& p = *static_cast<const ChildPlan*>(arg);
  ResetSignalHandlers();  // all signals stay blocked (the parent blocked them) until execve
  JoinCgroupsAndLimits(p);
  // Non-dumpable before the first setns: container processes cannot ptrace us or open our
  // /proc/<pid>/ fds and memory while we still hold host resources. With a shared mm this
  // flag is the daemon's (Launch already set it); B's execve gets a fresh mm.
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) Fail(p, kStageDumpable, errno);
  // One atomic setns(2) through the pinned pidfd (Linux >= 5.8): every namespace in the
  // mask, user namespace handled first by the kernel; no /proc/<pid>/ns path races.
  if (p.ns_flags != 0 && setns(p.init_pidfd, p.ns_flags) != 0) Fail(p, kStageSetns, errno);

  // setns(CLONE_NEWPID) only affects children: clone once more to be inside the pid ns.
  // CLONE_PARENT makes B a child of the daemon, which reaps it by pidfd, while A exits.
  // CLONE_VFORK suspends A until B has exec'd, so B may use A's memory and stack region.
  int flags = CLONE_PARENT | (p.vfork_grandchild ? (CLONE_VM | CLONE_VFORK) : 0);
  pid_t pid = clone(GrandchildMain, p.grandchild_stack_top, flags, const_cast<ChildPlan*>(&p));
  if (pid < 0) Fail(p, kStageForkPidNs, errno);
  Report(p, kReportPid, 0, 0, static_cast<int32_t>(pid));
  _exit(0);
}

}  // namespace airlock::nsenter
