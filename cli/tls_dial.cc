#include "cli/tls_dial.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <system_error>

namespace airlock::cli {
namespace {

// Decrypted bytes waiting for the local end before the relay stops reading the server: the
// session's own backpressure (it writes output before reading more) reaches the server.
constexpr size_t kMaxToLocal = 256 * 1024;
constexpr size_t kChunk = 16 * 1024;

// OpenSSL's queued reasons, oldest first ("certificate verify failed", ...).
std::string OpenSslReasons() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    const char* reason = ERR_reason_error_string(e);
    if (!out.empty()) out += "; ";
    out += reason != nullptr ? reason : buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// ALPN wire format: each name prefixed by its length.
Result<std::string> AlpnWire(const std::vector<std::string>& names) {
  std::string wire;
  for (const auto& n : names) {
    if (n.empty() || n.size() > 255)
      return MakeError(ErrorCode::kInvalidArgument,
                       "offer ALPN protocol \"" + n + "\": bad length");
    wire.push_back(static_cast<char>(n.size()));
    wire += n;
  }
  return wire;
}

Status SetNonBlocking(int fd, const char* what) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
    return ErrnoError(std::string("set ") + what + " non-blocking", errno);
  return Status::Ok();
}

// Blocks SIGPIPE on this thread for its scope; a SIGPIPE raised meanwhile is consumed
// before the old mask returns, so it is never delivered.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&previous_, SIGPIPE) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_;
  sigset_t previous_;
};

}  // namespace

