#include "nsenter/container_target.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "shim/base/file_util.h"

namespace airlock::nsenter {
namespace {

Error NotRunning(std::string_view id, const std::string& why) {
  return MakeError(ErrorCode::kFailedPrecondition,
                   "container " + std::string(id) + " is not running: " + why);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

struct NsKind {
  const char* name;
  int flag;
};
// User first: when the container has its own user namespace, joining it first gives us
// the capabilities over the namespaces it owns (setns(2) with a pidfd does this itself).
constexpr NsKind kNamespaces[] = {
    {"user", CLONE_NEWUSER},     {"mnt", CLONE_NEWNS},    {"pid", CLONE_NEWPID},
    {"net", CLONE_NEWNET},       {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

}  // namespace

Result<ProcStat> ParseProcStat(std::string_view stat) {
  size_t close = stat.rfind(')');
  if (close == std::string_view::npos || close + 2 >= stat.size()) {
    return MakeError(ErrorCode::kInternal, "parse /proc stat: no comm field");
  }
  // Fields after "comm)" start at field 3.
  auto fields = Split(stat.substr(close + 2), ' ');
  if (fields.size() < 20 || fields[0].empty()) {
    return MakeError(ErrorCode::kInternal, "parse /proc stat: too few fields");
  }
  ProcStat out;
  out.state = fields[0][0];
  std::string start(fields[19]);  // field 22
  char* end = nullptr;
  errno = 0;
  out.start_time = std::strtoull(start.c_str(), &end, 10);
  if (errno != 0 || end == start.c_str() || *end != '\0') {
    return MakeError(ErrorCode::kInternal, "parse /proc stat: bad starttime " + start);
  }
  return out;
}

std::vector<CgroupMount> ParseCgroupMounts(std::string_view mountinfo) {
  std::vector<CgroupMount> out;
  for (auto line : Split(mountinfo, '\n')) {
    size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    auto pre = Split(line.substr(0, dash), ' ');
    auto post = Split(line.substr(dash + 3), ' ');
    if (pre.size() < 5 || post.size() < 3) continue;
    CgroupMount m;
    if (post[0] == "cgroup2") {
      m.unified = true;
    } else if (post[0] != "cgroup") {
      continue;
    }
    m.root = std::string(pre[3]);
    m.mount_point = std::string(pre[4]);
    if (!m.unified) {
      for (auto opt : Split(post[2], ',')) {
        if (opt == "rw" || opt == "ro" || opt.empty()) continue;
        m.controllers.emplace_back(opt);
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<std::string>> CgroupDirs(std::string_view proc_cgroup,
                                            const std::vector<CgroupMount>& mounts) {
  std::vector<std::string> dirs;
  for (auto line : Split(proc_cgroup, '\n')) {
    if (line.empty()) continue;
    auto parts = Split(line, ':');
    if (parts.size() < 3) return MakeError(ErrorCode::kInternal, "parse /proc cgroup line");
    // The path may itself contain ':'; rejoin the tail.
    std::string path(line.substr(parts[0].size() + parts[1].size() + 2));
    if (path.find("/..") != std::string::npos || path.empty() || path[0] != '/') {
      return MakeError(ErrorCode::kInternal, "parse /proc cgroup: bad path " + path);
    }
    const CgroupMount* found = nullptr;
    for (const auto& m : mounts) {
      if (parts[0] == "0" && parts[1].empty()) {
        if (m.unified) found = &m;
      } else if (!m.unified) {
        auto wanted = Split(parts[1], ',');
        bool all = !wanted.empty();
        for (auto w : wanted) {
          bool has = false;
          for (const auto& c : m.controllers) has = has || c == w;
          all = all && has;
        }
        if (all) found = &m;
      }
      if (found) break;
    }
    if (!found) continue;  // hierarchy not mounted here: nothing to join
    std::string rel = path;
    if (found->root != "/") {
      if (path.rfind(found->root, 0) != 0) continue;  // outside what is mounted
      rel = path.substr(found->root.size());
    }
    std::string dir = found->mount_point;
    if (!rel.empty() && rel != "/") dir += rel;
    dirs.push_back(std::move(dir));
  }
  return dirs;
}

Result<uint64_t> ReadStartTime(int pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!stat.ok()) return stat.error();
  auto parsed = ParseProcStat(*stat);
  if (!parsed.ok()) return parsed.error();
  return parsed->start_time;
}

Status CheckRunning(const ContainerTarget& target) {
  if (!target.pidfd) return NotRunning(target.container_id, "not pinned");
  // A pidfd polls readable once its process has exited, zombie or reaped; a signal-0
  // probe would still succeed on an unreaped zombie.
  pollfd p{target.pidfd.get(), POLLIN, 0};
  int n = poll(&p, 1, 0);
  if (n < 0) return ErrnoError("poll container " + target.container_id + " init", errno);
  if (n > 0) return NotRunning(target.container_id, "init process exited");
  return Status::Ok();
}

Result<ContainerTarget> PinContainer(std::string_view container_id, int init_pid,
                                     uint64_t start_time) {
  if (init_pid <= 1) return NotRunning(container_id, "no init pid");
  ContainerTarget t;
  t.container_id = std::string(container_id);
  t.init_pid = init_pid;
  t.start_time = start_time;
  int fd = static_cast<int>(syscall(SYS_pidfd_open, init_pid, 0));
  if (fd < 0) {
    if (errno == ESRCH) return NotRunning(container_id, "init process exited");
    return ErrnoError("pidfd_open container " + std::string(container_id) + " init", errno);
  }
  t.pidfd = UniqueFd(fd);

  // The pidfd pins *some* process with this pid; the start time proves it is ours. Every
  // /proc/<pid> read below is trusted only because CheckRunning() afterwards shows the
  // pinned process still alive, so the pid was not recycled in between.
  const std::string proc = "/proc/" + std::to_string(init_pid);
  auto stat_text = ReadFile(proc + "/stat", 4096);
  if (!stat_text.ok()) return NotRunning(container_id, "init process exited");
  auto parsed = ParseProcStat(*stat_text);
  if (!parsed.ok()) return parsed.error();
  if (parsed->start_time != start_time) {
    return NotRunning(container_id, "pid " + std::to_string(init_pid) +
                                        " belongs to another process (start time " +
                                        std::to_string(parsed->start_time) + ", expected " +
                                        std::to_string(start_time) + ")");
  }
  if (parsed->state == 'Z' || parsed->state == 'X')
    return NotRunning(container_id, "init is a zombie");

  for (const auto& ns : kNamespaces) {
    struct stat theirs {
    }, ours{};
    if (stat((proc + "/ns/" + ns.name).c_str(), &theirs) != 0) {
      if (errno == ENOENT) continue;  // kernel without this namespace type
      return NotRunning(container_id, std::string("stat ns ") + ns.name + ": " + strerror(errno));
    }
    if (stat((std::string("/proc/self/ns/") + ns.name).c_str(), &ours) != 0) continue;
    if (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev) t.ns_flags |= ns.flag;
  }

  auto cgroup = ReadFile(proc + "/cgroup", 64 << 10);
  if (!cgroup.ok()) return NotRunning(container_id, "read init cgroup");
  auto mountinfo = ReadFile("/proc/self/mountinfo", 4 << 20);
  if (!mountinfo.ok()) return mountinfo.error();
  auto dirs = CgroupDirs(*cgroup, ParseCgroupMounts(*mountinfo));
  if (!dirs.ok()) return dirs.error();
  for (auto& d : *dirs) t.cgroup_procs.push_back(d + "/cgroup.procs");

  if (t.ns_flags & CLONE_NEWUSER) {
    auto sg = ReadFile(proc + "/setgroups", 64);
    t.setgroups_allowed = !sg.ok() || sg->find("deny") == std::string::npos;
  }
  AIRLOCK_RETURN_IF_ERROR(CheckRunning(t));
  return t;
}

}  // namespace airlock::nsenter
