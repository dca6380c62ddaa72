// ContainerTarget: a running container's init process, pinned by pidfd and verified by
// its start time, plus what the exec engine joins: the namespaces that differ from ours
// and the cgroup directories the init lives in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shim/base/result.h"
#include "shim/base/unique_fd.h"

namespace airlock::nsenter {

struct ContainerTarget {
  std::string container_id;
  int init_pid = 0;
  uint64_t start_time = 0;  // /proc/<pid>/stat field 22, clock ticks since boot
  UniqueFd pidfd;           // pins the init: a recycled pid can never be this fd's process
  int ns_flags = 0;         // CLONE_NEW* of the init's namespaces that differ from ours
  // One `<hierarchy>/<path>/cgroup.procs` per cgroup hierarchy the init is in (v1: one per
  // mounted controller hierarchy; v2: the unified one).
  std::vector<std::string> cgroup_procs;
  // False when the container's user namespace has /proc/<pid>/setgroups = deny.
  bool setgroups_allowed = true;
};

// Field 22 (starttime) of /proc/<pid>/stat; also the process state letter (field 3).
struct ProcStat {
  char state = '?';
  uint64_t start_time = 0;
};
// Parses the contents of /proc/<pid>/stat. comm (field 2) may hold spaces and ')'.
Result<ProcStat> ParseProcStat(std::string_view stat);

// The cgroup directory of one hierarchy line of /proc/<pid>/cgroup, given the mounts of
// /proc/self/mountinfo. Pure, for tests.
struct CgroupMount {
  std::string mount_point;
  std::string root;                      // mountinfo field 4: the hierarchy path mounted
  bool unified = false;                  // cgroup2
  std::vector<std::string> controllers;  // v1 super options that name controllers
};
std::vector<CgroupMount> ParseCgroupMounts(std::string_view mountinfo);
// Returns the absolute directories the process is in, one per hierarchy with a mount.
Result<std::vector<std::string>> CgroupDirs(std::string_view proc_cgroup,
                                            const std::vector<CgroupMount>& mounts);

// Pins `init_pid` (pidfd_open) and checks that its start time is `start_time` and it is
// not a zombie. A container that exited or was replaced (pid reused) is
// kFailedPrecondition "container <id> is not running".
Result<ContainerTarget> PinContainer(std::string_view container_id, int init_pid,
                                     uint64_t start_time);

// Reads the current start time of `pid` (to record at container start).
Result<uint64_t> ReadStartTime(int pid);

// Is the pinned init still alive (not exited, not a zombie)? Via the pidfd: no pid reuse.
Status CheckRunning(const ContainerTarget& target);

}  // namespace airlock::nsenter