Result<std::unique_ptr<TlsTunnel>> TlsTunnel::Start(UniqueFd tcp, const std::string& host,
                                                    const TlsDialOptions& options) {
  const std::string what = "TLS handshake with " + host;
  if (options.client_cert_file.empty() != options.client_key_file.empty())
    return MakeError(ErrorCode::kInvalidArgument,
                     "client certificate: give both the certificate and the key file");
  std::unique_ptr<TlsTunnel> t(new TlsTunnel());
  ERR_clear_error();
  t->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!t->ctx_) return MakeError(ErrorCode::kInternal, "create TLS context: " + OpenSslReasons());
  SSL_CTX* ctx = t->ctx_.get();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Partial writes: the relay hands OpenSSL all it has and keeps what was not taken. A retry
  // after WANT_WRITE passes the same bytes, not necessarily at the same address.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (options.insecure_skip_verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    int loaded = options.ca_file.empty()
                     ? SSL_CTX_set_default_verify_paths(ctx)
                     : SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr);
    if (loaded != 1) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "load certificate authority " +
                           (options.ca_file.empty() ? std::string("(system)") : options.ca_file) +
                           ": " + OpenSslReasons());
    }
  }
  if (!options.client_cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, options.client_cert_file.c_str()) != 1)
      return MakeError(
          ErrorCode::kInvalidArgument,
          "load client certificate " + options.client_cert_file + ": " + OpenSslReasons());
    if (SSL_CTX_use_PrivateKey_file(ctx, options.client_key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      return MakeError(ErrorCode::kInvalidArgument,
                       "load client key " + options.client_key_file + ": " + OpenSslReasons());
    if (SSL_CTX_check_private_key(ctx) != 1)
      return MakeError(ErrorCode::kInvalidArgument, "load client key " + options.client_key_file +
                                                        ": it does not match the certificate " +
                                                        options.client_cert_file);
  }
  if (!options.alpn.empty()) {
    auto wire = AlpnWire(options.alpn);
    if (!wire.ok()) return wire.error();
    // The one OpenSSL call that returns 0 on success.
    if (SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire->data()),
                                static_cast<unsigned>(wire->size())) != 0)
      return MakeError(ErrorCode::kInternal, "offer ALPN protocols: " + OpenSslReasons());
  }

  t->ssl_.reset(SSL_new(ctx));
  if (!t->ssl_) return MakeError(ErrorCode::kInternal, "create TLS session: " + OpenSslReasons());
  SSL* ssl = t->ssl_.get();
  if (!options.insecure_skip_verify) {
    // The name check: an IP literal must be an IP SAN, a name a DNS SAN (or the CN).
    int named = IsIpAddress(host) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str())
                                  : SSL_set1_host(ssl, host.c_str());
    if (named != 1)
      return MakeError(ErrorCode::kInvalidArgument,
                       "verify server name " + host + ": " + OpenSslReasons());
  }
  if (!IsIpAddress(host)) SSL_set_tlsext_host_name(ssl, host.c_str());  // SNI takes names only
  AIRLOCK_RETURN_IF_ERROR(SetNonBlocking(tcp.get(), "TLS socket"));
  if (SSL_set_fd(ssl, tcp.get()) != 1)
    return MakeError(ErrorCode::kInternal, "attach TLS session: " + OpenSslReasons());
  t->tcp_ = std::move(tcp);

  // OpenSSL writes the handshake with write(2): a server that hangs up midway would raise
  // SIGPIPE and kill us. Hold it blocked for the handshake and drop one that came.
  SigpipeBlock no_sigpipe;
  const auto deadline = std::chrono::steady_clock::now() + options.handshake_timeout;
  for (;;) {
    ERR_clear_error();
    int rc = SSL_connect(ssl);
    if (rc == 1) break;
    int err = SSL_get_error(ssl, rc);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) {
        return MakeError(ErrorCode::kUnavailable,
                         what + ": the server's certificate failed verification: " +
                             X509_verify_cert_error_string(verify) +
                             " (give its CA with --certificate-authority, or "
                             "--insecure-skip-tls-verify)");
      }
      if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        return MakeError(ErrorCode::kUnavailable,
                         what + ": the server closed the connection" +
                             (errno != 0 ? std::string(" (") + strerror(errno) + ")" : "") +
                             "; is it a TLS port, and does it want a client certificate?");
      }
      return MakeError(ErrorCode::kUnavailable, what + ": " + OpenSslReasons());
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return MakeError(ErrorCode::kDeadlineExceeded, what + ": timed out");
    pollfd p{t->tcp_.get(), static_cast<short>(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
    if (poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR)
      return ErrnoError(what + ": poll", errno, ErrorCode::kUnavailable);
  }

  const unsigned char* chosen = nullptr;
  unsigned chosen_len = 0;
  SSL_get0_alpn_selected(ssl, &chosen, &chosen_len);
  t->alpn_.assign(reinterpret_cast<const char*>(chosen), chosen_len);
  // No ALPN answer means HTTP/1.1; fine when we offered it, not when we need h2.
  if (!options.alpn.empty() && t->alpn_.empty() &&
      std::find(options.alpn.begin(), options.alpn.end(), "http/1.1") == options.alpn.end()) {
    return MakeError(ErrorCode::kUnavailable,
                     what + ": the server agreed to none of the offered protocols (ALPN " +
                         options.alpn.front() + ")");
  }

  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    return ErrnoError("create TLS relay socketpair", errno);
  t->local_.reset(pair[0]);
  t->relay_.reset(pair[1]);
  AIRLOCK_RETURN_IF_ERROR(SetNonBlocking(t->relay_.get(), "TLS relay socket"));
  t->stop_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!t->stop_) return ErrnoError("create TLS relay stop event", errno);
  // The relay thread takes no signals: SIGWINCH/SIGINT stay with the session's thread, and a
  // write to a closed server socket is EPIPE instead of a process-killing SIGPIPE. A new
  // thread inherits the creator's mask, so block everything around its creation.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  try {
    t->thread_ = std::thread([raw = t.get()] { raw->Relay(); });
  } catch (const std::system_error& e) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return MakeError(ErrorCode::kResourceExhausted, std::string("start TLS relay: ") + e.what());
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return t;
}

std::string TlsTunnel::failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

TlsTunnel::~TlsTunnel() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!write(stop_.get(), &one, sizeof(one));
    thread_.join();
  }
}

