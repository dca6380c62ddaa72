#include "shim/image/sha256.h"

namespace airlock {

Result<Sha256> Sha256::Create() {
  std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return MakeError(ErrorCode::kInternal, "create sha256 context: OpenSSL failed");
  return Sha256(std::move(ctx));
}

void Sha256::Update(const void* data, size_t len) {
  // EVP_DigestUpdate only fails on a broken context, which Create() rules out.
  EVP_DigestUpdate(ctx_.get(), data, len);
}

std::string Sha256::FinishHex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

Result<std::string> Sha256Digest(std::string_view data) {
  auto h = Sha256::Create();
  if (!h.ok()) return h.error();
  h->Update(data);
  return "sha256:" + h->FinishHex();
}

bool IsLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return !s.empty();
}

bool IsSha256Digest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.size() != kPrefix.size() + 64 || digest.substr(0, kPrefix.size()) != kPrefix)
    return false;
  return IsLowerHex(digest.substr(kPrefix.size()));
}

}  // namespace airlock
