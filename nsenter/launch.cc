#include "nsenter/launch.h"

#include <fcntl.h>
#include <sanitizer/asan_interface.h>
#include <linux/magic.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>
#include <vector>

#include "nsenter/child_plan.h"
#include "nsenter/path_lookup.h"
#include "shim/base/file_util.h"

namespace airlock::nsenter {
namespace {

// Storage the ChildPlan points into; lives in Launch's frame until the child has exec'd.
struct Prepared {
  std::vector<std::string> argv, env, candidates;
  std::vector<char*> argv_ptrs, env_ptrs;
  std::vector<const char*> candidate_ptrs;
  std::vector<gid_t> groups;
  std::string msg_prefix, msg_not_found, apparmor_attr;
  UniqueFd dev_null, procfs;
};

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

bool HasKey(const std::vector<std::string>& env, std::string_view key) {
  return std::any_of(env.begin(), env.end(), [&](const std::string& e) {
    return e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=';
  });
}

bool AppArmorEnabled() {
  auto v = ReadFile("/sys/module/apparmor/parameters/enabled", 16);
  return v.ok() && !v->empty() && (*v)[0] == 'Y';
}

bool SelinuxEnabled() {
  struct statfs sfs {};
  return statfs("/sys/fs/selinux", &sfs) == 0 && sfs.f_type == SELINUX_MAGIC;
}

Result<UniqueFd> OpenHostProcfs() {
  UniqueFd fd(open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return ErrnoError("open host procfs", errno);
  struct statfs sfs {};
  if (fstatfs(fd.get(), &sfs) != 0) return ErrnoError("statfs host procfs", errno);
  if (sfs.f_type != PROC_SUPER_MAGIC) {
    return MakeError(ErrorCode::kInternal, "open host procfs: /proc is not procfs");
  }
  return fd;
}

Error StageError(const ContainerTarget& t, int32_t stage, int err) {
  const std::string where = "exec in container " + t.container_id + ": ";
  switch (stage) {
    case kStageCgroup:
      if (!CheckRunning(t).ok()) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "container " + t.container_id + " is not running");
      }
      return ErrnoError(where + "join container cgroup", err);
    case kStageRlimit:
      return ErrnoError(where + "set rlimits", err);
    case kStageOomScore:
      return ErrnoError(where + "set oom_score_adj", err);
    case kStageDumpable:
      return ErrnoError(where + "set non-dumpable", err);
    case kStageSetns:
    case kStageForkPidNs:
      // Dead init (ESRCH), or its pid namespace is gone (fork gives ENOMEM there).
      if (err == ESRCH || err == ENOMEM || err == EINVAL) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "container " + t.container_id + " is not running");
      }
      return ErrnoError(where + (stage == kStageSetns ? "setns" : "fork into pid namespace"), err);
    case kStagePtyOpen:
      return ErrnoError(where + "open container /dev/pts/ptmx", err,
                        ErrorCode::kFailedPrecondition);
    case kStagePtyVerify:
      return MakeError(ErrorCode::kFailedPrecondition,
                       where + "verify container /dev/pts/ptmx: not the ptmx of a devpts mount");
    case kStagePtyPeer:
      return ErrnoError(where + "set up pty", err);
    case kStagePtySend:
      return ErrnoError(where + "send pty master", err);
    case kStageSetsid:
      return ErrnoError(where + "setsid", err);
    case kStageStdio:
      return ErrnoError(where + "set up stdio", err);
    case kStageLabel:
      return ErrnoError(where + "set LSM exec label", err);
    case kStageCloseFds:
      return ErrnoError(where + "close descriptors", err);
    case kStageSeccomp:
      return ErrnoError(where + "load seccomp filter", err);
    case kStageChdir:
      return ErrnoError(where + "chdir to cwd", err, ErrorCode::kFailedPrecondition);
    case kStageCwdVerify:
      return MakeError(ErrorCode::kFailedPrecondition,
                       where +
                           "verify cwd: current working directory is outside of container "
                           "mount namespace root -- possible container breakout detected");
    case kStageBounding:
      return ErrnoError(where + "drop bounding capabilities", err);
    case kStageSetgroups:
      return ErrnoError(where + "setgroups", err);
    case kStageSetgid:
      return ErrnoError(where + "setresgid", err);
    case kStageSetuid:
      return ErrnoError(where + "setresuid", err);
    case kStageCapset:
      return ErrnoError(where + "set capabilities", err);
    case kStageNoNewPrivs:
      return ErrnoError(where + "set no_new_privs", err);
    default:
      return ErrnoError(where + "set up process", err);
  }
}

