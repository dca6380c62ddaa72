#include "streaming/stream_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "streaming/connection.h"

namespace airlock::streaming {
namespace {

// Connection threads do little on their stacks (64 KiB read buffers at most); a small stack
// keeps 1,000 idle sessions cheap (glibc's default would reserve 8 MiB each).
constexpr size_t kConnectionStack = 512 * 1024;

std::string PeerName(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "?";
}

}  // namespace

struct StreamServer::Impl {
  StreamServerOptions options;
  Runtime* runtime = nullptr;
  RequestCache* cache = nullptr;
  const Clock* clock = nullptr;
  UniqueFd listener;
  UniqueFd stop_fd;
  std::unique_ptr<TlsContext> tls;
  NodeApi* node_api = nullptr;
  std::string host;  // as it goes into URLs ("127.0.0.1", "[::1]")
  uint16_t port = 0;
  std::thread acceptor;
  bool started = false;
  bool stopped = false;

  std::mutex mu;
  std::condition_variable idle;
  size_t connections = 0;

  ConnectionContext context() const {
    return ConnectionContext{runtime, cache, clock, &options, stop_fd.get(), tls.get(), node_api};
  }

  struct ThreadArg {
    Impl* impl;
    UniqueFd socket;
    std::string peer;
  };

  static void* ConnectionMain(void* raw) {
    std::unique_ptr<ThreadArg> arg(static_cast<ThreadArg*>(raw));
    Impl* impl = arg->impl;
    ServeConnection(std::move(arg->socket), std::move(arg->peer), impl->context());
    arg.reset();
    std::lock_guard lock(impl->mu);
    if (--impl->connections == 0) impl->idle.notify_all();
    return nullptr;
  }

  void AcceptLoop() {
    for (;;) {
      pollfd fds[2] = {{listener.get(), POLLIN, 0}, {stop_fd.get(), POLLIN, 0}};
      int n = ::poll(fds, 2, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || fds[1].revents) return;
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      int raw = ::accept4(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len,
                          SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (raw < 0) {
        if (errno == EMFILE || errno == ENFILE) {
          // Out of descriptors: back off instead of spinning on a ready listener.
          spdlog::error("streaming: accept: {}", strerror(errno));
          ::poll(nullptr, 0, 100);
        }
        continue;
      }
      UniqueFd socket(raw);
      {
        std::lock_guard lock(mu);
        if (connections >= options.max_connections) {
          spdlog::warn("streaming: refusing a connection: {} open", connections);
          continue;  // closes it
        }
        ++connections;
      }
      auto* arg = new ThreadArg{this, std::move(socket), PeerName(addr)};
      pthread_attr_t attr;
      pthread_attr_init(&attr);
      pthread_attr_setstacksize(&attr, kConnectionStack);
      pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      pthread_t thread;
      int err = pthread_create(&thread, &attr, &ConnectionMain, arg);
      pthread_attr_destroy(&attr);
      if (err != 0) {
        spdlog::error("streaming: start connection thread: {}", strerror(err));
        delete arg;
        std::lock_guard lock(mu);
        if (--connections == 0) idle.notify_all();
      }
    }
  }
};

StreamServer::StreamServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StreamServer::~StreamServer() { Stop(); }

Result<std::unique_ptr<StreamServer>> StreamServer::Create(StreamServerOptions options,
                                                           Runtime* runtime,
                                                           RequestCache* cache,
                                                           const Clock* clock) {
  auto impl = std::make_unique<Impl>();
  impl->runtime = runtime;
  impl->cache = cache;
  impl->clock = clock;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  auto* in = reinterpret_cast<sockaddr_in*>(&addr);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
  std::string host = options.address;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (inet_pton(AF_INET, host.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(options.port);
    addr_len = sizeof *in;
    impl->host = host;
  } else if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(options.port);
    addr_len = sizeof *in6;
    impl->host = "[" + host + "]";
  } else {
    return MakeError(ErrorCode::kInvalidArgument,
                     "streaming address " + options.address + ": not an IPv4 or IPv6 address");
  }
  UniqueFd fd(::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return ErrnoError("create streaming socket", errno);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const std::string where = impl->host + ":" + std::to_string(options.port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    return ErrnoError("bind streaming server to " + where, errno, ErrorCode::kUnavailable);
  }
  if (::listen(fd.get(), 1024) != 0) return ErrnoError("listen on " + where, errno);
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len);
  impl->port = ntohs(bound.ss_family == AF_INET
                         ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                         : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  impl->listener = std::move(fd);
  impl->stop_fd = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!impl->stop_fd.valid()) return ErrnoError("create eventfd", errno);
  if (options.tls) {
    auto tls = TlsContext::Create(*options.tls);
    if (!tls.ok()) return tls.error();
    impl->tls = std::move(*tls);
  }
  impl->options = std::move(options);
  return std::unique_ptr<StreamServer>(new StreamServer(std::move(impl)));
}

void StreamServer::SetNodeApi(NodeApi* node_api) { impl_->node_api = node_api; }

Status StreamServer::Start() {
  if (impl_->started) return MakeError(ErrorCode::kFailedPrecondition, "streaming server already started");
  impl_->started = true;
  impl_->acceptor = std::thread([impl = impl_.get()] { impl->AcceptLoop(); });
  spdlog::info("streaming server listening on {}", base_url());
  return Status::Ok();
}

void StreamServer::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  uint64_t one = 1;
  (void)!::write(impl_->stop_fd.get(), &one, sizeof one);  // wakes the acceptor and every session
  if (impl_->acceptor.joinable()) impl_->acceptor.join();
  std::unique_lock lock(impl_->mu);
  impl_->idle.wait(lock, [&] { return impl_->connections == 0; });
}

std::string StreamServer::base_url() const {
  return std::string(impl_->tls ? "https://" : "http://") + impl_->host + ":" + std::to_string(impl_->port) + "/";
}

uint16_t StreamServer::port() const { return impl_->port; }

std::string StreamServer::certificate_pem() const {
  return impl_->tls ? impl_->tls->certificate_pem() : std::string();
}

size_t StreamServer::active_connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections;
}

}  // namespace airlock::streaming
