// ChildPlan: everything the forked exec child needs, prepared by the parent before fork as
// plain data and raw pointers into storage the parent keeps alive. After fork the child
// of a multithreaded daemon may not allocate, lock, or call libseccomp/libcap: it only reads
// this struct and issues raw syscalls (child.cc).
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>

namespace airlock::nsenter {

// What the child reports on the status pipe; the parent reads records until EOF (execve
// closed the CLOEXEC write end, or the child exited).
struct ChildReport {
  int32_t kind;   // kReportPid or kReportError
  int32_t stage;  // ChildStage for errors
  int32_t err;    // errno for errors
  int32_t value;  // pid for kReportPid
};
inline constexpr int32_t kReportPid = 1;
inline constexpr int32_t kReportError = 2;

enum ChildStage : int32_t {
  kStageCgroup = 1,
  kStageRlimit,
  kStageOomScore,
  kStageDumpable,
  kStageSetns,
  kStageForkPidNs,
  kStageSetsid,
  kStagePtyOpen,
  kStagePtyVerify,
  kStagePtyPeer,
  kStagePtySend,
  kStageStdio,
  kStageLabel,
  kStageCloseFds,
  kStageSeccomp,
  kStageChdir,
  kStageCwdVerify,
  kStageBounding,
  kStageSetgroups,
  kStageSetgid,
  kStageSetuid,
  kStageCapset,
  kStageNoNewPrivs,
};

struct ChildRlimit {
  int resource;
  uint64_t soft, hard;  // already clamped to the daemon's hard limit
};

struct ChildPlan {
  // Child A shares the daemon's memory (CLONE_VM|CLONE_VFORK: no page-table copy, the
  // calling thread sleeps until A is done) unless it must join a user or time namespace,
  // which the kernel refuses to a task sharing its mm; then A is a real fork.
  bool share_vm = true;
  // The grandchild B is always a vfork of A unless a time namespace is joined (the kernel
  // refuses CLONE_VM into a different time namespace).
  bool vfork_grandchild = true;
  char* grandchild_stack_top = nullptr;

  int status_fd = -1;               // ChildReport records; CLOEXEC so execve closes it
  const int* cgroup_fds = nullptr;  // open cgroup.procs files; the child writes "0" (itself)
  int ncgroup_fds = 0;
  const ChildRlimit* rlimits = nullptr;
  int nrlimits = 0;
  const char* oom_score_adj = nullptr;  // decimal, or null to inherit the daemon's
  int init_pidfd = -1;
  int ns_flags = 0;
  int stdio[3] = {-1, -1, -1};
  int procfs_fd = -1;  // host procfs, verified PROC_SUPER_MAGIC; for PTY reopen and LSM labels

  bool tty = false;
  int pty_sock = -1;  // SCM_RIGHTS channel for the PTY master
  uint16_t rows = 0, cols = 0;

  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;
  int ngroups = 0;
  bool setgroups_allowed = true;
  int umask = -1;
  const char* cwd = "/";

  int last_cap = 0;
  uint64_t cap_bounding = 0, cap_effective = 0, cap_permitted = 0, cap_inheritable = 0,
           cap_ambient = 0;
  bool no_new_privs = false;

  bool has_seccomp = false;
  sock_fprog seccomp{};
  unsigned int seccomp_flags = 0;

  const char* apparmor_attr = nullptr;  // "exec <profile>", or null
  const char* selinux_attr = nullptr;   // label, or null

  const char* const* candidates = nullptr;
  int ncandidates = 0;
  bool explicit_path = false;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* msg_prefix = "";     // `airlock: exec "<argv0>": `
  const char* msg_not_found = "";  // full line for "not found in $PATH"
};

// Entry of child "A" for clone(2): `arg` is a ChildPlan*. Never returns.
int RunExecChild(void* arg);

}  // namespace airlock::nsenter
