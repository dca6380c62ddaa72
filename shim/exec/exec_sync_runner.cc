#include "shim/exec/exec_sync_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "nsenter/container_target.h"
#include "nsenter/exec_process.h"
#include "nsenter/launch.h"

namespace airlock {
namespace {

// The kubelet's CRI client refuses replies over 16 MiB; leave room for the rest of the
// message (field tags, lengths, exit code).
constexpr uint64_t kMaxReplyBytes = 16 << 20;
constexpr uint64_t kReplyOverhead = 1024;

enum Source : uint64_t { kStdout = 0, kStderr = 1, kPidfd = 2 };

uint64_t EpollKey(uint64_t handle, Source src) { return handle << 2 | src; }

std::string Describe(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
    if (out.size() > 200) return out.substr(0, 200) + "...";
  }
  return out;
}

}  // namespace

struct ExecSyncRunner::Session {
  uint64_t handle = 0;
  ExecSyncTarget target;
  std::vector<std::string> argv;
  int64_t timeout_seconds = 0;
  Done done;
  Clock::TimePoint started;

  std::atomic<bool> cancelled{false};
  std::optional<nsenter::ExecProcess> proc;
  UniqueFd out, err;
  ExecSyncResult result;
  uint64_t kept = 0, discarded = 0;
  std::optional<int> exit_code;
  std::optional<Clock::TimePoint> deadline;        // timeout, while running
  std::optional<Clock::TimePoint> drain_deadline;  // after exit
  const char* killed_because = nullptr;
  bool finished = false;
};

Result<std::unique_ptr<ExecSyncRunner>> ExecSyncRunner::Create(Options options,
                                                               const Clock* clock) {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return ErrnoError("epoll_create1", errno);
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake) return ErrnoError("eventfd", errno);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = UINT64_MAX;
  if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &ev) != 0)
    return ErrnoError("epoll_ctl eventfd", errno);
  return std::unique_ptr<ExecSyncRunner>(
      new ExecSyncRunner(options, clock, std::move(epoll), std::move(wake)));
}

ExecSyncRunner::ExecSyncRunner(Options options, const Clock* clock, UniqueFd epoll, UniqueFd wake)
    : options_(options),
      output_cap_(std::min<uint64_t>(options.output_limit, kMaxReplyBytes - kReplyOverhead)),
      clock_(clock),
      epoll_(std::move(epoll)),
      wake_(std::move(wake)),
      launch_pool_(std::make_unique<WorkPool>(options.launch_threads)) {
  loop_ = std::thread([this] { Loop(); });
}

ExecSyncRunner::~ExecSyncRunner() {
  launch_pool_.reset();  // finishes launches in flight; they post their sessions
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)::write(wake_.get(), &one, sizeof one);
  loop_.join();
}

uint64_t ExecSyncRunner::Run(ExecSyncTarget target, std::vector<std::string> argv,
                             int64_t timeout_seconds, Done done) {
  if (active_.fetch_add(1) >= options_.max_concurrent) {
    active_.fetch_sub(1);
    done(MakeError(ErrorCode::kResourceExhausted,
                   "exec: " + std::to_string(options_.max_concurrent) + " execs already running"));
    return 0;
  }
  auto s = std::make_shared<Session>();
  s->handle = next_handle_.fetch_add(1);
  s->target = std::move(target);
  s->argv = std::move(argv);
  s->timeout_seconds = timeout_seconds;
  s->done = std::move(done);
  s->started = clock_->Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_[s->handle] = s;
  }
  launch_pool_->Post([this, s] { Launch(s); });
  return s->handle;
}

void ExecSyncRunner::Cancel(uint64_t handle) {
  std::shared_ptr<Session> s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(handle);
    if (it == sessions_.end()) return;
    s = it->second;
  }
  s->cancelled = true;
  Post([this, s] {
    if (!s->finished && s->proc) Kill(*s, "the caller cancelled the call");
  });
}

