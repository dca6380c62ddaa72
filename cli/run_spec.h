// What `airlock run` asks the daemon for: the pod sandbox config and the container config built
// from the command line, as pure functions so tests pin every field the daemon will see.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "proto/cri_api.h"
#include "shim/base/result.h"

namespace airlock::cli {

inline constexpr char kPodLogRoot[] = "/var/log/airlock/pods";

struct RunOptions {
  std::string name;  // pod, container and host name
  std::string ns = "default";
  std::string uid;
  std::string image;
  std::vector<std::string> command;  // empty: the image's entrypoint and cmd
  bool tty = false;
  bool stdin = false;
  bool privileged = false;
  std::vector<std::pair<std::string, std::string>> envs;
  std::vector<std::pair<std::string, std::string>> labels;
};

// "docker.io/library/busybox:1.36@sha256:..." -> "busybox"; lowercased, other characters that
// a DNS label cannot hold become '-'. "pod" when nothing usable is left.
std::string ImageBaseName(const std::string& image);

// Lowercase RFC 1123 label, 1..63 characters: the name ends up in paths and the hostname.
Status ValidateName(const std::string& name, const std::string& what);

// `<image-base>-<5 random chars>` from the kubelet's alphabet (no vowels, no look-alikes).
Result<std::string> GenerateName(const std::string& image);
// Random RFC 4122 version 4 UUID.
Result<std::string> NewUid();

// /var/log/airlock/pods/<ns>_<name>_<uid>: the kubelet's layout for pod log directories.
std::string PodLogDirectory(const std::string& ns, const std::string& name, const std::string& uid);

runtime::v1::PodSandboxConfig BuildPodConfig(const RunOptions& opts);
runtime::v1::ContainerConfig BuildContainerConfig(const RunOptions& opts);

}  // namespace airlock::cli
