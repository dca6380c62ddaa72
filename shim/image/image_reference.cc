#include "shim/image/image_reference.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "shim/image/sha256.h"

namespace airlock {
namespace {

constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | "__" | "-"+
bool IsPathComponent(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  size_t i = 0;
  while (i < s.size()) {
    if (IsLowerAlnum(s[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && !IsLowerAlnum(s[j])) ++j;
    std::string_view sep = s.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" ||
              sep.find_first_not_of('-') == std::string_view::npos;
    if (!ok) return false;
    i = j;
  }
  return true;
}

// domain := label ('.' label)* [':' port]; labels are [A-Za-z0-9] with inner '-'.
bool IsDomain(std::string_view s) {
  size_t colon = s.rfind(':');
  std::string_view host = s.substr(0, colon);
  if (colon != std::string_view::npos) {
    std::string_view port = s.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos)
      return false;
  }
  if (host.empty()) return false;
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || !IsAlnum(label.front()) || !IsAlnum(label.back())) return false;
    for (char c : label)
      if (!IsAlnum(c) && c != '-') return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// tag := [\w][\w.-]{0,127}
bool IsTag(std::string_view s) {
  if (s.empty() || s.size() > kMaxTagLength) return false;
  auto word = [](char c) { return IsAlnum(c) || c == '_'; };
  if (!word(s.front())) return false;
  for (char c : s)
    if (!word(c) && c != '.' && c != '-') return false;
  return true;
}

Error Invalid(std::string_view text, const std::string& reason) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "parse image reference \"" + std::string(text) + "\": " + reason);
}

}  // namespace

std::string ImageReference::String() const {
  std::string out = Repository();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

Result<ImageReference> ParseImageReference(std::string_view text) {
  if (text.empty()) return Invalid(text, "empty");
  ImageReference ref;
  std::string_view rest = text;

  size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!IsSha256Digest(ref.digest)) return Invalid(text, "digest is not sha256:<64 hex>");
  }
  // A tag follows the last ':' only if no '/' comes after it ("host:5000/x" has a port).
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && rest.find('/', colon) == std::string_view::npos) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!IsTag(ref.tag)) return Invalid(text, "invalid tag \"" + ref.tag + "\"");
  }
  if (rest.empty()) return Invalid(text, "missing repository name");

  // The first component is a registry only if it looks like a host (docker's rule).
  size_t slash = rest.find('/');
  std::string_view first = rest.substr(0, slash);
  bool has_domain = slash != std::string_view::npos &&
                    (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
                     std::any_of(first.begin(), first.end(), ::isupper));
  if (has_domain) {
    if (!IsDomain(first)) return Invalid(text, "invalid registry \"" + std::string(first) + "\"");
    ref.domain = std::string(first);
    ref.path = std::string(rest.substr(slash + 1));
  } else {
    ref.domain = "docker.io";
    ref.path = std::string(rest);
  }
  if (ref.domain == "index.docker.io") ref.domain = "docker.io";
  if (!has_domain && ref.path.size() == 64 && IsLowerHex(ref.path))
    return Invalid(text, "a 64-hex string is an image id, not a repository name");
  if (ref.domain == "docker.io" && ref.path.find('/') == std::string::npos)
    ref.path = "library/" + ref.path;

  std::string_view path = ref.path;
  for (;;) {
    size_t s = path.find('/');
    if (!IsPathComponent(path.substr(0, s)))
      return Invalid(text, "invalid repository component \"" + std::string(path.substr(0, s)) +
                               "\" (lower-case letters, digits and . _ - only)");
    if (s == std::string_view::npos) break;
    path = path.substr(s + 1);
  }
  if (ref.Repository().size() > kMaxNameLength) return Invalid(text, "repository name too long");
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

}  // namespace airlock