void ExecSyncRunner::Launch(std::shared_ptr<Session> s) {
  auto fail = [&](const Error& e) {
    s->result = {};
    Post([this, s, e] {
      s->finished = true;
      {
        std::lock_guard<std::mutex> lock(mu_);
        sessions_.erase(s->handle);
      }
      active_.fetch_sub(1);
      s->done(e);
    });
  };
  if (s->cancelled)
    return fail(MakeError(ErrorCode::kUnavailable, "exec cancelled before it started"));
  auto spec = specs_.Get(s->target.container_id, s->target.start_time, s->target.config_path);
  if (!spec.ok()) return fail(spec.error());
  auto target =
      nsenter::PinContainer(s->target.container_id, s->target.init_pid, s->target.start_time);
  if (!target.ok()) return fail(target.error());

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return fail(ErrnoError("create stdout pipe", errno));
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return fail(ErrnoError("create stderr pipe", errno));
  UniqueFd err_r(err_pipe[0]), err_w(err_pipe[1]);
  ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_r.get(), F_SETFL, O_NONBLOCK);

  nsenter::ExecSpec request = **spec;  // the container's part, shared; argv is ours
  request.argv = s->argv;
  request.tty = false;
  nsenter::ExecStdio stdio;  // stdin: /dev/null, as ExecSync has no input
  stdio.out = std::move(out_w);
  stdio.err = std::move(err_w);
  auto proc = nsenter::Launch(*target, request, std::move(stdio));
  if (!proc.ok()) return fail(proc.error());
  s->proc.emplace(std::move(*proc));
  s->out = std::move(out_r);
  s->err = std::move(err_r);
  Post([this, s] { Watch(*s); });
}

void ExecSyncRunner::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  (void)::write(wake_.get(), &one, sizeof one);
}

void ExecSyncRunner::Watch(Session& s) {
  if (s.timeout_seconds > 0) s.deadline = clock_->Now() + std::chrono::seconds(s.timeout_seconds);
  auto add = [&](int fd, Source src) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = EpollKey(s.handle, src);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
      spdlog::error("msg=\"exec: epoll_ctl failed\" container={} error=\"{}\"",
                    s.target.container_id, ErrnoError("epoll_ctl", errno).message);
  };
  add(s.out.get(), kStdout);
  add(s.err.get(), kStderr);
  add(s.proc->pidfd(), kPidfd);
  if (s.cancelled) Kill(s, "the caller cancelled the call");
}

void ExecSyncRunner::OnReadable(Session& s, int which) {
  UniqueFd& fd = which == kStdout ? s.out : s.err;
  std::string& buf = which == kStdout ? s.result.stdout_data : s.result.stderr_data;
  char chunk[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n > 0) {
      uint64_t keep = std::min<uint64_t>(static_cast<uint64_t>(n), output_cap_ - s.kept);
      buf.append(chunk, keep);
      s.kept += keep;
      if (keep < static_cast<uint64_t>(n)) {
        if (s.discarded == 0)
          spdlog::warn(
              "msg=\"exec output over the limit; discarding the rest\" container={} limit={}",
              s.target.container_id, output_cap_);
        s.discarded += static_cast<uint64_t>(n) - keep;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    // EOF or a read error: this stream is done.
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd.get(), nullptr);
    fd.reset();
    return;
  }
}

void ExecSyncRunner::OnExit(Session& s) {
  auto code = s.proc->TryWait();
  if (!code.ok()) {
    spdlog::error("msg=\"exec: wait failed\" container={} error=\"{}\"", s.target.container_id,
                  code.error().message);
    s.exit_code = 255;
  } else if (!code->has_value()) {
    return;  // spurious wakeup
  } else {
    s.exit_code = **code;
  }
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, s.proc->pidfd(), nullptr);
  s.drain_deadline = clock_->Now() + options_.drain_timeout;
}

void ExecSyncRunner::Kill(Session& s, const char* why) {
  if (s.killed_because || s.exit_code) return;
  s.killed_because = why;
  if (Status st = s.proc->KillGroup(SIGKILL); !st.ok())
    spdlog::warn("msg=\"exec: kill failed\" container={} error=\"{}\"", s.target.container_id,
                 st.error().message);
}

bool ExecSyncRunner::MaybeFinish(Session& s, bool drain_expired) {
  if (!s.exit_code) return false;
  bool drained = !s.out && !s.err;
  if (!drained && !drain_expired) return false;
  if (!drained)
    spdlog::info(
        "msg=\"exec: output still open after the process exited; not waiting longer\" container={} "
        "drain_ms={}",
        s.target.container_id, options_.drain_timeout.count());
  Complete(s);
  return true;
}

