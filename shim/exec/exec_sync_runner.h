// ExecSyncRunner: CRI ExecSync without a thread per call. A small launch pool joins the
// container and starts the process (nsenter::Launch blocks until execve); one event-loop
// thread then reads stdout/stderr, watches the pidfd, enforces the timeout, the output cap
// and the drain deadline, and completes the call.
//
// Session end: process exit -> read the pipes until both reach EOF or the drain deadline
// passes (a background child holding them open cannot hang the call) -> reply. Timeout:
// SIGKILL to the process group, wait for the exit, then DEADLINE_EXCEEDED, so the process
// is gone when the call returns.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "shim/base/clock.h"
#include "shim/base/result.h"
#include "shim/base/unique_fd.h"
#include "shim/base/work_pool.h"
#include "shim/exec/exec_spec_cache.h"

namespace airlock {

struct ExecSyncTarget {
  std::string container_id;
  pid_t init_pid = 0;
  uint64_t start_time = 0;
  std::string config_path;  // the container's OCI config.json
};

struct ExecSyncResult {
  std::string stdout_data;
  std::string stderr_data;
  int exit_code = 0;
};

class ExecSyncRunner {
 public:
  struct Options {
    uint64_t output_limit = 16 << 20;  // stdout+stderr kept, together
    std::chrono::milliseconds drain_timeout{2000};
    int max_concurrent = 1024;
    size_t launch_threads = 4;
  };
  using Done = std::function<void(Result<ExecSyncResult>)>;

  static Result<std::unique_ptr<ExecSyncRunner>> Create(Options options, const Clock* clock);
  ~ExecSyncRunner();  // kills and completes what is still running

  // Starts the command; `done` runs exactly once, on a runner thread. Returns a handle for
  // Cancel (0 when the call was refused at once).
  uint64_t Run(ExecSyncTarget target, std::vector<std::string> argv, int64_t timeout_seconds,
               Done done);
  // The caller went away: kill the process group; `done` still runs.
  void Cancel(uint64_t handle);

  int active() const { return active_.load(); }

 private:
  struct Session;
  ExecSyncRunner(Options options, const Clock* clock, UniqueFd epoll, UniqueFd wake);

  void Launch(std::shared_ptr<Session> s);
  void Post(std::function<void()> fn);  // run on the loop thread
  void Loop();
  void Watch(Session& s);
  void OnReadable(Session& s, int which);
  void OnExit(Session& s);
  void Kill(Session& s, const char* why);
  bool MaybeFinish(Session& s, bool drain_expired);
  void Complete(Session& s);

  const Options options_;
  const uint64_t output_cap_;
  const Clock* clock_;
  ExecSpecCache specs_;
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd: tasks queued or stopping

  std::mutex mu_;  // guards tasks_, stopping_ and sessions_
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::map<uint64_t, std::shared_ptr<Session>> sessions_;  // from Run until Complete

  std::atomic<int> active_{0};
  std::atomic<uint64_t> next_handle_{1};
  std::unique_ptr<WorkPool> launch_pool_;
  std::thread loop_;
};

}  // namespace airlock
