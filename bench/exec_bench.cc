// exec_bench: time `true` run inside one container by three paths, side by side:
//   execsync  CRI ExecSync through airlockd (gRPC client -> daemon -> process -> reply)
//   runc      `runc --root R exec ID true` (what containerd and CRI-O run per exec)
//   nsenter   util-linux `nsenter --all -t PID true` (join + exec, no hardening)
// For each path and each concurrency, N execs are spread over C threads; per-exec wall
// times give the median and p99, and N / total wall time the throughput.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "proto/cri_api.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string endpoint, container_id, runc_root;
  int pid = 0;
  int n = 200;
  std::vector<int> concurrency{1, 2, 8, 64};
  std::vector<std::string> paths{"execsync", "runc", "nsenter"};
};

bool RunProcess(const std::vector<std::string>& argv) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return false;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct Result {
  double median_ms, p99_ms, per_second;
  int failures;
};

Result Measure(int n, int threads, const std::function<bool()>& op) {
  std::vector<double> lat(static_cast<size_t>(n));
  std::atomic<int> next{0}, failures{0};
  auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < n;) {
        auto s = Clock::now();
        if (!op()) failures.fetch_add(1);
        lat[static_cast<size_t>(i)] =
            std::chrono::duration<double, std::milli>(Clock::now() - s).count();
      }
    });
  }
  for (auto& t : pool) t.join();
  double total = std::chrono::duration<double>(Clock::now() - t0).count();
  std::sort(lat.begin(), lat.end());
  return {lat[lat.size() / 2], lat[std::min(lat.size() - 1, lat.size() * 99 / 100)], n / total,
          failures.load()};
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--endpoint")
      a.endpoint = v;
    else if (k == "--container")
      a.container_id = v;
    else if (k == "--runc-root")
      a.runc_root = v;
    else if (k == "--pid")
      a.pid = std::atoi(v.c_str());
    else if (k == "--n")
      a.n = std::atoi(v.c_str());
    else if (k == "--paths") {
      a.paths.clear();
      for (size_t s = 0, e; s <= v.size(); s = e + 1) {
        e = v.find(',', s);
        if (e == std::string::npos) e = v.size();
        a.paths.push_back(v.substr(s, e - s));
      }
    } else if (k == "--concurrency") {
      a.concurrency.clear();
      for (size_t s = 0, e; s <= v.size(); s = e + 1) {
        e = v.find(',', s);
        if (e == std::string::npos) e = v.size();
        a.concurrency.push_back(std::atoi(v.substr(s, e - s).c_str()));
      }
    } else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  if (a.endpoint.empty() || a.container_id.empty() || a.runc_root.empty() || a.pid == 0) {
    std::fprintf(stderr,
                 "usage: exec_bench --endpoint unix:///path.sock --container ID --runc-root DIR "
                 "--pid INITPID "
                 "[--n 200] [--concurrency 1,2,8,64] [--paths execsync,runc,nsenter]\n");
    return 2;
  }
  auto channel = grpc::CreateChannel(a.endpoint, grpc::InsecureChannelCredentials());
  auto stub = runtime::v1::RuntimeService::NewStub(channel);
  const std::string pid = std::to_string(a.pid);

  std::printf("| path | concurrency | execs | median ms | p99 ms | execs/s | failures |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  for (int c : a.concurrency) {
    for (const auto& path : a.paths) {
      std::function<bool()> op;
      if (path == "execsync") {
        op = [&] {
          grpc::ClientContext ctx;
          runtime::v1::ExecSyncRequest req;
          req.set_container_id(a.container_id);
          req.add_cmd("true");
          runtime::v1::ExecSyncResponse resp;
          return stub->ExecSync(&ctx, req, &resp).ok() && resp.exit_code() == 0;
        };
      } else if (path == "runc") {
        op = [&] {
          return RunProcess({"runc", "--root", a.runc_root, "exec", a.container_id, "true"});
        };
      } else if (path == "nsenter") {
        op = [&] { return RunProcess({"nsenter", "--all", "-t", pid, "true"}); };
      } else {
        std::fprintf(stderr, "unknown path %s\n", path.c_str());
        return 2;
      }
      // runc is ~50x slower; fewer runs keep the whole benchmark in minutes.
      int n = path == "runc" ? std::max(c * 2, a.n / 4) : std::max(a.n, c * 4);
      op();  // warm up (spec cache, page cache)
      Result r = Measure(n, c, op);
      std::printf("| %s | %d | %d | %.2f | %.2f | %.0f | %d |\n", path.c_str(), c, n, r.median_ms,
                  r.p99_ms, r.per_second, r.failures);
      std::fflush(stdout);
    }
  }
  return 0;
}
