#include "streaming/socket_io.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstring>

namespace airlock::streaming {
namespace {

struct SslCtxDeleter {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslDeleter {
  void operator()(SSL* p) const { SSL_free(p); }
};
struct X509Deleter {
  void operator()(X509* p) const { X509_free(p); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

Error TlsError(const std::string& what) {
  return MakeError(ErrorCode::kInternal, what + ": " + OpenSslError());
}

class Plain final : public SocketIo {
 public:
  explicit Plain(int fd) : fd_(fd) {}
  ssize_t Recv(char* buf, size_t len) override { return ::recv(fd_, buf, len, 0); }
  ssize_t Send(const char* data, size_t len) override {
    return ::send(fd_, data, len, MSG_NOSIGNAL);
  }
  void ShutdownWrite() override { ::shutdown(fd_, SHUT_WR); }

 private:
  int fd_;
};

std::optional<PeerIdentity> IdentityOf(SSL* ssl) {
  X509Ptr cert(SSL_get1_peer_certificate(ssl));
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  X509_NAME* subject = X509_get_subject_name(cert.get());
  PeerIdentity id;
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    if (nid != NID_commonName && nid != NID_organizationName) continue;
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (len < 0) continue;
    std::string value(reinterpret_cast<char*>(utf8), size_t(len));
    OPENSSL_free(utf8);
    if (nid == NID_commonName) id.user = value;
    else id.groups.push_back(value);
  }
  if (id.user.empty()) return std::nullopt;
  return id;
}

class Tls final : public SocketIo {
 public:
  Tls(SslPtr ssl) : ssl_(std::move(ssl)) {
    const unsigned char* proto = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(ssl_.get(), &proto, &len);
    if (proto) alpn_.assign(reinterpret_cast<const char*>(proto), len);
    identity_ = IdentityOf(ssl_.get());
  }
  ssize_t Recv(char* buf, size_t len) override {
    ERR_clear_error();
    int n = SSL_read(ssl_.get(), buf, int(std::min<size_t>(len, INT32_MAX)));
    if (n > 0) return n;
    return Failed(n);
  }
  ssize_t Send(const char* data, size_t len) override {
    ERR_clear_error();
    int n = SSL_write(ssl_.get(), data, int(std::min<size_t>(len, INT32_MAX)));
    if (n > 0) return n;
    return Failed(n);
  }
  void ShutdownWrite() override {
    SSL_shutdown(ssl_.get());  // close_notify; we do not wait for the peer's
    ::shutdown(SSL_get_fd(ssl_.get()), SHUT_WR);
  }
  size_t Pending() const override { return size_t(SSL_pending(ssl_.get())); }
  std::string alpn() const override { return alpn_; }
  std::optional<PeerIdentity> peer_identity() const override { return identity_; }