// Reaps a child that is known to be exiting (or kills it first).
void KillAndReap(const UniqueFd& pidfd, bool kill_first) {
  if (!pidfd) return;
  if (kill_first) syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
  siginfo_t info{};
  while (waitid(static_cast<idtype_t>(P_PIDFD), pidfd.get(), &info, WEXITED) != 0 &&
         errno == EINTR) {
  }
}

// Memory for a clone(2) child's stack; unmapped when the Launch call returns (by then
// the children have exited or exec'd). Guard page below, as stacks grow down.
class ChildStack {
 public:
  static constexpr size_t kSize = 256 << 10;
  ChildStack() {
    void* p = mmap(nullptr, kSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
      base_ = static_cast<char*>(p);
      mprotect(base_, 4096, PROT_NONE);
    }
  }
  ~ChildStack() {
    if (!base_) return;
    // Under ASan (a no-op otherwise): whatever shadow the children left poisoned here must
    // not outlive the mapping, or the next mapping at this address inherits it.
    ASAN_UNPOISON_MEMORY_REGION(base_, kSize);
    munmap(base_, kSize);
  }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  bool ok() const { return base_ != nullptr; }
  char* top() const { return base_ + kSize; }

 private:
  char* base_ = nullptr;
};

// Clamps the spec's rlimits to what this process may set: never above the current hard
// limit (raising needs CAP_SYS_RESOURCE, and an exec must not get more than the daemon).
std::vector<ChildRlimit> ClampRlimits(const ExecSpec& spec) {
  std::vector<ChildRlimit> out;
  for (const auto& r : spec.rlimits) {
    struct rlimit cur {};
    if (getrlimit(static_cast<__rlimit_resource>(r.resource), &cur) != 0) continue;
    uint64_t hard = std::min<uint64_t>(r.hard, cur.rlim_max);
    out.push_back(ChildRlimit{r.resource, std::min<uint64_t>(r.soft, hard), hard});
  }
  return out;
}

Result<UniqueFd> ReceiveFd(int sock) {
  char byte = 0;
  char control[CMSG_SPACE(sizeof(int))] = {};
  struct iovec iov = {&byte, 1};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n != 1) return ErrnoError("receive pty master", n < 0 ? errno : EPROTO);
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
      cm->cmsg_len != CMSG_LEN(sizeof(int))) {
    return MakeError(ErrorCode::kInternal, "receive pty master: no descriptor");
  }
  int fd = -1;
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return UniqueFd(fd);
}

}  // namespace

