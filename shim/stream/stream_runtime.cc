#include "shim/stream/stream_runtime.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "nsenter/container_target.h"
#include "nsenter/launch.h"
#include "shim/stream/exec_stream_process.h"
#include "shim/stream/port_dialer.h"
#include "shim/stream/attach_client.h"

namespace airlock {
namespace {

std::string Describe(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
    if (out.size() > 200) return out.substr(0, 200) + "...";
  }
  return out;
}

Status SetNonBlocking(int fd, const char* what) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
    return ErrnoError(std::string("set O_NONBLOCK on ") + what, errno);
  return Status::Ok();
}

// A pipe whose ends are close-on-exec (Launch dups the process's end onto 0/1/2); ours is
// non-blocking for the session's poll loop. `ours_is_write` picks which end we keep.
Status MakePipe(bool ours_is_write, UniqueFd* ours, UniqueFd* theirs, const char* what) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoError(std::string("create ") + what + " pipe", errno);
  UniqueFd r(p[0]), w(p[1]);
  if (!ours_is_write) {
    // Output pipes: 1 MiB instead of 64 KiB lets the session move bigger chunks per wake-up
    // (fewer polls, frames and sends for bulk output). Best effort: the system limit
    // (fs.pipe-max-size) may refuse it, and a smaller pipe still works.
    (void)::fcntl(r.get(), F_SETPIPE_SZ, 1 << 20);
  }
  *ours = std::move(ours_is_write ? w : r);
  *theirs = std::move(ours_is_write ? r : w);
  return SetNonBlocking(ours->get(), what);
}

// A second counter slot, released unless handed to the process object.
class ActiveSlot {
 public:
  explicit ActiveSlot(std::shared_ptr<std::atomic<int>> counter) : counter_(std::move(counter)) {
    counter_->fetch_add(1);
  }
  ~ActiveSlot() {
    if (counter_) counter_->fetch_sub(1);
  }
  std::shared_ptr<std::atomic<int>> Release() { return std::move(counter_); }

 private:
  std::shared_ptr<std::atomic<int>> counter_;
};

}  // namespace

ShimStreamRuntime::ShimStreamRuntime(StreamTargets& targets, Options options)
    : targets_(targets), options_(options) {}

Result<streaming::StartedProcess> ShimStreamRuntime::Exec(
    const streaming::ExecRequest& request, std::optional<streaming::TerminalSize> initial_size) {
  auto target = targets_.RunningContainer(request.container_id);
  if (!target.ok()) return target.error().Wrap("exec in container " + request.container_id);
  const std::string what = "exec in container " + target->container_id;
  if (request.cmd.empty()) return MakeError(ErrorCode::kInvalidArgument, what + ": empty command");

  ActiveSlot slot(active_);
  if (active_->load() > options_.max_concurrent)
    return MakeError(
        ErrorCode::kResourceExhausted,
        what + ": " + std::to_string(options_.max_concurrent) + " streaming execs already running");

  auto spec = specs_.Get(target->container_id, target->start_time, target->config_path);
  if (!spec.ok()) return spec.error().Wrap(what);
  auto pinned = nsenter::PinContainer(target->container_id, target->init_pid, target->start_time);
  if (!pinned.ok()) return pinned.error();

  nsenter::ExecSpec exec = **spec;  // the container's part is shared; argv and tty are ours
  exec.argv = request.cmd;
  exec.tty = request.tty;
  if (request.tty && initial_size && initial_size->width > 0 && initial_size->height > 0)
    exec.winsize = {initial_size->height, initial_size->width};

  streaming::ProcessStdio ours;
  nsenter::ExecStdio theirs;  // invalid = the host's /dev/null
  if (!request.tty) {
    if (request.stdin) AIRLOCK_RETURN_IF_ERROR(MakePipe(true, &ours.stdin, &theirs.in, "stdin"));
    if (request.stdout)
      AIRLOCK_RETURN_IF_ERROR(MakePipe(false, &ours.stdout, &theirs.out, "stdout"));
    if (request.stderr)
      AIRLOCK_RETURN_IF_ERROR(MakePipe(false, &ours.stderr, &theirs.err, "stderr"));
  }

  auto proc = nsenter::Launch(*pinned, exec, std::move(theirs));
  if (!proc.ok()) return proc.error().Wrap(what);

  UniqueFd master;
  if (request.tty) {
    master = proc->TakePtyMaster();
    if (!master)
      return MakeError(ErrorCode::kInternal, what + ": the exec engine returned no PTY master");
    // The flag lives on the open file description, so the duplicates below share it.
    AIRLOCK_RETURN_IF_ERROR(SetNonBlocking(master.get(), "the PTY master"));
    auto dup_master = [&](UniqueFd* out) -> Status {
      UniqueFd d(::fcntl(master.get(), F_DUPFD_CLOEXEC, 0));
      if (!d) return ErrnoError("duplicate the PTY master", errno);
      *out = std::move(d);
      return Status::Ok();
    };
    // stderr is merged into the terminal (CRI: tty excludes stderr).
    if (request.stdout) AIRLOCK_RETURN_IF_ERROR(dup_master(&ours.stdout));
    if (request.stdin) AIRLOCK_RETURN_IF_ERROR(dup_master(&ours.stdin));
  }

  // The audit line (DESIGN.md §3 Logging): who ran what where; the end is logged by the
  // process object.
  spdlog::info(
      "msg=exec kind=stream container={} cmd=\"{}\" tty={} stdin={} stdout={} stderr={} pid={}{}",
      target->container_id, Describe(request.cmd), request.tty, request.stdin, request.stdout,
      request.stderr, proc->pid(),
      request.tty
          ? " size=" + std::to_string(exec.winsize.cols) + "x" + std::to_string(exec.winsize.rows)
          : std::string());

  streaming::StartedProcess started;
  started.stdio = std::move(ours);
  started.process = std::make_unique<ExecStreamProcess>(
      std::move(*proc), std::move(master), target->container_id, request.tty, slot.Release());
  return started;
}

Result<streaming::StartedProcess> ShimStreamRuntime::Attach(
    const streaming::AttachRequest& request) {
  auto target = targets_.RunningContainer(request.container_id);
  if (!target.ok()) return target.error().Wrap("attach to container " + request.container_id);
  return AttachToContainer(target->monitor_dir, request.tty, request.stdin, request.stdout,
                           request.stderr);
}

Result<UniqueFd> ShimStreamRuntime::DialPort(const std::string& pod_sandbox_id, uint16_t port) {
  auto target = targets_.ReadySandbox(pod_sandbox_id);
  if (!target.ok())
    return target.error().Wrap("dial port " + std::to_string(port) + " in pod sandbox " +
                               pod_sandbox_id);
  auto fd = DialPodPort(*target, port, options_.dial_timeout);
  if (fd.ok())
    spdlog::debug("msg=\"port-forward dialed\" sandbox={} port={}", target->sandbox_id, port);
  return fd;
}

}  // namespace airlock
