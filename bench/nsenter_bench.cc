// Time per exec of `true` in a running container, four ways:
//   airlock      nsenter::Launch (full hardening; fork from this process)
//   airlock-big  the same from a process with a large heap and idle threads (a daemon)
//   baseline     fork + setns(pidfd, all) + fork + execve, no hardening at all
//   nsenter      `nsenter --all -t PID true`
//   runc-exec    `runc exec <id> true`
// Usage (root): nsenter_bench [iterations]   — starts its own busybox container.
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "nsenter/container_target.h"
#include "nsenter/exec_spec.h"
#include "nsenter/launch.h"
#include "shim/base/file_util.h"

extern char** environ;
using airlock::nsenter::ContainerTarget;
using airlock::nsenter::ExecSpec;

namespace {

int Spawn(std::vector<std::string> argv) {
  std::vector<char*> ptrs;
  for (auto& a : argv) ptrs.push_back(a.data());
  ptrs.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, ptrs[0], &fa, nullptr, ptrs.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The unhardened lower bound: what every exec costs at minimum.
int Baseline(const ContainerTarget& t) {
  pid_t a = fork();
  if (a == 0) {
    if (setns(t.pidfd.get(), t.ns_flags) != 0) _exit(1);
    pid_t b = fork();
    if (b == 0) {
      char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
      execve(argv[0], argv, environ);
      _exit(127);
    }
    int status = 0;
    waitpid(b, &status, 0);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
  }
  int status = 0;
  waitpid(a, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void Measure(const char* name, int n, const std::function<int()>& once) {
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    int rc = once();
    auto t1 = std::chrono::steady_clock::now();
    if (rc != 0) {
      std::printf("%-12s failed (rc %d)\n", name, rc);
      return;
    }
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double v : us) sum += v;
  std::printf("%-12s n=%-5d mean %8.0f us   p50 %8.0f us   p99 %8.0f us\n", name, n, sum / n,
              us[n / 2], us[std::min(n - 1, n * 99 / 100)]);
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 300;
  char tmpl[] = "/tmp/airlock-nsbench-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string root = dir + "/runc-root", bundle = dir + "/bundle",
              id = "airlock-nsbench-" + std::to_string(getpid());
  (void)airlock::MakeDirs(bundle + "/rootfs/bin");
  for (auto d : {"/proc", "/dev", "/tmp"}) (void)airlock::MakeDirs(bundle + "/rootfs" + d);
  std::system(("cp /bin/busybox " + bundle + "/rootfs/bin/ && ln -s busybox " + bundle +
               "/rootfs/bin/true && ln -s busybox " + bundle + "/rootfs/bin/sleep")
                  .c_str());
  nlohmann::json caps = {"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"};
  nlohmann::json config = {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"sleep", "100000"}},
        {"env", {"PATH=/bin"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", bundle + "/rootfs"}}},
      {"mounts", {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}}}},
      {"linux",
       {{"namespaces",
         {{{"type", "pid"}},
          {{"type", "network"}},
          {{"type", "ipc"}},
          {{"type", "uts"}},
          {{"type", "mount"}}}},
        {"cgroupsPath", "/airlock-bench/" + id},
        {"seccomp",
         {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}}}}}}}}};
  (void)airlock::WriteFileAtomic(bundle + "/config.json", config.dump());
  if (Spawn({"runc", "--root", root, "run", "-d", "--bundle", bundle, id}) != 0) {
    std::fprintf(stderr, "runc run failed\n");
    return 1;
  }
  int pid = 0;
  if (FILE* f = popen(("runc --root " + root + " state " + id).c_str(), "r")) {
    std::string out;
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, k);
    pclose(f);
    pid = nlohmann::json::parse(out, nullptr, false).value("pid", 0);
  }
  auto start = airlock::nsenter::ReadStartTime(pid);
  auto target = airlock::nsenter::PinContainer(id, pid, start.ok() ? *start : 0);
  auto spec = airlock::nsenter::ExecSpecFromOci(config);
  if (!target.ok() || !spec.ok()) {
    std::fprintf(stderr, "setup failed\n");
    return 1;
  }
  spec->argv = {"true"};
  auto launch = [&] {
    auto p = airlock::nsenter::Launch(*target, *spec, {});
    if (!p.ok()) return -1;
    auto code = p->Wait();
    return code.ok() ? *code : -1;
  };

  std::printf(
      "exec of `true` into a runc container, %d iterations, kernel fork cost grows with "
      "the forking process's page tables\n",
      n);
  Measure("baseline", n, [&] { return Baseline(*target); });
  Measure("airlock", n, launch);
  {
    // A daemon-sized parent: 512 MiB touched heap and 16 idle threads.
    std::vector<char> heap(512u << 20, 1);
    std::vector<std::thread> threads;
    std::atomic<bool> stop{false};
    for (int i = 0; i < 16; ++i) {
      threads.emplace_back([&] {
        while (!stop) usleep(1000);
      });
    }
    Measure("airlock-big", n, launch);
    Measure("baseline-big", n, [&] { return Baseline(*target); });
    stop = true;
    for (auto& t : threads) t.join();
    std::printf("(heap checksum %d)\n", heap[heap.size() / 2]);
  }
  Measure("nsenter", n, [&] {
    return Spawn({"nsenter", "--all", "-t", std::to_string(pid), "/bin/true"});
  });
  Measure("runc-exec", std::max(1, n / 5), [&] {
    return Spawn({"runc", "--root", root, "exec", id, "true"});
  });

  Spawn({"runc", "--root", root, "delete", "-f", id});
  Spawn({"sh", "-c",
         "rmdir /sys/fs/cgroup/*/airlock-bench /sys/fs/cgroup/airlock-bench 2>/dev/null"});
  (void)airlock::RemoveTree(dir);
  return 0;
}
