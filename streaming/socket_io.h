// SocketIo: how a connection reads and writes its socket — plain TCP, or TLS through
// OpenSSL. Both behave like non-blocking recv/send: -1 with errno EAGAIN when the call would
// block, 0 from Recv at the peer's end of stream.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shim/base/clock.h"
#include "shim/base/result.h"

namespace airlock::streaming {

// Who the client proved to be with its certificate (mTLS): CN = user, O = groups, as the
// Kubernetes x509 authenticator reads them.
struct PeerIdentity {
  std::string user;
  std::vector<std::string> groups;
};

class SocketIo {
 public:
  virtual ~SocketIo() = default;
  virtual ssize_t Recv(char* buf, size_t len) = 0;
  virtual ssize_t Send(const char* data, size_t len) = 0;
  // Our end of the stream (TLS: close_notify first).
  virtual void ShutdownWrite() = 0;
  // Bytes already decrypted and waiting: readable without the socket polling readable.
  virtual size_t Pending() const { return 0; }
  // TLS only: the ALPN protocol agreed ("h2", "http/1.1") and the verified client identity.
  virtual std::string alpn() const { return {}; }
  virtual std::optional<PeerIdentity> peer_identity() const { return std::nullopt; }
};

std::unique_ptr<SocketIo> PlainSocketIo(int fd);

struct TlsOptions {
  std::string cert_file;  // PEM; both empty: a self-signed pair is generated at start
  std::string key_file;
  // PEM bundle of CAs whose client certificates are accepted; empty: no client certificates.
  std::string client_ca_file;
  bool require_client_cert = false;  // refuse the handshake without a valid client certificate
  // Names and addresses the generated certificate is valid for.
  std::vector<std::string> self_signed_hosts = {"localhost", "127.0.0.1", "::1"};
};

class TlsContext {
 public:
  static Result<std::unique_ptr<TlsContext>> Create(const TlsOptions& options);
  ~TlsContext();
  // Runs the server handshake on a non-blocking socket until done, the deadline or stop_fd.
  Result<std::unique_ptr<SocketIo>> Accept(int fd, const Clock& clock, Clock::TimePoint deadline,
                                           int stop_fd);
  // The certificate we present, PEM (clients of a generated pair pin it).
  const std::string& certificate_pem() const { return certificate_pem_; }

  struct Impl;

 private:
  explicit TlsContext(std::unique_ptr<Impl> impl, std::string pem);
  std::unique_ptr<Impl> impl_;
  std::string certificate_pem_;
};

}  // namespace airlock::streaming