void ExecSyncRunner::Complete(Session& s) {
  for (UniqueFd* fd : {&s.out, &s.err}) {
    if (*fd) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd->get(), nullptr);
    fd->reset();
  }
  s.finished = true;
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_->Now() - s.started).count();
  spdlog::info(
      "msg=exec kind=sync container={} cmd=\"{}\" exit={} stdout_bytes={} stderr_bytes={} "
      "discarded_bytes={} duration_ms={}{}",
      s.target.container_id, Describe(s.argv), *s.exit_code, s.result.stdout_data.size(),
      s.result.stderr_data.size(), s.discarded, ms,
      s.killed_because ? std::string(" killed=\"") + s.killed_because + "\"" : "");
  std::shared_ptr<Session> keep;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(s.handle);
    keep = it->second;
    sessions_.erase(it);
  }
  active_.fetch_sub(1);
  // Reaped already; release the pidfd before answering, so a caller that counts the
  // daemon's descriptors right after the reply sees none of this session's.
  s.proc.reset();
  if (s.killed_because && s.timeout_seconds > 0 && !s.cancelled) {
    s.done(MakeError(ErrorCode::kDeadlineExceeded, "command \"" + Describe(s.argv) +
                                                       "\" timed out after " +
                                                       std::to_string(s.timeout_seconds) + "s"));
  } else if (s.cancelled) {
    s.done(MakeError(ErrorCode::kUnavailable, "exec cancelled by the caller"));
  } else {
    s.result.exit_code = *s.exit_code;
    s.done(std::move(s.result));
  }
}

void ExecSyncRunner::Loop() {
  std::vector<epoll_event> events(256);
  for (;;) {
    // The nearest deadline decides how long to sleep.
    int timeout_ms = -1;
    auto now = clock_->Now();
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [h, s] : sessions_)
        if (s->proc && !s->finished) live.push_back(s);
    }
    for (const auto& s : live) {
      std::optional<Clock::TimePoint> t =
          s->exit_code ? s->drain_deadline : (s->killed_because ? std::nullopt : s->deadline);
      if (!t) continue;
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*t - now).count() + 1;
      if (ms < 0) ms = 0;
      if (timeout_ms < 0 || ms < timeout_ms) timeout_ms = static_cast<int>(ms);
    }
    int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0 && errno != EINTR) {
      spdlog::critical("msg=\"exec loop: epoll_wait failed\" error=\"{}\"",
                       ErrnoError("epoll_wait", errno).message);
      return;
    }
    for (int i = 0; i < n; ++i) {
      uint64_t key = events[i].data.u64;
      if (key == UINT64_MAX) {
        uint64_t v;
        (void)::read(wake_.get(), &v, sizeof v);
        continue;
      }
      std::shared_ptr<Session> s;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = sessions_.find(key >> 2);
        if (it != sessions_.end()) s = it->second;
      }
      if (!s || s->finished) continue;
      Source src = static_cast<Source>(key & 3);
      if (src == kPidfd) {
        OnExit(*s);
      } else {
        OnReadable(*s, static_cast<int>(src));
      }
      MaybeFinish(*s, false);
    }
    // Queued work from other threads.
    std::deque<std::function<void()>> tasks;
    bool stopping;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks.swap(tasks_);
      stopping = stopping_;
    }
    for (auto& t : tasks) t();
    // Deadlines.
    now = clock_->Now();
    for (const auto& s : live) {
      if (s->finished) continue;
      if (!s->exit_code && s->deadline && now >= *s->deadline) Kill(*s, "timeout");
      if (s->exit_code && s->drain_deadline && now >= *s->drain_deadline) MaybeFinish(*s, true);
    }
    if (stopping) {
      // Shutdown: kill what runs, reap it, and answer every caller.
      std::vector<std::shared_ptr<Session>> rest;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& [h, s] : sessions_) rest.push_back(s);
      }
      for (const auto& s : rest) {
        if (s->finished || !s->proc) continue;
        if (!s->exit_code) {
          Kill(*s, "airlockd is shutting down");
          auto code = s->proc->Wait();
          s->exit_code = code.ok() ? *code : 255;
        }
        Complete(*s);
      }
      return;
    }
  }
}

}  // namespace airlock
