// stream_bench_client: the streaming benchmark's in-process client (bench/stream_bench.py).
// It runs `airlock exec`'s own session code (RunStreamingExec) on URLs the benchmark got from
// CRI Exec calls, so that time to first byte is measured without a process start or a gRPC
// connection in the way. One job per stdin line:
//
//     <transport h2|spdy|websocket> <tty 0|1> <url>
//
// stdout of the session goes into a pipe that a thread drains (as `| cat >/dev/null` would),
// stamping the first byte; stderr goes to /dev/null; one JSON line per job on stdout:
//
//     {"first_ns":N,"end_ns":N,"bytes":N,"exit":N,"error":"..."}
//
// Times are CLOCK_REALTIME nanoseconds, the clock of Python's time.time_ns(), so the
// benchmark can subtract the instant it started the Exec RPC. A tty session gets a private
// pseudo-terminal of 80x24 as its size source: without an initial size the server waits up to
// a second for one (streaming/README.md), which would be measured instead of the transport.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/stream_exec.h"
#include "shim/base/unique_fd.h"

namespace {

using airlock::UniqueFd;

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// A pseudo-terminal whose slave has a fixed window size; only its size is ever read.
UniqueFd OpenSizedPty(UniqueFd& master) {
  master = UniqueFd(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (master.get() < 0 || grantpt(master.get()) != 0 || unlockpt(master.get()) != 0) return {};
  const char* name = ptsname(master.get());
  if (name == nullptr) return {};
  UniqueFd slave(open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  winsize ws{};
  ws.ws_row = 24;
  ws.ws_col = 80;
  if (slave.get() >= 0) ioctl(slave.get(), TIOCSWINSZ, &ws);
  return slave;
}

struct Drain {
  int64_t first_ns = 0;
  int64_t bytes = 0;
};

void DrainPipe(int fd, Drain* d) {
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (d->bytes == 0) d->first_ns = NowNs();
    d->bytes += n;
  }
}

std::string RunJob(const std::string& transport_name, bool tty, const std::string& url) {
  auto transport = airlock::cli::ParseExecTransport(transport_name);
  if (!transport.ok()) return "{\"error\":\"" + JsonEscape(transport.error().message) + "\"}";
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return "{\"error\":\"pipe failed\"}";
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  UniqueFd pty_master;
  UniqueFd pty_slave;
  if (tty) pty_slave = OpenSizedPty(pty_master);

  UniqueFd dev_null(open("/dev/null", O_WRONLY | O_CLOEXEC));
  Drain drain;
  std::thread reader(DrainPipe, read_end.get(), &drain);
  airlock::cli::StreamExecOptions options;
  options.url = url;
  options.transport = *transport;
  options.streams = airlock::cli::ExecStreams{false, true, !tty, tty};
  airlock::cli::ExecSessionIo io;
  io.stdin_fd = -1;
  io.stdout_fd = write_end.get();
  io.stderr_fd = dev_null.get();
  io.tty_fd = tty ? pty_slave.get() : -1;
  auto outcome = airlock::cli::RunStreamingExec(options, io);
  write_end = UniqueFd();  // EOF for the reader: the session wrote everything it will
  reader.join();
  int64_t end_ns = NowNs();

  std::ostringstream out;
  out << "{\"first_ns\":" << drain.first_ns << ",\"end_ns\":" << end_ns
      << ",\"bytes\":" << drain.bytes;
  if (outcome.ok()) {
    out << ",\"exit\":" << outcome->exit_code << "}";
  } else {
    out << ",\"exit\":-1,\"error\":\"" << JsonEscape(outcome.error().message) << "\"}";
  }
  return out.str();
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string transport, url;
    int tty = 0;
    if (!(words >> transport >> tty >> url)) {
      std::cout << "{\"error\":\"bad job line\"}" << std::endl;
      continue;
    }
    std::cout << RunJob(transport, tty != 0, url) << std::endl;
  }
  return 0;
}
