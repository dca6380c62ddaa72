// Sha256: incremental SHA-256 over OpenSSL's EVP interface. Every digest check in the image
// store (blobs, configs, uncompressed layer diff ids) goes through this one type.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "shim/base/result.h"

namespace airlock {

class Sha256 {
 public:
  static Result<Sha256> Create();

  void Update(const void* data, size_t len);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Lower-case hex of the digest; the hasher must not be updated afterwards.
  std::string FinishHex();

 private:
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  explicit Sha256(std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx) : ctx_(std::move(ctx)) {}

  std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx_;
};

// "sha256:<hex>" of a whole buffer.
Result<std::string> Sha256Digest(std::string_view data);

// True for "sha256:" followed by exactly 64 lower-case hex digits.
bool IsSha256Digest(std::string_view digest);
bool IsLowerHex(std::string_view s);

}  // namespace airlock
