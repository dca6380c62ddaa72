#include "streaming/remote_command_session.h"

#include <errno.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

namespace airlock::streaming {
namespace {

// Big reads mean fewer wake-ups, frames and sends for bulk output (output pipes are 1 MiB).
constexpr size_t kReadChunk = 256 * 1024;
// Output queued in the transport beyond which we stop reading the process: the client is
// slower than the command, and the pipe (then the command) should wait, not our memory.
constexpr size_t kMaxTransportOutput = 1 << 20;
constexpr size_t kMaxStreamBacklog = 256 * 1024;
// Client input queued for a process that is not reading its stdin.
constexpr size_t kMaxStdinBuffer = 1 << 20;
// After SIGKILL, how long to wait for the exit before the session gives up on it (the
// process object's destructor still kills and reaps).
constexpr std::chrono::seconds kGiveUpAfterKill{5};

size_t Index(StreamType type) { return static_cast<size_t>(type); }

std::string JoinCommand(const std::vector<std::string>& cmd) {
  std::string out;
  for (const auto& part : cmd) {
    if (!out.empty()) out += ' ';
    out += part;
  }
  return out;
}

}  // namespace

RemoteCommandSession::RemoteCommandSession(StreamTransport& transport, Runtime& runtime,
                                           const Clock& clock, Params params)
    : transport_(transport), runtime_(runtime), clock_(clock), params_(std::move(params)) {
  if (const auto* exec = std::get_if<ExecRequest>(&params_.request)) {
    tty_ = exec->tty;
    want_stdin_ = exec->stdin;
    want_stdout_ = exec->stdout;
    want_stderr_ = exec->stderr && !exec->tty;
    command_ = exec->cmd;
    container_id_ = exec->container_id;
  } else {
    const auto& attach = std::get<AttachRequest>(params_.request);
    attach_ = true;
    tty_ = attach.tty;
    want_stdin_ = attach.stdin;
    want_stdout_ = attach.stdout;
    want_stderr_ = attach.stderr && !attach.tty;
    container_id_ = attach.container_id;
  }
  started_at_ = clock_.Now();
  creation_deadline_ = started_at_ + params_.timeouts.stream_creation;
}

RemoteCommandSession::~RemoteCommandSession() = default;

bool RemoteCommandSession::Expected(StreamType type) const {
  switch (type) {
    case StreamType::kError: return true;
    case StreamType::kStdin: return want_stdin_;
    case StreamType::kStdout: return want_stdout_;
    case StreamType::kStderr: return want_stderr_;
    case StreamType::kResize: return tty_ && params_.resize_stream;
  }
  return false;
}

bool RemoteCommandSession::AllStreamsOpen() const {
  for (size_t i = 0; i < kStreamTypeCount; ++i) {
    if (Expected(static_cast<StreamType>(i)) && !streams_[i]) return false;
  }
  return true;
}

std::optional<StreamType> RemoteCommandSession::TypeOf(StreamId id) const {
  for (size_t i = 0; i < kStreamTypeCount; ++i) {
    if (streams_[i] == id) return static_cast<StreamType>(i);
  }
  return std::nullopt;
}

void RemoteCommandSession::OnStreamOpened(const OpenedStream& stream) {
  auto it = stream.headers.find("streamtype");
  std::optional<StreamType> type;
  if (it != stream.headers.end()) type = ParseStreamType(it->second);
  if (!type || phase_ == Phase::kDone || streams_[Index(*type)]) {
    // Upstream logs and ignores unknown types; refusing the stream tells the client at once.
    spdlog::warn("streaming: refusing stream {} (streamtype={}) on {} session for {}", stream.id,
             it == stream.headers.end() ? "<none>" : it->second, attach_ ? "attach" : "exec",
             container_id_);
    (void)transport_.Reset(stream.id);
    return;
  }
  if (Status s = transport_.Accept(stream.id); !s.ok()) {
    spdlog::warn("streaming: accept stream {}: {}", stream.id, s.error().message);
    return;
  }
  streams_[Index(*type)] = stream.id;
  stream_writable_[Index(*type)] = true;
  if (*type == StreamType::kStdin && params_.protocol_version == 1) {
    // v1 servers close their half of stdin at once (cri-streaming v1ProtocolHandler).
    (void)transport_.End(stream.id);
  }
  if (stream.remote_closed) OnStreamRemoteClosed(stream.id);
  if (phase_ == Phase::kCreating) MaybeStart();
}

void RemoteCommandSession::MaybeStart() {
  if (!AllStreamsOpen()) return;
  creation_deadline_.reset();
  if (tty_ && streams_[Index(StreamType::kResize)] && !initial_size_ &&
      params_.timeouts.initial_resize_wait.count() > 0) {
    phase_ = Phase::kSizing;
    sizing_deadline_ = clock_.Now() + params_.timeouts.initial_resize_wait;
    return;
  }
  Launch();
}

void RemoteCommandSession::Launch() {
  sizing_deadline_.reset();
  Result<StartedProcess> started =
      attach_ ? runtime_.Attach(std::get<AttachRequest>(params_.request))
              : runtime_.Exec(std::get<ExecRequest>(params_.request), initial_size_);
  if (!started.ok()) {
    outcome_.error = started.error().message;
    spdlog::warn("streaming: {} in {} failed: {}", attach_ ? "attach" : "exec", container_id_,
             outcome_.error);
    Finish();
    return;
  }
  process_ = std::move(*started);
  phase_ = Phase::kRunning;
  // An exec starts at the size; an attach joins a terminal that exists already, so the
  // client's first size is applied to it now (kubectl attach -it sends it first).
  if (attach_ && initial_size_ && process_.process) process_.process->Resize(*initial_size_);
  if (params_.observer) params_.observer->OnStart(initial_size_);
  if (!process_.stdio.stdin.valid()) stdin_buffer_.clear();
  if (!process_.stdio.stdout.valid()) output_eof_[0] = true;
  if (!process_.stdio.stderr.valid()) output_eof_[1] = true;
  FlushStdin();
  if (attach_ || !process_.process || process_.process->exit_fd() < 0) MaybeFinish();
}

void RemoteCommandSession::OnStreamData(StreamId id, std::string_view bytes) {
  auto type = TypeOf(id);
  if (!type || phase_ == Phase::kDone) return;
  bytes_in_ += bytes.size();
  if (*type == StreamType::kStdin) {
    if (stdin_eof_ || peer_gone_) return;
    if (phase_ != Phase::kCreating && phase_ != Phase::kSizing && !process_.stdio.stdin.valid()) {
      return;  // the process closed its stdin: like a pipe with no reader, input is dropped
    }
    stdin_buffer_.append(bytes);
    if (params_.observer) params_.observer->OnInput(bytes);
    FlushStdin();
  } else if (*type == StreamType::kResize) {
    if (resize_failed_) return;
    std::vector<TerminalSize> sizes;
    Status s = resize_decoder_.Feed(bytes, &sizes);
    for (const TerminalSize& size : sizes) {
      if (size.width < 1 || size.height < 1) continue;  // peers ignore these too
      if (phase_ == Phase::kCreating || phase_ == Phase::kSizing) {
        initial_size_ = size;
      } else if (process_.process && !peer_gone_) {
        process_.process->Resize(size);
        if (params_.observer) params_.observer->OnResize(size);
      }
    }
    if (!s.ok()) {
      // A broken resize stream loses resizing, not the session (kubelet behaves alike).
      resize_failed_ = true;
      spdlog::warn("streaming: resize stream of {} abandoned: {}", container_id_, s.error().message);
    }
    if (phase_ == Phase::kSizing && initial_size_) Launch();
  }
  // Client bytes on error/stdout/stderr streams carry no meaning; they are dropped.
}

void RemoteCommandSession::OnStreamRemoteClosed(StreamId id) {
  if (TypeOf(id) == StreamType::kStdin) {
    stdin_eof_ = true;
    FlushStdin();
  }
}

void RemoteCommandSession::OnStreamReset(StreamId id) {
  auto type = TypeOf(id);
  if (!type) return;
  stream_writable_[Index(*type)] = false;
  if (*type == StreamType::kStdin) OnStreamRemoteClosed(id);
}

void RemoteCommandSession::FlushStdin() {
  if (phase_ != Phase::kRunning && phase_ != Phase::kDraining) return;
  int fd = process_.stdio.stdin.get();
  if (fd < 0) return;
  while (!stdin_buffer_.empty()) {
    ssize_t n = ::write(fd, stdin_buffer_.data(), stdin_buffer_.size());
    if (n > 0) {
      stdin_buffer_.erase(0, size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;  // polled for POLLOUT
    // EPIPE: the process closed its stdin. What the client still sends is dropped.
    stdin_buffer_.clear();
    process_.stdio.stdin.reset();
    return;
  }
  if (stdin_eof_ && !tty_) CloseStdin();
  // tty: the terminal is shared with stdout; stdin EOF just stops the copy (as CRI-O does).
}

void RemoteCommandSession::CloseStdin() {
  stdin_buffer_.clear();
  process_.stdio.stdin.reset();
}

void RemoteCommandSession::AddPollRequests(std::vector<PollRequest>& out) {
  if (phase_ != Phase::kRunning && phase_ != Phase::kDraining) return;
  if (!stdin_buffer_.empty() && process_.stdio.stdin.valid()) {
    out.push_back({process_.stdio.stdin.get(), POLLOUT, kTagStdin});
  }
  const size_t queued = transport_.PendingOutput().size();
  const UniqueFd* fds[2] = {&process_.stdio.stdout, &process_.stdio.stderr};
  const StreamType types[2] = {StreamType::kStdout, StreamType::kStderr};
  for (int i = 0; i < 2; ++i) {
    if (output_eof_[i] || !fds[i]->valid()) continue;
    const bool room = HasRoom(types[i], queued);
    if (room) out.push_back({fds[i]->get(), POLLIN, i == 0 ? kTagStdout : kTagStderr});
  }
  if (!exited_ && process_.process && process_.process->exit_fd() >= 0) {
    out.push_back({process_.process->exit_fd(), POLLIN, kTagExit});
  }
}

bool RemoteCommandSession::HasRoom(StreamType type, size_t queued) const {
  if (peer_gone_) return true;  // nobody reads any more: drain and drop
  auto id = streams_[Index(type)];
  return queued < kMaxTransportOutput && (!id || transport_.StreamBacklog(*id) < kMaxStreamBacklog);
}

bool RemoteCommandSession::OutputHeldBack() {
  const size_t queued = transport_.PendingOutput().size();
  if (!output_eof_[0] && process_.stdio.stdout.valid() && !HasRoom(StreamType::kStdout, queued)) {
    return true;
  }
  return !output_eof_[1] && process_.stdio.stderr.valid() && !HasRoom(StreamType::kStderr, queued);
}

void RemoteCommandSession::OnPoll(uint32_t tag, short revents) {
  (void)revents;
  switch (tag) {
    case kTagStdin: FlushStdin(); break;
    case kTagStdout: ReadOutput(0); break;
    case kTagStderr: ReadOutput(1); break;
    case kTagExit: OnExited(); break;
  }
}

void RemoteCommandSession::ReadOutput(int which) {
  UniqueFd& fd = which == 0 ? process_.stdio.stdout : process_.stdio.stderr;
  if (!fd.valid() || output_eof_[which]) return;
  // Allocated on the first output, so idle sessions do not carry it.
  if (read_buffer_.empty()) read_buffer_.resize(kReadChunk);
  char* buf = read_buffer_.data();
  ssize_t n;
  do {
    n = ::read(fd.get(), buf, read_buffer_.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) {
    // 0: every writer closed the pipe. EIO: a PTY whose last slave fd closed.
    output_eof_[which] = true;
    MaybeFinish();
    return;
  }
  bytes_out_ += size_t(n);
  if (params_.observer) params_.observer->OnOutput(std::string_view(buf, size_t(n)));
  const StreamType type = which == 0 ? StreamType::kStdout : StreamType::kStderr;
  auto id = streams_[Index(type)];
  if (!peer_gone_ && id && stream_writable_[Index(type)]) {
    if (Status s = transport_.Write(*id, std::string_view(buf, size_t(n))); !s.ok()) {
      spdlog::warn("streaming: write {} of {}: {}", StreamTypeName(type), container_id_,
               s.error().message);
      stream_writable_[Index(type)] = false;
    }
  }
}

void RemoteCommandSession::OnExited() {
  if (exited_ || !process_.process) return;
  auto code = process_.process->ExitCode();
  if (!code) return;  // spurious wake-up
  exited_ = true;
  outcome_.exit_code = *code;
  if (peer_gone_) {
    End("client gone");
    return;
  }
  phase_ = Phase::kDraining;
  drain_deadline_ = clock_.Now() + params_.timeouts.drain;
  // Nobody will read stdin any more; close it so a background child sees EOF too.
  CloseStdin();
  MaybeFinish();
}

void RemoteCommandSession::MaybeFinish() {
  if (phase_ != Phase::kRunning && phase_ != Phase::kDraining) return;
  if (!output_eof_[0] || !output_eof_[1]) return;
  const bool has_exit = process_.process && process_.process->exit_fd() >= 0;
  if (has_exit && !exited_) return;  // output closed early; the exit decides
  if (!has_exit && (!want_stdout_ && !want_stderr_)) return;  // attach with stdin only
  if (peer_gone_) {
    End("client gone");
    return;
  }
  Finish();
}

void RemoteCommandSession::Finish() {
  // Order matters to clients (§3.3): stdout and stderr end, then the status, then the
  // error stream ends; the connection closes only after the peer has read it all.
  for (StreamType type : {StreamType::kStdout, StreamType::kStderr}) {
    if (auto id = streams_[Index(type)]; id && stream_writable_[Index(type)]) {
      (void)transport_.End(*id);
      stream_writable_[Index(type)] = false;
    }
  }
  // Over HTTP/2 each stream has its own window: written now, the status could overtake
  // output still waiting for stdout's window, and a client that stops at the status would
  // lose that tail.
  phase_ = Phase::kFlushing;
  drain_deadline_.reset();
  MaybeSendStatus();
}

void RemoteCommandSession::OnTransportProgress() {
  if (phase_ == Phase::kFlushing) MaybeSendStatus();
}

void RemoteCommandSession::MaybeSendStatus() {
  if (phase_ != Phase::kFlushing) return;
  for (StreamType type : {StreamType::kStdout, StreamType::kStderr}) {
    if (auto id = streams_[Index(type)]; id && transport_.StreamBacklog(*id) > 0) return;
  }
  if (auto id = streams_[Index(StreamType::kError)]; id && stream_writable_[0]) {
    std::string status = params_.protocol_version >= 4 ? StatusJson(outcome_, command_)
                                                       : StatusText(outcome_, command_);
    if (!status.empty()) (void)transport_.Write(*id, status);
    (void)transport_.End(*id);
    stream_writable_[0] = false;
  }
  for (StreamType type : {StreamType::kStdin, StreamType::kResize}) {
    if (auto id = streams_[Index(type)]; id && stream_writable_[Index(type)]) {
      if (!(type == StreamType::kStdin && params_.protocol_version == 1)) (void)transport_.End(*id);
      stream_writable_[Index(type)] = false;
    }
  }
  transport_.Close();
  End(outcome_.error.empty() ? "completed" : "runtime error");
}

void RemoteCommandSession::End(std::string reason) {
  if (phase_ == Phase::kDone) return;
  phase_ = Phase::kDone;
  if (end_reason_.empty()) end_reason_ = std::move(reason);
  creation_deadline_.reset();
  sizing_deadline_.reset();
  drain_deadline_.reset();
  kill_deadline_.reset();
  give_up_deadline_.reset();
  // Our pipe ends go now; the process object (its destructor kills what still runs in an
  // exec's group and reaps) goes with the session.
  process_.stdio = ProcessStdio{};
  spdlog::info("{}", Summary());
  if (params_.observer) {
    SessionReport report;
    report.exit_code = outcome_.exit_code;
    report.error = outcome_.error;
    report.bytes_in = bytes_in_;
    report.bytes_out = bytes_out_;
    report.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() - started_at_);
    report.end_reason = end_reason_;
    params_.observer->OnEnd(report);
    params_.observer.reset();
  }
}

std::optional<Clock::TimePoint> RemoteCommandSession::NextDeadline() const {
  std::optional<Clock::TimePoint> next;
  for (const auto& d : {creation_deadline_, sizing_deadline_, drain_deadline_, kill_deadline_,
                        give_up_deadline_}) {
    if (d && (!next || *d < *next)) next = d;
  }
  return next;
}

void RemoteCommandSession::OnTimer(Clock::TimePoint now) {
  if (creation_deadline_ && now >= *creation_deadline_) {
    spdlog::warn("streaming: timed out waiting for client to create streams ({} for {})",
             attach_ ? "attach" : "exec", container_id_);
    transport_.Close();
    End("timed out waiting for streams");
    return;
  }
  if (sizing_deadline_ && now >= *sizing_deadline_) Launch();
  if (drain_deadline_ && now >= *drain_deadline_ && OutputHeldBack()) {
    // The drain deadline bounds a background child holding the pipe open, not a slow
    // client: while output waits for the client, the deadline does not run.
    drain_deadline_ = now + params_.timeouts.drain;
  }
  if (drain_deadline_ && now >= *drain_deadline_) {
    drain_deadline_.reset();
    spdlog::info("streaming: output of {} still open {} ms after exit; ending the session",
             container_id_, params_.timeouts.drain.count());
    output_eof_ = {true, true};
    MaybeFinish();
  }
  if (kill_deadline_ && now >= *kill_deadline_) {
    kill_deadline_.reset();
    if (process_.process && !exited_) {
      process_.process->Kill();
      killed_ = true;
      give_up_deadline_ = now + kGiveUpAfterKill;
    }
  }
  if (give_up_deadline_ && now >= *give_up_deadline_) End("client gone; process killed");
}

bool RemoteCommandSession::WantsInput() const { return stdin_buffer_.size() < kMaxStdinBuffer; }

void RemoteCommandSession::OnPeerGone(const std::string& reason) {
  if (phase_ == Phase::kDone || peer_gone_) return;
  peer_gone_ = true;
  end_reason_ = "client gone: " + reason;
  if (phase_ == Phase::kCreating || phase_ == Phase::kSizing) {
    End(end_reason_);
    return;
  }
  if (attach_) {  // detaching never stops the container
    End(end_reason_);
    return;
  }
  if (phase_ == Phase::kDraining || phase_ == Phase::kFlushing || exited_) {
    End(end_reason_);
    return;
  }
  // The process is still running and nobody is there any more.
  if (tty_) {
    if (process_.process) process_.process->Hangup();
  } else {
    stdin_eof_ = true;
    CloseStdin();
  }
  kill_deadline_ = clock_.Now() + params_.timeouts.disconnect_grace;
}

void RemoteCommandSession::OnShutdown() {
  if (phase_ == Phase::kDone) return;
  if (!attach_ && process_.process && !exited_) {
    process_.process->Hangup();
    process_.process->Kill();
    killed_ = true;
  }
  peer_gone_ = true;
  End("daemon stopping");
}

std::string RemoteCommandSession::Summary() const {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  std::string line = "streaming session kind=";
  line += attach_ ? "attach" : "exec";
  line += " transport=" + params_.transport_name + " peer=" + params_.peer +
          " container=" + container_id_;
  if (!attach_) line += " cmd=\"" + JoinCommand(command_) + "\"";
  line += std::string(" tty=") + (tty_ ? "true" : "false");
  line += " exit=" + (outcome_.exit_code ? std::to_string(*outcome_.exit_code) : "none");
  if (killed_) line += " killed=true";
  line += " bytes_in=" + std::to_string(bytes_in_) + " bytes_out=" + std::to_string(bytes_out_);
  line += " duration_ms=" +
          std::to_string(duration_cast<milliseconds>(clock_.Now() - started_at_).count());
  line += " end=\"" + end_reason_ + "\"";
  if (!outcome_.error.empty()) line += " error=\"" + outcome_.error + "\"";
  return line;
}

}  // namespace airlock::streaming
