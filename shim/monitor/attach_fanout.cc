#include "shim/monitor/attach_fanout.h"

#include <errno.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cstring>

#include "shim/monitor/fd_io.h"

namespace airlock::monitor {
namespace {

int64_t MonotonicMs() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// MSG_DONTWAIT: the loop never blocks on a client, whatever mode its descriptor is in.
// MSG_NOSIGNAL: a client that went away is EPIPE, not a signal.
ssize_t SendSome(int fd, const char* data, size_t size) {
  ssize_t n;
  do {
    n = ::send(fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}

}  // namespace

bool AttachFanout::Add(uint64_t id, bool want_stdout, bool want_stderr, UniqueFd* client_stdout,
                       UniqueFd* client_stderr, std::string* error) {
  Client client;
  client.id = id;
  const bool want[kStreams] = {want_stdout, want_stderr};
  UniqueFd* out[kStreams] = {client_stdout, client_stderr};
  for (size_t i = 0; i < kStreams; ++i) {
    if (!want[i]) continue;
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
      *error = std::string("attach: create socket pair: ") + std::strerror(errno);
      client_stdout->reset();
      client_stderr->reset();
      return false;
    }
    client.sinks[i].fd.reset(pair[0]);
    out[i]->reset(pair[1]);
    // The client only reads; a write of its would sit unread in our receive buffer.
    ::shutdown(pair[0], SHUT_RD);
    if (ended_[i]) client.sinks[i].fd.reset();  // nothing more will come: EOF at once
  }
  clients_.push_back(std::move(client));
  return true;
}

bool AttachFanout::Has(uint64_t id) const {
  return std::any_of(clients_.begin(), clients_.end(),
                     [id](const Client& c) { return c.id == id; });
}

void AttachFanout::Remove(uint64_t id) {
  std::erase_if(clients_, [id](const Client& c) { return c.id == id; });
}

size_t AttachFanout::pending_bytes(uint64_t id) const {
  for (const Client& c : clients_) {
    if (c.id == id) return c.sinks[0].pending.size() + c.sinks[1].pending.size();
  }
  return 0;
}

bool AttachFanout::SendPending(Sink* sink) {
  while (!sink->pending.empty()) {
    ssize_t n = SendSome(sink->fd.get(), sink->pending.data(), sink->pending.size());
    if (n < 0) {
      if (errno == EAGAIN) return true;
      sink->fd.reset();  // EPIPE/ECONNRESET: the client closed its end
      sink->pending.clear();
      return false;
    }
    sink->pending.erase(0, static_cast<size_t>(n));
  }
  if (sink->closing) sink->fd.reset();
  return true;
}

void AttachFanout::Drop(Client* client, const char* why) {
  size_t pending = client->sinks[0].pending.size() + client->sinks[1].pending.size();
  LogMonitorError("attach client " + std::to_string(client->id) + " dropped: " + why + " (" +
                  std::to_string(pending) + " bytes unsent)");
  for (Sink& sink : client->sinks) {
    sink.fd.reset();
    sink.pending.clear();
    sink.pending.shrink_to_fit();
  }
}

void AttachFanout::Broadcast(LogStream stream, std::string_view data) {
  const size_t index = Index(stream);
  for (Client& client : clients_) {
    Sink& sink = client.sinks[index];
    if (!sink.fd || data.empty()) continue;
    std::string_view rest = data;
    if (sink.pending.empty()) {
      ssize_t n = SendSome(sink.fd.get(), rest.data(), rest.size());
      if (n < 0 && errno != EAGAIN) {
        sink.fd.reset();
        continue;
      }
      if (n > 0) rest.remove_prefix(static_cast<size_t>(n));
    }
    if (rest.empty()) continue;
    size_t pending = client.sinks[0].pending.size() + client.sinks[1].pending.size();
    if (pending + rest.size() > max_pending_) {
      Drop(&client, "it does not read its output fast enough");
      continue;
    }
    sink.pending.append(rest);
  }
}

void AttachFanout::EndStream(LogStream stream) {
  const size_t index = Index(stream);
  ended_[index] = true;
  for (Client& client : clients_) {
    Sink& sink = client.sinks[index];
    sink.closing = true;
    if (sink.pending.empty()) sink.fd.reset();
  }
}

void AttachFanout::AppendPollFds(std::vector<struct pollfd>* fds) const {
  for (const Client& client : clients_) {
    for (const Sink& sink : client.sinks) {
      // events 0 still reports POLLHUP/POLLERR: a client that closed its end is noticed.
      short events = sink.pending.empty() ? 0 : POLLOUT;
      if (sink.fd) fds->push_back({sink.fd.get(), events, 0});
    }
  }
}

void AttachFanout::HandlePollFds(const struct pollfd* fds, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (fds[i].revents == 0) continue;
    for (Client& client : clients_) {
      for (Sink& sink : client.sinks) {
        if (!sink.fd || sink.fd.get() != fds[i].fd) continue;
        if (fds[i].revents & POLLOUT) {
          SendPending(&sink);
        } else if (fds[i].revents & (POLLHUP | POLLERR)) {
          sink.fd.reset();
          sink.pending.clear();
        }
      }
    }
  }
}

void AttachFanout::Flush(int timeout_ms) {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  std::vector<struct pollfd> fds;
  for (;;) {
    fds.clear();
    for (const Client& client : clients_) {
      for (const Sink& sink : client.sinks) {
        if (sink.fd && !sink.pending.empty()) fds.push_back({sink.fd.get(), POLLOUT, 0});
      }
    }
    int64_t left = deadline - MonotonicMs();
    if (fds.empty() || left <= 0) return;
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(left));
    if (n < 0 && errno != EINTR) return;
    if (n > 0) HandlePollFds(fds.data(), fds.size());
  }
}

}  // namespace airlock::monitor