// Everything here is non-blocking; each pass tries every direction and polls only when none
// moved. OpenSSL may hold decrypted bytes the socket no longer signals, so SSL_read is tried
// on every pass rather than only after POLLIN.
void TlsTunnel::Relay() {
  SSL* ssl = ssl_.get();
  std::string to_local;     // decrypted, for the caller
  std::string to_server;    // from the caller, to encrypt
  bool server_open = true;  // more may come from the server
  bool local_open = true;   // more may come from the caller
  bool local_write_closed = false;
  char buf[kChunk];
  for (;;) {
    bool moved = false;
    bool want_server_write = false;

    if (!to_server.empty()) {
      ERR_clear_error();
      int n = SSL_write(ssl, to_server.data(),
                        static_cast<int>(std::min<size_t>(to_server.size(), INT_MAX)));
      if (n > 0) {
        to_server.erase(0, static_cast<size_t>(n));
        moved = true;
      } else {
        int err = SSL_get_error(ssl, n);
        if (err == SSL_ERROR_WANT_WRITE) {
          want_server_write = true;
        } else if (err != SSL_ERROR_WANT_READ) {
          return;  // the connection is gone: closing our end tells the caller
        }
      }
    }

    while (server_open && to_local.size() < kMaxToLocal) {
      ERR_clear_error();
      int n = SSL_read(ssl, buf, sizeof(buf));
      if (n > 0) {
        to_local.append(buf, static_cast<size_t>(n));
        moved = true;
        continue;
      }
      int err = SSL_get_error(ssl, n);
      if (err == SSL_ERROR_WANT_WRITE) want_server_write = true;
      // close_notify, EOF, a reset or a broken record: no more bytes from the server.
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        // OpenSSL 3 calls a close without close_notify an error; for us it is an EOF like
        // any other (the protocol above knows whether the answer was complete).
        if (err == SSL_ERROR_SSL &&
            ERR_GET_REASON(ERR_peek_error()) != SSL_R_UNEXPECTED_EOF_WHILE_READING) {
          std::lock_guard<std::mutex> lock(mu_);
          failure_ = OpenSslReasons();
        }
        server_open = false;
        moved = true;
      }
      break;
    }

    if (!to_local.empty()) {
      ssize_t n = send(relay_.get(), to_local.data(), to_local.size(), MSG_NOSIGNAL);
      if (n > 0) {
        to_local.erase(0, static_cast<size_t>(n));
        moved = true;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return;  // the caller closed its end
      }
    }
    if (!server_open && to_local.empty() && !local_write_closed) {
      shutdown(relay_.get(), SHUT_WR);  // the caller reads EOF, as from the TCP socket
      local_write_closed = true;
    }

    if (local_open && to_server.empty()) {
      ssize_t n = recv(relay_.get(), buf, sizeof(buf), 0);
      if (n > 0) {
        to_server.assign(buf, static_cast<size_t>(n));
        moved = true;
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        local_open = false;
        moved = true;
      }
    }
    if (!local_open && to_server.empty()) {
      // The caller is done: say goodbye properly (best effort, the socket is non-blocking).
      if (server_open) SSL_shutdown(ssl);
      return;
    }
    if (moved) continue;

    pollfd fds[3];
    fds[0] = {tcp_.get(), 0, 0};
    if (server_open && to_local.size() < kMaxToLocal) fds[0].events |= POLLIN;
    if (!to_server.empty()) fds[0].events |= POLLIN;  // SSL_write may wait for a read
    if (want_server_write) fds[0].events |= POLLOUT;
    fds[1] = {relay_.get(), 0, 0};
    if (local_open && to_server.empty()) fds[1].events |= POLLIN;
    if (!to_local.empty()) fds[1].events |= POLLOUT;
    // A descriptor with nothing to wait for is left out: its POLLHUP would spin the loop.
    if (fds[0].events == 0) fds[0].fd = -1;
    if (fds[1].events == 0) fds[1].fd = -1;
    fds[2] = {stop_.get(), POLLIN, 0};
    if (poll(fds, 3, -1) < 0 && errno != EINTR) return;
    if ((fds[2].revents & POLLIN) != 0) return;
  }
}

}  // namespace airlock::cli