Result<ExecProcess> Launch(const ContainerTarget& target, const ExecSpec& spec, ExecStdio stdio) {
  AIRLOCK_RETURN_IF_ERROR(ValidateExecSpec(spec));
  AIRLOCK_RETURN_IF_ERROR(CheckRunning(target));

  // ---- Everything the child needs, built now: after fork it may not allocate. ----
  Prepared prep;
  prep.argv = spec.argv;
  prep.env = spec.env;
  if (spec.tty && !HasKey(prep.env, "TERM")) prep.env.push_back("TERM=xterm");
  prep.argv_ptrs = CStrings(prep.argv);
  prep.env_ptrs = CStrings(prep.env);
  prep.candidates = LookupCandidates(spec.argv[0], PathFromEnv(spec.env));
  for (const auto& c : prep.candidates) prep.candidate_ptrs.push_back(c.c_str());
  prep.msg_prefix = "airlock: exec \"" + spec.argv[0] + "\": ";
  prep.msg_not_found = prep.msg_prefix + "executable file not found in $PATH\n";
  prep.groups.assign(spec.additional_gids.begin(), spec.additional_gids.end());
  if (prep.groups.size() > NGROUPS_MAX) {
    return MakeError(ErrorCode::kInvalidArgument, "validate exec user: too many groups");
  }

  ChildPlan plan;
  plan.init_pidfd = target.pidfd.get();
  plan.ns_flags = target.ns_flags;
  plan.tty = spec.tty;
  plan.rows = spec.winsize.rows;
  plan.cols = spec.winsize.cols;
  plan.uid = spec.uid;
  plan.gid = spec.gid;
  plan.groups = prep.groups.data();
  plan.ngroups = static_cast<int>(prep.groups.size());
  plan.setgroups_allowed = target.setgroups_allowed;
  plan.umask = spec.umask ? static_cast<int>(*spec.umask) : -1;
  plan.cwd = spec.cwd.c_str();
  // libcap knows the running kernel's last capability; masks above it are meaningless.
  plan.last_cap = std::clamp(static_cast<int>(cap_max_bits()) - 1, 0, 63);
  const uint64_t known = plan.last_cap >= 63 ? ~uint64_t{0} : (uint64_t{2} << plan.last_cap) - 1;
  plan.cap_bounding = spec.caps.bounding & known;
  plan.cap_effective = spec.caps.effective & known;
  plan.cap_permitted = spec.caps.permitted & known;
  plan.cap_inheritable = spec.caps.inheritable & known;
  plan.cap_ambient = spec.caps.ambient & known;
  plan.no_new_privs = spec.no_new_privileges;
  if (spec.seccomp) {
    plan.has_seccomp = true;
    plan.seccomp = spec.seccomp->fprog();
    plan.seccomp_flags = spec.seccomp->flags();
  }
  if (!spec.apparmor_profile.empty() && AppArmorEnabled()) {
    prep.apparmor_attr = "exec " + spec.apparmor_profile;
    plan.apparmor_attr = prep.apparmor_attr.c_str();
  }
  if (!spec.selinux_label.empty() && SelinuxEnabled())
    plan.selinux_attr = spec.selinux_label.c_str();
  plan.candidates = prep.candidate_ptrs.data();
  plan.ncandidates = static_cast<int>(prep.candidate_ptrs.size());
  plan.explicit_path = spec.argv[0].find('/') != std::string::npos;
  plan.argv = prep.argv_ptrs.data();
  plan.envp = prep.env_ptrs.data();
  plan.msg_prefix = prep.msg_prefix.c_str();
  plan.msg_not_found = prep.msg_not_found.c_str();

  // Host-side limits the child applies to itself before joining anything.
  std::vector<ChildRlimit> rlimits = ClampRlimits(spec);
  plan.rlimits = rlimits.data();
  plan.nrlimits = static_cast<int>(rlimits.size());
  std::string oom;
  if (spec.oom_score_adj) {
    auto cur = ReadFile("/proc/self/oom_score_adj", 32);
    int current = cur.ok() ? std::atoi(cur->c_str()) : 0;
    // Lowering needs CAP_SYS_RESOURCE and would make the exec safer from the OOM killer
    // than the daemon: only ever raise.
    if (*spec.oom_score_adj >= current && *spec.oom_score_adj <= 1000) {
      oom = std::to_string(*spec.oom_score_adj);
      plan.oom_score_adj = oom.c_str();
    }
  }
  std::vector<UniqueFd> cgroup_files;
  std::vector<int> cgroup_fds;
  for (const auto& procs : target.cgroup_procs) {
    UniqueFd fd(open(procs.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) {
      int err = errno;
      // The container's cgroup disappears when it is stopped and deleted.
      if (!CheckRunning(target).ok()) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "container " + target.container_id + " is not running");
      }
      return ErrnoError("open container cgroup " + procs, err);
    }
    cgroup_fds.push_back(fd.get());
    cgroup_files.push_back(std::move(fd));
  }
  plan.cgroup_fds = cgroup_fds.data();
  plan.ncgroup_fds = static_cast<int>(cgroup_fds.size());

  if (spec.tty || plan.apparmor_attr || plan.selinux_attr || plan.oom_score_adj) {
    auto procfs = OpenHostProcfs();
    if (!procfs.ok()) return procfs.error();
    prep.procfs = std::move(*procfs);
    plan.procfs_fd = prep.procfs.get();
  }
  UniqueFd* fds[3] = {&stdio.in, &stdio.out, &stdio.err};
  for (int i = 0; i < 3; ++i) {
    if (fds[i]->valid()) {
      plan.stdio[i] = fds[i]->get();
      continue;
    }
    if (!prep.dev_null) {
      prep.dev_null = UniqueFd(open("/dev/null", O_RDWR | O_CLOEXEC));
      if (!prep.dev_null) return ErrnoError("open /dev/null", errno);
    }
    plan.stdio[i] = prep.dev_null.get();
  }

  int status[2];
  if (pipe2(status, O_CLOEXEC) != 0) return ErrnoError("create exec status pipe", errno);
  UniqueFd status_read(status[0]), status_write(status[1]);
  UniqueFd pty_parent, pty_child;
  if (spec.tty) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      return ErrnoError("create pty socketpair", errno);
    }
    pty_parent = UniqueFd(sv[0]);
    pty_child = UniqueFd(sv[1]);
    plan.pty_sock = pty_child.get();
  }
  plan.status_fd = status_write.get();

  // The kernel refuses setns into a user or time namespace to a task that shares its mm,
  // and CLONE_VM into another time namespace: those containers take the copying fork.
  plan.share_vm = (target.ns_flags & (CLONE_NEWUSER | CLONE_NEWTIME)) == 0;
  plan.vfork_grandchild = (target.ns_flags & CLONE_NEWTIME) == 0;
  ChildStack stack_a, stack_b;
  if (!stack_a.ok() || !stack_b.ok()) return ErrnoError("map exec child stacks", ENOMEM);
  plan.grandchild_stack_top = stack_b.top();
  if (plan.share_vm) {
    // The child shares our mm, so its PR_SET_DUMPABLE is ours: set it here, once, on
    // purpose. A non-dumpable daemon is also what keeps containers from ptracing it.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  }

  // ---- Clone child A. Not fork(): no atfork handlers of other libraries run in the
  // child, CLONE_PIDFD gives a race-free handle, and with CLONE_VM|CLONE_VFORK (as
  // posix_spawn does) no page tables are copied — this thread sleeps until A exits, which
  // is after B's execve. Signals are blocked across it so no daemon handler runs in the
  // children before they reset the dispositions. ----
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int child_pidfd = -1;
  int flags = CLONE_PIDFD | SIGCHLD | (plan.share_vm ? (CLONE_VM | CLONE_VFORK) : 0);
  pid_t child = clone(RunExecChild, stack_a.top(), flags, &plan, &child_pidfd);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (child < 0) return ErrnoError("clone exec child", clone_errno);
  UniqueFd a_pidfd(child_pidfd);

  // Our copies of the child's ends: only the child may hold them from now on.
  status_write.reset();
  pty_child.reset();
  stdio = ExecStdio{};
  prep.dev_null.reset();
  cgroup_files.clear();

  // Records until EOF: the write end is CLOEXEC, so EOF means A exited and B exec'd or died.
  pid_t b_pid = -1;
  ChildReport failure{};
  bool failed = false;
  while (true) {
    ChildReport r{};
    ssize_t n = read(status_read.get(), &r, sizeof r);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (n != sizeof r) continue;
    if (r.kind == kReportPid && b_pid < 0 && r.value > 1) b_pid = r.value;
    if (r.kind == kReportError && !failed) {
      failed = true;
      failure = r;
    }
  }
  KillAndReap(a_pidfd, /*kill_first=*/false);

  UniqueFd b_pidfd;
  if (b_pid > 0) {
    // B is our child (CLONE_PARENT) and not reaped, so this pid cannot have been recycled.
    b_pidfd = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, b_pid, 0)));
    if (!b_pidfd) return ErrnoError("pidfd_open exec process", errno);
  }
  if (failed || b_pid <= 0) {
    KillAndReap(b_pidfd, /*kill_first=*/true);
    if (!failed) {
      if (!CheckRunning(target).ok()) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "container " + target.container_id + " is not running");
      }
      return MakeError(ErrorCode::kInternal,
                       "exec in container " + target.container_id + ": child died during setup");
    }
    return StageError(target, failure.stage, failure.err);
  }
  UniqueFd master;
  if (spec.tty) {
    auto fd = ReceiveFd(pty_parent.get());
    if (!fd.ok()) {
      KillAndReap(b_pidfd, true);
      return fd.error();
    }
    master = std::move(*fd);
  }
  return ExecProcess(std::move(b_pidfd), b_pid, std::move(master));
}

}  // namespace airlock::nsenter
