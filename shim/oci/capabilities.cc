#include "shim/oci/capabilities.h"

#include "shim/base/capability_names.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "shim/base/file_util.h"

namespace airlock::oci {
namespace {

int CapabilityNumber(const std::string& normalized) {
  const auto& known = KnownCapabilities();
  auto it = std::find(known.begin(), known.end(), normalized);
  return it == known.end() ? -1 : static_cast<int>(it - known.begin());
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

void SortByNumber(std::vector<std::string>* caps) {
  std::sort(caps->begin(), caps->end(), [](const std::string& a, const std::string& b) {
    return CapabilityNumber(a) < CapabilityNumber(b);
  });
  caps->erase(std::unique(caps->begin(), caps->end()), caps->end());
}

bool IsAll(const std::string& name) { return Upper(name) == "ALL"; }

}  // namespace

const std::vector<std::string>& KnownCapabilities() {
  // The position in the shared table is the bit number.
  static const std::vector<std::string> kKnown(kCapabilityNames.begin(), kCapabilityNames.end());
  return kKnown;
}

const std::vector<std::string>& DefaultCapabilities() {
  // Sorted by number so that specs compare equal however they were built.
  static const std::vector<std::string> kDefault = {
      "CAP_CHOWN",       "CAP_DAC_OVERRIDE", "CAP_FOWNER",
      "CAP_FSETID",      "CAP_KILL",         "CAP_SETGID",
      "CAP_SETUID",      "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE",
      "CAP_NET_RAW",     "CAP_SYS_CHROOT",   "CAP_MKNOD",
      "CAP_AUDIT_WRITE", "CAP_SETFCAP",
  };
  return kDefault;
}

Result<std::string> NormalizeCapability(const std::string& name) {
  std::string upper = Upper(name);
  if (upper.rfind("CAP_", 0) != 0) upper = "CAP_" + upper;
  if (CapabilityNumber(upper) < 0)
    return MakeError(ErrorCode::kInvalidArgument, "\"" + name + "\" is not a known capability");
  return upper;
}

std::vector<std::string> CapabilitiesFromMask(uint64_t mask) {
  std::vector<std::string> out;
  const auto& known = KnownCapabilities();
  for (size_t bit = 0; bit < known.size(); ++bit) {
    if (mask & (uint64_t{1} << bit)) out.push_back(known[bit]);
  }
  return out;
}

Result<std::vector<std::string>> CurrentProcessCapabilities() {
  auto status = ReadFile("/proc/self/status", 1 << 20);
  if (!status.ok()) return status.error().Wrap("read own capabilities");
  std::istringstream in(*status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapPrm:", 0) != 0) continue;
    try {
      return CapabilitiesFromMask(std::stoull(line.substr(7), nullptr, 16));
    } catch (const std::exception&) {
      return MakeError(ErrorCode::kInternal, "parse /proc/self/status: bad CapPrm line");
    }
  }
  return MakeError(ErrorCode::kInternal, "parse /proc/self/status: no CapPrm line");
}

bool HasCapability(const std::vector<std::string>& set, const std::string& cap) {
  return std::find(set.begin(), set.end(), cap) != set.end();
}

Result<std::vector<std::string>> ComputeCapabilities(const runtime::v1::Capability& cri,
                                                     const std::vector<std::string>& grantable,
                                                     const std::string& field) {
  std::vector<std::string> caps;
  // Defaults the host cannot grant are left out quietly: asking for them would only make
  // runc fail on a host where they were never available.
  for (const auto& c : DefaultCapabilities()) {
    if (HasCapability(grantable, c)) caps.push_back(c);
  }
  bool add_all = std::any_of(cri.add_capabilities().begin(), cri.add_capabilities().end(), IsAll);
  bool drop_all =
      std::any_of(cri.drop_capabilities().begin(), cri.drop_capabilities().end(), IsAll);
  if (add_all) caps = grantable;
  if (drop_all) caps.clear();

  for (int i = 0; i < cri.add_capabilities_size(); ++i) {
    const std::string& name = cri.add_capabilities(i);
    if (IsAll(name)) continue;
    std::string where = field + ".add_capabilities[" + std::to_string(i) + "]";
    auto cap = NormalizeCapability(name);
    if (!cap.ok()) return cap.error().Wrap(where);
    if (!HasCapability(grantable, *cap)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       where + ": " + *cap + " is not held by the runtime and cannot be granted");
    }
    caps.push_back(*cap);
  }
  for (int i = 0; i < cri.drop_capabilities_size(); ++i) {
    const std::string& name = cri.drop_capabilities(i);
    if (IsAll(name)) continue;
    auto cap = NormalizeCapability(name);
    if (!cap.ok()) return cap.error().Wrap(field + ".drop_capabilities[" + std::to_string(i) + "]");
    caps.erase(std::remove(caps.begin(), caps.end(), *cap), caps.end());
  }
  SortByNumber(&caps);
  return caps;
}

}  // namespace airlock::oci
