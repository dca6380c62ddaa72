#include "cli/run_spec.h"

#include <sys/random.h>

#include <cctype>
#include <cerrno>
#include <cstdio>

namespace airlock::cli {
namespace {

namespace v1 = runtime::v1;

Status RandomBytes(void* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = getrandom(static_cast<char*>(buf) + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("getrandom", errno);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

// Pods and their containers share the pod's network and IPC namespaces; each container keeps
// its own PID namespace so its command is PID 1 (the kubelet's defaults).
void SetNamespaceOptions(v1::NamespaceOption* ns) {
  ns->set_network(v1::POD);
  ns->set_ipc(v1::POD);
  ns->set_pid(v1::CONTAINER);
}

}  // namespace

std::string ImageBaseName(const std::string& image) {
  std::string s = image.substr(0, image.find('@'));
  if (auto slash = s.rfind('/'); slash != std::string::npos) s = s.substr(slash + 1);
  s = s.substr(0, s.find(':'));
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-';
  }
  while (!out.empty() && out.front() == '-') out.erase(0, 1);
  if (out.size() > 57) out.resize(57);  // leaves room for "-xxxxx" within 63
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "pod" : out;
}

Status ValidateName(const std::string& name, const std::string& what) {
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument, "invalid " + what + " \"" + name + "\": " + why);
  };
  if (name.empty() || name.size() > 63) return bad("want 1 to 63 characters");
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return bad("use lowercase letters, digits and '-'");
    }
  }
  if (name.front() == '-' || name.back() == '-')
    return bad("must start and end with a letter or digit");
  return Status::Ok();
}

Result<std::string> GenerateName(const std::string& image) {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  unsigned char r[5];
  AIRLOCK_RETURN_IF_ERROR(RandomBytes(r, sizeof r));
  std::string suffix;
  for (unsigned char b : r) suffix += kAlphabet[b % (sizeof kAlphabet - 1)];
  return ImageBaseName(image) + "-" + suffix;
}

Result<std::string> NewUid() {
  unsigned char b[16];
  AIRLOCK_RETURN_IF_ERROR(RandomBytes(b, sizeof b));
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return std::string(out);
}

std::string PodLogDirectory(const std::string& ns, const std::string& name,
                            const std::string& uid) {
  return std::string(kPodLogRoot) + "/" + ns + "_" + name + "_" + uid;
}

v1::PodSandboxConfig BuildPodConfig(const RunOptions& opts) {
  v1::PodSandboxConfig pod;
  auto* md = pod.mutable_metadata();
  md->set_name(opts.name);
  md->set_namespace_(opts.ns);
  md->set_uid(opts.uid);
  md->set_attempt(0);
  pod.set_hostname(opts.name);
  pod.set_log_directory(PodLogDirectory(opts.ns, opts.name, opts.uid));
  for (const auto& [k, v] : opts.labels) (*pod.mutable_labels())[k] = v;
  auto* sc = pod.mutable_linux()->mutable_security_context();
  SetNamespaceOptions(sc->mutable_namespace_options());
  // CRI: a privileged container needs a privileged sandbox.
  sc->set_privileged(opts.privileged);
  return pod;
}

v1::ContainerConfig BuildContainerConfig(const RunOptions& opts) {
  v1::ContainerConfig c;
  c.mutable_metadata()->set_name(opts.name);
  c.mutable_metadata()->set_attempt(0);
  c.mutable_image()->set_image(opts.image);
  c.mutable_image()->set_user_specified_image(opts.image);
  // CMD[0] replaces the entrypoint and the rest are its arguments, as `kubectl run --command`.
  if (!opts.command.empty()) {
    c.add_command(opts.command[0]);
    for (size_t i = 1; i < opts.command.size(); ++i) c.add_args(opts.command[i]);
  }
  for (const auto& [k, v] : opts.envs) {
    auto* kv = c.add_envs();
    kv->set_key(k);
    kv->set_value(v);
  }
  for (const auto& [k, v] : opts.labels) (*c.mutable_labels())[k] = v;
  // The kubelet's layout: <container name>/<restart count>.log under the pod's log directory.
  c.set_log_path(opts.name + "/0.log");
  c.set_tty(opts.tty);
  c.set_stdin(opts.stdin);
  auto* sc = c.mutable_linux()->mutable_security_context();
  SetNamespaceOptions(sc->mutable_namespace_options());
  sc->set_privileged(opts.privileged);
  return c;
}

}  // namespace airlock::cli
