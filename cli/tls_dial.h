// TlsTunnel: the client side of TLS for the streaming exec clients (https:// URLs, the node
// exec API behind `airlock --server https://...`). The session loop (exec_session.h) and the
// protocol clients speak plain bytes over a socket; rather than teach each of them OpenSSL,
// the tunnel runs the handshake on the TCP connection and then relays between it and one end
// of a socketpair, on a thread of its own. The caller gets the other end, which behaves like
// the TCP socket would have: bytes in order, EOF when the server ends the connection.
//
// Verification follows kubectl's flags: the server certificate must chain to
// --certificate-authority (or the system's CAs when none is given) and name the host of the
// URL (DNS name or IP address SAN), unless --insecure-skip-tls-verify. A client certificate
// and key (mTLS) are presented when configured. ALPN offers the protocols of the transport:
// "h2" for HTTP/2, "http/1.1" for the upgrade-based ones.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "shim/base/result.h"
#include "shim/base/unique_fd.h"

namespace airlock::cli {

struct TlsDialOptions {
  std::string ca_file;           // PEM bundle that verifies the server; "" = the system's CAs
  std::string client_cert_file;  // PEM certificate (chain) for mTLS; needs client_key_file
  std::string client_key_file;
  bool insecure_skip_verify = false;  // no chain or name check (kubectl's flag of that name)
  std::vector<std::string> alpn;      // offered, most preferred first; empty = no ALPN
  std::chrono::milliseconds handshake_timeout{30000};
};

class TlsTunnel {
 public:
  // Runs the client handshake on the connected socket `tcp` to `host` (the URL's host: the
  // name checked against the certificate and sent as SNI unless it is an IP address), then
  // starts relaying. Errors name the host and OpenSSL's reason (verification failures say
  // which check failed).
  static Result<std::unique_ptr<TlsTunnel>> Start(UniqueFd tcp, const std::string& host,
                                                  const TlsDialOptions& options);
  // Stops the relay and waits for its thread. Close the local end first (the session does)
  // so that the last bytes and the close_notify go out before the stop.
  ~TlsTunnel();
  TlsTunnel(const TlsTunnel&) = delete;
  TlsTunnel& operator=(const TlsTunnel&) = delete;

  // The plaintext end (once; later calls return an invalid fd).
  UniqueFd TakeLocalEnd() { return std::move(local_); }
  // The ALPN protocol the server chose, "" when none.
  const std::string& alpn() const { return alpn_; }
  // Why the TLS connection broke, "" while it is fine or after a clean close. The session
  // only sees EOF on its end; this says what OpenSSL saw (e.g. the server's alert when it
  // rejected our client certificate, which TLS 1.3 reports after the handshake).
  std::string failure() const;

 private:
  struct CtxDeleter {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
  };
  struct SslDeleter {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };

  TlsTunnel() = default;
  void Relay();

  std::unique_ptr<SSL_CTX, CtxDeleter> ctx_;
  std::unique_ptr<SSL, SslDeleter> ssl_;
  UniqueFd tcp_;
  UniqueFd relay_;  // our end of the socketpair, used by the thread only
  UniqueFd local_;  // the caller's end
  UniqueFd stop_;   // eventfd: the destructor's "stop now"
  std::string alpn_;
  mutable std::mutex mu_;
  std::string failure_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace airlock::cli