 private:
  ssize_t Failed(int ret) {
    switch (SSL_get_error(ssl_.get(), ret)) {
      case SSL_ERROR_WANT_READ:
      case SSL_ERROR_WANT_WRITE:
        errno = EAGAIN;
        return -1;
      case SSL_ERROR_ZERO_RETURN:
        return 0;
      case SSL_ERROR_SYSCALL:
        if (errno == 0 || ret == 0) return 0;  // EOF without close_notify
        return -1;
      default:
        ERR_clear_error();
        errno = EPROTO;
        return -1;
    }
  }
  SslPtr ssl_;
  std::string alpn_;
  std::optional<PeerIdentity> identity_;
};

// ALPN: HTTP/2 when the client offers it, else HTTP/1.1 (SPDY and WebSocket clients force
// http/1.1, mission-anchors §0.1); a client offering neither proceeds without ALPN.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned inlen, void*) {
  for (const char* want : {"h2", "http/1.1"}) {
    const size_t wlen = strlen(want);
    for (unsigned i = 0; i < inlen;) {
      unsigned len = in[i];
      if (i + 1 + len > inlen) break;
      if (len == wlen && memcmp(in + i + 1, want, wlen) == 0) {
        *out = in + i + 1;
        *outlen = (unsigned char)len;
        return SSL_TLSEXT_ERR_OK;
      }
      i += 1 + len;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// An in-memory key pair and certificate, as containerd and CRI-O make when TLS streaming is
// on without configured files. Valid for a year; clients must pin or skip verification.
Status MakeSelfSigned(const std::vector<std::string>& hosts, PkeyPtr* key_out, X509Ptr* cert_out) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return TlsError("generate streaming TLS key");
  X509Ptr cert(X509_new());
  if (!cert) return TlsError("create streaming certificate");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("airlock streaming"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  std::string san;
  for (const auto& host : hosts) {
    if (!san.empty()) san += ",";
    const bool ip = host.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos &&
                    (host.find('.') != std::string::npos || host.find(':') != std::string::npos);
    san += (ip ? "IP:" : "DNS:") + host;
  }
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  if (X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str())) {
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return TlsError("sign streaming certificate");
  *key_out = std::move(key);
  *cert_out = std::move(cert);
  return Status::Ok();
}

}  // namespace

std::unique_ptr<SocketIo> PlainSocketIo(int fd) { return std::make_unique<Plain>(fd); }

struct TlsContext::Impl {
  SslCtxPtr ctx;
};

TlsContext::TlsContext(std::unique_ptr<Impl> impl, std::string pem)
    : impl_(std::move(impl)), certificate_pem_(std::move(pem)) {}
TlsContext::~TlsContext() = default;

Result<std::unique_ptr<TlsContext>> TlsContext::Create(const TlsOptions& options) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return TlsError("create TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  std::string pem;
  if (options.cert_file.empty() != options.key_file.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "streaming TLS: set both tls_cert_file and tls_key_file, or neither");
  }
  if (!options.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), options.cert_file.c_str()) != 1) {
      return TlsError("load streaming certificate " + options.cert_file);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return TlsError("load streaming key " + options.key_file);
    }
  } else {
    PkeyPtr key;
    X509Ptr cert;
    AIRLOCK_RETURN_IF_ERROR(MakeSelfSigned(options.self_signed_hosts, &key, &cert));
    if (SSL_CTX_use_certificate(ctx.get(), cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1) {
      return TlsError("use generated streaming certificate");
    }
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) return TlsError("streaming TLS key does not match");
  if (X509* leaf = SSL_CTX_get0_certificate(ctx.get())) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), leaf);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    pem.assign(data, size_t(len));
  }
  if (!options.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), options.client_ca_file.c_str(), nullptr) != 1) {
      return TlsError("load client CA " + options.client_ca_file);
    }
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx.get(), names);
    }
    SSL_CTX_set_verify(ctx.get(),
                       SSL_VERIFY_PEER |
                           (options.require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                       nullptr);
  } else if (options.require_client_cert) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "streaming TLS: client certificates required but no client CA file set");
  }
  SSL_CTX_set_alpn_select_cb(ctx.get(), &SelectAlpn, nullptr);
  auto impl = std::make_unique<Impl>();
  impl->ctx = std::move(ctx);
  return std::unique_ptr<TlsContext>(new TlsContext(std::move(impl), std::move(pem)));
}

Result<std::unique_ptr<SocketIo>> TlsContext::Accept(int fd, const Clock& clock,
                                                      Clock::TimePoint deadline, int stop_fd) {
  SslPtr ssl(SSL_new(impl_->ctx.get()));
  if (!ssl) return TlsError("create TLS session");
  SSL_set_fd(ssl.get(), fd);
  for (;;) {
    ERR_clear_error();
    int ret = SSL_accept(ssl.get());
    if (ret == 1) break;
    short events = 0;
    switch (SSL_get_error(ssl.get(), ret)) {
      case SSL_ERROR_WANT_READ: events = POLLIN; break;
      case SSL_ERROR_WANT_WRITE: events = POLLOUT; break;
      default: return TlsError("TLS handshake");
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.Now());
    if (left.count() <= 0) return MakeError(ErrorCode::kDeadlineExceeded, "TLS handshake: timed out");
    pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    int n = ::poll(fds, 2, int(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) return ErrnoError("TLS handshake: poll", errno);
    if (n > 0 && fds[1].revents) return MakeError(ErrorCode::kUnavailable, "TLS handshake: server stopping");
  }
  return std::unique_ptr<SocketIo>(std::make_unique<Tls>(std::move(ssl)));
}

}  // namespace airlock::streaming
